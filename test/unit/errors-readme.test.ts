// The table of docs/errors.md is the documentation of DropoutErrorCode: every code of the union
// in src/errors.ts, and every error class, must have a row there (and the table must not name
// codes or classes that do not exist). The union is read with the TypeScript parser, so adding a
// code to src/errors.ts without documenting it fails here.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { expect, test } from 'vitest';

const errorsPath = new URL('../../src/errors.ts', import.meta.url);
const source = ts.createSourceFile('errors.ts', readFileSync(errorsPath, 'utf8'), ts.ScriptTarget.Latest, true);

function errorCodes(): string[] {
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'DropoutErrorCode');
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error('src/errors.ts: DropoutErrorCode is not a union type');
  return alias.type.types.map((t) => {
    if (!ts.isLiteralTypeNode(t) || !ts.isStringLiteral(t.literal)) throw new Error(`DropoutErrorCode member is not a string literal: ${t.getText(source)}`);
    return t.literal.text;
  });
}

function errorClasses(): string[] {
  return source.statements
    .filter((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && !!s.name && (s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false))
    .map((c) => c.name!.text)
    .filter((name) => name !== 'DropoutError');
}

/** Rows of the first table of docs/errors.md: [class, code] with the backticks removed. */
function readmeTable(): Array<[string, string]> {
  const page = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const table = /^\| class \| code \|.*\n(?:\|.*\n)+/m.exec(page)?.[0];
  if (!table) throw new Error('docs/errors.md has no table starting "| class | code |"');
  const rows = table.split('\n').filter((line) => line.startsWith('|')).slice(2); // header, separator
  return rows.map((row) => {
    const [cls, code] = row.split('|').slice(1, 3).map((cell) => cell.trim().replace(/`/g, ''));
    return [cls!, code!];
  });
}

test('DropoutErrorCode is read from src/errors.ts', () => {
  expect(errorCodes()).toContain('INVALID_ARGUMENT');
  expect(errorClasses()).toContain('DropoutArgumentError');
});

test('every DropoutErrorCode has a row in the error table of docs/errors.md', () => {
  const documented = new Set(readmeTable().map(([, code]) => code));
  const missing = errorCodes().filter((code) => !documented.has(code));
  expect(missing, 'codes missing from the table of docs/errors.md').toEqual([]);
});

test('every error class has a row in the error table of docs/errors.md', () => {
  const documented = new Set(readmeTable().map(([cls]) => cls));
  const missing = errorClasses().filter((cls) => !documented.has(cls));
  expect(missing, 'classes missing from the table of docs/errors.md').toEqual([]);
});

test('the error table of docs/errors.md names only real codes and classes', () => {
  const codes = new Set(errorCodes());
  const classes = new Set(errorClasses());
  for (const [cls, code] of readmeTable()) {
    expect(codes.has(code), `docs/errors.md row ${cls} | ${code}: no such DropoutErrorCode`).toBe(true);
    expect(classes.has(cls), `docs/errors.md row ${cls} | ${code}: no such error class`).toBe(true);
  }
});

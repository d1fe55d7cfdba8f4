// Helpers for the consumer tests: running commands with a readable failure, timed steps, offline
// installs, and the check that an installed package is a real copy of the tarball (so nothing from
// the repo — its node_modules, src or dist — can stand in for what npm users get).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Runs a command; throws with the tail of its output unless it exits 0 (or `allowFail`). */
export function sh(command, args, { cwd, allowFail = false, timeout = 300_000, env = process.env } = {}) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (!allowFail && result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited ${result.status ?? result.signal ?? result.error?.message}\n${output}`);
  }
  return result;
}

/** Runs one named step, printing a progress line before and a ✓ line with its time after. */
export async function step(name, fn) {
  console.log(`  … ${name}`);
  const t0 = Date.now();
  const detail = await fn();
  console.log(`  ✓ ${name}${detail ? `: ${detail}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * `npm install` from the local npm cache: the versions are the repo's devDependencies, which its
 * own `npm ci` put there. --offline first (no network, fails fast on a miss); on a cache miss,
 * once more with --prefer-offline, which may use the network.
 */
export function npmInstall(cwd, specs) {
  const args = ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...specs];
  const offline = sh('npm', [...args, '--offline'], { cwd, allowFail: true });
  if (offline.status === 0) return 'offline, from the npm cache';
  if (!/ENOTCACHED/.test(offline.stderr)) sh('npm', [...args, '--offline'], { cwd }); // throws with the output
  console.log('    (not all in the npm cache: retrying with --prefer-offline)');
  sh('npm', [...args, '--prefer-offline'], { cwd });
  return 'with --prefer-offline';
}

function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

const hash = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The project's node_modules/webgpu-dropout must be a plain directory inside the project (not a
 * link to the repo) holding exactly the tarball's files, byte for byte.
 */
export function assertInstalledFromTarball(projectDir, unpackedDir) {
  const installed = join(projectDir, 'node_modules', 'webgpu-dropout');
  if (lstatSync(installed).isSymbolicLink()) throw new Error(`${installed} is a symlink, not a copy from the tarball`);
  const real = realpathSync(installed);
  if (relative(realpathSync(projectDir), real).startsWith('..')) throw new Error(`${installed} resolves outside the project: ${real}`);
  const expected = filesUnder(unpackedDir).sort();
  const actual = filesUnder(installed).sort();
  if (expected.join('\n') !== actual.join('\n')) {
    const extra = actual.filter((f) => !expected.includes(f));
    const missing = expected.filter((f) => !actual.includes(f));
    throw new Error(`installed files differ from the tarball: extra ${extra.join(', ') || '-'}; missing ${missing.join(', ') || '-'}`);
  }
  const changed = expected.filter((file) => hash(join(installed, file)) !== hash(join(unpackedDir, file)));
  if (changed.length) throw new Error(`installed files differ from the tarball's: ${changed.join(', ')}`);
  return `${actual.length} files, identical to the tarball`;
}

/** Prints the checks a round trip returned and throws if one failed. */
export function reportChecks(where, checks) {
  if (!Array.isArray(checks) || checks.length === 0) throw new Error(`${where}: no checks reported`);
  for (const c of checks) console.log(`      ${c.ok ? '✓' : '✗'} ${c.name} — ${c.detail}`);
  const failed = checks.filter((c) => !c.ok);
  if (failed.length) throw new Error(`${where}: ${failed.length} of ${checks.length} checks failed`);
  return `${checks.length} checks passed`;
}

// Consumer tests (a step of `npm test`, after the build): what an npm user gets. Packs the package
// with `npm pack`, then in fresh projects under the OS temp dir — outside the repo, so nothing from
// its node_modules, src or dist can resolve — installs the tarball from the file and checks:
//   1. the tarball: only what users need, every `exports` target and source map present;
//   2. a Vite + TypeScript app, with the Vite and TypeScript a new user gets (FRESH_APP): strict
//      type check against the shipped .d.ts under TypeScript 7 and 6, production build, and in
//      headless Chrome: forward/backward on WebGPU equal to the CPU reference, the README's
//      browser example verbatim, and a TensorFlow.js model with our layer saved to IndexedDB by
//      one page and reloaded with tf.loadLayersModel and trained a step by another page that only
//      imports 'webgpu-dropout/tfjs' for its side effect (layer registration); tree-shaking and
//      the size budget of the main entry, against the figures docs/packaging.md states;
//   3. a Node ESM script on Dawn (`webgpu-dropout/node`): the same round trip;
//   4. CommonJS: require() works through Node's require(esm), and fails with ERR_REQUIRE_ESM where
//      that is off — both as the README says.
// KEEP_CONSUMER_TMP=1 keeps the temp projects for a look.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBrowser, INSTALL_HINT } from '../../scripts/gpu-env.mjs';
import { runAppInChrome, runDevServerInChrome } from './browser.mjs';
import { checkSize, checkTreeShaking } from './bundle.mjs';
import { assertInstalledFromTarball, npmInstall, reportChecks, sh, step } from './lib.mjs';

const repo = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const version = (name) => `${name}@${pkg.devDependencies[name]}`;
// What `npm create vite` gives a new user today (vanilla-ts template). Not the repo's own
// devDependencies: TypeScript 7 has no JavaScript API (typescript6 below transpiles), and the size
// figures must be what users measure. Bump these when a new user would get newer ones.
const FRESH_APP = ['vite@8.4.1', 'typescript@7.0.2'];
// The TypeScript before it, under another name: the app is type-checked by both.
const TYPESCRIPT_6 = `typescript6@npm:${version('typescript')}`;
const TFJS = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-webgpu'].map(version);
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const packagingDoc = readFileSync(join(repo, 'docs/packaging.md'), 'utf8');
const browserPath = findBrowser();
if (!browserPath) {
  console.error(`✗ No Chrome/Chromium found. ${INSTALL_HINT}`);
  process.exit(1);
}
if (!existsSync(join(repo, 'dist/index.js'))) {
  console.error('✗ dist/ is missing: run `npm run build` first.');
  process.exit(1);
}

const root = realpathSync(mkdtempSync(join(tmpdir(), 'webgpu-dropout-consumer-')));
const started = Date.now();
let ok = false;
try {
  if (!relative(repo, root).startsWith('..')) throw new Error(`temp dir ${root} is inside the repo`);
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    // Node and bundlers look for node_modules in every parent directory.
    if (existsSync(join(dir, 'node_modules', 'webgpu-dropout'))) throw new Error(`${dir}/node_modules/webgpu-dropout would shadow the tarball`);
    if (dir === dirname(dir)) break;
  }
  console.log(`consumer projects in ${root}`);

  // 1. The tarball.
  let tarball = '';
  const unpacked = join(root, 'unpacked');
  await step('npm pack', () => {
    const [info] = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', root], { cwd: repo }).stdout);
    tarball = join(root, info.filename);
    const files = info.files.map((f) => f.path);
    mkdirSync(unpacked);
    sh('tar', ['xzf', tarball, '-C', unpacked, '--strip-components=1']);
    checkPackedFiles(files, unpacked);
    return `${files.length} files, ${(info.size / 1024).toFixed(1)} kB packed, ${(info.unpackedSize / 1024).toFixed(1)} kB unpacked`;
  });

  // 2. Vite + TypeScript app.
  const app = join(root, 'app');
  cpSync(join(fixtures, 'app'), app, { recursive: true });
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }, null, 2)}\n`);
  writeFileSync(join(app, 'src/readme-example.ts'), readmeExample(readme, '## In the browser'));
  await step(`app: npm install the tarball, ${[...FRESH_APP, TYPESCRIPT_6, version('@webgpu/types'), ...TFJS].join(', ')}`, () =>
    npmInstall(app, [tarball, ...FRESH_APP, TYPESCRIPT_6, version('@webgpu/types'), ...TFJS]));
  await step('app: node_modules/webgpu-dropout is the tarball', () => assertInstalledFromTarball(app, unpacked));
  const tsc = (bin, project) => sh('node', [`node_modules/${bin}/bin/tsc`, '-p', project], { cwd: app });
  for (const [bin, name] of [['typescript', 'TypeScript 7'], ['typescript6', 'TypeScript 6']]) {
    await step(`app: tsc, ${name} (strict, skipLibCheck off, WebGPU types from lib.dom, the README example)`, () => void tsc(bin, '.'));
    await step(`app: tsc, ${name} (strict, with @webgpu/types as docs/packaging.md says)`, () => void tsc(bin, 'tsconfig.webgpu-types.json'));
    await step(`app: tsc, ${name} (the TensorFlow.js pages)`, () => void tsc(bin, 'tsconfig.tfjs.json'));
  }
  await step('app: vite build', () => {
    sh('node', ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], { cwd: app });
    const code = readdirSync(join(app, 'dist/assets')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(app, 'dist/assets', f), 'utf8')).join('\n');
    if (code.includes(repo)) throw new Error(`the app bundle mentions the repo path ${repo}`);
    if (!code.includes('dropout_main')) throw new Error('the app bundle has no dropout kernel');
  });
  const appPages = ['/', '/readme.html', '/model-save.html', '/model-load.html'];
  const checkPages = (pages) => {
    console.log(`      ${pages[0].browser}, adapter: ${pages[0].adapter}`);
    let problems = 0;
    for (const page of pages) {
      console.log(`      ${page.path}`);
      for (const problem of page.problems) console.log(`      ✗ ${problem}`);
      problems += page.problems.length;
    }
    const line = reportChecks('browser', pages.flatMap((page) => page.checks));
    if (problems) throw new Error(`${problems} page problems`);
    return line;
  };
  // Development first: the README's example and the saved-model round trip under `vite` as a user
  // runs it while developing (unbundled modules, dependencies pre-bundled by Vite).
  await step('app: in headless Chrome (vite dev server)', async () => checkPages(await runDevServerInChrome(app, browserPath, appPages)));
  await step('app: in headless Chrome (production build)', async () => {
    return checkPages(await runAppInChrome(join(app, 'dist'), browserPath, appPages));
  });
  await step('app: tree-shaking (`import { dropout }` only)', () => checkTreeShaking(app, packagingDoc));
  await step('app: size of the main entry', () => checkSize(app, packagingDoc));

  // 3. Node ESM on Dawn.
  const node = join(root, 'node');
  mkdirSync(node);
  writeFileSync(join(node, 'package.json'), `${JSON.stringify({ name: 'consumer-node', private: true, type: 'module' }, null, 2)}\n`);
  for (const file of ['esm.mjs', 'require.cjs']) copyFileSync(join(fixtures, 'node', file), join(node, file));
  // The same round trip as the browser's, transpiled by the app's TypeScript (types erased only).
  const ts = createRequire(join(app, 'package.json'))('typescript6');
  const source = readFileSync(join(fixtures, 'app/src/roundtrip.ts'), 'utf8');
  writeFileSync(join(node, 'roundtrip.mjs'), ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText);
  await step(`node: npm install the tarball, ${version('webgpu')}`, () => npmInstall(node, [tarball, version('webgpu')]));
  await step('node: node_modules/webgpu-dropout is the tarball', () => assertInstalledFromTarball(node, unpacked));
  await step('node: ESM script on Dawn (webgpu-dropout/node) vs the CPU reference', () => {
    const result = lastJson(sh('node', ['esm.mjs'], { cwd: node, timeout: 240_000 }).stdout);
    console.log(`      adapter: ${result.adapter || '(no adapterInfo)'}`);
    const outside = result.resolved.filter((url) => !fileURLToPath(url).startsWith(join(node, 'node_modules', 'webgpu-dropout')));
    if (outside.length) throw new Error(`resolved outside the project: ${outside.join(', ')}`);
    return reportChecks('node', result.checks);
  });

  // 4. CommonJS.
  await step('node: CommonJS require() (require(esm))', () => {
    const run = sh('node', ['require.cjs'], { cwd: node, allowFail: true });
    if (!process.features.require_module) return expectRequireEsm(run, 'this Node has no require(esm)');
    if (run.status !== 0) throw new Error(`require('webgpu-dropout') failed on Node ${process.version}:\n${run.stderr}`);
    const result = lastJson(run.stdout);
    if (!result.resolved.startsWith(join(node, 'node_modules', 'webgpu-dropout'))) throw new Error(`resolved outside the project: ${result.resolved}`);
    if (result.functions.length !== 4) throw new Error(`require() gave a namespace without ${['dropout', 'dropoutBackward', 'Dropout', 'PhiloxGenerator'].filter((f) => !result.functions.includes(f)).join(', ')}`);
    if (!result.sameNamespace) throw new Error('require() and import() gave different module instances');
    if (!result.typedError) throw new Error('an error from webgpu-dropout/cpu is not instanceof the main entry\'s DropoutArgumentError');
    if (result.cpu.some((v, i) => v !== 0 && v !== 2 * (i + 1))) throw new Error(`dropoutCPU via require gave ${result.cpu}`);
    return `works on Node ${process.version}; same module instance as import()`;
  });
  await step('node: CommonJS without require(esm) fails as documented', () => {
    const run = sh('node', ['--no-experimental-require-module', 'require.cjs'], { cwd: node, allowFail: true });
    return expectRequireEsm(run, '--no-experimental-require-module');
  });
  ok = true;
} catch (error) {
  console.error(`\n✗ ${error.message}`);
} finally {
  if (process.env.KEEP_CONSUMER_TMP) console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
console.log(`${ok ? '✓ consumer tests passed' : '✗ consumer tests failed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(ok ? 0 : 1);

/** The tarball holds what users need and nothing else. */
function checkPackedFiles(files, unpacked) {
  const has = new Set(files);
  const targets = Object.values(pkg.exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)));
  const docs = readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`); // the README links them
  const required = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', ...docs, ...targets.map((t) => t.replace(/^\.\//, ''))];
  const missing = required.filter((f) => !has.has(f));
  if (missing.length) throw new Error(`the tarball lacks ${missing.join(', ')}`);
  const allowed = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|docs\/[^/]+\.md|dist\/[^/]+\.js(\.map)?|dist\/types\/.+\.d\.ts)$/;
  const unexpected = files.filter((f) => !allowed.test(f));
  if (unexpected.length) throw new Error(`the tarball holds files users do not need: ${unexpected.join(', ')}`);
  // Source maps ship so debuggers show the TypeScript (they embed it); a dangling
  // sourceMappingURL would make Vite's dev server warn for every file of the package.
  for (const js of files.filter((f) => f.endsWith('.js'))) {
    const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(unpacked, js), 'utf8'))?.[1];
    if (map && !has.has(join(dirname(js), map))) throw new Error(`${js} points to ${map}, which is not in the tarball`);
  }
}

/** The first ```ts block after `heading` in the README, verbatim. */
function readmeExample(text, heading) {
  const at = text.indexOf(`\n${heading}\n`);
  const block = at < 0 ? null : /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`README.md has no \`\`\`ts block under "${heading}"`);
  return block[1];
}

function lastJson(stdout) {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (!line) throw new Error(`no JSON result in the output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line);
}

function expectRequireEsm(run, why) {
  if (run.status === 0) throw new Error(`require('webgpu-dropout') was expected to fail (${why}) but worked`);
  if (!/ERR_REQUIRE_ESM/.test(run.stderr)) throw new Error(`expected ERR_REQUIRE_ESM (${why}), got:\n${run.stderr.slice(-2000)}`);
  return `ERR_REQUIRE_ESM (${why}), as documented`;
}

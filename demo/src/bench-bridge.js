// The benchmark code the speed panel reuses, from bench/ (plain JavaScript, typed in
// bench-bridge.d.ts). bench/baselines.mjs imports ../dist/index.js; demo/vite.config.ts maps
// that to the library sources, so the page holds one copy of the library.
export { runSuite, summarize } from '../../bench/core.mjs';
export { ourImplementations } from '../../bench/impls.mjs';
export { ourWallImplementations, tfjsImplementations } from '../../bench/page/wall-clock.js';

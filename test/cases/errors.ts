// Bad input at every public entry point, as one table: each entry point's valid call, and every
// kind of bad argument it can be given. Each bad call must throw a typed DropoutError with the
// expected code — for argument errors the argument's name, and a message naming the argument, the
// value and what is allowed — record nothing (deviceStats: no submit, no encoded call) and leave
// every output at its sentinel bits. Buffers WebGPU itself refuses (destroyed, from another
// device) are GPU_VALIDATION errors captured by the library's error scopes (the runner fails a
// case on any uncaptured WebGPU error); the invalid command buffer is dropped whole, so the
// outputs keep their sentinels there too. The valid call is run last and must change an output,
// so the sentinel check can fail.
//
// Zero sizes are legitimate: a tensor of 0 elements (n = 0, or a shape with a 0) is a no-op
// everywhere (checked below); what a size means per entry point:
// - dropout/dropoutBackward, gaussian*, mcDropout: n = 0 or a shape with a 0 is a no-op.
// - dropBlock*: N = 0 or C = 0 is a no-op, and so is a zero spatial size (no blocks to drop).
// - fusedDropout*: zero rows is a no-op; zero columns is refused (the bias needs length >= 1).
// - mcDropout: samples = 0 is refused (K >= 1; no estimate from zero samples).
import {
  AlphaDropout, DropBlock2d, DropBlock3d, Dropout, Dropout1d, Dropout2d, Dropout3d, DropConnect, FeatureAlphaDropout, GaussianDropout,
  PhiloxGenerator, createStorageBuffer, deviceStats, downloadFloat32, downloadUint32, dropBlock, dropBlockBackward,
  dropout, dropoutBackward, fusedDropout, fusedDropoutBackward, gaussianDropout, gaussianDropoutBackward, mcDropout,
  dropConnectLinear, dropConnectLinearBackward, spatialNoiseShape, uploadFloat32, type DropoutErrorCode,
} from 'webgpu-dropout';
import { configureDevice } from 'webgpu-dropout/testing';
import { check, checkAll, checkEqual, checkThrows, type ExpectedError } from './assert.js';
import { SENTINEL_BITS, type Case, type Tracker } from './env.js';

const STORAGE_IO = 0x80 | 0x4 | 0x8;
const NO_STORAGE = 0x4 | 0x8;

type Args = Record<string, unknown>;

interface Ctx {
  device: GPUDevice;
  /** A second device: its buffers are foreign to `device`. */
  other: GPUDevice;
  t: Tracker;
}

interface Setup {
  args: Args;
  /** Buffers the call writes, by name, with their size in bytes. */
  outputs: [string, GPUBuffer, number][];
}

interface Bad {
  what: string;
  /** Sets the bad value(s) on a copy of the valid arguments. */
  patch(args: Args, ctx: Ctx): void;
  expect: ExpectedError & { code: DropoutErrorCode };
}

interface Entry {
  name: string;
  setup(ctx: Ctx): Setup;
  call(device: GPUDevice, args: Args): unknown;
  /** Runs before each call, unchecked (e.g. the forward a backward needs). */
  before?(device: GPUDevice, args: Args): Promise<void>;
  bad(ctx: Ctx): Bad[];
  /** Sizes that are legitimately zero: the call must succeed and write nothing. */
  zero?: ((args: Args) => void)[];
}

/** Sets `path` ('p', 'ctor.p', 'call.mask') on args, copying the nested objects it goes through. */
function set(args: Args, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = args;
  for (const key of keys.slice(0, -1)) {
    const inner = { ...(target[key] as Args) };
    target[key] = inner;
    target = inner;
  }
  target[keys.at(-1)!] = value;
}

const arg = (argument: string, includes: string[] = []): Bad['expect'] => ({ code: 'INVALID_ARGUMENT', argument, includes });

/** Bad values of one option: [label, value, text the message must contain]. */
function values(path: string, argument: string, list: [string, unknown, string[]][]): Bad[] {
  return list.map(([label, value, includes]) => ({ what: `${argument} ${label}`, patch: (a) => set(a, path, value), expect: arg(argument, includes) }));
}

function probability(path = 'p', allowed = '[0, 1]'): Bad[] {
  return values(path, 'p', [
    ['NaN', NaN, ['p = NaN', allowed]], ['Infinity', Infinity, ['Infinity', allowed]], ['-Infinity', -Infinity, ['-Infinity']],
    ['-0.1', -0.1, ['-0.1', allowed]], ['1.1', 1.1, ['1.1', allowed]], ['a string', '0.5', ['"0.5"']], ['null', null, ['null']],
    ['missing', undefined, ['undefined']], ['a bigint', 1n, ['1n']],
  ]);
}

function u64(path: string, argument = path.split('.').at(-1)!): Bad[] {
  return values(path, argument, [
    ['negative', -1, ['-1', '2^64']], ['fractional', 1.5, ['1.5']], ['a number past 2^53', 2 ** 60, [String(2 ** 60), 'bigint']],
    ['NaN', NaN, ['NaN']], ['2^64 (bigint)', 2n ** 64n, ['18446744073709551616n', '2^64 - 1']], ['negative bigint', -1n, ['-1n']],
    ['a string', '0', ['"0"']], ['missing', undefined, ['undefined']], ['a boolean', true, ['boolean']],
  ]);
}

function count(path: string, argument = path, max = '2^36'): Bad[] {
  return values(path, argument, [
    ['negative', -1, ['-1', max]], ['fractional', 2.5, ['2.5']], ['past the maximum', 2 ** 36 + 1, ['68719476737']],
    ['past 2^53', 2 ** 53 + 2, ['9007199254740994']], ['NaN', NaN, ['NaN']], ['Infinity', Infinity, ['Infinity']], ['a string', '100', ['"100"']],
  ]);
}

/** `training`: optional (default true, as PyTorch's F.dropout), else a boolean — not "false", not 0. */
function training(path: string): Bad[] {
  return values(path, 'training', [['1', 1, ['1', 'true or false']], ['"true"', 'true', ['"true"']], ['"false"', 'false', ['"false"']], ['0', 0, ['0']]]);
}

function common(prefix = ''): Bad[] {
  return [
    ...values(`${prefix}workgroupSize`, 'workgroupSize', [['96', 96, ['96', '64, 128 or 256']], ['"64"', '64', ['"64"']], ['0', 0, ['0']]]),
    ...values(`${prefix}encoder`, 'encoder', [['{}', {}, ['GPUCommandEncoder']], ['a string', 'encoder', ['"encoder"']]]),
  ];
}

function shape(path = 'shape', argument = 'shape'): Bad[] {
  return [
    ...values(path, argument, [
      ['empty', [], ['1 to 8']], ['rank 9', [1, 1, 1, 1, 1, 1, 1, 1, 1], ['1 to 8']], ['a string', 'abc', ['"abc"']],
      ['past 2^36 elements', [2 ** 20, 2 ** 17], ['2^36', '137438953472']], ['overflowing 2^53', [2 ** 30, 2 ** 30, 2 ** 30], ['2^36']],
    ]),
    { what: `${argument}[1] negative`, patch: (a) => set(a, path, [4, -1]), expect: arg(`${argument}[1]`, ['-1', 'non-negative integer']) },
    { what: `${argument}[1] fractional`, patch: (a) => set(a, path, [4, 2.5]), expect: arg(`${argument}[1]`, ['2.5']) },
    { what: `${argument}[0] past 2^53`, patch: (a) => set(a, path, [2 ** 53 + 2, 1]), expect: arg(`${argument}[0]`, ['9007199254740994']) },
    { what: `${argument}[0] NaN`, patch: (a) => set(a, path, [NaN, 1]), expect: arg(`${argument}[0]`, ['NaN']) },
  ];
}

/** Every bad form of a buffer argument that must hold `bytes` bytes. */
function buffer(path: string, bytes: number, argument = path.split('.').at(-1)!): Bad[] {
  const at = (ctx: Ctx, size: number, byteOffset: unknown, usage = STORAGE_IO, device = ctx.device) => ({ buffer: ctx.t.buffer(size, undefined, usage, device), byteOffset });
  return [
    { what: `${argument} a Float32Array`, patch: (a) => set(a, path, new Float32Array(4)), expect: arg(argument, ['Float32Array', 'GPUBuffer']) },
    { what: `${argument} null`, patch: (a) => set(a, path, null), expect: arg(argument, ['null', 'GPUBuffer']) },
    { what: `${argument} too small at its byteOffset`, patch: (a, c) => set(a, path, at(c, bytes, 16)), expect: arg(argument, [`${16 + bytes}`, 'byteOffset 16']) },
    ...(bytes >= 20 ? [{ what: `${argument} 4 bytes too small`, patch: (a: Args, c: Ctx) => set(a, path, c.t.buffer(bytes - 4)), expect: arg(argument, [`${bytes} bytes`]) }] : []),
    { what: `${argument}.byteOffset 2`, patch: (a, c) => set(a, path, at(c, bytes + 16, 2)), expect: arg(`${argument}.byteOffset`, ['2', 'multiple of 4']) },
    { what: `${argument}.byteOffset -4`, patch: (a, c) => set(a, path, at(c, bytes + 16, -4)), expect: arg(`${argument}.byteOffset`, ['-4']) },
    { what: `${argument}.byteOffset 4.5`, patch: (a, c) => set(a, path, at(c, bytes + 16, 4.5)), expect: arg(`${argument}.byteOffset`, ['4.5']) },
    { what: `${argument}.byteOffset a string`, patch: (a, c) => set(a, path, at(c, bytes + 16, '0')), expect: arg(`${argument}.byteOffset`, ['"0"']) },
    { what: `${argument} without STORAGE usage`, patch: (a, c) => set(a, path, c.t.buffer(bytes, undefined, NO_STORAGE)), expect: arg(`${argument}.usage`, ['a usage including STORAGE', 'it has COPY_SRC | COPY_DST']) },
    {
      what: `${argument} destroyed`,
      patch: (a, c) => { const b = c.t.buffer(bytes); b.destroy(); set(a, path, b); },
      expect: { code: 'GPU_VALIDATION', includes: ['destroyed'] },
    },
    { what: `${argument} from another device`, patch: (a, c) => set(a, path, c.t.buffer(bytes, undefined, STORAGE_IO, c.other)), expect: { code: 'GPU_VALIDATION' } },
  ];
}

/** dtype: an unknown one is an argument error; 'f16' without the feature UNSUPPORTED (every entry point takes f16). */
function dtype(path: string, ctx: Ctx): Bad[] {
  const bad: Bad[] = values(path, 'dtype', [['"f64"', 'f64', ['"f64"', `'f32' or 'f16'`]], ['a number', 16, ['16']]]);
  if (!ctx.device.features.has('shader-f16')) bad.push({ what: 'dtype f16 without shader-f16', patch: (a) => set(a, path, 'f16'), expect: { code: 'UNSUPPORTED', includes: ['shader-f16'] } });
  return bad;
}

/** The device a call runs on: the case's, unless a bad one was patched in. */
const on = (d: GPUDevice, a: Args): GPUDevice => ('device' in a ? a.device : d) as GPUDevice;

const device = (path = 'device'): Bad[] => [
  { what: 'device {}', patch: (a) => set(a, path, {}), expect: arg('device', ['a GPUDevice']) },
  { what: 'device null', patch: (a) => set(a, path, null), expect: arg('device', ['null']) },
];

const options = (path = 'options'): Bad[] => [
  { what: 'options null', patch: (a) => set(a, path, null), expect: arg('options', ['null']) },
  { what: 'options a number', patch: (a) => set(a, path, 3), expect: arg('options', ['3']) },
];

const N = 100;
const WORDS = Math.ceil(N / 32);
const out = (t: Tracker, name: string, bytes: number): [string, GPUBuffer, number] => [name, t.buffer(bytes), bytes];
const key = { p: 0.5, training: true, seed: 1n, offset: 0n };

/** The element-wise dropout forms: forward (x, y, mask) and backward (dy, dx, mask). */
function dropoutEntry(direction: 'forward' | 'backward'): Entry {
  const [src, dst] = direction === 'forward' ? ['x', 'y'] : ['dy', 'dx'];
  const fn = direction === 'forward' ? dropout : dropoutBackward;
  return {
    name: direction === 'forward' ? 'dropout' : 'dropoutBackward',
    setup({ t }) {
      const o = out(t, dst, 4 * N);
      const m = direction === 'forward' ? out(t, 'mask', 4 * WORDS) : null;
      const mask = direction === 'forward' ? m![1] : t.buffer(4 * WORDS, new Uint32Array(WORDS).fill(0x55555555));
      return { args: { options: { [src]: t.buffer(4 * N), [dst]: o[1], mask, n: N, ...key } }, outputs: m ? [o, m] : [o] };
    },
    call: (d, a) => fn(on(d, a), a.options as never),
    bad: (ctx) => [
      ...device(), ...options(),
      ...probability('options.p'), ...u64('options.seed'), ...u64('options.offset'), ...training('options.training'),
      ...count('options.n', 'n'), ...common('options.'),
      ...values('options.mode', 'mode', [['"inverse"', 'inverse', ['"inverse"', `'inverted', 'legacy' or 'alpha'`]]]),
      ...dtype('options.dtype', ctx),
      ...buffer(`options.${src}`, 4 * N), ...buffer(`options.${dst}`, 4 * N), ...buffer('options.mask', 4 * WORDS),
      ...shape('options.shape').map((b) => ({ ...b, patch: (a: Args, c: Ctx) => { set(a, 'options.n', undefined); b.patch(a, c); } })),
      { what: 'n and shape disagree', patch: (a) => set(a, 'options.shape', [10, 11]), expect: arg('n', ['100', 'product of shape [10, 11] = 110']) },
      { what: 'noiseShape without shape', patch: (a) => set(a, 'options.noiseShape', [1]), expect: arg('shape', ['noiseShape']) },
      { what: 'noiseShape of another rank', patch: (a) => { set(a, 'options.shape', [10, 10]); set(a, 'options.noiseShape', [10]); }, expect: arg('noiseShape', ['rank 2']) },
      { what: 'noiseShape[1] neither 1 nor shape[1]', patch: (a) => { set(a, 'options.shape', [10, 10]); set(a, 'options.noiseShape', [10, 5]); }, expect: arg('noiseShape[1]', ['5', '1 or shape[1] = 10']) },
      ...shape('options.noiseShape', 'noiseShape').filter((b) => !b.what.includes('past') && !b.what.includes('overflow')).map((b) => ({ ...b, patch: (a: Args, c: Ctx) => { set(a, 'options.shape', [4, 25]); b.patch(a, c); } })),
      { what: 'a noise-shaped tensor of 2^32 elements', patch: (a) => { set(a, 'options.n', undefined); set(a, 'options.shape', [2 ** 16, 2 ** 16]); set(a, 'options.noiseShape', [2 ** 16, 1]); }, expect: arg('shape', ['2^32 - 1']) },
      { what: `${dst} overlapping ${src} at another offset`, patch: (a, c) => { const b = c.t.buffer(4 * N + 64); set(a, `options.${src}`, b); set(a, `options.${dst}`, { buffer: b, byteOffset: 16 }); }, expect: arg(dst, ['same byteOffset']) },
      { what: `${dst} in a disjoint range of ${src}'s buffer`, patch: (a, c) => { const b = c.t.buffer(8 * N); set(a, `options.${src}`, b); set(a, `options.${dst}`, { buffer: b, byteOffset: 4 * N }); }, expect: arg(dst, ['WebGPU forbids']) },
      { what: `mask is ${src}`, patch: (a) => set(a, 'options.mask', (a.options as Args)[src]), expect: arg('mask', ['WebGPU forbids']) },
      { what: `eval mode: ${src} without COPY_SRC`, patch: (a, c) => { set(a, 'options.training', false); set(a, `options.${src}`, c.t.buffer(4 * N, undefined, 0x80 | 0x8)); }, expect: arg(`${src}.usage`, ['a usage including COPY_SRC', 'it has COPY_DST | STORAGE', 'copy']) },
      { what: `p = 0: ${dst} without COPY_DST`, patch: (a, c) => { set(a, 'options.p', 0); set(a, `options.${dst}`, c.t.buffer(4 * N, undefined, 0x80 | 0x4)); }, expect: arg(`${dst}.usage`, ['COPY_DST']) },
    ],
    zero: [(a) => set(a, 'options.n', 0), (a) => { set(a, 'options.n', undefined); set(a, 'options.shape', [0, 2 ** 40]); }, (a) => { set(a, 'options.n', undefined); set(a, 'options.shape', [4, 0, 3]); set(a, 'options.noiseShape', [4, 0, 1]); }],
  };
}

function gaussianEntry(direction: 'forward' | 'backward'): Entry {
  const [src, dst] = direction === 'forward' ? ['x', 'y'] : ['dy', 'dx'];
  const fn = direction === 'forward' ? gaussianDropout : gaussianDropoutBackward;
  return {
    name: direction === 'forward' ? 'gaussianDropout' : 'gaussianDropoutBackward',
    setup({ t }) {
      const o = out(t, dst, 4 * N);
      return { args: { options: { [src]: t.buffer(4 * N), [dst]: o[1], n: N, ...key } }, outputs: [o] };
    },
    call: (d, a) => fn(on(d, a), a.options as never),
    bad: (ctx) => [
      ...device(), ...options(),
      ...probability('options.p'),
      ...u64('options.seed'), ...u64('options.offset'), ...training('options.training'), ...count('options.n', 'n'), ...common('options.'),
      ...dtype('options.dtype', ctx),
      ...buffer(`options.${src}`, 4 * N), ...buffer(`options.${dst}`, 4 * N),
      { what: `${dst} overlapping ${src} at another offset`, patch: (a, c) => { const b = c.t.buffer(4 * N + 64); set(a, `options.${src}`, b); set(a, `options.${dst}`, { buffer: b, byteOffset: 16 }); }, expect: arg(dst, ['same byteOffset']) },
      { what: `eval mode: ${src} without COPY_SRC`, patch: (a, c) => { set(a, 'options.training', false); set(a, `options.${src}`, c.t.buffer(4 * N, undefined, 0x80 | 0x8)); }, expect: arg(`${src}.usage`, ['COPY_SRC']) },
    ],
    zero: [(a) => set(a, 'options.n', 0)],
  };
}

const BLOCK_SHAPE = [1, 2, 7, 7];
const BLOCK_N = 98;

function dropBlockEntry(direction: 'forward' | 'backward'): Entry {
  const [src, dst] = direction === 'forward' ? ['x', 'y'] : ['dy', 'dx'];
  const fn = direction === 'forward' ? dropBlock : dropBlockBackward;
  return {
    name: direction === 'forward' ? 'dropBlock' : 'dropBlockBackward',
    setup({ t }) {
      const o = out(t, dst, 4 * BLOCK_N);
      return { args: { options: { [src]: t.buffer(4 * BLOCK_N, new Float32Array(BLOCK_N).fill(1)), [dst]: o[1], shape: BLOCK_SHAPE, blockSize: 3, ...key, p: 0.3 } }, outputs: [o] };
    },
    call: (d, a) => fn(on(d, a), a.options as never),
    bad: (ctx) => [
      ...device(), ...options(),
      ...probability('options.p'), ...u64('options.seed'), ...u64('options.offset'), ...training('options.training'), ...common('options.'),
      ...dtype('options.dtype', ctx),
      ...shape('options.shape'),
      { what: 'shape of rank 3', patch: (a) => set(a, 'options.shape', [2, 7, 7]), expect: arg('shape', ['rank 4']) },
      { what: 'shape of rank 6', patch: (a) => set(a, 'options.shape', [1, 1, 3, 3, 3, 3]), expect: arg('shape', ['rank 4']) },
      ...values('options.blockSize', 'blockSize', [
        ['0', 0, ['positive integer']], ['-3', -3, ['-3']], ['2.5', 2.5, ['2.5']], ['a string', '3', ['"3"']], ['missing', undefined, ['undefined']],
        ['even (4)', 4, ['odd']], ['even effectively (9 on a 6 x 7 map)', 9, ['odd', '6']],
      ]).map((b) => (b.what.includes('6 x 7') ? { ...b, patch: (a: Args, c: Ctx) => { set(a, 'options.shape', [1, 2, 6, 7]); b.patch(a, c); } } : b)),
      ...values('options.eps', 'eps', [['-1', -1, ['-1', '>= 0']], ['NaN', NaN, ['NaN']], ['Infinity', Infinity, ['Infinity']], ['a string', '0', ['"0"']]]),
      ...buffer(`options.${src}`, 4 * BLOCK_N), ...buffer(`options.${dst}`, 4 * BLOCK_N), ...buffer('options.mask', 4 * Math.ceil(BLOCK_N / 32)),
      { what: `mask is ${dst}`, patch: (a) => set(a, 'options.mask', (a.options as Args)[dst]), expect: arg('mask', ['WebGPU forbids']) },
    ],
    zero: [(a) => set(a, 'options.shape', [0, 2, 7, 7]), (a) => set(a, 'options.shape', [1, 0, 7, 7]), (a) => set(a, 'options.shape', [1, 2, 0, 7]), (a) => set(a, 'options.shape', [1, 2, 7, 0])],
  };
}

const mcEntry: Entry = {
  name: 'mcDropout',
  setup({ t }) {
    const o = out(t, 'out', 4 * N * 3);
    const mean = out(t, 'mean', 4 * N);
    const variance = out(t, 'variance', 4 * N);
    return { args: { options: { x: t.buffer(4 * N, new Float32Array(N).fill(1)), out: o[1], mean: mean[1], variance: variance[1], n: N, samples: 3, p: 0.5, seed: 1n, offset: 0n } }, outputs: [o, mean, variance] };
  },
  call: (d, a) => mcDropout(on(d, a), a.options as never),
  bad: (ctx) => [
    ...device(), ...options(),
    ...probability('options.p'), ...u64('options.seed'), ...u64('options.offset'), ...count('options.n', 'n'), ...common('options.'),
    ...dtype('options.dtype', ctx),
    ...values('options.samples', 'samples', [['0', 0, ['[1, 65535]']], ['65536', 65536, ['65536']], ['1.5', 1.5, ['1.5']], ['a string', '3', ['"3"']], ['missing', undefined, ['undefined']]]),
    ...values('options.unbiased', 'unbiased', [['"yes"', 'yes', ['"yes"', 'true or false']]]),
    { what: 'unbiased with one sample', patch: (a) => { set(a, 'options.unbiased', true); set(a, 'options.samples', 1); }, expect: arg('samples', ['at least 2']) },
    { what: 'no output at all', patch: (a) => { set(a, 'options.out', undefined); set(a, 'options.mean', undefined); set(a, 'options.variance', undefined); }, expect: arg('out', ['at least one of out, mean or variance']) },
    { what: 'n · samples >= 2^32', patch: (a) => { set(a, 'options.n', 2 ** 20); set(a, 'options.samples', 4096); }, expect: arg('samples', ['4096', '4095']) },
    ...buffer('options.x', 4 * N), ...buffer('options.out', 4 * N * 3), ...buffer('options.mean', 4 * N), ...buffer('options.variance', 4 * N),
    { what: 'mean is x (no in-place form)', patch: (a) => set(a, 'options.mean', (a.options as Args).x), expect: arg('mean', ['cannot run in place']) },
    { what: 'variance in mean\'s buffer', patch: (a, c) => { const b = c.t.buffer(8 * N); set(a, 'options.mean', b); set(a, 'options.variance', { buffer: b, byteOffset: 4 * N }); }, expect: arg('variance', ['WebGPU forbids']) },
  ],
  zero: [(a) => set(a, 'options.n', 0)],
};

const ROWS = 10;
const COLS = 10;
function fusedEntry(direction: 'forward' | 'backward'): Entry {
  return {
    name: direction === 'forward' ? 'fusedDropout' : 'fusedDropoutBackward',
    setup({ t }) {
      const base = { shape: [ROWS, COLS], activation: 'gelu', ...key, x: t.buffer(4 * N, new Float32Array(N).fill(1)), bias: t.buffer(4 * COLS) };
      if (direction === 'forward') {
        const y = out(t, 'y', 4 * N);
        const mask = out(t, 'mask', 4 * WORDS);
        return { args: { options: { ...base, residual: t.buffer(4 * N), y: y[1], mask: mask[1] } }, outputs: [y, mask] };
      }
      const dx = out(t, 'dx', 4 * N);
      const dbias = out(t, 'dbias', 4 * COLS);
      return { args: { options: { ...base, dy: t.buffer(4 * N, new Float32Array(N).fill(1)), dx: dx[1], dbias: dbias[1] } }, outputs: [dx, dbias] };
    },
    call: (d, a) => (direction === 'forward' ? fusedDropout : fusedDropoutBackward)(on(d, a), a.options as never),
    bad: (ctx) => [
      ...device(), ...options(),
      ...probability('options.p'), ...u64('options.seed'), ...u64('options.offset'), ...training('options.training'), ...common('options.'),
      ...dtype('options.dtype', ctx),
      ...shape('options.shape'),
      { what: 'shape missing', patch: (a) => set(a, 'options.shape', undefined), expect: arg('shape', ['undefined']) },
      { what: 'zero columns (a bias of length 0)', patch: (a) => set(a, 'options.shape', [10, 0]), expect: arg('shape', ['last dimension']) },
      ...values('options.activation', 'activation', [['"tanh"', 'tanh', ['"tanh"', `'gelu'`]], ['a number', 1, ['1']]]),
      ...(direction === 'forward'
        ? [...buffer('options.x', 4 * N), ...buffer('options.bias', 4 * COLS), ...buffer('options.residual', 4 * N), ...buffer('options.y', 4 * N), ...buffer('options.mask', 4 * WORDS),
          { what: 'y is x (no in-place form)', patch: (a: Args) => set(a, 'options.y', (a.options as Args).x), expect: arg('y', ['cannot run in place']) }]
        : [...buffer('options.dy', 4 * N), ...buffer('options.x', 4 * N), ...buffer('options.bias', 4 * COLS), ...buffer('options.dx', 4 * N), ...buffer('options.dbias', 4 * COLS),
          { what: 'dx is dy (no in-place form)', patch: (a: Args) => set(a, 'options.dx', (a.options as Args).dy), expect: arg('dx', ['cannot run in place']) }]),
    ],
    zero: [(a) => set(a, 'options.shape', [0, COLS])],
  };
}

/** A module: constructor options (ctor), then forward(x, y, size, call) and backward(dy, dx, back). */
interface ModuleSpec {
  name: string;
  make(device: GPUDevice, options: unknown): Dropout;
  ctor: Args;
  size: number | number[];
  elements: number;
  /** Mask bits (the noise shape's size; default elements). */
  maskBits?: number;
  /** Extra bad constructor options and sizes. */
  bad?: Bad[];
  mask?: boolean;
}

function moduleEntries(spec: ModuleSpec): Entry[] {
  const bytes = 4 * spec.elements;
  const maskBytes = 4 * Math.ceil((spec.maskBits ?? spec.elements) / 32);
  const forward: Entry = {
    name: `${spec.name}.forward`,
    setup({ t }) {
      const y = out(t, 'y', bytes);
      const mask = spec.mask === false ? null : out(t, 'mask', maskBytes);
      return { args: { ctor: spec.ctor, x: t.buffer(bytes, new Float32Array(spec.elements).fill(1)), y: y[1], size: spec.size, call: mask ? { mask: mask[1] } : {} }, outputs: mask ? [y, mask] : [y] };
    },
    call: (d, a) => spec.make(on(d, a), a.ctor).forward(a.x as GPUBuffer, a.y as GPUBuffer, a.size as number, a.call as never),
    bad: (ctx) => [
      ...device(),
      // p missing or null means the default, 0.5.
      ...probability('ctor.p').filter((b) => !b.what.includes('missing') && !b.what.includes('null')),
      { what: 'constructor options null', patch: (a) => set(a, 'ctor', null), expect: arg('options', ['null']) },
      ...values('ctor.generator', 'generator', [['{}', {}, ['PhiloxGenerator']], ['a seed', 5n, ['5n']]]),
      ...values('ctor.workgroupSize', 'workgroupSize', [['100', 100, ['64, 128 or 256']]]),
      ...dtype('ctor.dtype', ctx),
      ...buffer('x', bytes), ...buffer('y', bytes),
      ...(spec.mask === false ? [] : buffer('call.mask', maskBytes)),
      ...values('call.encoder', 'encoder', [['{}', {}, ['GPUCommandEncoder']]]),
      ...(spec.bad ?? []),
    ],
  };
  const backward: Entry = {
    name: `${spec.name}.backward`,
    setup({ t }) {
      const dx = out(t, 'dx', bytes);
      return { args: { ctor: spec.ctor, dy: t.buffer(bytes, new Float32Array(spec.elements).fill(1)), dx: dx[1], size: spec.size, back: {} }, outputs: [dx] };
    },
    // The forward runs first (unchecked, into buffers of its own); backward gets the bad argument.
    async before(d, a) {
      const layer = spec.make(d, a.ctor);
      a.layer = layer;
      if (a.noForward) return;
      const x = d.createBuffer({ size: Math.max(16, bytes), usage: STORAGE_IO });
      const y = d.createBuffer({ size: Math.max(16, bytes), usage: STORAGE_IO });
      try {
        await layer.forward(x, y, a.size as number);
      } finally {
        x.destroy();
        y.destroy();
      }
    },
    call: (_d, a) => (a.layer as Dropout).backward(a.dy as GPUBuffer, a.dx as GPUBuffer, a.back as never),
    bad: () => [
      ...buffer('dx', bytes),
      ...values('back.encoder', 'encoder', [['{}', {}, ['GPUCommandEncoder']]]),
      { what: 'backward before any forward', patch: (a) => { a.noForward = true; }, expect: { code: 'STATE', includes: [`${spec.name}.backward() was called before any forward()`, 'await forward()'] } },
    ],
  };
  return [forward, backward];
}

const SHAPE4 = [2, 3, 4, 4];
const modules: ModuleSpec[] = [
  {
    name: 'Dropout', make: (d, o) => new Dropout(d, o as never), ctor: { p: 0.5 }, size: N, elements: N,
    bad: [
      ...values('ctor.mode', 'mode', [['"inverse"', 'inverse', ['"inverse"']]]),
      ...values('size', 'size', [['a string', 'abc', ['"abc"', 'element count or a shape']], ['null', null, ['null']]]),
      ...values('size', 'n', [['negative', -1, ['-1']], ['fractional', 2.5, ['2.5']]]),
      ...values('ctor.noiseShape', 'noiseShape', [['a string', 'abc', ['"abc"']]]).map((b) => ({ ...b, patch: (a: Args, c: Ctx) => { b.patch(a, c); set(a, 'size', [N]); } })),
      { what: 'a number size with a noiseShape', patch: (a) => set(a, 'ctor.noiseShape', [N]), expect: arg('size', ['shape array']) },
    ],
  },
  { name: 'DropConnect', make: (d, o) => new DropConnect(d, o as never), ctor: { p: 0.5 }, size: [10, 10], elements: N },
  {
    name: 'Dropout1d', make: (d, o) => new Dropout1d(d, o as never), ctor: { p: 0.5 }, size: [2, 5, 10], elements: N, maskBits: 10,
    bad: [
      { what: 'a rank-4 shape', patch: (a) => set(a, 'size', [1, 2, 5, 10]), expect: arg('shape', ['rank 2 or 3']) },
      { what: 'a number size', patch: (a) => set(a, 'size', N), expect: arg('size', ['shape array']) },
      ...values('ctor.channelsLast', 'channelsLast', [['"yes"', 'yes', ['"yes"', 'true or false']]]),
    ],
  },
  { name: 'Dropout2d', make: (d, o) => new Dropout2d(d, o as never), ctor: { p: 0.5 }, size: [1, 4, 5, 5], elements: N, maskBits: 4, bad: [{ what: 'a rank-1 shape (PyTorch: feature dropout needs 2 dimensions)', patch: (a) => set(a, 'size', [N]), expect: arg('shape', ['rank 2']) }] },
  { name: 'Dropout3d', make: (d, o) => new Dropout3d(d, o as never), ctor: { p: 0.5 }, size: [1, 4, 5, 5, 1], elements: N, maskBits: 4, bad: [{ what: 'a rank-9 shape', patch: (a) => set(a, 'size', [1, 1, 1, 1, 4, 5, 5, 1, 1]), expect: arg('shape', ['1 to 8']) }] },
  { name: 'AlphaDropout', make: (d, o) => new AlphaDropout(d, o as never), ctor: { p: 0.5 }, size: N, elements: N },
  { name: 'FeatureAlphaDropout', make: (d, o) => new FeatureAlphaDropout(d, o as never), ctor: { p: 0.5 }, size: [4, 25], elements: N, bad: [{ what: 'a rank-1 shape', patch: (a) => set(a, 'size', [N]), expect: arg('shape', ['rank 2']) }] },
  { name: 'GaussianDropout', make: (d, o) => new GaussianDropout(d, o as never), ctor: { p: 0.5 }, size: N, elements: N, mask: false },
  {
    name: 'DropBlock2d', make: (d, o) => new DropBlock2d(d, o as never), ctor: { p: 0.3, blockSize: 3 }, size: SHAPE4, elements: 96,
    bad: [
      { what: 'a rank-5 shape', patch: (a) => set(a, 'size', [1, 2, 3, 4, 4]), expect: arg('size', ['rank 4']) },
      ...values('ctor.blockSize', 'blockSize', [['0', 0, ['positive integer']], ['a string', '3', ['"3"']], ['missing', undefined, ['undefined']], ['even', 2, ['odd']]]),
      ...values('ctor.eps', 'eps', [['-1', -1, ['>= 0']], ['NaN', NaN, ['NaN']]]),
      { what: 'options missing', patch: (a) => set(a, 'ctor', undefined), expect: arg('options', ['blockSize']) },
    ],
  },
  { name: 'DropBlock3d', make: (d, o) => new DropBlock3d(d, o as never), ctor: { p: 0.3, blockSize: 3 }, size: [1, 2, 3, 4, 4], elements: 96, bad: [{ what: 'a rank-4 shape', patch: (a) => set(a, 'size', SHAPE4), expect: arg('size', ['rank 5']) }] },
];

const monteCarloEntry: Entry = {
  name: 'Dropout.monteCarlo',
  setup({ t }) {
    const mean = out(t, 'mean', 4 * N);
    return { args: { ctor: { p: 0.5 }, x: t.buffer(4 * N, new Float32Array(N).fill(1)), n: N, mc: { samples: 4, mean: mean[1] }, layer: Dropout }, outputs: [mean] };
  },
  call: (d, a) => new (a.layer as typeof Dropout)(on(d, a), a.ctor as never).monteCarlo(a.x as GPUBuffer, a.n as number, a.mc as never),
  bad: () => [
    ...values('mc.samples', 'samples', [['0', 0, ['[1, 65535]']], ['a string', '4', ['"4"']]]),
    ...values('n', 'n', [['negative', -1, ['-1']]]),
    ...values('mc', 'options', [['null', null, ['null']]]),
    ...buffer('mc.mean', 4 * N, 'mean'),
    { what: 'on AlphaDropout', patch: (a) => set(a, 'layer', AlphaDropout), expect: arg('this', ['AlphaDropout', 'element-wise inverted Dropout']) },
    { what: 'with a noise shape', patch: (a) => set(a, 'ctor', { p: 0.5, noiseShape: [N] }), expect: arg('this', ['element-wise inverted']) },
  ],
};

/** Functions without an output buffer: [what, call, expected]. */
function plainCalls(ctx: Ctx): [string, () => unknown, Bad['expect']][] {
  const { device, t } = ctx;
  const gen = new PhiloxGenerator(1n);
  const copySrc = t.buffer(16);
  const noCopy = t.buffer(16, undefined, 0x80 | 0x8);
  const destroyed = t.buffer(16);
  destroyed.destroy();
  const foreign = t.buffer(16, undefined, STORAGE_IO, ctx.other);
  const maxValues = Math.floor(device.limits.maxBufferSize / 4);
  return [
    ...[-1, 1.5, 2 ** 60, 2n ** 64n, '1', undefined, NaN].map((seed): [string, () => unknown, Bad['expect']] => [`new PhiloxGenerator(${String(seed)})`, () => new PhiloxGenerator(seed as never), arg('seed', ['2^64'])]),
    ['manualSeed(-1n)', () => gen.manualSeed(-1n), arg('seed', ['-1n'])],
    ['setState(null)', () => gen.setState(null as never), arg('state', ['getState()'])],
    ['setState({ seed: -1n })', () => gen.setState({ seed: -1n, offset: 0n }), arg('state.seed', ['-1n'])],
    ['setState({ offset: 2^64 })', () => gen.setState({ seed: 0n, offset: 2n ** 64n }), arg('state.offset', ['18446744073709551616n'])],
    ['next(0)', () => gen.next(0), arg('count', ['0', 'positive integer'])],
    ['next(1.5)', () => gen.next(1.5), arg('count', ['1.5'])],
    ['uploadFloat32 to {}', () => uploadFloat32({} as GPUDevice, new Float32Array(4)), arg('device', ['GPUDevice'])],
    ['uploadFloat32 of an array', () => uploadFloat32(device, [1, 2] as never), arg('data', ['Float32Array'])],
    ['createStorageBuffer(-1)', () => createStorageBuffer(device, -1), arg('count', ['-1', 'non-negative integer'])],
    ['createStorageBuffer(1.5)', () => createStorageBuffer(device, 1.5), arg('count', ['1.5'])],
    ['createStorageBuffer("8")', () => createStorageBuffer(device, '8' as never), arg('count', ['"8"'])],
    ['createStorageBuffer past maxBufferSize', () => createStorageBuffer(device, maxValues + 1), arg('count', [`${maxValues + 1}`, `maxBufferSize / 4 = ${maxValues}`])],
    ['createStorageBuffer on null', () => createStorageBuffer(null as never, 4), arg('device', ['null'])],
    ['downloadFloat32(-1 values)', () => downloadFloat32(device, copySrc, -1), arg('count', ['-1'])],
    ['downloadFloat32 of 5 values from 16 bytes', () => downloadFloat32(device, copySrc, 5), arg('buffer', ['20', 'has 16 bytes'])],
    ['downloadFloat32 without COPY_SRC', () => downloadFloat32(device, noCopy, 4), arg('buffer.usage', ['COPY_SRC'])],
    ['downloadFloat32 of {}', () => downloadFloat32(device, {} as never, 4), arg('buffer', ['GPUBuffer'])],
    ['downloadUint32 on a non-device', () => downloadUint32('gpu' as never, copySrc, 4), arg('device', ['"gpu"'])],
    ['downloadUint32 of a destroyed buffer', () => downloadUint32(device, destroyed, 4), { code: 'GPU_VALIDATION', includes: ['download', 'destroyed'] }],
    ['downloadUint32 of another device\'s buffer', () => downloadUint32(device, foreign, 4), { code: 'GPU_VALIDATION', includes: ['download'] }],
    ['configureDevice(maxBindingBytes 10)', () => configureDevice(device, { maxBindingBytes: 10 }), arg('maxBindingBytes', ['10', 'integer >='])],
    ['configureDevice(maxWorkgroupsPerDimension 0)', () => configureDevice(device, { maxWorkgroupsPerDimension: 0 }), arg('maxWorkgroupsPerDimension', ['0'])],
    ['configureDevice(tieCapacity -1)', () => configureDevice(device, { tieCapacity: -1 }), arg('tieCapacity', ['-1'])],
    ['configureDevice(tieCapacity 1.5)', () => configureDevice(device, { tieCapacity: 1.5 }), arg('tieCapacity', ['1.5'])],
    ['configureDevice(null limits)', () => configureDevice(device, null as never), arg('limits', ['null'])],
    ['configureDevice(schedule \'fast\')', () => configureDevice(device, { schedule: 'fast' as never }), arg('schedule', ['fast', "'auto', 'multi-pass', 'single-pass'"])],
    ['configureDevice(schedule null)', () => configureDevice(device, { schedule: null as never }), arg('schedule', ['null'])],
    ['configureDevice on {}', () => configureDevice({} as GPUDevice, {}), arg('device', ['GPUDevice'])],
    ['spatialNoiseShape(4, ...)', () => spatialNoiseShape(4 as never, [1, 2, 3, 4]), arg('spatialDims', ['4', '0, 1, 2 or 3'])],
    ['spatialNoiseShape(2, rank 1)', () => spatialNoiseShape(2, [3]), arg('shape', ['rank 2'])],
    ['spatialNoiseShape(1, rank 4)', () => spatialNoiseShape(1, [1, 2, 3, 4]), arg('shape', ['rank 2 or 3'])],
    ['spatialNoiseShape(2, [-1, 2, 3])', () => spatialNoiseShape(2, [-1, 2, 3]), arg('shape[0]', ['-1'])],
    ['spatialNoiseShape channelsLast "yes"', () => spatialNoiseShape(2, [1, 2, 3, 4], 'yes' as never), arg('channelsLast', ['"yes"'])],
  ];
}

// dropConnectLinear (+ backward): x (B, I), W (O, I); zero B or O is a no-op (backward: zero O).
const DC = { batch: 4, inFeatures: 5, outFeatures: 6 };
function dropConnectEntry(direction: 'forward' | 'backward'): Entry {
  const { batch: B, inFeatures: I, outFeatures: O } = DC;
  const tensors: [string, number][] = direction === 'forward'
    ? [['x', B * I], ['weight', O * I], ['bias', O], ['y', B * O]]
    : [['dy', B * O], ['x', B * I], ['weight', O * I], ['dx', B * I], ['dWeight', O * I], ['dBias', O]];
  const written = direction === 'forward' ? ['y'] : ['dx', 'dWeight', 'dBias'];
  const dims = (name: string): Bad[] => values(`options.${name}`, name, [['negative', -1, ['-1']], ['fractional', 1.5, ['1.5']], ['missing', undefined, ['undefined']], ['2^32', 2 ** 32, ['4294967296']]]);
  return {
    name: direction === 'forward' ? 'dropConnectLinear' : 'dropConnectLinearBackward',
    setup({ t }) {
      const outputs = tensors.filter(([name]) => written.includes(name)).map(([name, n]) => out(t, name, 4 * n));
      const inputs = Object.fromEntries(tensors.filter(([name]) => !written.includes(name)).map(([name, n]) => [name, t.buffer(4 * n, new Float32Array(n).fill(1))]));
      return { args: { options: { ...DC, ...key, ...inputs, ...Object.fromEntries(outputs.map(([name, b]) => [name, b])) } }, outputs };
    },
    call: (d, a) => (direction === 'forward' ? dropConnectLinear : dropConnectLinearBackward)(on(d, a), a.options as never),
    bad: (ctx) => [
      ...device(), ...options(),
      ...probability('options.p'), ...u64('options.seed'), ...u64('options.offset'), ...training('options.training'),
      ...values('options.encoder', 'encoder', [['{}', {}, ['GPUCommandEncoder']]]), ...dtype('options.dtype', ctx),
      ...dims('batch'), ...dims('inFeatures'), ...dims('outFeatures'),
      { what: 'W past one draw (2^37 elements)', patch: (a) => { set(a, 'options.outFeatures', 2 ** 31); set(a, 'options.inFeatures', 64); }, expect: arg('outFeatures', ['2^36']) },
      ...tensors.flatMap(([name, n]) => buffer(`options.${name}`, 4 * n)),
      { what: `${written[0]} is ${direction === 'forward' ? 'weight' : 'x'}`, patch: (a) => set(a, `options.${written[0]}`, (a.options as Args)[direction === 'forward' ? 'weight' : 'x']), expect: arg(written[0]!, ['cannot run in place']) },
      ...(direction === 'backward' ? [{ what: 'no gradient asked for', patch: (a: Args) => { for (const g of written) set(a, `options.${g}`, undefined); }, expect: arg('dx', ['at least one of dx, dWeight or dBias']) }] : []),
    ],
    zero: direction === 'forward' ? [(a) => set(a, 'options.batch', 0), (a) => set(a, 'options.outFeatures', 0)] : [(a) => set(a, 'options.outFeatures', 0)],
  };
}

const entries: Entry[] = [
  dropConnectEntry('forward'), dropConnectEntry('backward'),
  dropoutEntry('forward'), dropoutEntry('backward'), gaussianEntry('forward'), gaussianEntry('backward'),
  dropBlockEntry('forward'), dropBlockEntry('backward'), mcEntry, fusedEntry('forward'), fusedEntry('backward'),
  ...modules.flatMap(moduleEntries), monteCarloEntry,
];

const recorded = (device: GPUDevice): number => {
  const s = deviceStats(device);
  return s.submits + s.encodedCalls;
};

async function checkOutputs(t: Tracker, setup: Setup, what: string): Promise<void> {
  for (const [name, buffer, bytes] of setup.outputs) checkAll(await t.u32(buffer, bytes / 4), SENTINEL_BITS, `${what}: ${name} untouched`);
}

const firstLine = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0]!;

function resetOutputs(device: GPUDevice, setup: Setup): void {
  for (const [, buffer, bytes] of setup.outputs) device.queue.writeBuffer(buffer, 0, new Uint32Array(bytes / 4).fill(SENTINEL_BITS));
}

/** Runs one entry point's table; returns how many bad calls it checked, collecting failures. */
async function runEntry(ctx: Ctx, entry: Entry, failures: string[]): Promise<number> {
  const { device, t } = ctx;
  const setup = entry.setup(ctx);
  let checked = 0;
  for (const bad of entry.bad(ctx)) {
    const args: Args = { ...setup.args };
    bad.patch(args, ctx);
    const what = `${entry.name}: ${bad.what}`;
    try {
      await entry.before?.(device, args);
      const before = recorded(device);
      await checkThrows(() => entry.call(device, args), bad.expect, what);
      // Argument, state and support errors are refused before anything is recorded; WebGPU's own
      // refusals (GPU_VALIDATION) happen when the work is recorded or submitted, and drop it whole.
      if (bad.expect.code !== 'GPU_VALIDATION') checkEqual(recorded(device) - before, 0, `${what}: calls recorded`);
      await checkOutputs(t, setup, what);
    } catch (error) {
      failures.push(firstLine(error));
      resetOutputs(device, setup); // so one failure does not cascade into the next checks
    }
    checked++;
  }
  for (const [i, zero] of (entry.zero ?? []).entries()) {
    const args: Args = { ...setup.args };
    zero(args);
    try {
      await entry.before?.(device, args);
      const before = recorded(device);
      await entry.call(device, args);
      checkEqual(recorded(device) - before, 0, `${entry.name}: zero size #${i} records nothing`);
      await checkOutputs(t, setup, `${entry.name}: zero size #${i}`);
    } catch (error) {
      failures.push(`${entry.name}: zero size #${i}: ${firstLine(error)}`);
      resetOutputs(device, setup);
    }
  }
  // The valid call runs and writes: the sentinel checks above could have failed.
  const valid: Args = { ...setup.args };
  await entry.before?.(device, valid);
  await entry.call(device, valid);
  const written = await Promise.all(setup.outputs.map(async ([, buffer, bytes]) => (await t.u32(buffer, bytes / 4)).some((v) => v !== SENTINEL_BITS)));
  check(written.some(Boolean), `${entry.name}: the valid call writes its outputs`);
  return checked;
}

export const errorCases: Case[] = [
  {
    name: 'errors: every entry point × every kind of bad argument throws a typed error naming it, records nothing, writes nothing',
    async run(env, t) {
      const ctx: Ctx = { device: env.device, other: await env.newDevice(), t };
      let total = 0;
      const failures: string[] = [];
      for (const entry of entries) total += await runEntry(ctx, entry, failures);
      for (const [what, call, expected] of plainCalls(ctx)) {
        try {
          await checkThrows(call, expected, what);
        } catch (error) {
          failures.push(firstLine(error));
        }
        total++;
      }
      check(failures.length === 0, `${failures.length} of ${total} bad calls misbehaved:\n${failures.join('\n')}`);
      check(total > 600, `the table has ${total} bad calls`);
    },
  },
  {
    name: 'errors: a call that fails validation in WebGPU leaves no uncaptured error and the device usable',
    async run({ device }, t) {
      const x = t.buffer(4 * N);
      const y = t.buffer(4 * N);
      x.destroy();
      await checkThrows(() => dropout(device, { x, y, n: N, ...key }), { code: 'GPU_VALIDATION', includes: ['dropout', 'destroyed'] }, 'destroyed x');
      const x2 = t.buffer(4 * N, new Float32Array(N).fill(1));
      await dropout(device, { x: x2, y, n: N, ...key });
      const values = new Float32Array((await t.u32(y, N)).buffer);
      check(values.every((v) => v === 0 || v === 2), 'the next call works');
    },
  },
  {
    name: 'errors: the encoder path records nothing for a bad argument, and the caller\'s encoder stays valid',
    async run({ device }, t) {
      const x = t.buffer(4 * N, new Float32Array(N).fill(1));
      const y = t.buffer(4 * N);
      const encoder = device.createCommandEncoder();
      await checkThrows(() => dropout(device, { x, y, n: N, ...key, p: 2, encoder }), arg('p', ['2']), 'bad p into an encoder');
      await checkThrows(() => dropout(device, { x, y: t.buffer(8), n: N, ...key, encoder }), arg('y'), 'small y into an encoder');
      await dropout(device, { x, y, n: N, ...key, encoder });
      device.pushErrorScope('validation');
      device.queue.submit([encoder.finish()]);
      const error = await device.popErrorScope();
      check(error === null, `the encoder is still valid: ${error?.message}`);
      const values = new Float32Array((await t.u32(y, N)).buffer);
      check(values.every((v) => v === 0 || v === 2) && values.some((v) => v === 2), 'the good call recorded after the bad ones ran');
    },
  },
];

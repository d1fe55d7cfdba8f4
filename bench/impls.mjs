// Our kernels and the same-device baselines as benchmark implementations.
import { copyKernel, elementwiseKernels, naiveKernels } from './baselines.mjs';

function data(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
  return x;
}

/** Buffers x, y (and a mask) of n elements, shared by the implementations at one size. */
function tensors(lib, device, n) {
  const x = lib.uploadFloat32(device, data(n), 'bench x');
  const y = lib.createStorageBuffer(device, n, 'bench y');
  const mask = lib.createStorageBuffer(device, Math.ceil(n / 32), 'bench mask');
  return { x, y, mask, dispose: () => [x, y, mask].forEach((b) => b.destroy()) };
}

/** f16 tensors x, y (and a mask) of n elements (a multiple of 4); x holds values of magnitude 0.25 to 4. */
function tensorsF16(lib, device, n) {
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const h = Math.imul(i, 2654435761) >>> 0;
    bits[i] = ((h >>> 31) << 15) | ((13 + ((h >>> 10) & 3)) << 10) | (h & 0x3ff);
  }
  const x = lib.createStorageBuffer(device, n / 2 + 4, 'bench x f16');
  device.queue.writeBuffer(x, 0, bits);
  const y = lib.createStorageBuffer(device, n / 2 + 4, 'bench y f16');
  const mask = lib.createStorageBuffer(device, Math.ceil(n / 32), 'bench mask');
  return { x, y, mask, dispose: () => [x, y, mask].forEach((b) => b.destroy()) };
}

/**
 * The element-wise kernels (forward, forward + mask, backward from the mask and rebuilt) against
 * the copy kernel and a naive 3-kernel shader; where the device has 'shader-f16', the same four on
 * f16 tensors against an f16 copy (4 bytes per element).
 */
export function ourImplementations(lib, device) {
  let offset = 0n;
  const call = (fn, extra, dtype = 'f32') => (n, p) => {
    const t = dtype === 'f16' ? tensorsF16(lib, device, n) : tensors(lib, device, n);
    return {
      encode: (encoder) => fn(device, { ...extra(t), n, p, training: true, seed: 1234n, offset: offset++, encoder, dtype }),
      dispose: t.dispose,
    };
  };
  const copy = (dtype) => async (n) => {
    const kernel = await copyKernel(device, dtype);
    const t = dtype === 'f16' ? tensorsF16(lib, device, n) : tensors(lib, device, n);
    return { encode: (e) => kernel(e, t.x, t.y, n), dispose: t.dispose };
  };
  const kernels = (dtype, suffix, more) => [
    { name: `forward${suffix}`, ...more, prepare: call(lib.dropout, (t) => ({ x: t.x, y: t.y }), dtype) },
    { name: `forward+mask${suffix}`, ...more, prepare: call(lib.dropout, (t) => ({ x: t.x, y: t.y, mask: t.mask }), dtype) },
    { name: `backward (rebuild)${suffix}`, ...more, prepare: call(lib.dropoutBackward, (t) => ({ dy: t.x, dx: t.y }), dtype) },
    { name: `backward (mask)${suffix}`, ...more, prepare: call(lib.dropoutBackward, (t) => ({ dy: t.x, dx: t.y, mask: t.mask }), dtype) },
  ];
  const f16 = { baseline: 'copy f16', bytesPerElement: 4 };
  return [
    { name: 'copy', prepare: copy('f32') },
    ...kernels('f32', '', {}),
    { name: 'naive 3-kernel', prepare: async (n, p) => { const naive = await naiveKernels(device); const t = tensors(lib, device, n); return { encode: (e) => naive(e, t.x, t.y, n, p), dispose: t.dispose }; } },
    ...(device.features.has('shader-f16') ? [{ name: 'copy f16', ...f16, prepare: copy('f16') }, ...kernels('f16', ' f16', f16)] : []),
  ];
}

/**
 * The dropout family on the same bytes as the copy kernel: element-wise, channel (spatial), alpha,
 * Gaussian, DropBlock (7×7 blocks on 64×64 maps), Monte Carlo (mean+variance of 8 samples).
 */
export function familyImplementations(lib, device) {
  let offset = 1n << 40n;
  const run = (body) => (n, p) => {
    const t = tensors(lib, device, n);
    const extra = lib.createStorageBuffer(device, n, 'bench extra');
    return { encode: (encoder) => body({ t, extra, n, p, encoder, offset: offset++ }), dispose: () => { t.dispose(); extra.destroy(); } };
  };
  const key = (a) => ({ training: true, seed: 99n, offset: a.offset, encoder: a.encoder });
  return [
    { name: 'copy', prepare: async (n) => { const copy = await copyKernel(device); const t = tensors(lib, device, n); return { encode: (e) => copy(e, t.x, t.y, n), dispose: t.dispose }; } },
    { name: 'dropout', prepare: run((a) => lib.dropout(device, { ...key(a), x: a.t.x, y: a.t.y, n: a.n, p: a.p })) },
    { name: 'channel (N,C,1,1)', prepare: run((a) => lib.dropout(device, { ...key(a), x: a.t.x, y: a.t.y, shape: [a.n / 4096, 1, 64, 64].map((d, i) => (i === 1 ? 1 : d)), noiseShape: [a.n / 4096, 1, 1, 1], p: a.p })) },
    { name: 'alpha', prepare: run((a) => lib.dropout(device, { ...key(a), x: a.t.x, y: a.t.y, n: a.n, p: a.p, mode: 'alpha' })) },
    { name: 'gaussian', prepare: run((a) => lib.gaussianDropout(device, { ...key(a), x: a.t.x, y: a.t.y, n: a.n, p: a.p })) },
    { name: 'dropblock 7x7', prepare: run((a) => lib.dropBlock(device, { ...key(a), x: a.t.x, y: a.t.y, shape: [a.n / 4096, 1, 64, 64], p: a.p, blockSize: 7 })) },
    { name: 'mc mean+var (K=8)', prepare: run((a) => lib.mcDropout(device, { ...key(a), x: a.t.x, n: a.n, p: a.p, samples: 8, mean: a.t.y, variance: a.extra })) },
  ];
}

/**
 * The fused epilogue y = residual + dropout(act(x + bias)) against the same four steps as separate
 * passes of our own kernels (bias-add, activation, dropout, residual-add), rows of 1024: with
 * act = gelu_tanh (the transformer case; its tanh is costly where the GPU is emulated) and relu.
 */
export function epilogueImplementations(lib, device) {
  let offset = 1n << 41n;
  const cols = 1024;
  const setup = (n) => {
    const t = tensors(lib, device, n);
    const bias = lib.uploadFloat32(device, new Float32Array(cols).fill(0.25), 'bench bias');
    const residual = lib.createStorageBuffer(device, n, 'bench residual');
    const tmp = [lib.createStorageBuffer(device, n, 'bench tmp 1'), lib.createStorageBuffer(device, n, 'bench tmp 2')];
    return { t, bias, residual, tmp, dispose: () => { t.dispose(); [bias, residual, ...tmp].forEach((b) => b.destroy()); } };
  };
  const pair = (activation, suffix) => [
    {
      name: `fused epilogue${suffix}`,
      prepare: async (n, p) => {
        const s = setup(n);
        return { encode: (encoder) => lib.fusedDropout(device, { x: s.t.x, bias: s.bias, residual: s.residual, y: s.t.y, shape: [n / cols, cols], activation, p, training: true, seed: 5n, offset: offset++, encoder }), dispose: s.dispose };
      },
    },
    {
      name: `separate passes${suffix}`,
      prepare: async (n, p) => {
        const s = setup(n);
        const kernels = await elementwiseKernels(device);
        return {
          encode: async (encoder) => {
            kernels(encoder, 'bias_add', n, cols, s.t.x, s.bias, s.tmp[0]);
            kernels(encoder, activation === 'relu' ? 'relu' : 'gelu', n, cols, s.tmp[0], null, s.tmp[1]);
            await lib.dropout(device, { x: s.tmp[1], y: s.tmp[0], n, p, training: true, seed: 5n, offset: offset++, encoder });
            kernels(encoder, 'add', n, cols, s.tmp[0], s.residual, s.t.y);
          },
          dispose: s.dispose,
        };
      },
    },
  ];
  return [
    { name: 'copy', prepare: async (n) => { const copy = await copyKernel(device); const t = tensors(lib, device, n); return { encode: (e) => copy(e, t.x, t.y, n), dispose: t.dispose }; } },
    ...pair('gelu_tanh', ''),
    ...pair('relu', ', relu'),
  ];
}

/** (batch, heads, rows, cols) of an attention-probability tensor of n elements: batch 8, 12 heads, square. */
export function attentionShape(n) {
  const side = Math.round(Math.sqrt(n / 96));
  if (side * side * 96 !== n) throw new Error(`attention bench sizes are 8 · 12 · L · L, not ${n}`);
  return [8, 12, side, side];
}

/**
 * Dropout on attention probabilities, the way transformer code calls it: a Dropout layer's
 * forward on a (batch, heads, rows, cols) softmax output and its backward with the mask rebuilt
 * (nothing of that size kept), against the copy kernel on the same bytes.
 */
export function attentionImplementations(lib, device) {
  const generator = new lib.PhiloxGenerator(3n);
  const prepare = (body) => (n, p) => {
    const t = tensors(lib, device, n);
    const dx = lib.createStorageBuffer(device, n, 'bench dx');
    const l = new lib.Dropout(device, { p, generator });
    return { encode: (encoder) => body({ l, t, dx, shape: attentionShape(n), encoder }), dispose: () => { t.dispose(); dx.destroy(); } };
  };
  return [
    { name: 'copy', prepare: async (n) => { const copy = await copyKernel(device); const t = tensors(lib, device, n); return { encode: (e) => copy(e, t.x, t.y, n), dispose: t.dispose }; } },
    { name: 'attention forward', prepare: prepare((a) => a.l.forward(a.t.x, a.t.y, a.shape, { encoder: a.encoder })) },
    {
      name: 'attention forward + backward',
      prepare: prepare(async (a) => {
        await a.l.forward(a.t.x, a.t.y, a.shape, { encoder: a.encoder });
        await a.l.backward(a.t.y, a.dx, { encoder: a.encoder });
      }),
    },
  ];
}

/** The (batch, in, out) of a DropConnect bench size: in = out = F features, batch 256. */
export const DROPCONNECT_BATCH = 256;

/**
 * DropConnect in a linear layer (batch 256, in = out = F for size F): dropConnectLinear, the mask
 * drawn inside the matmul, against `dropout()` on W into a masked copy and then the same matmul
 * (dropConnectLinear in eval: the same tiled kernel, no mask); forward, and forward + backward
 * (dx, dW, db; the unfused backward runs the plain matmul backward on the masked copy, then
 * dropoutBackward on its dW with the mask rebuilt).
 */
export function dropConnectImplementations(lib, device) {
  const prepare = (body) => (F, p) => {
    const shape = { batch: DROPCONNECT_BATCH, inFeatures: F, outFeatures: F, p, seed: 5n, offset: 0n };
    const x = lib.uploadFloat32(device, data(DROPCONNECT_BATCH * F), 'bench x');
    const w = lib.uploadFloat32(device, data(F * F), 'bench W');
    const bias = lib.uploadFloat32(device, data(F), 'bench b');
    const wm = lib.createStorageBuffer(device, F * F, 'bench masked W');
    const y = lib.createStorageBuffer(device, DROPCONNECT_BATCH * F, 'bench y');
    const dx = lib.createStorageBuffer(device, DROPCONNECT_BATCH * F, 'bench dx');
    const dw = lib.createStorageBuffer(device, F * F, 'bench dW');
    const dwm = lib.createStorageBuffer(device, F * F, 'bench dW masked');
    const db = lib.createStorageBuffer(device, F, 'bench db');
    const all = [x, w, bias, wm, y, dx, dw, dwm, db];
    return { encode: (encoder) => body({ shape, x, w, bias, wm, y, dx, dw, dwm, db, encoder }), dispose: () => all.forEach((b) => b.destroy()) };
  };
  const unfusedForward = async (a) => {
    await lib.dropout(device, { x: a.w, y: a.wm, n: a.shape.inFeatures * a.shape.outFeatures, p: a.shape.p, training: true, seed: a.shape.seed, offset: a.shape.offset, encoder: a.encoder });
    await lib.dropConnectLinear(device, { ...a.shape, training: false, x: a.x, weight: a.wm, bias: a.bias, y: a.y, encoder: a.encoder });
  };
  const fusedForward = (a) => lib.dropConnectLinear(device, { ...a.shape, training: true, x: a.x, weight: a.w, bias: a.bias, y: a.y, encoder: a.encoder });
  return [
    { name: 'dropout(W) + matmul', prepare: prepare(unfusedForward) },
    { name: 'dropConnectLinear', baseline: 'dropout(W) + matmul', prepare: prepare(fusedForward) },
    {
      name: 'dropout(W) + matmul, fwd + bwd',
      prepare: prepare(async (a) => {
        await unfusedForward(a);
        await lib.dropConnectLinearBackward(device, { ...a.shape, training: false, dy: a.y, x: a.x, weight: a.wm, dx: a.dx, dWeight: a.dwm, dBias: a.db, encoder: a.encoder });
        await lib.dropoutBackward(device, { dy: a.dwm, dx: a.dw, n: a.shape.inFeatures * a.shape.outFeatures, p: a.shape.p, training: true, seed: a.shape.seed, offset: a.shape.offset, encoder: a.encoder });
      }),
    },
    {
      name: 'dropConnectLinear, fwd + bwd',
      baseline: 'dropout(W) + matmul, fwd + bwd',
      prepare: prepare(async (a) => {
        await fusedForward(a);
        await lib.dropConnectLinearBackward(device, { ...a.shape, training: true, dy: a.y, x: a.x, weight: a.w, dx: a.dx, dWeight: a.dw, dBias: a.db, encoder: a.encoder });
      }),
    },
  ];
}

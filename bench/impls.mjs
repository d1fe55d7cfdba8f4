// Our kernels and the same-device baselines as benchmark implementations.
import { copyKernel, naiveKernels } from './baselines.mjs';

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

export function ourImplementations(lib, device) {
  let offset = 0n;
  const call = (fn, extra) => (n, p) => {
    const t = tensors(lib, device, n);
    return {
      encode: (encoder) => fn(device, { ...extra(t), n, p, training: true, seed: 1234n, offset: offset++, encoder }),
      dispose: t.dispose,
    };
  };
  return [
    { name: 'copy', prepare: async (n) => { const copy = await copyKernel(device); const t = tensors(lib, device, n); return { encode: (e) => copy(e, t.x, t.y, n), dispose: t.dispose }; } },
    { name: 'forward', prepare: call(lib.dropout, (t) => ({ x: t.x, y: t.y })) },
    { name: 'forward+mask', prepare: call(lib.dropout, (t) => ({ x: t.x, y: t.y, mask: t.mask })) },
    { name: 'backward (rebuild)', prepare: call(lib.dropoutBackward, (t) => ({ dy: t.x, dx: t.y })) },
    { name: 'backward (mask)', prepare: call(lib.dropoutBackward, (t) => ({ dy: t.x, dx: t.y, mask: t.mask })) },
    { name: 'naive 3-kernel', prepare: async (n, p) => { const naive = await naiveKernels(device); const t = tensors(lib, device, n); return { encode: (e) => naive(e, t.x, t.y, n, p), dispose: t.dispose }; } },
  ];
}

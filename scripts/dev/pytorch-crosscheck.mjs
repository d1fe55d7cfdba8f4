// Developer check, not part of CI: bit-for-bit value parity with PyTorch 1.13 / torchvision 0.14
// (docs/pytorch-parity.md). Needs Debian's python3-torch and python3-torchvision and `npm run build`.
//   node scripts/dev/pytorch-crosscheck.mjs
//
// Two steps, both exact:
// 1. PyTorch against itself: every variant is run through PyTorch's own functions and modules
//    (its RNG, forward and autograd backward), its mask is read back from the gradient, and ATen's
//    steps replayed with that mask in PyTorch ops (`noise.div_(1 - p)`, alpha's
//    `noise.add(-1).mul_(αa).add_(αa·p)`, …) must give the same bits. This pins the replay.
// 2. Ours against PyTorch: our CPU reference (which the GPU tests pin bit for bit) draws the mask;
//    the replay above runs on that mask in PyTorch; every value and gradient must have the same
//    bits. One difference is allowed and counted apart: a dropped element is +0 for us and x·0
//    for PyTorch (−0 for negative x). DropBlock runs torchvision's own drop_block2d/3d with our
//    seed draw injected through Tensor.bernoulli_.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropBlockGeometry, dropBlockCPU, dropoutBackwardCPU, dropoutCPU, fusedDropoutBackwardCPU, fusedDropoutCPU, keepMask, mcDropoutCPU } from '../../dist/cpu.js';
import { spatialNoiseShape } from '../../dist/index.js';

const data = (n, salt) => Array.from({ length: n }, (_, i) => {
  const v = Math.fround(Math.sin(i * 12.9898 + salt) * 43758.5453 % 3);
  return v === 0 ? 0.5 : v; // nonzero: the gradient tells kept from dropped
});
const unpack = (words, n) => Array.from({ length: n }, (_, i) => (words[i >>> 5] >>> (i & 31)) & 1);
const key = { seed: 1234n, offset: 5n };

// 127 interior points, the p values the issue reported, both ends and values next to them.
const grid = [...new Set([0, 1e-7, 2 ** -20, ...Array.from({ length: 127 }, (_, k) => (k + 1) / 128), 0.04, 0.09, 0.15, 0.42, 0.45, 0.9, 0.999, 1 - 1e-7, 1])].sort((a, b) => a - b);

// [variant, PyTorch module/function names, shape, spatial dims of spatialNoiseShape or null, mode]
const variants = [
  ['dropout', [4096], null, 'inverted'],
  ['alpha_dropout', [4096], null, 'alpha'],
  ['dropout1d', [4, 6, 10], 1, 'inverted'],
  ['dropout1d', [6, 10], 1, 'inverted'],
  ['dropout2d', [2, 5, 6, 7], 2, 'inverted'],
  ['dropout2d', [5, 6, 7], 2, 'inverted'],
  ['dropout3d', [2, 3, 4, 5, 6], 3, 'inverted'],
  ['dropout3d', [3, 4, 5, 6], 3, 'inverted'],
  ['feature_alpha_dropout', [3, 4, 5, 6], 0, 'alpha'],
  ['feature_alpha_dropout', [6, 10], 0, 'alpha'],
];
for (const [name, shape, dims] of [['dropout2d', [6, 10], 2], ['dropout2d', [2, 3, 4, 3, 2], 2], ['dropout3d', [5, 6, 7], 3], ['dropout3d', [6, 10], 3]]) {
  try {
    spatialNoiseShape(dims, shape);
    variants.push([name, shape, dims, 'inverted']);
  } catch {
    console.log(`(${name} on ${shape.length}-D input refused by this build: not checked)`);
  }
}

const cases = [];
for (const p of grid) {
  for (const [name, shape, dims, mode] of variants) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = data(n, p * 7 + shape.length);
    const dy = data(n, p * 11 + 1);
    const noiseShape = dims === null ? undefined : spatialNoiseShape(dims, shape);
    const options = { ...key, p, mode, shape, noiseShape };
    const ours = dropoutCPU(Float32Array.from(x), options);
    const dx = dropoutBackwardCPU(Float32Array.from(dy), options);
    const maskSize = noiseShape ? noiseShape.reduce((a, b) => a * b, 1) : n;
    cases.push({ kind: 'dropout', name, p, shape, noiseShape: noiseShape ?? shape, x, dy, mask: unpack(ours.mask, maskSize), y: [...ours.y], dx: [...dx] });
  }
  // Monte Carlo: sample s is inverted dropout at offset + s.
  {
    const n = 512;
    const x = data(n, p);
    const k = 3;
    const mc = mcDropoutCPU(Float32Array.from(x), { ...key, p, samples: k });
    for (let s = 0; s < k; s++) {
      const mask = unpack(keepMask({ seed: key.seed, offset: key.offset + BigInt(s) }, p, n), n);
      cases.push({ kind: 'dropout', name: `mc sample ${s}`, p, shape: [n], noiseShape: [n], x, dy: null, mask, y: [...mc.samples.subarray(s * n, (s + 1) * n)], dx: null });
    }
  }
  // Fused epilogue, activations whose PyTorch kernels are exact (none, relu): y = r + dropout(act(x + b)).
  for (const activation of ['none', 'relu']) {
    const rows = 16;
    const cols = 24;
    const x = data(rows * cols, p + 3);
    const bias = data(cols, 5).map((v) => Math.fround(v / 4));
    const residual = data(rows * cols, 9);
    const dy = data(rows * cols, p + 13);
    const options = { ...key, p, activation };
    const f = fusedDropoutCPU(Float32Array.from(x), Float32Array.from(bias), Float32Array.from(residual), options);
    const b = fusedDropoutBackwardCPU(Float32Array.from(dy), Float32Array.from(x), Float32Array.from(bias), options);
    cases.push({ kind: 'fused', name: `fused ${activation}`, activation, p, rows, cols, x, bias, residual, dy, mask: unpack(f.mask, rows * cols), y: [...f.y], dx: [...b.dx] });
  }
}
// DropBlock over the same grid (p = 1 included: gamma stays <= 1).
for (const [shape, blockSize] of [[[2, 3, 11, 13], 3], [[1, 2, 16, 16], 5], [[1, 2, 6, 7, 9], 3], [[1, 1, 9, 9], 9], [[2, 2, 37, 40], 35]]) {
  for (const p of grid) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = data(n, blockSize + p);
    const g = dropBlockGeometry(shape, p, blockSize, shape.length - 2);
    const seedCount = g.seedShape.reduce((a, b) => a * b, 1);
    const seeds = unpack(keepMask(key, g.gamma, seedCount), seedCount).map((k) => 1 - k);
    const ours = dropBlockCPU(Float32Array.from(x), { ...key, shape, p, blockSize });
    cases.push({ kind: 'dropblock', name: `drop_block${shape.length - 2}d bs=${blockSize}`, shape, p, blockSize, gamma: g.gamma, seedShape: g.seedShape, seeds, x, y: [...ours.y] });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'crosscheck-'));
writeFileSync(join(dir, 'cases.json'), JSON.stringify({ grid, cases }));
const python = String.raw`
import json, math, sys, warnings, collections, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, torchvision.ops as ops
warnings.simplefilter('ignore')
data = json.load(open(sys.argv[1]))
ALPHA = 1.7580993408473766
f32 = lambda v: torch.tensor(v, dtype=torch.float32)
bits = lambda t: t.detach().contiguous().view(torch.int32)

def replay(x, keep, p, alpha):
    """ATen's _dropout_impl (Dropout.cpp, 1.13) on a given 0/1 keep tensor, step by step."""
    if p == 0: return x * 1                       # the identity (ATen returns the input)
    if p == 1: return x * torch.zeros(())
    noise = keep.clone()
    if alpha:
        a = 1. / math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p))
        b = noise.add(-1).mul_(ALPHA * a).add_(ALPHA * a * p)
        noise.mul_(a)
        return (x * noise).add_(b)
    noise.div_(1 - p)
    return x * noise

def forward_backward(fn, x, dy):
    xx = x.clone().requires_grad_()
    y = fn(xx)
    y.backward(dy)
    return y.detach(), xx.grad

torch_fns = {
    'dropout': [lambda p: (lambda t: F.dropout(t, p, True)), lambda p: nn.Dropout(p).train()],
    'alpha_dropout': [lambda p: (lambda t: F.alpha_dropout(t, p, True)), lambda p: nn.AlphaDropout(p).train()],
    'dropout1d': [lambda p: (lambda t: F.dropout1d(t, p, True)), lambda p: nn.Dropout1d(p).train()],
    'dropout2d': [lambda p: (lambda t: F.dropout2d(t, p, True)), lambda p: nn.Dropout2d(p).train()],
    'dropout3d': [lambda p: (lambda t: F.dropout3d(t, p, True)), lambda p: nn.Dropout3d(p).train()],
    'feature_alpha_dropout': [lambda p: (lambda t: F.feature_alpha_dropout(t, p, True)), lambda p: nn.FeatureAlphaDropout(p).train()],
}
stats = collections.OrderedDict()
def tally(name, ok, zeros=0):
    s = stats.setdefault(name, [0, 0, 0, set()])
    s[0] += 1; s[1] += (not ok); s[2] += zeros

def compare(name, p, got, ref, what):
    g, r = bits(f32(got)), bits(ref)
    same = g == r
    signed_zero = (~same) & (f32(got) == 0) & (ref == 0)
    ok = bool((same | signed_zero).all())
    if not ok:
        i = int((~(same | signed_zero)).nonzero()[0])
        print(f'MISMATCH {name} p={p!r} {what}[{i}]: ours {float(f32(got)[i])!r}, torch {float(ref.reshape(-1)[i])!r}')
    tally(name, ok, int(signed_zero.sum()))

torch.manual_seed(0)
for c in data['cases']:
    name, p = c['name'], c['p']
    if c['kind'] == 'dropout':
        shape = c['shape']
        x = f32(c['x']).reshape(shape)
        alpha = 'alpha' in name
        keep = f32(c['mask']).reshape(c['noiseShape'])
        if name in torch_fns:
            # Step 1: PyTorch's own functions and modules against the replay on their own mask.
            dy = f32(c['dy']).reshape(shape)
            for make in torch_fns[name]:
                y, dx = forward_backward(make(p), x, dy)
                tk = (dx != 0).float()
                yr, dxr = forward_backward(lambda t: replay(t, tk, p, alpha), x, dy)
                ok = torch.equal(bits(y), bits(yr)) and torch.equal(bits(dx), bits(dxr))
                shared_ok = all(torch.equal(tk, tk.narrow(d, 0, 1).expand_as(tk)) for d in range(len(shape)) if c['noiseShape'][d] == 1) if 0 < p < 1 else True
                if not (ok and shared_ok): print(f'REPLAY MISMATCH {name} {type(make(p)).__name__} p={p!r} {shape}: values {ok}, noise shape {shared_ok}')
                tally('(step 1) torch vs replay: ' + name, ok and shared_ok)
            # Step 2: ours against the replay on our mask, forward and (module) backward.
            yr, dxr = forward_backward(lambda t: replay(t, keep, p, alpha), x, dy)
            compare(f'{name} {shape}', p, c['y'], yr.reshape(-1), 'y')
            compare(f'{name} {shape} grad', p, c['dx'], dxr.reshape(-1), 'dx')
        else:
            compare(name, p, c['y'], replay(x, keep, p, False).reshape(-1), 'y')
    elif c['kind'] == 'fused':
        r, cols = c['rows'], c['cols']
        x = f32(c['x']).reshape(r, cols); b = f32(c['bias']); res = f32(c['residual']).reshape(r, cols); dy = f32(c['dy']).reshape(r, cols)
        keep = f32(c['mask']).reshape(r, cols)
        act = F.relu if c['activation'] == 'relu' else (lambda t: t)
        y, dx = forward_backward(lambda t: replay(act(t + b), keep, p, False) + res, x, dy)
        # A dropped element gives r + x·0 for PyTorch (r + −0 = r): no signed zeros to forgive here, but the gradient's are.
        compare(name, p, c['y'], y.reshape(-1), 'y')
        compare(name + ' grad', p, c['dx'], dx.reshape(-1), 'dx')
    else:
        shape, bs, seedShape = c['shape'], c['blockSize'], c['seedShape']
        dims = len(shape) - 2
        seeds = f32(c['seeds']).reshape(shape[0], shape[1], *seedShape[1 + (3 - dims):])
        real_bernoulli = torch.Tensor.bernoulli_
        def injected(self, gamma, *args, **kwargs):
            assert gamma == c['gamma'], (gamma, c['gamma'])   # torchvision's gamma, bit for bit
            assert list(self.shape) == list(seeds.shape), (self.shape, seeds.shape)
            return self.copy_(seeds)
        torch.Tensor.bernoulli_ = injected
        try:
            fn = ops.drop_block2d if dims == 2 else ops.drop_block3d
            ref = fn(f32(c['x']).reshape(shape), p, bs, training=True)
        finally:
            torch.Tensor.bernoulli_ = real_bernoulli
        compare(name, p, c['y'], ref.reshape(-1), 'y')

bad = 0
print(f"{len(data['grid'])} p values in [0, 1]; exact = every bit equal, save a dropped +0 (ours) against -0 (PyTorch's x*0 for negative x)")
for name, (runs, fails, zeros, _) in stats.items():
    print(f"{'ok  ' if fails == 0 else 'FAIL'} {name}: {runs - fails}/{runs} runs exact" + (f', {zeros} signed zeros' if zeros else ''))
    bad += fails
sys.exit(1 if bad else 0)
`;
writeFileSync(join(dir, 'check.py'), python);
const result = spawnSync('/usr/bin/python3', [join(dir, 'check.py'), join(dir, 'cases.json')], { stdio: 'inherit' });
process.exit(result.status ?? 1);

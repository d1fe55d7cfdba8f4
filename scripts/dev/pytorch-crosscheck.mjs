// Developer check, not part of CI: PyTorch/torchvision semantics against our CPU reference (which
// the GPU tests pin bit for bit). Our masks are fed into PyTorch's own formulas, so any difference
// is a semantic one. Needs Debian's python3-torch and python3-torchvision and `npm run build`.
//   node scripts/dev/pytorch-crosscheck.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropBlockCPU, dropBlockGeometry, dropoutCPU, keepMask } from '../../dist/cpu.js';
import { spatialNoiseShape } from '../../dist/index.js';

const data = (n, salt) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + salt) * 43758.5453 % 3));
const unpack = (words, n) => Array.from({ length: n }, (_, i) => (words[i >>> 5] >>> (i & 31)) & 1);
const key = { seed: 1234n, offset: 5n };
const cases = [];

for (const p of [0.1, 0.5]) {
  const x = data(4096, p);
  const ours = dropoutCPU(Float32Array.from(x), { ...key, p });
  cases.push({ kind: 'inverted', p, x, mask: unpack(ours.mask, 4096), y: [...ours.y] });
  const alpha = dropoutCPU(Float32Array.from(x), { ...key, p, mode: 'alpha' });
  cases.push({ kind: 'alpha', p, x, mask: unpack(alpha.mask, 4096), y: [...alpha.y] });
}
for (const [dims, shape] of [[1, [4, 6, 10]], [1, [6, 10]], [2, [2, 5, 6, 7]], [2, [5, 6, 7]], [3, [2, 3, 4, 5, 6]], [3, [3, 4, 5, 6]]]) {
  cases.push({ kind: 'spatial', dims, shape, noiseShape: spatialNoiseShape(dims, shape) });
}
for (const [shape, p, blockSize] of [[[2, 3, 11, 13], 0.2, 3], [[1, 2, 16, 16], 0.1, 5], [[1, 2, 6, 7, 9], 0.1, 3]]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = data(n, blockSize);
  const g = dropBlockGeometry(shape, p, blockSize, shape.length - 2);
  const seedCount = g.seedShape.reduce((a, b) => a * b, 1);
  const seeds = unpack(keepMask(key, g.gamma, seedCount), seedCount).map((k) => 1 - k);
  const ours = dropBlockCPU(Float32Array.from(x), { ...key, shape, p, blockSize });
  cases.push({ kind: 'dropblock', shape, p, blockSize, gamma: g.gamma, seedShape: g.seedShape, seeds, x, y: [...ours.y], scale: ours.scale });
}

const dir = mkdtempSync(join(tmpdir(), 'crosscheck-'));
writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
const python = String.raw`
import json, sys, warnings, torch, torch.nn.functional as F
warnings.simplefilter('ignore')
cases = json.load(open(sys.argv[1]))
bad = 0
for c in cases:
    if c['kind'] in ('inverted', 'alpha'):
        x = torch.tensor(c['x'], dtype=torch.float32); m = torch.tensor(c['mask'], dtype=torch.float32); p = c['p']
        if c['kind'] == 'inverted':
            ref = x * (m / (1 - p))                           # ATen: input * bernoulli(1-p).div_(1-p)
        else:
            alpha = 1.7580993408473766; a = 1. / ((alpha * alpha * p + 1) * (1 - p)) ** 0.5
            b = (m - 1) * (alpha * a) + alpha * a * p          # ATen alpha_dropout
            ref = x * (m * a) + b
        got = torch.tensor(c['y'], dtype=torch.float32)
        err = (ref - got).abs().max().item()
        ok = err <= (1e-6 if c['kind'] == 'alpha' else 0)
        print(f"{c['kind']:9} p={p}: max |torch - ours| = {err:.3g}", 'ok' if ok else 'MISMATCH'); bad += not ok
    elif c['kind'] == 'spatial':
        fn = {1: F.dropout1d, 2: F.dropout2d, 3: F.dropout3d}[c['dims']]
        y = fn(torch.ones(c['shape']), 0.5, True)
        shared = [d for d in range(len(c['shape'])) if c['shape'][d] > 1 and torch.equal(y, y.narrow(d, 0, 1).expand_as(y))]
        ours = [d for d, s in enumerate(c['noiseShape']) if s == 1 and c['shape'][d] > 1]
        ok = set(ours) <= set(shared) and all(not torch.equal(y, y.narrow(d, 0, 1).expand_as(y)) or d in ours for d in range(len(c['shape'])) if c['noiseShape'][d] > 1 and y.abs().sum() > 0) 
        print(f"dropout{c['dims']}d {c['shape']}: torch shares dims {shared}, ours {ours}", 'ok' if set(ours) == set(shared) else 'CHECK'); bad += set(ours) != set(shared)
    else:
        shape, bs = c['shape'], min([c['blockSize']] + c['shape'][2:])
        seeds = torch.tensor(c['seeds'], dtype=torch.float32).reshape(c['seedShape'][0], *c['seedShape'][1:])
        seeds = seeds.reshape(shape[0], shape[1], *seeds.shape[-(len(shape) - 2):]) if len(shape) == 5 else seeds.reshape(shape[0], shape[1], *seeds.shape[-2:])
        pad, pool = (F.pad, F.max_pool2d) if len(shape) == 4 else (F.pad, F.max_pool3d)
        noise = pad(seeds, [bs // 2] * (2 * (len(shape) - 2)), value=0)   # torchvision drop_block2d/3d
        noise = pool(noise, stride=1, kernel_size=bs, padding=bs // 2)
        noise = 1 - noise
        scale = noise.numel() / (1e-6 + noise.sum())
        ref = torch.tensor(c['x'], dtype=torch.float32).reshape(shape) * noise * scale
        got = torch.tensor(c['y'], dtype=torch.float32).reshape(shape)
        err = (ref - got).abs().max().item(); serr = abs(scale.item() - c['scale'])
        ok = err <= 1e-5 and serr == 0
        print(f"dropblock {shape} bs={bs}: max |torch - ours| = {err:.3g}, scale diff {serr:.3g}", 'ok' if ok else 'MISMATCH'); bad += not ok
sys.exit(1 if bad else 0)
`;
writeFileSync(join(dir, 'check.py'), python);
const result = spawnSync('/usr/bin/python3', [join(dir, 'check.py'), join(dir, 'cases.json')], { stdio: 'inherit' });
process.exit(result.status ?? 1);

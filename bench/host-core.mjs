// Host-cost benchmark harness shared by Node (bench/host.mjs) and headless Chrome
// (bench/host-page/): what a call costs the CPU that issues it, against plain WebGPU doing the least
// the same job needs, in the same run. Only the library's public API is used (the caller passes the
// module), and a call may return a promise, another thenable (a handle) or nothing: the bench
// awaits what is awaitable and works either way, so it measures 0.1.0 and later call paths alike.
//
// One sample = one batch of K calls issued back to back:
//   host   t0 → the K calls issued (awaited variants: each awaited before the next) + one macrotask
//          turn, so microtasks the calls queued (0.1.0 records and submits after an internal await)
//          run inside the timed region. Host µs per call = host / K: the number the tables show.
//   settle → the thenables the calls returned have settled (not-awaited variants: their error
//          scopes read back), outside the timed region.
//   drain  → queue.onSubmittedWorkDone() (the GPU finished the batch), outside the timed region.
// Every batch starts on an idle queue. Variants are interleaved in each round, the first place
// rotating, and medians taken over rounds.
import { scaledCopyKernel } from './baselines.mjs';
import { summarize } from './core.mjs';
import { inputData } from './page/wall-clock.js';

/** Whether `value` can be awaited (a promise, or any object with a then method). */
export function isThenable(value) {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof value.then === 'function';
}

/** One macrotask turn: every microtask queued before it has run when it resolves. */
function nextTask() {
  const { setImmediate, MessageChannel } = globalThis; // Node has the first; browsers the second
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(0);
  });
}

export const HARNESS = 'harness only (empty call)';
export const RAW_CACHED = 'raw, cached bind group';
export const RAW_NEW = 'raw, new bind group';
export const RAW_SCOPE = 'raw, new bind group, awaited error scope';
export const RAW_RECORD = 'raw, new bind group, recorded only (never submitted)';
export const RAW_SCOPE_PENDING = 'raw, new bind group, error scope not awaited';

/**
 * The raw baselines: per call, write the 16-byte uniform (n, a per-call offset, scale), record one
 * compute pass with one dispatch into a fresh encoder and submit it; with the bind group created
 * once or per call; inside a validation error scope whose pop is awaited, or not; and recorded
 * without a submit.
 */
function rawVariants(lib, device) {
  const make = (name, { cached, scoped, awaited = scoped, submitted = true }) => ({
    name, kind: 'raw', awaited,
    prepare: async (n) => {
      const kernel = await scaledCopyKernel(device);
      const x = lib.uploadFloat32(device, inputData(n), 'bench host x');
      const y = lib.createStorageBuffer(device, n, 'bench host y');
      const uniform = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const params = new Uint32Array([n / 4, 0, 0, 0]);
      new Float32Array(params.buffer)[2] = 1;
      const fixed = kernel.bindGroup(uniform, x, y, n);
      const [gx, gy] = kernel.grid(n);
      const issue = () => {
        params[1]++;
        device.queue.writeBuffer(uniform, 0, params);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(kernel.pipeline);
        pass.setBindGroup(0, cached ? fixed : kernel.bindGroup(uniform, x, y, n));
        pass.dispatchWorkgroups(gx, gy);
        pass.end();
        const commands = encoder.finish();
        if (submitted) device.queue.submit([commands]);
      };
      return {
        call: scoped
          ? () => {
            device.pushErrorScope('validation');
            issue();
            return device.popErrorScope().then((error) => { if (error) throw new Error(`raw dispatch: ${error.message}`); });
          }
          : issue,
        drain: () => device.queue.onSubmittedWorkDone(),
        dispose: () => { x.destroy(); y.destroy(); uniform.destroy(); },
      };
    },
  });
  return [
    // What the harness itself costs per call (the loop, collecting results, the macrotask turn).
    { name: HARNESS, kind: 'raw', awaited: false, prepare: async () => ({ call: () => {}, drain: async () => {} }) },
    make(RAW_CACHED, { cached: true, scoped: false }),
    make(RAW_NEW, { cached: false, scoped: false }),
    make(RAW_SCOPE, { cached: false, scoped: true }),
    // What a call that reports its own errors costs when the caller does not await it: the
    // scope's push and pop, the pop's promise settling outside the timed region.
    make(RAW_SCOPE_PENDING, { cached: false, scoped: true, awaited: false }),
    // The host path alone: on SwiftShader the emulated GPU runs on the CPU cores that issue the
    // calls, so submitted work slows the host loop by what the kernels cost; recording without
    // submitting leaves the GPU idle (a real GPU runs kernels beside the CPU, not on it).
    make(RAW_RECORD, { cached: false, scoped: false, submitted: false }),
  ];
}

/**
 * Our calls, through the public API only. `floor` and `target` are issue 13's: a call the caller
 * awaits against the raw dispatch inside an awaited error scope, one it does not await against
 * the raw dispatch with a new bind group; a module forward + backward within 3× of one.
 */
function ourVariants(lib, device) {
  let offset = 1n << 44n;
  const key = () => ({ training: true, seed: 1234n, offset: offset++ });
  const buffers = (n) => {
    const x = lib.uploadFloat32(device, inputData(n), 'bench host x');
    const y = lib.createStorageBuffer(device, n, 'bench host y');
    const dx = lib.createStorageBuffer(device, n, 'bench host dx');
    return { x, y, dx, dispose: () => { x.destroy(); y.destroy(); dx.destroy(); } };
  };
  const drain = () => device.queue.onSubmittedWorkDone();
  const submit = (encoder) => { device.queue.submit([encoder.finish()]); };
  const variant = (name, awaited, target, make) => ({
    name, kind: 'ours', awaited, floor: awaited ? RAW_SCOPE : RAW_NEW, target,
    prepare: async (n, p) => {
      const t = buffers(n);
      return { call: await make(t, n, p), drain, dispose: t.dispose };
    },
  });
  const forward = (t, n, p) => () => lib.dropout(device, { x: t.x, y: t.y, n, p, ...key() });
  const backward = (t, n, p) => () => lib.dropoutBackward(device, { dy: t.x, dx: t.y, n, p, ...key() });
  const module = (awaited) => async (t, n, p) => {
    const layer = new lib.Dropout(device, { p, generator: new lib.PhiloxGenerator(77n) });
    // A layer that has run a forward before: a backward issued before its own forward settles
    // (0.1.0 remembers the record only then) differentiates through that one, at the same cost.
    await layer.forward(t.x, t.y, n);
    if (!awaited) return () => [layer.forward(t.x, t.y, n), layer.backward(t.y, t.dx)];
    return async () => {
      const f = layer.forward(t.x, t.y, n);
      if (isThenable(f)) await f;
      const b = layer.backward(t.y, t.dx);
      if (isThenable(b)) await b;
    };
  };
  return [
    variant('dropout, awaited', true, 1.5, forward),
    variant('dropout, not awaited', false, 1.5, forward),
    // The caller's encoder: created and submitted by the caller, as the raw rows do. Awaited:
    // finished after the call settles (0.1.0 records after an internal await, so it needs that).
    variant('dropout into caller encoder, awaited', true, 1.5, (t, n, p) => () => {
      const encoder = device.createCommandEncoder();
      const done = lib.dropout(device, { x: t.x, y: t.y, n, p, ...key(), encoder });
      return isThenable(done) ? Promise.resolve(done).then(() => submit(encoder)) : submit(encoder);
    }),
    // Not awaited: finished and submitted right after the call returns (needs synchronous recording).
    variant('dropout into caller encoder, not awaited', false, 1.5, (t, n, p) => () => {
      const encoder = device.createCommandEncoder();
      const done = lib.dropout(device, { x: t.x, y: t.y, n, p, ...key(), encoder });
      submit(encoder);
      return done;
    }),
    // The host path without the emulator's kernels on the same cores: the caller's encoder is
    // finished but never submitted (against the raw dispatch recorded the same way).
    { ...variant('dropout into caller encoder, never submitted', false, 1.5, (t, n, p) => () => {
      const encoder = device.createCommandEncoder();
      const done = lib.dropout(device, { x: t.x, y: t.y, n, p, ...key(), encoder });
      encoder.finish();
      return done;
    }), floor: RAW_RECORD },
    variant('dropoutBackward (rebuild), awaited', true, 1.5, backward),
    variant('dropoutBackward (rebuild), not awaited', false, 1.5, backward),
    variant('Dropout module forward + backward, awaited', true, 3, module(true)),
    variant('Dropout module forward + backward, not awaited', false, 3, module(false)),
    { ...variant('Dropout module forward + backward into caller encoder, never submitted', false, 3, async (t, n, p) => {
      const layer = new lib.Dropout(device, { p, generator: new lib.PhiloxGenerator(78n) });
      await layer.forward(t.x, t.y, n);
      return () => {
        const encoder = device.createCommandEncoder();
        const done = [layer.forward(t.x, t.y, n, { encoder }), layer.backward(t.y, t.dx, { encoder })];
        encoder.finish();
        return done;
      };
    }), floor: RAW_RECORD },
  ];
}

/** Every variant that runs on our device: the raw baselines and our calls. */
export function hostVariants(lib, device) {
  return [...rawVariants(lib, device), ...ourVariants(lib, device)];
}

/** Counters of deviceStats that are numbers (dispatches only where the library reports them). */
function counters(lib, device) {
  const stats = lib.deviceStats?.(device) ?? {};
  const pick = {};
  for (const name of ['dispatches', 'submits', 'encodedCalls', 'uniformBuffers', 'buffers', 'pipelines']) {
    if (typeof stats[name] === 'number') pick[name] = stats[name];
  }
  return pick;
}

const message = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).replace(/\s+/g, ' ').trim();

/** Flattens what a call returned (a module call returns one result per method) into thenables. */
function collect(result, pending) {
  if (Array.isArray(result)) for (const r of result) collect(r, pending);
  else if (isThenable(result)) pending.push(result);
}

/** One batch of K calls; times in ms for the whole batch. Throws the first failure. */
async function batch(bench, awaited, k, stats) {
  const pending = [];
  const before = stats();
  const t0 = performance.now();
  if (awaited) {
    for (let i = 0; i < k; i++) {
      const own = [];
      collect(bench.call(), own);
      for (const r of own) await r;
    }
  } else {
    for (let i = 0; i < k; i++) collect(bench.call(), pending);
  }
  await nextTask();
  const t1 = performance.now();
  const settled = await Promise.allSettled(pending);
  const t2 = performance.now();
  await bench.drain();
  const t3 = performance.now();
  const after = stats();
  if (awaited && pending.length) throw new Error('bench bug: an awaited batch left promises pending');
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  const perCall = {};
  for (const [name, value] of Object.entries(after)) if (name in before) perCall[name] = (value - before[name]) / k;
  return { hostMs: t1 - t0, settleMs: t2 - t1, drainMs: t3 - t2, perCall };
}

/** Longest a variant warms up in one cell (large n on SwiftShader: each batch waits for the kernels). */
const WARMUP_MAX_MS = 2000;

/**
 * Untimed batches until `calls` calls were made (at least one batch, at most WARMUP_MAX_MS): the
 * JavaScript engine optimizes a function only after it has run many times, and a library call
 * runs dozens of functions where the raw rows run a handful, so without it the first thousands of
 * our calls measure the interpreter (Node, recorded without submitting: 51 µs per call over the
 * first 1,000, 20 µs after 10,000).
 */
async function warmUp(bench, awaited, k, calls) {
  const start = performance.now();
  let made = 0;
  do {
    await batch(bench, awaited, k, () => ({}));
    made += k;
  } while (made < calls && performance.now() - start < WARMUP_MAX_MS);
}

/**
 * Runs every variant at every (n, p): prepare, a first call timed alone (awaited: it includes the
 * pipeline compilation when the variant is the first to need a pipeline), warm-up batches (see
 * warmUp), then
 * `rounds` interleaved batches of K calls. A variant that throws or rejects is recorded in
 * `failures` and left out of that cell; the others go on.
 * variants: [{ name, kind, awaited, floor?, target?, prepare(n, p) → { call(), drain(), dispose() } }]
 */
export async function runHostSuite({ lib, device, variants, sizes, rates, k, rounds, warmup = 0, progress = () => {} }) {
  const results = [];
  const failures = [];
  const ourStats = () => counters(lib, device);
  const noStats = () => ({});
  let cell = 0;
  for (const n of sizes) {
    for (const p of rates) {
      const live = [];
      for (const v of variants) {
        const fail = (stage, error) => failures.push({ name: v.name, n, p, stage, message: message(error) });
        let bench;
        try {
          bench = await v.prepare(n, p);
        } catch (error) {
          fail('prepare', error);
          continue;
        }
        const stats = v.kind === 'ours' ? ourStats : noStats;
        try {
          const t0 = performance.now();
          const own = [];
          collect(bench.call(), own);
          for (const r of own) await r;
          const firstCallMs = performance.now() - t0;
          await bench.drain();
          await warmUp(bench, v.awaited, k, warmup);
          live.push({ v, bench, stats, firstCallMs, samples: [] });
        } catch (error) {
          fail('first call / warm-up', error);
          try { await bench.drain(); } catch { /* reported above */ }
          bench.dispose?.();
        }
      }
      for (let round = 0; round < rounds; round++) {
        for (let j = 0; j < live.length; j++) {
          const entry = live[(round + j) % live.length];
          if (entry.failed) continue;
          try {
            entry.samples.push(await batch(entry.bench, entry.v.awaited, k, entry.stats));
          } catch (error) {
            entry.failed = true;
            failures.push({ name: entry.v.name, n, p, stage: `round ${round + 1}`, message: message(error) });
            try { await entry.bench.drain(); } catch { /* reported above */ }
          }
        }
        await progress({ n, p, round: round + 1, rounds, cell, cells: sizes.length * rates.length });
      }
      for (const entry of live) {
        entry.bench.dispose?.();
        if (entry.failed) continue;
        const host = summarize(entry.samples.map((s) => (1000 * s.hostMs) / k));
        const perCall = {};
        for (const name of Object.keys(entry.samples[0]?.perCall ?? {})) perCall[name] = summarize(entry.samples.map((s) => s.perCall[name])).median;
        results.push({
          name: entry.v.name, kind: entry.v.kind, awaited: entry.v.awaited, floor: entry.v.floor ?? null, target: entry.v.target ?? null,
          n, p, k, firstCallMs: entry.firstCallMs,
          hostUsPerCall: host,
          settleMsPerBatch: summarize(entry.samples.map((s) => s.settleMs)).median,
          drainMsPerBatch: summarize(entry.samples.map((s) => s.drainMs)).median,
          perCall,
          samplesUsPerCall: entry.samples.map((s) => (1000 * s.hostMs) / k),
        });
      }
      cell++;
    }
  }
  return { results, failures };
}

const sizeName = (n) => (Number.isInteger(Math.log2(n)) ? `2^${Math.log2(n)}` : String(n));
const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

function markdownTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * The markdown report of one environment: host µs per call and × raw (new bind group) per cell;
 * our calls against issue 13's targets; p = 0.1 against p = 0.5; first calls; and the long table
 * with settle and drain times and the per-call counters.
 */
export function hostReport({ results, failures }, { title, sizes, rates }) {
  const cells = sizes.flatMap((n) => rates.map((p) => ({ n, p, label: `${sizeName(n)} p=${p}` })));
  const find = (name, n, p) => results.find((r) => r.name === name && r.n === n && r.p === p);
  const names = [...new Set(results.map((r) => r.name))];
  const out = [`## ${title}`, ''];

  out.push('Host µs per call (median over rounds) and, in brackets, × the raw dispatch with a new bind group of the same cell:', '');
  out.push(markdownTable(['variant', ...cells.map((c) => c.label)], names.map((name) => [name, ...cells.map(({ n, p }) => {
    const r = find(name, n, p);
    const base = find(RAW_NEW, n, p);
    return r ? `${fmt(r.hostUsPerCall.median)} (${base ? fmt(r.hostUsPerCall.median / base.hostUsPerCall.median, 2) : '?'}×)` : 'failed';
  })])));

  const ours = names.filter((name) => results.find((r) => r.name === name)?.target);
  if (ours.length) {
    out.push('', 'Against issue 13\'s targets: × the floor named, in the same cell, both net of the harness row (its macrotask turn is in every row; in Chrome it is several µs per call); ✓ where every cell is within the target:', '');
    out.push(markdownTable(['variant', 'floor', 'target', ...cells.map((c) => c.label), 'met'], ours.map((name) => {
      const first = results.find((r) => r.name === name);
      const ratios = cells.map(({ n, p }) => {
        const r = find(name, n, p);
        const base = find(first.floor, n, p);
        const harness = find(HARNESS, n, p)?.hostUsPerCall.median ?? 0;
        return r && base ? (r.hostUsPerCall.median - harness) / (base.hostUsPerCall.median - harness) : NaN;
      });
      const met = ratios.every((x) => x <= first.target);
      return [name, first.floor, `≤ ${first.target}×`, ...ratios.map((x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'failed')), met ? '✓' : '✗'];
    })));
  }

  if (rates.includes(0.1) && rates.includes(0.5)) {
    out.push('', 'p = 0.1 against p = 0.5 (host time ratio; the raw rows do the same work at both, so their ratio is the noise):', '');
    out.push(markdownTable(['variant', ...sizes.map(sizeName)], names.map((name) => [name, ...sizes.map((n) => {
      const a = find(name, n, 0.1);
      const b = find(name, n, 0.5);
      return a && b ? `${(a.hostUsPerCall.median / b.hostUsPerCall.median).toFixed(2)}` : '—';
    })])));
  }

  out.push('', `First call of each variant at each p (ms, issued and awaited alone; the first of our calls to need a pipeline compiles it), at n = ${sizeName(sizes[0])}:`, '');
  out.push(markdownTable(['variant', ...rates.map((p) => `p=${p}`)], names.map((name) => [name, ...rates.map((p) => fmt(find(name, sizes[0], p)?.firstCallMs, 2))])));

  out.push('', 'Details: host µs per call (median, min–max over rounds); per batch of K calls the time for the returned promises to settle and for the GPU to finish (drain), outside the timed region; per call, the library\'s deviceStats counters (dispatches only where the library counts them):', '');
  out.push(markdownTable(['n', 'p', 'variant', 'µs/call', 'min–max', 'settle ms', 'drain ms', 'dispatches', 'submits', 'encoded', 'uniform bufs'], results.map((r) => [
    sizeName(r.n), String(r.p), r.name, fmt(r.hostUsPerCall.median), `${fmt(r.hostUsPerCall.min)}–${fmt(r.hostUsPerCall.max)}`,
    fmt(r.settleMsPerBatch, 2), fmt(r.drainMsPerBatch, 2),
    fmt(r.perCall.dispatches, 2), fmt(r.perCall.submits, 2), fmt(r.perCall.encodedCalls, 2), fmt(r.perCall.uniformBuffers, 2),
  ])));

  if (failures.length) {
    out.push('', 'Failed (left out of the tables):', '');
    for (const f of failures) out.push(`- ${f.name} at n = ${sizeName(f.n)}, p = ${f.p} (${f.stage}): ${f.message}`);
  }
  return out.join('\n');
}

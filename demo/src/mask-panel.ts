// Panel 1: one Fashion-MNIST image through dropout on the GPU (mask, output, counts, a GPU = CPU
// check against the bit-exact CPU reference), and eight feature maps through element-wise
// dropout and Dropout2d-style channel dropout side by side.
import { createStorageBuffer, downloadFloat32, downloadUint32, dropout, spatialNoiseShape, uploadFloat32 } from 'webgpu-dropout';
import { dropoutCPU, maskBit } from 'webgpu-dropout/cpu';
import { CLASS_NAMES, imageFloats, type FashionMnist } from './data.js';
import { type Gpu } from './gpu.js';
import { $, drawMask, drawValues, errorText, latest, percent, segmented } from './ui.js';

const CHANNELS = 8;
const FILTERS: { name: string; k: number[] }[] = [
  { name: 'image', k: [0, 0, 0, 0, 1, 0, 0, 0, 0] },
  { name: 'blur', k: [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16) },
  { name: 'edge ↑', k: [1, 2, 1, 0, 0, 0, -1, -2, -1] },
  { name: 'edge ↓', k: [-1, -2, -1, 0, 0, 0, 1, 2, 1] },
  { name: 'edge ←', k: [1, 0, -1, 2, 0, -2, 1, 0, -1] },
  { name: 'edge →', k: [-1, 0, 1, -2, 0, 2, -1, 0, 1] },
  { name: 'diagonal', k: [2, 1, 0, 1, 0, -1, 0, -1, -2] },
  { name: 'outline', k: [-1, -1, -1, -1, 8, -1, -1, -1, -1] },
];
/** Classes whose first test image makes a good picture, in the order "Another image" shows them. */
const FAVOURITES = [9, 0, 7, 8, 3, 1, 4, 2, 5, 6];

/** Eight ReLU'd 3×3 filter responses of a rows × cols image, each scaled so its 90th percentile of non-zero values is 1 (clipped there): [8, rows, cols]. */
export function featureMaps(image: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(CHANNELS * rows * cols);
  FILTERS.forEach(({ k }, c) => {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        let sum = 0;
        for (let dr = -1; dr <= 1; dr++) {
          for (let dq = -1; dq <= 1; dq++) {
            const rr = r + dr;
            const qq = q + dq;
            if (rr >= 0 && rr < rows && qq >= 0 && qq < cols) sum += k[(dr + 1) * 3 + dq + 1]! * image[rr * cols + qq]!;
          }
        }
        out[(c * rows + r) * cols + q] = Math.max(0, sum);
      }
    }
    const channel = out.subarray(c * rows * cols, (c + 1) * rows * cols);
    const nonzero = channel.filter((v) => v > 0).sort();
    const top = nonzero.length ? nonzero[Math.floor(0.9 * (nonzero.length - 1))]! : 0;
    if (top > 0) for (let i = 0; i < channel.length; i++) channel[i] = Math.fround(Math.min(1, channel[i]! / top));
  });
  return out;
}

interface Result {
  y: Float32Array;
  mask: Uint32Array | null;
  channelElem: Float32Array;
  channelChan: Float32Array;
  channelMask: Uint32Array | null;
}

export function setupMaskPanel(data: FashionMnist, gpu: Gpu | null): { ready: Promise<void> } {
  const { rows, cols } = data;
  const n = rows * cols;
  const shape = [1, CHANNELS, rows, cols];
  const noiseShape = spatialNoiseShape(2, shape);
  const state = { p: 0.5, seed: 42, offset: 0, training: true, pick: 0 };
  const findItem = (label: number): number => {
    for (let i = 0; i < data.test.count; i++) if (data.test.labels[i] === label) return i;
    return 0;
  };
  const itemIndex = (): number => findItem(FAVOURITES[state.pick % FAVOURITES.length]!);
  let image = imageFloats(data, data.test, itemIndex());
  let maps = featureMaps(image, rows, cols);

  // GPU buffers, re-uploaded when the image changes.
  const device = gpu?.device;
  let x: GPUBuffer | null = null;
  let xc: GPUBuffer | null = null;
  const y = device ? createStorageBuffer(device, n, 'demo y') : null;
  const mask = device ? createStorageBuffer(device, Math.ceil(n / 32), 'demo mask') : null;
  const yElem = device ? createStorageBuffer(device, CHANNELS * n, 'demo channel y (elementwise)') : null;
  const yChan = device ? createStorageBuffer(device, CHANNELS * n, 'demo channel y (Dropout2d)') : null;
  const maskChan = device ? createStorageBuffer(device, 1, 'demo channel mask') : null;
  const upload = (): void => {
    if (!device) return;
    x?.destroy();
    xc?.destroy();
    x = uploadFloat32(device, image, 'demo x');
    xc = uploadFloat32(device, maps, 'demo feature maps');
  };
  upload();

  // Tiles for the channel rows.
  const tileRow = (id: string, withTags: boolean): { canvas: HTMLCanvasElement; tag: HTMLSpanElement }[] =>
    FILTERS.map((filter) => {
      const tile = document.createElement('div');
      tile.className = 'tile';
      const canvas = document.createElement('canvas');
      canvas.title = filter.name;
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = withTags ? '' : filter.name;
      tile.append(canvas, tag);
      $(id).append(tile);
      return { canvas, tag };
    });
  const inTiles = tileRow('m-ch-in', false);
  const elemTiles = tileRow('m-ch-elem', true);
  const chanTiles = tileRow('m-ch-chan', true);

  const key = (): { seed: bigint; offset: bigint } => ({ seed: BigInt(state.seed), offset: BigInt(state.offset) });

  async function compute(): Promise<Result> {
    const common = { p: state.p, training: state.training, ...key() };
    if (!device || !x || !xc) {
      const flat = dropoutCPU(image, common);
      const elem = dropoutCPU(maps, common);
      const chan = dropoutCPU(maps, { ...common, shape, noiseShape });
      return { y: flat.y, mask: state.training ? flat.mask : null, channelElem: elem.y, channelChan: chan.y, channelMask: state.training ? chan.mask : null };
    }
    const maskOut = state.training && mask ? { mask } : {};
    await dropout(device, { x, y: y!, n, ...common, ...maskOut });
    await dropout(device, { x: xc, y: yElem!, n: CHANNELS * n, ...common });
    await dropout(device, { x: xc, y: yChan!, shape, noiseShape, ...common, ...(state.training ? { mask: maskChan! } : {}) });
    const [yOut, maskOutBits, elemOut, chanOut, chanMask] = await Promise.all([
      downloadFloat32(device, y!, n),
      state.training ? downloadUint32(device, mask!, Math.ceil(n / 32)) : Promise.resolve(null),
      downloadFloat32(device, yElem!, CHANNELS * n),
      downloadFloat32(device, yChan!, CHANNELS * n),
      state.training ? downloadUint32(device, maskChan!, 1) : Promise.resolve(null),
    ]);
    return { y: yOut, mask: maskOutBits, channelElem: elemOut, channelChan: chanOut, channelMask: chanMask };
  }

  /** Bit-exact comparison with the CPU reference (values and mask words). */
  function agrees(result: Result): boolean {
    const common = { p: state.p, training: state.training, ...key() };
    const flat = dropoutCPU(image, common);
    const chan = dropoutCPU(maps, { ...common, shape, noiseShape });
    const elem = dropoutCPU(maps, common);
    const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from({ length: a.length }).every((_, i) => Object.is(a[i], b[i]));
    const sameBits = (a: Float32Array, b: Float32Array): boolean => same(new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length));
    return sameBits(result.y, flat.y) && sameBits(result.channelElem, elem.y) && sameBits(result.channelChan, chan.y)
      && (result.mask === null || same(result.mask, flat.mask)) && (result.channelMask === null || same(result.channelMask, chan.mask));
  }

  function render(result: Result): void {
    const scale = state.training && state.p < 1 ? 1 / (1 - state.p) : 1;
    const top = Math.max(scale, 1.0001);
    drawValues($<HTMLCanvasElement>('m-input'), image, rows, cols);
    drawValues($<HTMLCanvasElement>('m-output'), result.y, rows, cols, top);
    const kept = (i: number): boolean => (result.mask ? maskBit(result.mask, i) : true);
    drawMask($<HTMLCanvasElement>('m-mask'), kept, rows, cols);
    let keptCount = 0;
    for (let i = 0; i < n; i++) if (kept(i)) keptCount++;
    $('m-kept').textContent = `${keptCount} / ${n}`;
    $('m-kept-sub').innerHTML = state.training ? `${percent(keptCount / n)} kept · <span class="formula">expected 1 − p = ${percent(1 - state.p, 0)}</span>` : 'eval mode: nothing is dropped';
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    $('m-mean').textContent = mean(result.y).toFixed(3);
    $('m-mean-sub').textContent = `input ${mean(image).toFixed(3)} · kept values ×${scale.toFixed(2)}`;
    $('m-scale').textContent = state.training ? scale.toFixed(2) : '1';
    $('m-ramp-max').textContent = top.toFixed(2);
    $('m-class').textContent = CLASS_NAMES[data.test.labels[itemIndex()]!]!;
    $('m-offset').textContent = String(state.offset);

    const badge = $('m-badge');
    const ok = agrees(result);
    badge.className = `badge ${ok ? '' : 'fail'}`;
    badge.textContent = device ? (ok ? 'GPU = CPU reference ✓ bit for bit' : 'GPU ≠ CPU reference ✗') : 'computed by the CPU reference (no WebGPU)';
    badge.title = 'The GPU outputs and masks compared with dropoutCPU/keepMask from webgpu-dropout/cpu';
    const evalBadge = $('m-eval-badge');
    const identity = !state.training && result.y.every((v, i) => Object.is(v, image[i]));
    evalBadge.textContent = identity ? 'eval: output = input ✓' : 'eval: output ≠ input ✗';
    // Hidden in training mode but keeping its space, so toggling eval does not move the images.
    evalBadge.className = `badge ${identity ? 'info' : 'fail'}${state.training ? ' invisible' : ''}`;

    const channelKept = (c: number): boolean => (result.channelMask ? maskBit(result.channelMask, c) : true);
    let keptChannels = 0;
    let keptElems = 0;
    for (let c = 0; c < CHANNELS; c++) {
      drawValues(inTiles[c]!.canvas, maps, rows, cols, 1, c * n);
      drawValues(elemTiles[c]!.canvas, result.channelElem, rows, cols, top, c * n);
      drawValues(chanTiles[c]!.canvas, result.channelChan, rows, cols, top, c * n);
      const on = channelKept(c);
      if (on) keptChannels++;
      chanTiles[c]!.tag.textContent = state.training ? (on ? `×${scale.toFixed(2)}` : 'dropped') : 'kept';
      chanTiles[c]!.tag.className = `tag ${state.training ? (on ? 'on' : 'off') : ''}`;
      let nonzero = 0;
      let inputNonzero = 0;
      for (let i = c * n; i < (c + 1) * n; i++) {
        if (maps[i]! > 0) inputNonzero++;
        if (result.channelElem[i]! > 0) nonzero++;
      }
      keptElems += nonzero;
      elemTiles[c]!.tag.textContent = inputNonzero ? `${percent(nonzero / inputNonzero, 0)} left` : '–';
    }
    let inputNonzero = 0;
    for (const v of maps) if (v > 0) inputNonzero++;
    $('m-ch-summary').textContent = state.training
      ? `Element-wise: ${percent(keptElems / Math.max(1, inputNonzero), 0)} of the non-zero values survive, scattered over every channel. Dropout2d: ${keptChannels} of ${CHANNELS} channels survive whole (one mask bit per channel: noiseShape [1, 8, 1, 1]).`
      : 'Eval mode: both are the identity.';
  }

  const runner = latest(async () => render(await compute()), (error) => {
    console.error(error);
    const badge = $('m-badge');
    badge.className = 'badge fail';
    badge.textContent = errorText(error);
  });

  // body[data-mask-busy] is 'false' once every requested update has been drawn (for the test).
  // An update that takes more than a moment (a pipeline compiling) shows a note until it is drawn.
  const busy = $('m-busy');
  let slow: ReturnType<typeof setTimeout> | undefined;
  const update = (): Promise<void> => {
    document.body.dataset.maskBusy = 'true';
    clearTimeout(slow);
    slow = setTimeout(() => { busy.textContent = 'computing… (a new GPU pipeline compiles on first use)'; busy.hidden = false; }, 150);
    return runner.request().then(() => {
      clearTimeout(slow);
      busy.hidden = true;
      document.body.dataset.maskBusy = 'false';
    });
  };
  /**
   * Compiles the pipeline variants the controls reach (a rate whose threshold can tie, eval) before
   * the controls are enabled, with a note on the page, so the first slider move is not a stall.
   */
  async function warmUp(): Promise<void> {
    if (!device) return;
    const controls = ['m-p', 'm-seed', 'm-train', 'm-eval', 'm-step', 'm-next'].map((id) => $<HTMLInputElement | HTMLButtonElement>(id));
    for (const control of controls) control.disabled = true;
    busy.textContent = 'Preparing the GPU kernels (compiling pipelines, first visit only)…';
    busy.hidden = false;
    const saved = { ...state };
    try {
      for (const variant of [{ p: 0.3, training: true }, { p: 0.3, training: false }]) {
        Object.assign(state, variant);
        await compute();
      }
    } finally {
      Object.assign(state, saved);
      for (const control of controls) control.disabled = false;
      busy.hidden = true;
    }
  }
  const pSlider = $<HTMLInputElement>('m-p');
  const seedSlider = $<HTMLInputElement>('m-seed');
  pSlider.addEventListener('input', () => {
    state.p = Number(pSlider.value);
    $('m-p-out').textContent = state.p.toFixed(2);
    void update();
  });
  seedSlider.addEventListener('input', () => {
    state.seed = Number(seedSlider.value);
    $('m-seed-out').textContent = String(state.seed);
    void update();
  });
  segmented($<HTMLButtonElement>('m-train'), $<HTMLButtonElement>('m-eval'), (training) => {
    state.training = training;
    $<HTMLButtonElement>('m-step').disabled = !training;
    void update();
  });
  $('m-step').addEventListener('click', () => {
    state.offset++;
    void update();
  });
  $('m-next').addEventListener('click', () => {
    state.pick++;
    image = imageFloats(data, data.test, itemIndex());
    maps = featureMaps(image, rows, cols);
    upload();
    void update();
  });
  return { ready: update().then(warmUp) };
}

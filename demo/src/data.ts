// The Fashion-MNIST subset the demo trains on: 2,000 training and 1,000 test images, 200 and 100
// per class, written by scripts/demo-data.mjs (format documented there).

export const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

export interface Split {
  /** count × rows × cols bytes, 0 = background, 255 = ink. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FashionMnist {
  train: Split;
  test: Split;
  rows: number;
  cols: number;
}

const DATA_URL = new URL(`${import.meta.env.BASE_URL}data/fashion-mnist-subset.bin`, document.baseURI).href;

/** Fetches and checks the subset. */
export async function loadFashionMnist(): Promise<FashionMnist> {
  const response = await fetch(DATA_URL);
  if (!response.ok) throw new Error(`could not load ${DATA_URL}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'FMN1') throw new Error(`${DATA_URL} is not a Fashion-MNIST subset (bad magic)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [trainCount, testCount, rows, cols] = [4, 8, 12, 16].map((at) => view.getUint32(at, true)) as [number, number, number, number];
  const size = rows * cols;
  let at = 32;
  const take = (length: number): Uint8Array => {
    const part = bytes.subarray(at, at + length);
    at += length;
    return part;
  };
  const train = { images: take(trainCount * size), labels: take(trainCount), count: trainCount };
  const test = { images: take(testCount * size), labels: take(testCount), count: testCount };
  if (at !== bytes.length) throw new Error(`${DATA_URL}: ${bytes.length} bytes, expected ${at}`);
  return { train, test, rows, cols };
}

/** Image i of a split as floats in [0, 1]. */
export function imageFloats(data: FashionMnist, split: Split, i: number): Float32Array {
  const size = data.rows * data.cols;
  const out = new Float32Array(size);
  const src = split.images.subarray(i * size, (i + 1) * size);
  for (let k = 0; k < size; k++) out[k] = src[k]! / 255;
  return out;
}

// Regenerates the demo's Fashion-MNIST subset (demo/public/data/fashion-mnist-subset.bin) from the
// original gzipped IDX files (https://github.com/zalandoresearch/fashion-mnist, MIT licence;
// Debian's dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist).
//
//   node scripts/demo-data.mjs [--from DIR] [--train 200] [--test 100]
//
// The subset is class-balanced and deterministic: the first --train images of each class in the
// training file (200 × 10 = 2,000) and the first --test of each class in the test file
// (100 × 10 = 1,000), in file order. Format (little-endian), read by demo/src/data.ts:
//
//   bytes 0-3   magic "FMN1"
//   u32 × 4     train count, test count, rows (28), cols (28)
//   12 bytes    zero padding (header = 32 bytes)
//   train images   train × rows × cols uint8 (0 = background, 255 = ink), row-major
//   train labels   train uint8 (0-9)
//   test images    test × rows × cols uint8
//   test labels    test uint8
import { Buffer } from 'node:buffer';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const from = option('from', '/usr/share/datasets/fashion-mnist');
const perClass = { train: Number(option('train', 200)), test: Number(option('test', 100)) };
const licence = '/usr/share/doc/dataset-fashion-mnist/copyright';
const outDir = join(root, 'demo/public/data');

function readIdx(file, expectedMagic) {
  const path = join(from, file);
  if (!existsSync(path)) {
    console.error(`✗ ${path} not found. Install Debian's dataset-fashion-mnist package or pass --from DIR with the four *-ubyte.gz files.`);
    process.exit(1);
  }
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0); // IDX headers are big-endian
  if (magic !== expectedMagic) throw new Error(`${file}: magic 0x${magic.toString(16)}, expected 0x${expectedMagic.toString(16)}`);
  const dims = [];
  for (let d = 0; d < (magic & 0xff); d++) dims.push(view.getUint32(4 + 4 * d));
  return { dims, data: bytes.subarray(4 + 4 * dims.length) };
}

function subset(split, imagesFile, labelsFile, count) {
  const images = readIdx(imagesFile, 0x00000803);
  const labels = readIdx(labelsFile, 0x00000801);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) throw new Error(`${split}: ${n} images but ${labels.dims[0]} labels`);
  const size = rows * cols;
  const taken = new Array(10).fill(0);
  const picked = [];
  for (let i = 0; i < n && picked.length < 10 * count; i++) {
    const label = labels.data[i];
    if (taken[label] < count) {
      taken[label]++;
      picked.push(i);
    }
  }
  if (picked.length < 10 * count) throw new Error(`${split}: only ${picked.length} images for ${count} per class`);
  const outImages = new Uint8Array(picked.length * size);
  const outLabels = new Uint8Array(picked.length);
  picked.forEach((i, k) => {
    outImages.set(images.data.subarray(i * size, (i + 1) * size), k * size);
    outLabels[k] = labels.data[i];
  });
  return { images: outImages, labels: outLabels, count: picked.length, rows, cols };
}

const train = subset('train', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', perClass.train);
const test = subset('test', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', perClass.test);
const header = new Uint8Array(32);
header.set(Buffer.from('FMN1', 'ascii'));
const words = new DataView(header.buffer);
[train.count, test.count, train.rows, train.cols].forEach((v, i) => words.setUint32(4 + 4 * i, v, true));
const out = new Uint8Array(header.length + train.images.length + train.labels.length + test.images.length + test.labels.length);
let at = 0;
for (const part of [header, train.images, train.labels, test.images, test.labels]) {
  out.set(part, at);
  at += part.length;
}
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'fashion-mnist-subset.bin'), out);
if (existsSync(licence)) copyFileSync(licence, join(outDir, 'LICENSE-fashion-mnist.txt'));
else console.warn(`! ${licence} not found: keep the committed demo/public/data/LICENSE-fashion-mnist.txt`);
console.log(`✓ demo/public/data/fashion-mnist-subset.bin: ${train.count} train + ${test.count} test images (${train.rows}×${train.cols}), ${(out.length / 1e6).toFixed(2)} MB`);

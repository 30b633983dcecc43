import { it } from 'vitest';
import { CondenseArgumentError, OnnxLoadError, parseOnnxModel } from '../src/index.js';
import { readOnnxModel } from '../scripts/models-cache.mjs';
import { rng } from './helpers/compare.js';
it('hunt', () => {
  const bad: string[] = [];
  for (const [id, shape] of [['openwakeword-melspectrogram', [1, 1280]], ['ppocr-mobile-v2-cls', [1, 3, 48, 64]], ['mediapipe-blazeface-front-128', [1, 128, 128, 3]], ['ppocr-v4-det', [1, 3, 32, 32]]] as const) {
    const bytes = readOnnxModel(id);
    const random = rng(99);
    let n = 0;
    for (let k = 0; k < 600; k++) {
      const b = bytes.slice();
      // flips concentrated outside big raw weights: sample offsets, skip if inside a long run? just uniform over first 40 KB and last 10 KB
      const at = random() < 0.5 ? Math.floor(random() * Math.min(40000, b.length)) : b.length - 1 - Math.floor(random() * 10000);
      b[at] ^= 1 << Math.floor(random() * 8);
      try {
        const m = parseOnnxModel(b);
        parseOnnxModel(b, { inputShapes: { [m.inputs[0].name]: [...shape] } });
        n++;
      } catch (e) {
        if (!(e instanceof OnnxLoadError || e instanceof CondenseArgumentError)) bad.push(`${id} byte ${at}: ${(e as Error).name}: ${(e as Error).message}`.slice(0, 300));
      }
    }
    console.log(id, 'loaded', n);
  }
  console.log(bad.length, bad.slice(0, 20).join('\n'));
}, 600000);

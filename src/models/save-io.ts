// Where model.save puts the two files: a directory through node:fs (imported only then, so the
// library still bundles for browsers), or two downloads through an anchor and blob URLs.
import { fail } from '../ops/args.js';

const dynamicImport = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);

/** Writes model.json and weights.bin into `target` (a path or file:// URL), creating it if missing. */
export async function writeDirectory(target: string | URL, json: string, weights: ArrayBuffer): Promise<string[]> {
  const fs = await dynamicImport('node:fs/promises');
  const pathMod = await dynamicImport('node:path');
  const { fileURLToPath } = await dynamicImport('node:url');
  let dir: string;
  try {
    dir = target instanceof URL || target.startsWith('file:') ? fileURLToPath(target) : pathMod.resolve(target);
  } catch (e) {
    return fail('save', `target ${String(target)} is not a usable file:// URL (${(e as Error).message})`);
  }
  const stat = await fs.stat(dir).catch(() => null);
  if (stat && !stat.isDirectory()) fail('save', `target ${dir} is a file; model.save needs a directory, into which it writes model.json and weights.bin`);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'part of that path is a file, not a directory' : (e as Error).message;
    fail('save', `cannot create the directory ${dir}: ${why}`);
  }
  const files = [pathMod.join(dir, 'model.json'), pathMod.join(dir, 'weights.bin')];
  try {
    await fs.writeFile(files[1], new Uint8Array(weights));
    await fs.writeFile(files[0], json, 'utf8');
  } catch (e) {
    fail('save', `cannot write into ${dir}: ${(e as Error).message}`);
  }
  return files;
}

interface Anchor {
  href: string;
  download: string;
  click(): void;
}

/**
 * Downloads `<name>.json` and `<name>.weights.bin` (the manifest names the latter) through an
 * anchor. The blob URLs are revoked once the browser has had a moment to start both downloads.
 */
export async function downloadFiles(name: string, json: string, weights: ArrayBuffer): Promise<string[]> {
  const doc = (globalThis as { document?: { createElement?(tag: string): unknown } }).document;
  const urls = (globalThis as { URL?: { createObjectURL?(b: Blob): string; revokeObjectURL?(u: string): void } }).URL;
  if (!doc || typeof doc.createElement !== 'function' || typeof urls?.createObjectURL !== 'function') {
    fail('save', `'downloads://${name}' needs a browser (document and URL.createObjectURL); in Node pass a directory (a path or a file:// URL)`);
  }
  const files = [`${name}.json`, `${name}.weights.bin`];
  const blobs = [new Blob([json], { type: 'application/json' }), new Blob([weights], { type: 'application/octet-stream' })];
  const made: string[] = [];
  try {
    // The weights first: a page that waits for model.json then finds its shard already there.
    for (const i of [1, 0]) {
      const url = urls!.createObjectURL!(blobs[i]);
      made.push(url);
      const a = doc!.createElement!('a') as Anchor;
      a.href = url;
      a.download = files[i];
      a.click();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    for (const u of made) urls!.revokeObjectURL?.(u);
  }
  return files;
}

// `npm run bench`: the profile page's cases in Node, on Dawn (SwiftShader when there is no GPU),
// side by side with tfjs-webgpu on the same adapter. Prints the table, writes the JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// Inlined at build time (bench/vite.config.ts keeps package.json files in the bundle).
import tfjsWebgpuPkg from '@tensorflow/tfjs-backend-webgpu/package.json';
import pkg from '../package.json';
import { isCpuAdapter } from '../src/engine-options.js';
import { createEngine } from '../src/index.js';
import { CASES, caseById, parseSize } from './cases.js';
import type { Tf } from './engines.js';
import { defaultSettings, runBench, type BenchSettings } from './run.js';
import { dispatchLines, legend, textTable } from './table.js';
import { runMain } from './exit.js';

const HELP = `npm run bench -- [options]
  --small                 the small preset (tests, slow adapters)
  --cases a,b,...         cases to run (default all): ${CASES.map((c) => c.id).join(', ')}
  --iterations N          timed runs per case and engine (after warm-up)
  --warmup N              warm-up runs
  --cpu-iterations N      timed runs of the CPU reference
  --shape case=NxHxWxC[:outChannels]   edit a case's size (repeatable)
  --no-tfjs, --no-cpu     leave an engine out
  --out FILE              JSON path (default bench/results/<date>-<adapter>[-small].json)`;

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function settingsFromArgs(argv: string[]): { settings: BenchSettings; out?: string } | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      small: { type: 'boolean' },
      cases: { type: 'string' },
      iterations: { type: 'string' },
      warmup: { type: 'string' },
      'cpu-iterations': { type: 'string' },
      shape: { type: 'string', multiple: true },
      'no-tfjs': { type: 'boolean' },
      'no-cpu': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const s = defaultSettings(values.small ? 'small' : 'full');
  if (values.cases) s.caseIds = values.cases.split(',').map((id) => caseById(id.trim()).id);
  s.iterations = positive('iterations', values.iterations, s.iterations);
  s.warmup = positive('warmup', values.warmup, s.warmup);
  s.cpuIterations = positive('cpu-iterations', values['cpu-iterations'], Math.min(s.cpuIterations, s.iterations));
  for (const edit of values.shape ?? []) {
    const [id, text] = edit.split('=');
    const def = caseById(id);
    const size = parseSize(text ?? '');
    s.sizes[id] = { input: size.input, outChannels: size.outChannels ?? def[s.preset].outChannels };
  }
  s.tfjs = !values['no-tfjs'];
  s.cpu = !values['no-cpu'];
  return { settings: s, out: values.out };
}

/** tfjs-webgpu wants a browser: navigator.gpu and the GPU* constants. Installed here only, never by the library. */
async function loadTfjs(): Promise<{ tf: Tf; version: string }> {
  const webgpu = (await import('webgpu')) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, webgpu.globals);
  // Created after the engine, so it sees the VK_ICD_FILENAMES the engine's SwiftShader fallback set.
  const gpu = webgpu.create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `node ${process.version}` }, configurable: true });
  const core: any = await import('@tensorflow/tfjs-core');
  const tf: Tf = core.setBackend ? core : core.default;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  await tf.ready();
  return { tf, version: tfjsWebgpuPkg.version };
}

/**
 * On a CPU adapter (SwiftShader) the "GPU" is threads on this machine's cores, and while this
 * thread awaits GPU work Dawn keeps it polling, busy: on 2 cores the streaming kernel ran 1.5x
 * slower (63 against 42 ms) than when nothing polled. Linux priorities are per thread, and the
 * adapter's threads exist once the devices do, so lowering this thread's priority alone gives
 * them the cores back (44 ms while polling). It applies to both engines and the bandwidth probe
 * alike. GPUs do their work elsewhere: nothing to yield there.
 */
function yieldToCpuAdapter(): boolean {
  try {
    setPriority(19);
    console.error('CPU adapter: this thread runs at nice 19 while it waits, so the adapter gets the cores');
    return true;
  } catch {
    // Not permitted: the numbers are then taken with polling in the way.
    return false;
  }
}

/** The commit the numbers belong to; '+dirty' when the tree had uncommitted changes (best effort). */
function gitRevision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no') ? '+dirty' : '');
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const parsed = settingsFromArgs(process.argv.slice(2));
  if (!parsed) {
    console.log(HELP);
    return 0;
  }
  const { settings, out } = parsed;
  const engine = await createEngine();
  const info = engine.adapterInfo;
  console.error(`adapter: ${info.description || info.vendor} (${info.source}); timestamp-query: ${info.features.includes('timestamp-query')}`);
  const environment: Record<string, string> = { runtime: `node ${process.version}`, platform: `${process.platform} ${process.arch}`, condense: pkg.version, git: gitRevision() };
  let tf: Tf | null = null;
  if (settings.tfjs) {
    const loaded = await loadTfjs();
    tf = loaded.tf;
    environment.tfjsCore = tf.version_core;
    environment.tfjsBackendWebgpu = loaded.version;
  }
  if (isCpuAdapter(info) && yieldToCpuAdapter()) environment.waitingThread = 'nice 19 (CPU adapter)';
  const started = performance.now();
  const report = await runBench({ engine, tf, environment, onProgress: (done, total, label) => console.error(`[${done}/${total}] ${label}`) }, settings);
  console.log(`\n${info.description || info.vendor} — ${settings.preset} preset, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  console.log(textTable(report.cases));
  console.log(`\n${legend(report)}`);
  const perDispatch = dispatchLines(report.cases);
  if (perDispatch.length) console.log(`\nCondense GPU time per dispatch (median):\n${perDispatch.join('\n')}`);
  const slug = (info.description || info.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const file = out ?? join('bench', 'results', `${report.startedAt.replace(/[:.]/g, '-')}-${slug}${settings.preset === 'small' ? '-small' : ''}.json`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
  engine.destroy();
  const failed = report.cases.filter((c) => c.match.tfjs?.ok === false || c.match.cpu?.ok === false);
  if (failed.length) console.error(`outputs disagree: ${failed.map((c) => c.id).join(', ')}`);
  return failed.length ? 1 : 0;
}

runMain(main);

// `npm run bench`: the profile page's cases in Node, on Dawn (SwiftShader when there is no GPU),
// side by side with tfjs-webgpu on the same adapter. Prints the table, writes the JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// Inlined at build time (bench/vite.config.ts keeps package.json files in the bundle).
import pkg from '../package.json';
import { isCpuAdapter } from '../src/engine-options.js';
import { createEngine, type EngineOptions } from '../src/index.js';
import { CASES, caseById, parseSize } from './cases.js';
import type { Tf } from './engines.js';
import { defaultSettings, runBench, type BenchSettings } from './run.js';
import { dispatchLines, legend, textTable } from './table.js';
import { runMain } from './exit.js';
import { condenseEngine, ortEngine, tfjsEngine, type ModelEngine, type ModelEngineId } from './model-engines.js';
import { defaultModelSettings, runModelBench, type ModelBenchReport, type ModelBenchSettings } from './model-run.js';
import { modelEngineTable, modelLegend, modelProblems, modelRatioTable } from './model-table.js';
import { MODEL_CASES, MODEL_PRESETS, modelById } from './models.js';
import { loadOrt, loadTfjs, loadTfjsLayers, nodeFiles } from './node-peers.js';
import { runTrainingCli } from './training-cli.js';
import type { TrainingEngineId } from './training.js';

const HELP = `npm run bench -- [options]
  --small                 the small preset (tests, slow adapters); with --models: ${MODEL_PRESETS.small.join(', ')}
  --models [a,b,...]      the whole-model cases (default ${MODEL_PRESETS.full.join(', ')}; all: ${MODEL_CASES.map((m) => m.id).join(', ')})
                          instead of the op cases; add --ops to run both
  --in chromium|node      where the models run (default chromium: the profile page in headless Chromium,
                          SwiftShader unless E2E_ADAPTER=hardware; node: Dawn, as the op cases)
  --ops                   the op cases (the default without --models or --training)
  --training              the training cases (heads on cached features, a digit CNN epoch: Condense fit
                          vs tfjs-layers fit on tfjs-webgpu and tfjs-cpu); with --small, the small preset
  --digits N, --digit-iterations N   with --training: digits in the CNN's epoch, its timed epochs (tfjs-webgpu
                          took about 20 s a step of 32 on SwiftShader, so the full preset's 2,000 take hours there)
  --cases a,b,...         op cases to run (default all): ${CASES.map((c) => c.id).join(', ')}
  --iterations N          timed runs per case and engine (after warm-up)
  --warmup N              warm-up runs
  --cpu-iterations N      timed runs of the CPU reference
  --shape case=NxHxWxC[:outChannels]   edit a case's size (repeatable)
  --no-tfjs, --no-cpu     leave an engine out (--no-tfjs also leaves tfjs-webgpu out of the models)
  --no-ort-webgpu, --no-ort-wasm   leave an onnxruntime-web backend out of the models
  --engine-option name=value   createEngine option for Condense (repeatable; true, false or a number), e.g.
                          pointwiseTiles=false to compare an adapter-dependent kernel choice; the op cases
                          and --in node only
  --out FILE              JSON path (default bench/results/<date>-<adapter>[-small|-models].json)`;

function positive(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

interface Parsed {
  settings: BenchSettings | null;
  models: ModelBenchSettings | null;
  modelsIn: 'chromium' | 'node';
  out?: string;
  engineOptions: EngineOptions;
  training: { small: boolean; skip: TrainingEngineId[]; iterations?: number; warmup?: number; digits?: number; digitIterations?: number } | null;
}

/** `--models` may stand alone (the preset's models): give it its value before parseArgs sees it. */
function withModelsValue(argv: string[]): string[] {
  return argv.flatMap((a, i) => (a === '--models' && (i === argv.length - 1 || argv[i + 1].startsWith('--')) ? [a, 'preset'] : [a]));
}

function settingsFromArgs(argv: string[]): Parsed | null {
  const { values } = parseArgs({
    args: withModelsValue(argv),
    options: {
      small: { type: 'boolean' },
      cases: { type: 'string' },
      iterations: { type: 'string' },
      warmup: { type: 'string' },
      'cpu-iterations': { type: 'string' },
      shape: { type: 'string', multiple: true },
      'no-tfjs': { type: 'boolean' },
      'no-cpu': { type: 'boolean' },
      'no-ort-webgpu': { type: 'boolean' },
      'no-ort-wasm': { type: 'boolean' },
      models: { type: 'string' },
      in: { type: 'string' },
      ops: { type: 'boolean' },
      training: { type: 'boolean' },
      digits: { type: 'string' },
      'digit-iterations': { type: 'string' },
      out: { type: 'string' },
      'engine-option': { type: 'string', multiple: true },
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
  let models: ModelBenchSettings | null = null;
  if (values.models !== undefined) {
    models = defaultModelSettings(values.small ? 'small' : 'full');
    if (values.models !== 'preset') models.modelIds = values.models === 'all' ? MODEL_CASES.map((m) => m.id) : values.models.split(',').map((id) => modelById(id.trim()).id);
    if (values.iterations) models.iterations = s.iterations;
    if (values.warmup) models.warmup = s.warmup;
    const skip: [boolean | undefined, ModelEngineId][] = [[values['no-tfjs'], 'tfjs-webgpu'], [values['no-ort-webgpu'], 'ort-webgpu'], [values['no-ort-wasm'], 'ort-wasm']];
    models.skip = skip.filter(([off]) => off).map(([, id]) => id);
  }
  const ops = (values.models === undefined && !values.training) || values.ops === true;
  const where = values.in ?? 'chromium';
  if (where !== 'chromium' && where !== 'node') throw new Error(`--in must be chromium or node, got '${where}'`);
  const training = values.training
    ? {
      small: !!values.small, skip: values['no-tfjs'] ? (['tfjs-webgpu', 'tfjs-cpu'] as TrainingEngineId[]) : [], iterations: values.iterations ? s.iterations : undefined, warmup: values.warmup ? s.warmup : undefined,
      digits: values.digits ? positive('digits', values.digits, 1) : undefined, digitIterations: values['digit-iterations'] ? positive('digit-iterations', values['digit-iterations'], 1) : undefined,
    }
    : null;
  const engineOptions = parseEngineOptions(values['engine-option'] ?? []);
  if (Object.keys(engineOptions).length > 0 && models && where === 'chromium') throw new Error('--engine-option applies to the op cases and --in node; the page makes its own engine');
  return { settings: ops ? s : null, models, modelsIn: where, out: values.out, engineOptions, training };
}

/** `name=value` pairs as createEngine options: true, false or a number (createEngine checks them). */
function parseEngineOptions(pairs: string[]): EngineOptions {
  const options: Record<string, boolean | number> = {};
  for (const pair of pairs) {
    const [name, value] = pair.split('=');
    if (!name || value === undefined) throw new Error(`--engine-option must be name=value, got '${pair}'`);
    const v = value === 'true' ? true : value === 'false' ? false : Number(value);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`--engine-option ${name}: '${value}' is not true, false or a number`);
    options[name] = v;
  }
  return options as EngineOptions;
}

async function modelEngines(settings: ModelBenchSettings, environment: Record<string, string>, engineOptions: EngineOptions): Promise<ModelEngine[]> {
  const engines: ModelEngine[] = [condenseEngine(() => createEngine(engineOptions))];
  if (!settings.skip.includes('tfjs-webgpu')) {
    const { tf, version } = await loadTfjs();
    environment.tfjsCore = tf.version_core;
    environment.tfjsBackendWebgpu = version;
    engines.push(tfjsEngine(tf, await loadTfjsLayers()));
  }
  if (!settings.skip.includes('ort-webgpu') || !settings.skip.includes('ort-wasm')) {
    const ort = await loadOrt();
    environment.onnxruntimeWeb = ort.version;
    environment.ortWasmThreads = ort.threads;
    if (!settings.skip.includes('ort-webgpu')) engines.push(ortEngine(ort.webgpu, 'webgpu'));
    if (!settings.skip.includes('ort-wasm')) engines.push(ortEngine(ort.wasm, 'wasm'));
  }
  return engines;
}

function printModels(report: ModelBenchReport, seconds: number): void {
  console.log(`\nwhole models on ${report.adapter.description || report.adapter.architecture || report.adapter.vendor} — ${report.settings.preset} preset, ${seconds.toFixed(0)} s\n`);
  console.log(modelEngineTable(report));
  console.log(`\n${modelRatioTable(report)}`);
  console.log(`\n${modelLegend(report)}`);
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

function writeReport(file: string, report: object): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
}

async function main(): Promise<number> {
  const parsed = settingsFromArgs(process.argv.slice(2));
  if (!parsed) {
    console.log(HELP);
    return 0;
  }
  const { settings, models, modelsIn, out, engineOptions, training } = parsed;
  const engine = await createEngine(engineOptions);
  const info = engine.adapterInfo;
  console.error(`adapter: ${info.description || info.vendor} (${info.source}); timestamp-query: ${info.features.includes('timestamp-query')}`);
  const environment: Record<string, string> = { runtime: `node ${process.version}`, platform: `${process.platform} ${process.arch}`, condense: pkg.version, git: gitRevision() };
  if (Object.keys(engineOptions).length > 0) environment.engineOptions = JSON.stringify(engineOptions);
  const slug = (info.description || info.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let failed = 0;
  let tf: Tf | null = null;
  if (settings?.tfjs) {
    const loaded = await loadTfjs();
    tf = loaded.tf;
    environment.tfjsCore = tf.version_core;
    environment.tfjsBackendWebgpu = loaded.version;
  }
  const engines = models && modelsIn === 'node' ? await modelEngines(models, environment, engineOptions) : [];
  // Only the op cases wait niced: a whole model's wall-clock time includes each engine's own work on
  // this thread (parsing, planning, onnxruntime's wasm), which a niced thread would lose to the adapter.
  if (settings && isCpuAdapter(info) && yieldToCpuAdapter()) environment.waitingThread = 'nice 19 (CPU adapter), op cases only';
  const onProgress = (done: number, total: number, label: string) => console.error(`[${done}/${total}] ${label}`);
  if (settings) {
    const started = performance.now();
    const report = await runBench({ engine, tf, environment, onProgress }, settings);
    console.log(`\n${info.description || info.vendor} — ${settings.preset} preset, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    console.log(textTable(report.cases));
    console.log(`\n${legend(report)}`);
    const perDispatch = dispatchLines(report.cases);
    if (perDispatch.length) console.log(`\nCondense GPU time per dispatch (median):\n${perDispatch.join('\n')}`);
    writeReport(out ?? join('bench', 'results', `${report.startedAt.replace(/[:.]/g, '-')}-${slug}${settings.preset === 'small' ? '-small' : ''}.json`), report);
    const bad = report.cases.filter((c) => c.match.tfjs?.ok === false || c.match.cpu?.ok === false);
    if (bad.length) console.error(`outputs disagree: ${bad.map((c) => c.id).join(', ')}`);
    failed += bad.length;
  }
  if (training) {
    // fit does host work (and tfjs-cpu all of its work) on this thread: not niced.
    if (environment.waitingThread) {
      try {
        setPriority(0);
      } catch {
        environment.waitingThread += '; training also ran niced';
      }
    }
    const { report, problems } = await runTrainingCli(engine, environment, training);
    const trainingOut = out && (settings || models) ? out.replace(/(\.json)?$/, '-training.json') : out;
    writeReport(trainingOut ?? join('bench', 'results', `${stamp}-${slug}-training${training.small ? '-small' : ''}.json`), report);
    if (problems.length) console.error(`training: ${problems.join('; ')}`);
    failed += problems.length;
  }
  // The op cases' engine is not needed by the models: each model gets a fresh engine of its own.
  engine.destroy();
  if (models) {
    if (environment.waitingThread) {
      try {
        setPriority(0); // back to normal for the models (raising it again may need privileges)
        environment.waitingThread += '; normal priority for the models';
      } catch {
        environment.waitingThread += '; the models also ran niced';
      }
    }
    const started = performance.now();
    const report =
      modelsIn === 'chromium'
        ? // Loaded only here: Vite and Playwright are dev dependencies the device pack does not carry.
          await (await import('./browser-models.js')).runModelsInChromium(models, (line) => console.error(line))
        : await runModelBench({ engines, files: nodeFiles, adapter: info, environment: { ...environment }, onProgress }, models);
    report.environment = { ...report.environment, git: environment.git };
    printModels(report, (performance.now() - started) / 1000);
    const modelsOut = out && settings ? out.replace(/(\.json)?$/, '-models.json') : out;
    const where = (report.adapter.description || report.adapter.architecture || report.adapter.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    writeReport(modelsOut ?? join('bench', 'results', `${stamp}-${where}-models${models.preset === 'small' ? '-small' : ''}.json`), report);
    const problems = modelProblems(report);
    if (problems.length) console.error(`models: ${problems.join('; ')}`);
    failed += problems.length;
  }
  return failed ? 1 : 0;
}

runMain(main);

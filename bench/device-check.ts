// The correctness half of a check on a lent GPU (scripts/device-check.sh runs it, then the
// benchmark): every kernel choice that depends on the kind of adapter, taken both ways, against
// the CPU reference, on a seeded grid and at the benchmark's sizes. The unit tests cover the same
// paths on SwiftShader; this is what says the GPU side of each choice also computes the right
// thing there. Prints one line per configuration and exits 1 on any disagreement.
import { createEngine, reference, type Engine, type EngineOptions, type HostTensor } from '../src/index.js';
import { randomData, rng } from '../src/rng.js';
import { casesFor, checkCase, randomParams, withSpecials, type OpCase } from '../test/helpers/cases.js';
import { describeMismatch } from '../test/helpers/mismatch.js';
import { runMain } from './exit.js';

// f32 GPU sums against the float64-accumulating reference (conv: up to 3*3*64 products here).
const TOL = { atol: 1e-3, rtol: 1e-3 };

/** Each adapter-dependent choice both ways (see EngineOptions), and the adapter's own defaults. */
const CONFIGS: [string, EngineOptions][] = [
  ['adapter defaults', {}],
  ['CPU-adapter choices', { stageConvFilters: false, pointwiseTiles: false, poolRowsPerInvocation: 2, globalPoolWorkgroups: false, useSubgroups: false }],
  ['GPU choices', { stageConvFilters: true, pointwiseTiles: true, poolRowsPerInvocation: 1, globalPoolWorkgroups: true, useSubgroups: true }],
  ['GPU choices, shared-memory trees', { stageConvFilters: true, pointwiseTiles: true, poolRowsPerInvocation: 1, globalPoolWorkgroups: true, useSubgroups: false }],
  ['4-row strips, workgroup 256', { poolRowsPerInvocation: 4, workgroupSize: 256 }],
];

/** The benchmark's sizes (bench/cases.ts), where the GPU paths matter. */
function bigCases(random: () => number): OpCase[] {
  const tensor = (shape: number[], specials = 0.0005): HostTensor => ({ data: withSpecials(randomData(shape.reduce((a, b) => a * b), random), random, specials), shape });
  const pools = (x: HostTensor, k: number): OpCase[] => (['maxPool2d', 'avgPool2d'] as const).map((op) => ({ op, x, options: { poolSize: k, strides: 2, padding: 'same' } }));
  const nchw = tensor([1, 256, 56, 56]);
  return [
    ...pools(tensor([1, 256, 256, 32]), 2),
    ...pools(tensor([1, 112, 112, 64]), 3),
    ...pools(tensor([2, 57, 55, 64]), 3),
    { op: 'globalAvgPool2d', x: tensor([1, 56, 56, 256]), options: {} },
    { op: 'globalMaxPool2d', x: tensor([1, 56, 56, 256]), options: {} },
    { op: 'globalAvgPool2d', x: nchw, options: { dataFormat: 'NCHW' } },
    { op: 'globalMaxPool2d', x: nchw, options: { dataFormat: 'NCHW' } },
    { op: 'globalMaxPool2d', x: tensor([2, 61, 47, 3]), options: {} },
    { op: 'conv2d', x: tensor([1, 64, 64, 32], 0), filter: tensor([3, 3, 32, 32], 0), options: { padding: 'same', activation: 'relu', bias: Array.from(randomData(32, random)) } },
    { op: 'conv2d', x: tensor([1, 96, 96, 3], 0), filter: tensor([3, 3, 3, 64], 0), options: { padding: 'same', activation: 'relu' } },
    // 1x1s (conv2d_pointwise or its shared-memory tiles): MobileNetV2's expand at 56 x 56 and its last conv at 7 x 7.
    { op: 'conv2d', x: tensor([1, 56, 56, 24], 0), filter: tensor([1, 1, 24, 144], 0), options: { activation: 'relu6', bias: Array.from(randomData(144, random)) } },
    { op: 'conv2d', x: tensor([2, 7, 7, 320], 0), filter: tensor([1, 1, 320, 1280], 0), options: { activation: 'relu6' } },
  ];
}

/** conv -> relu -> 2x2 max pool with the intermediate disposed: the fused kernel where it applies. */
async function checkFused(engine: Engine, random: () => number): Promise<string | null> {
  const x = { data: randomData(1 * 112 * 112 * 3, random), shape: [1, 112, 112, 3] };
  const filter = { data: randomData(3 * 3 * 3 * 64, random), shape: [3, 3, 3, 64] };
  const bias = randomData(64, random);
  const want = reference.maxPool2d(reference.conv2d(x, filter, { padding: 'same', activation: 'relu', bias }), { poolSize: 2, strides: 2 });
  const xt = engine.tensor(x.data, x.shape);
  const y = engine.conv2d(xt, filter, { padding: 'same', activation: 'relu', bias });
  const z = engine.maxPool2d(y, { poolSize: 2, strides: 2 });
  y.dispose();
  const got = await z.read();
  xt.dispose();
  z.dispose();
  return describeMismatch(got, want.data, TOL, 'fused conv -> relu -> maxPool 2x2');
}

async function runConfig(name: string, options: EngineOptions): Promise<string[]> {
  const engine = await createEngine(options);
  const failures: string[] = [];
  const started = performance.now();
  let ran = 0;
  try {
    engine.device.pushErrorScope('validation');
    const random = rng(20261129);
    const cases: OpCase[] = [];
    for (let i = 0; i < 120; i++) {
      const p = randomParams(random);
      // Every other one with channel quads, so the vec4 paths get their share.
      if (i % 2) Object.assign(p, { c: [4, 8, 12, 16, 64][i % 5], cout: [4, 8, 16][i % 3] });
      cases.push(...casesFor(p, random, i % 3 === 0 ? 0.03 : 0));
    }
    cases.push(...bigCases(random));
    for (const c of cases) {
      const result = await checkCase(engine, c, TOL);
      if ('failure' in result) failures.push(result.failure);
      else ran++;
    }
    const fused = await checkFused(engine, random);
    if (fused) failures.push(fused);
    else ran++;
    const error = await engine.device.popErrorScope();
    if (error) failures.push(`GPU validation error: ${error.message}`);
    const kernels = [...new Set(engine.stats().pipelineKeys.map((k) => k.split('|')[0]))].sort();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${failures.length ? 'FAIL' : 'ok  '} ${name}: ${ran} of ${cases.length + 1} cases agree (${seconds} s); kernels: ${kernels.join(', ')}`);
  } finally {
    engine.destroy();
  }
  return failures;
}

async function main(): Promise<number> {
  const probe = await createEngine();
  const info = probe.adapterInfo;
  console.log(`adapter: ${info.description || info.vendor} (${info.architecture}, ${info.source}); features: ${info.features.join(', ')}`);
  probe.destroy();
  const failures: string[] = [];
  for (const [name, options] of CONFIGS) failures.push(...(await runConfig(name, options)));
  for (const f of failures.slice(0, 20)) console.log(`  ${f}`);
  console.log(failures.length ? `${failures.length} disagreements` : 'every configuration agrees with the reference');
  return failures.length ? 1 : 0;
}

runMain(main);

// createEngine's options: their checks, the device they get, and the kernel choices that depend
// on the kind of adapter (CPU implementations such as SwiftShader against GPUs).
import { acquireDevice, type AdapterInfo, type DeviceOptions } from './gpu/device.js';
import { WORKGROUP_SIZE } from './gpu/program.js';
import { describe, fail } from './ops/args.js';

/** Pooling rows per invocation on CPU adapters (measured on SwiftShader: see poolRowsPerInvocation). */
export const CPU_POOL_STRIP = 2;

export interface EngineOptions extends DeviceOptions {
  /** Invocations per workgroup for the element-wise kernels (default 64: a full wave on most GPUs). */
  workgroupSize?: number;
  /**
   * Use subgroup operations (the global pooling trees' reductions) where the device has them;
   * false forces the shared-memory trees. Default: on, unless the adapter is a CPU
   * implementation: SwiftShader emulates the shuffles and its subgroups are 4 wide, which caps a
   * tree's channel quads per block at 4, and its subgroup trees ran 1.5x to 3.4x slower than the
   * shared-memory ones (global pools from [1, 7, 7, 512] to [8, 7, 7, 2048]).
   */
  useSubgroups?: boolean;
  /**
   * Stage conv filters in workgroup (shared) memory: right on GPUs, slower on CPU adapters such as
   * SwiftShader, where workgroup memory is plain memory and barriers are costly. Default: on
   * unless the adapter is a CPU implementation.
   */
  stageConvFilters?: boolean;
  /**
   * Run NHWC 1x1 convolutions (MobileNets' expand and project layers) as a GEMM in shared-memory
   * tiles (conv2d_pointwise_tiles: 32 pixels x 64 channels per workgroup, coalesced loads, each
   * input word fetched once per workgroup), the way GPU matrix products are written. CPU
   * adapters keep conv2d_pointwise, which has no shared memory or barriers: on SwiftShader the
   * tiles took MobileNetV2's warm predict from 684 to 2,030 ms. Default: on unless the adapter is
   * a CPU implementation (not yet measured on a GPU: scripts/device-check.sh runs MobileNetV2
   * both ways there).
   */
  pointwiseTiles?: boolean;
  /**
   * Output rows (1 to 4) each invocation of a 3x3 stride-2 pool walks down one image
   * (pool2d_vec4's SHARED path), loading once the row that vertically neighbouring windows
   * share. That pays on CPU adapters, where every invocation and load costs a lot, and costs
   * parallelism on GPUs. Default: 1 on GPUs, CPU_POOL_STRIP on CPU adapters.
   */
  poolRowsPerInvocation?: number;
  /**
   * Global pooling where channels do not come in quads (NCHW planes, NHWC with C % 4 != 0):
   * one workgroup per (n, c) with a tree (global_pool_planes), or one invocation per (n, c)
   * looping over H*W. The workgroups are what a GPU needs (N*C invocations leave it idle); on
   * CPU adapters the loop ran 3x faster, the barriers of hundreds of workgroups costing more
   * than they spread. Default: on unless the adapter is a CPU implementation.
   */
  globalPoolWorkgroups?: boolean;
  /**
   * Plan memory per submit: the intermediates a submit both creates and releases (a model's
   * predict is one submit) share GPU buffers by liveness, so a predict's peak is about its
   * largest live set plus weights; tensors still held at the submit keep buffers of their own
   * (see Dispatcher.planned). Default: on, on every adapter; false gives every intermediate its
   * own buffer, as before.
   */
  planMemory?: boolean;
  /** Caps workgroups per grid dimension below the device's limit, to exercise grid folding. */
  maxWorkgroupsPerDimension?: number;
  /**
   * Caps below the device's own buffer limits (for tests, or to leave headroom). Ops split their
   * work so every binding fits maxStorageBufferBindingSize; no tensor may pass maxBufferSize.
   */
  limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number };
}

export interface KernelChoices {
  stageFilter: boolean;
  pointwiseTiles: boolean;
  poolStrip: number;
  planeWorkgroups: boolean;
}

export interface EngineSetup {
  device: GPUDevice;
  info: AdapterInfo;
  gpu: GPU | undefined;
  workgroupSize: number;
  maxPerDim: number;
  /** The smallest subgroup size when subgroup kernels may be used, else null. */
  subgroupMin: number | null;
  choices: KernelChoices;
  planMemory: boolean;
}

/** Checks the options (before any device is requested where it can), then gets the device. */
export async function engineSetup(options: EngineOptions): Promise<EngineSetup> {
  const op = 'createEngine';
  const workgroupSize = options.workgroupSize ?? WORKGROUP_SIZE;
  if (!Number.isInteger(workgroupSize) || workgroupSize < 1) fail(op, `workgroupSize must be a positive integer, got ${describe(workgroupSize)}`);
  for (const [name, v] of Object.entries(options.limits ?? {})) {
    if (!Number.isInteger(v) || v < 256) fail(op, `limits.${name} must be an integer of at least 256 bytes, got ${describe(v)}`);
  }
  const strip = options.poolRowsPerInvocation;
  if (strip !== undefined && (!Number.isInteger(strip) || strip < 1 || strip > 4)) fail(op, `poolRowsPerInvocation must be an integer from 1 to 4, got ${describe(strip)}`);
  const cap = options.maxWorkgroupsPerDimension;
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 1)) fail(op, `maxWorkgroupsPerDimension must be a positive integer, got ${describe(cap)}`);
  const { device, info, gpu } = await acquireDevice(options);
  if (workgroupSize > device.limits.maxComputeInvocationsPerWorkgroup || workgroupSize > device.limits.maxComputeWorkgroupSizeX) {
    device.destroy();
    fail(op, `workgroupSize ${workgroupSize} exceeds this device's maxComputeInvocationsPerWorkgroup ${device.limits.maxComputeInvocationsPerWorkgroup}`);
  }
  // Subgroup reductions assume whole subgroups: a workgroup that is not a multiple of the
  // largest subgroup size (unreported: 128, the largest any GPU uses) takes the shared-memory tree.
  const wholeSubgroups = workgroupSize % (info.subgroupMaxSize ?? 128) === 0;
  const cpu = isCpuAdapter(info);
  const subgroupMin = (options.useSubgroups ?? !cpu) && device.features.has('subgroups') && wholeSubgroups ? (info.subgroupMinSize ?? 4) : null;
  const choices: KernelChoices = {
    stageFilter: options.stageConvFilters ?? !cpu,
    pointwiseTiles: options.pointwiseTiles ?? !cpu,
    poolStrip: options.poolRowsPerInvocation ?? (cpu ? CPU_POOL_STRIP : 1),
    planeWorkgroups: options.globalPoolWorkgroups ?? !cpu,
  };
  return { device, info, gpu, workgroupSize, maxPerDim: Math.min(cap ?? Infinity, device.limits.maxComputeWorkgroupsPerDimension), subgroupMin, choices, planMemory: options.planMemory ?? true };
}

/** Software rasterizers that run WebGPU on the CPU, where some GPU-shaped choices cost more than they save. */
export function isCpuAdapter(info: AdapterInfo): boolean {
  return /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render|software/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
}

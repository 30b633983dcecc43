// Node only: WebGPU through the `webgpu` npm package (Dawn). Imported lazily with a specifier that
// bundlers leave alone, so the browser build never pulls Dawn or node: modules in.

export interface NodeGpu {
  gpu: GPU;
  adapter: GPUAdapter | null;
  /** How the adapter was found, for adapterInfo and error messages. */
  note: string;
}

const dynamicImport = (specifier: string): Promise<any> => import(/* @vite-ignore */ specifier);

/** SwiftShader ICDs that Chromium installs (system packages, or Playwright's browser cache). */
async function swiftShaderIcds(): Promise<string[]> {
  const fs = await dynamicImport('node:fs');
  const path = await dynamicImport('node:path');
  const os = await dynamicImport('node:os');
  const candidates = [
    process.env.CONDENSE_SWIFTSHADER_ICD,
    '/usr/lib/chromium/vk_swiftshader_icd.json',
    '/usr/lib64/chromium/vk_swiftshader_icd.json',
    '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
    '/opt/google/chrome/vk_swiftshader_icd.json',
  ];
  const roots = [process.env.PLAYWRIGHT_BROWSERS_PATH, path.join(os.homedir(), '.cache', 'ms-playwright')];
  for (const root of roots) {
    if (!root || !fs.existsSync(root)) continue;
    for (const dir of fs.readdirSync(root) as string[]) {
      if (!dir.startsWith('chromium')) continue;
      for (const sub of ['chrome-linux', 'chrome-linux64', 'chrome-headless-shell-linux64']) {
        candidates.push(path.join(root, dir, sub, 'vk_swiftshader_icd.json'));
      }
    }
  }
  return candidates.filter((p): p is string => typeof p === 'string' && fs.existsSync(p));
}

async function vulkanLoaderPresent(): Promise<boolean> {
  const fs = await dynamicImport('node:fs');
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu']
    .some((dir) => fs.existsSync(`${dir}/libvulkan.so.1`));
}

export const INSTALL_HINT =
  'Condense needs WebGPU. In a browser use one with WebGPU enabled (Chrome/Edge 113+, or Chromium with ' +
  '--enable-unsafe-webgpu). In Node, install the `webgpu` npm package (Dawn) and a Vulkan driver; on a machine ' +
  'without a GPU, SwiftShader from Chromium works: `apt-get install libvulkan1 chromium` (Debian/Ubuntu), or point ' +
  'VK_ICD_FILENAMES (or CONDENSE_SWIFTSHADER_ICD) at a vk_swiftshader_icd.json.';

/**
 * Dawn instances, one per flag set and Vulkan driver list, kept for the life of the process and
 * shared by every engine. Letting one be collected after its device was destroyed crashed the
 * process (an abort or a segfault in Dawn's teardown, seen on SwiftShader: create an engine,
 * destroy it unused, let GC run); reuse also saves creating one per engine. A held instance
 * whose devices are destroyed does not keep Node from exiting.
 */
const instances = new Map<string, GPU>();

function instance(webgpu: { create(flags: string[]): GPU }, flags: string[]): GPU {
  // The Vulkan loader reads VK_ICD_FILENAMES when an instance is created.
  const key = `${flags.join(' ')}|${process.env.VK_ICD_FILENAMES ?? ''}`;
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = webgpu.create(flags);
    instances.set(key, gpu);
  }
  return gpu;
}

export async function nodeGpu(flags: string[], adapterOptions: GPURequestAdapterOptions): Promise<NodeGpu> {
  let webgpu: { create(flags: string[]): GPU };
  try {
    webgpu = await dynamicImport('webgpu');
  } catch (e) {
    throw new Error(`Could not load the \`webgpu\` package (${(e as Error).message}). ${INSTALL_HINT}`);
  }
  let gpu = instance(webgpu, flags);
  let adapter = await gpu.requestAdapter(adapterOptions);
  if (adapter) return { gpu, adapter, note: 'Dawn, default Vulkan driver' };

  // No hardware adapter: fall back to SwiftShader shipped with a Chromium install. The Vulkan loader
  // reads VK_ICD_FILENAMES when Dawn creates its next instance.
  for (const icd of await swiftShaderIcds()) {
    process.env.VK_ICD_FILENAMES = icd;
    gpu = instance(webgpu, flags);
    adapter = await gpu.requestAdapter(adapterOptions);
    if (adapter) return { gpu, adapter, note: `Dawn, SwiftShader from ${icd}` };
  }
  const loader = (await vulkanLoaderPresent()) ? '' : ' No Vulkan loader (libvulkan.so.1) was found: install libvulkan1.';
  return { gpu, adapter: null, note: `Dawn found no adapter.${loader}` };
}

import { defineConfig, devices } from '@playwright/test';

// Real Chromium with WebGPU. Without a GPU, WebGPU runs on SwiftShader (Vulkan on the CPU), which
// Debian's chromium package ships. CHROMIUM_PATH overrides the executable; a user with
// Playwright's own browsers can set it empty and add projects below.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 5179);

// E2E_ADAPTER=hardware leaves Chromium its own adapter (a real GPU, where there is one). The
// default forces SwiftShader, so that a run means the same on every machine, CI included.
const swiftShader = process.env.E2E_ADAPTER !== 'hardware';

export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  ...(swiftShader ? ['--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'] : []),
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  // SwiftShader is CPU-bound: one browser at a time keeps timings and the 2-core budget sane.
  workers: 1,
  fullyParallel: false,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    // vite.e2e.config.ts: the dev server without HMR, so a file edited mid-run cannot reload a page under test.
    command: `npx vite --config vite.e2e.config.ts --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
  projects: [
    {
      name: 'chromium-webgpu',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath: executablePath || undefined, args: chromiumArgs },
      },
    },
  ],
});

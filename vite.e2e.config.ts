import { mergeConfig } from 'vite';
import base from './vite.config.js';

// The dev server for Playwright. Without HMR a page under test never reloads itself when a
// source file changes mid-run (someone editing while tests run), which would wipe its state.
export default mergeConfig(base, { server: { hmr: false } });

// The console's build: `npm run build` runs `vite build --config console/vite.config.mjs`.
// TSX goes through Vite's built-in oxc transform (no React plugin: its peers clash with jest's
// Babel); React's automatic runtime, as console/tsconfig.json types it.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: resolve(here, '../dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Served with `script-src 'self'`: no inline module preload polyfill.
    modulePreload: { polyfill: false },
  },
});

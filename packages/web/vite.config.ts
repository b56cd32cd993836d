/**
 * Builds the dashboard into dist/ for `palisade serve`. No inline scripts (the module preload
 * polyfill is off, so index.html only references hashed files) and nothing fetched from elsewhere,
 * so the server can send a strict Content-Security-Policy. `npm run dev -w @palisade/web` proxies
 * /api to a local `palisade serve` (PALISADE_API, default http://127.0.0.1:8470).
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': { target: process.env.PALISADE_API ?? 'http://127.0.0.1:8470', changeOrigin: false } },
  },
});

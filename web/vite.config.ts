import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: '../target/classes/static',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Keep everything as files: a strict CSP forbids data: URIs for scripts.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', changeOrigin: false },
      '/metrics': { target: 'http://127.0.0.1:8080', changeOrigin: false },
      '/backup': { target: 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});

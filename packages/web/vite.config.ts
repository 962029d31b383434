import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Everything (libraries, fonts, the engine's rule compiler) is bundled: the UI needs no network beyond the FLUO server.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    sourcemap: true,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});

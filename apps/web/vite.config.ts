import { defaultClientConditions, defineConfig } from 'vite';

// The built app lands in dist/web, beside the compiled API, which serves it (apps/api/src/bootstrap.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // `#ruche/live-client` (package.json imports) from its TypeScript source, as the API's tests use it.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      // React libraries mark their modules "use client" for server components: meaningless in a SPA.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' || warning.code === 'PLUGIN_TIMINGS') return;
        warn(warning);
      },
    },
  },
  server: {
    // `npx vite apps/web` during development, with the API on its default port.
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'ws://localhost:3000', ws: true },
    },
  },
});

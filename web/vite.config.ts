import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API (and the event WebSocket) to a running `kefu serve`;
// KEFU_URL picks which one (default: the all-in-one site of `make run`).
const kefu = process.env.KEFU_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // ECharts is most of the bytes and only the wallboard needs it: its own chunk.
        manualChunks: { echarts: ['echarts/core', 'echarts/charts', 'echarts/components', 'echarts/renderers'] },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: kefu, ws: true, changeOrigin: false },
      '/healthz': kefu,
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});

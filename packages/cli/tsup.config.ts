import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    "index": "src/index.ts",
    "main": "src/main.ts"
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  clean: true,
  splitting: true,
  sourcemap: true,
});

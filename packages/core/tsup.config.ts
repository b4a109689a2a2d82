import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    'constants/index': 'src/constants/index.ts',
    'errors/index': 'src/errors/index.ts',
    'paths/index': 'src/paths/index.ts',
    'config/index': 'src/config/index.ts',
    'io/index': 'src/io/index.ts',
    'logging/index': 'src/logging/index.ts',
    'process/index': 'src/process/index.ts',
    'schemas/index': 'src/schemas/index.ts',
    'template/index': 'src/template/index.ts',
    'cache/index': 'src/cache/index.ts',
    'starter/index': 'src/starter/index.ts',
    'lims/index': 'src/lims/index.ts',
  },
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: false,
  clean: true,
  splitting: true,
  sourcemap: true,
});

import { defineConfig } from 'vitest/config';

/** Shared vitest settings: tests import workspace packages from their TypeScript sources. */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ['@exlab/source', 'module', 'node', 'import', 'default'] },
  // No `import` here: it reaches Node's require too, and a CommonJS package requiring `ws`
  // (@fastify/websocket) would get ws's ESM wrapper without `WebSocket.Server`.
  ssr: { resolve: { conditions: ['@exlab/source', 'node', 'default'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON report lets `npm test` print one total over every package.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

import { packageBuild } from '../../tsup.shared.js';

// The worker of GET /tree's folder checks is loaded by path (see src/folder-stats.ts), so it is its own entry.
export default packageBuild(import.meta.dirname, { 'tree-stat-worker': 'src/tree-stat-worker.ts' });

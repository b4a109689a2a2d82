import { packageBuild } from '../../tsup.shared.js';

// The share process of the NAS sync runs as a script of its own (see src/sync/share-ops.ts).
export default packageBuild(import.meta.dirname, { 'sync/share-child': 'src/sync/share-child.ts' });

import { packageBuild } from '../../tsup.shared.js';

// The `exlab-wizard-tray` bin entry is not a public subpath, so it is added here.
export default packageBuild(import.meta.dirname, { main: 'src/main.ts' });

import { packageBuild } from '../../tsup.shared.js';

// The library; the `exlab` program (dist/main.js) is built by tsup.bin.config.ts.
export default packageBuild(import.meta.dirname);

import { packageBuild } from '../../tsup.shared.js';

// resolve-hooks is loaded by register.ts through a URL, never imported, so it is listed here.
export default packageBuild(import.meta.dirname, { 'resolve-hooks': 'src/resolve-hooks.ts' });

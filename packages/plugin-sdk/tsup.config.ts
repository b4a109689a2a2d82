import { packageBuild } from '../../tsup.shared.js';

// resolve-hooks and protocol are loaded by register.ts through a URL, never imported, so they are listed here.
export default packageBuild(import.meta.dirname, { 'resolve-hooks': 'src/resolve-hooks.ts', protocol: 'src/protocol.ts' });

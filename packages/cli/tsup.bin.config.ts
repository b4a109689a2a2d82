import { programBuild } from '../../tsup.shared.js';

// `exlab start --foreground` runs the tray's own build, which brings its own dependencies.
export default programBuild({ external: ['@exlab/tray'] });

import { programBuild } from '../../tsup.shared.js';

// `exlab start --foreground` runs the tray in this program, so the tray's outside packages are the CLI's too.
export default programBuild({ external: ['systray2', '@fastify/swagger-ui'] });

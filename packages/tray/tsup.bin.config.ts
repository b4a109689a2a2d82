import { programBuild } from '../../tsup.shared.js';

// systray2 runs a helper executable that ships in its own package folder, so it stays outside the bundle.
export default programBuild({ external: ['systray2', '@fastify/swagger-ui'] });

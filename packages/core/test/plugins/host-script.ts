// A small host process for the host-death test:
//   node --import tsx --conditions=@exlab/source host-script.ts <pluginRoot> <runFolder> <logDir>
// It runs one pass over <runFolder>/notes.txt and waits; the test SIGKILLs it mid-pass.
import { join } from 'node:path';
import { PluginHost, PluginRegistry } from '@exlab/core/plugins';

const [pluginRoot, dstRoot, logDir] = process.argv.slice(2) as [string, string, string];
const registry = new PluginRegistry({ bundledRoot: pluginRoot, labRoot: null });
await registry.reload();
const host = new PluginHost({ registry, logDir });
await host.runPass({
  dstRoot,
  files: [join(dstRoot, 'notes.txt')],
  context: {
    variables: {},
    answersFile: join(dstRoot, '.exlab-answers.yml'),
    templateName: 't',
    templateVersion: '1',
    runKind: 'experimental',
    equipmentId: 'CONFOCAL_01',
    project: 'PROJ-0001',
    runId: 'host-death',
  },
});

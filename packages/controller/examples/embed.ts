// Creates a run from a script, the way another lab tool embeds the controller.
//   npx tsx --conditions=@exlab/source packages/controller/examples/embed.ts <config.yaml> [EQUIPMENT_ID] [project name]
// (without --conditions it uses the built package: run `pnpm build` first).
import { createDefaultController } from '@exlab/controller';

const [configPath = process.env.EXLAB_CONFIG ?? 'config.yaml', equipment_id = 'CONFOCAL_01', project_name = 'Cortex Q3 Pilot'] =
  process.argv.slice(2);

// The three lines: a controller wired to the real services, a session, its outcome.
const controller = await createDefaultController(configPath);
const { session_id } = await controller.createRun({
  kind: 'run',
  equipment_id,
  project_name,
  template_path: 'imaging_run',
  label: 'Scripted calibration',
  operator: process.env.USER ?? 'operator',
  objective: 'Created from a script that embeds @exlab/controller.',
});
const outcome = await controller.settled(session_id);

console.log(JSON.stringify({ state: outcome.state, path: outcome.result?.path ?? null, error: outcome.error }));
process.exitCode = outcome.state === 'done' ? 0 : 1;

/**
 * Node.js flags the app's own processes (the tray) need on the running Node version: node:sqlite,
 * which holds the NAS sync queue, is behind `--experimental-sqlite` before 22.13 (the app supports
 * 22.12 and newer). Empty on current versions.
 */
export function nodeRuntimeFlags(version: string = process.versions.node): string[] {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major === 22 && minor < 13 ? ['--experimental-sqlite'] : [];
}

// Exit codes of the command groups that do not use the global usage code 64 (lifecycle.md C6, C7).
// program.ts gives their parse errors these codes; the commands return them. Kept apart from the
// commands so the program can register every command without loading any of them.

/** Exit code of `exlab problems|templates|plugins|create ...` for a usage error, a bad path or a missing config. */
export const COMMAND_USAGE_EXIT = 2;

/** Exit codes of `exlab plugins lint` (§6.9). */
export const LINT_EXIT = { clean: 0, warnings: 1, errors: 2, badPath: 3 } as const;

/** Exit codes of `exlab plugins exec` (§6.10). */
export const EXEC_EXIT = { ok: 0, failed: 1, loadFailed: 2, badFiles: 3, inputMissing: 4 } as const;

/** Commander option parser for repeatable `key=value` flags: collects every occurrence. */
export function collectKeyValue(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

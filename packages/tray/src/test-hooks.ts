import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';

/**
 * Hooks of `--testing` (lifecycle.md T5: development builds only), read from the environment so
 * the failure-injection suite can drive a real tray process:
 * - `EXLAB_TEST_HOLD_AFTER_LOCK=<file>`: after taking the lock, wait while `<file>` exists (T1).
 * - `EXLAB_TEST_BUSY_FILE=<file>`: while it exists, its integer content counts as active sessions (F9, F10).
 * - `EXLAB_TEST_DRAIN_MS`, `EXLAB_TEST_SIGNAL_DRAIN_MS`, `EXLAB_TEST_PROMPT_MS`: quit timings.
 */
export interface TestHooks {
  /** Waits while the hold file exists. */
  holdAfterLock(): Promise<void>;
  /** Extra active sessions reported by the busy file. */
  busySessions(): number;
  /** Quit timing overrides. */
  drainMs: number | undefined;
  signalDrainMs: number | undefined;
  promptAnswerMs: number | undefined;
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The hooks for `env`; inert unless `testing` is set. */
export function readTestHooks(env: Readonly<Record<string, string | undefined>>, testing: boolean): TestHooks {
  if (!testing) {
    return {
      holdAfterLock: async () => undefined,
      busySessions: () => 0,
      drainMs: undefined,
      signalDrainMs: undefined,
      promptAnswerMs: undefined,
    };
  }
  const hold = env.EXLAB_TEST_HOLD_AFTER_LOCK;
  const busy = env.EXLAB_TEST_BUSY_FILE;
  return {
    async holdAfterLock() {
      if (hold === undefined || hold === '') return;
      for (;;) {
        const held = await access(hold).then(
          () => true,
          () => false,
        );
        if (!held) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    busySessions() {
      if (busy === undefined || busy === '') return 0;
      try {
        return Number.parseInt(readFileSync(busy, 'utf8'), 10) || 0;
      } catch {
        return 0;
      }
    },
    drainMs: numberOf(env.EXLAB_TEST_DRAIN_MS),
    signalDrainMs: numberOf(env.EXLAB_TEST_SIGNAL_DRAIN_MS),
    promptAnswerMs: numberOf(env.EXLAB_TEST_PROMPT_MS),
  };
}

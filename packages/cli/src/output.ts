/** Where a command writes: stdout for results, stderr for problems. Injected so tests can capture it. */
export interface Output {
  /** Writes a line to standard output. */
  out(line: string): void;
  /** Writes a line to standard error. */
  err(line: string): void;
}

/** The process's real stdout and stderr. */
export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Plain code-unit order of two strings, for sorts whose result must not depend on the host:
 * `localeCompare` follows the ICU data and locale of the machine (core.md H13), and its first call
 * loads a collator, several milliseconds a process start does not need.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

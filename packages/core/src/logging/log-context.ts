import { AsyncLocalStorage } from 'node:async_hooks';
import { mergeLogTags, type LogTags } from './log-tags.js';

const storage = new AsyncLocalStorage<Readonly<LogTags>>();
const EMPTY: Readonly<LogTags> = Object.freeze({});

/**
 * Runs `fn` with `tags` added to the ambient log context (L2, §16.2.3). Nested scopes merge over the
 * outer one and the outer values return when `fn` ends; concurrent async tasks never see each other's tags.
 * An undefined or empty tag leaves the outer value in place.
 */
export function withLogContext<T>(tags: Readonly<LogTags>, fn: () => T): T {
  return storage.run(Object.freeze(mergeLogTags(storage.getStore(), tags)), fn);
}

/** The tags of the innermost active {@link withLogContext} scope; empty outside any scope. */
export function getLogContext(): Readonly<LogTags> {
  return storage.getStore() ?? EMPTY;
}

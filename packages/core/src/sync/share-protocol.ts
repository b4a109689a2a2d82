/**
 * What the tray and its share process (`share-child.ts`) say to each other: one request on the
 * command line, one JSON answer on stdout.
 */
import { z } from 'zod';

/** One operation on a mounted NAS share. */
export const ShareOpRequestSchema = z.discriminatedUnion('op', [
  /** The SHA-256 of every file under `root` (none when `root` is missing). */
  z.strictObject({ op: z.literal('hash'), root: z.string().min(1), skip: z.array(z.string()), includeCache: z.boolean() }),
  /** `copyFolder(source, destination, exclude)`: the push onto the share without rsync. */
  z.strictObject({ op: z.literal('copy'), source: z.string().min(1), destination: z.string().min(1), exclude: z.array(z.string()) }),
  /** Where `path` really is, whether it is a folder, whether that folder is empty (when asked), and its device. */
  z.strictObject({ op: z.literal('probe'), path: z.string().min(1), checkEmpty: z.boolean() }),
]);
/** One operation on a mounted NAS share. */
export type ShareOpRequest = z.infer<typeof ShareOpRequestSchema>;

/** The answer to each operation. */
export const ShareOpAnswerSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('hash'), digests: z.array(z.tuple([z.string(), z.string().regex(/^[0-9a-f]{64}$/)])) }),
  z.object({ op: z.literal('copy'), copied: z.number().int(), unchanged: z.number().int() }),
  z.object({
    op: z.literal('probe'),
    real: z.string().nullable(),
    directory: z.boolean(),
    empty: z.boolean().nullable(),
    dev: z.number().nullable(),
  }),
]);
/** The answer to an operation. */
export type ShareOpAnswer = z.infer<typeof ShareOpAnswerSchema>;

/** What the share process prints when the operation failed (exit 1): the OS error code and message. */
export const ShareOpErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** What the share process writes on stderr while bytes move (at most once a second). */
export const PROGRESS_TICK = '\u0006';

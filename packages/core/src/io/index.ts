/** File I/O: atomic writes, schema-checked reads, and a cross-process lock. */
export { writeFileAtomic, writeJsonAtomic, fsyncDirectory, type AtomicWriteOptions } from './atomic-write.js';
export { readJsonFile, parseWithSchema } from './read.js';
export { readYamlFile } from './read-yaml.js';
export { withFileLock, type FileLockOptions } from './lock.js';
export { allSettledOrThrow } from './settle.js';
export { compareCodeUnits } from './order.js';

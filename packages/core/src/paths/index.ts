/** OS directories, run path composition and name checks. */
export { resolveAppDirs, expandHome, type AppDirs, type AppDirsInput } from './app-dirs.js';
export {
  runStamp,
  runFolderName,
  equipmentDir,
  projectDir,
  runDir,
  checkEquipmentId,
  checkProjectName,
  type EquipmentLocationConfig,
  type NameProblem,
} from './layout.js';
export { isInside, resolveInsideRoots } from './inside.js';
export { enableModuleCompileCache, flushModuleCompileCacheSoon, COMPILE_CACHE_DIR_NAME } from './compile-cache.js';
export { corePackageDir } from './core-package.js';

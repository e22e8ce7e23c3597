/**
 * `node-storages/static`: Django's `collectstatic` and `ManifestStaticFilesStorage` for any
 * storage (docs/static-files.md).
 */
export { collectStatic } from './collect.js'
export type { CollectStaticOptions, CollectStaticResult, CollectProgress, FailedFile, ManifestOptions } from './collect.js'
export { manifestStorage, ManifestStorage } from './manifest-storage.js'
export type { ManifestStorageOptions } from './manifest-storage.js'
export { staticfilesConfigFromEnv } from './config.js'
export { postProcess, MAX_PASSES } from './post-process.js'
export type { PostProcessInput, PostProcessOptions, PostProcessResult } from './post-process.js'
export { parseManifest, serializeManifest, manifestHash, DEFAULT_MANIFEST_NAME, MANIFEST_VERSION } from './manifest-file.js'
export type { StaticManifest } from './manifest-file.js'
export { hashedName, looksHashed, IMMUTABLE_CACHE_CONTROL, DEFAULT_IGNORE_PATTERNS } from './names.js'

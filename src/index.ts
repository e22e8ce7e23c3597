/**
 * node-storages: one Storage interface over S3 (and S3-compatible stores), the local filesystem
 * and memory. Importing this module does not load the AWS SDK.
 */
export { Storage } from './core/storage.js'
export type {
  WriteRequest,
  TimeKind,
  BaseStorageOptions,
  NameLimits,
  ErrorContext,
  OpenedVersion,
  ReadRange,
  CleanupOptions,
} from './core/storage.js'
export * from './core/errors.js'
export { cleanName, safeJoin, getValidFilename, validateFileName, getAvailableOverwriteName } from './core/names.js'
export { filepathToUri } from './core/uri.js'
export type * from './core/types.js'
export { FileSystemStorage } from './backends/filesystem/storage.js'
export type { FileSystemStorageOptions } from './backends/filesystem/storage.js'
export { InMemoryStorage } from './backends/memory/storage.js'
export type { InMemoryStorageOptions } from './backends/memory/storage.js'
export { S3Storage } from './backends/s3/index.js'
export type { S3StorageOptions } from './backends/s3/index.js'
export { createStorage, createStorages, backendFromEnv } from './create.js'
export type { StorageConfig, StorageRegistry, BackendName, BackendFactory } from './create.js'
export type { LocalUrlOptions } from './core/local-urls.js'
export { LocalUrls } from './core/local-urls.js'
export type { LocalGrant, GrantCheck } from './core/signing.js'
export { signGrant, verifyGrant } from './core/signing.js'
export type { Check, DiagnoseOptions } from './core/diagnostics.js'
export { signedUrlVerifierOf, isSelfServing, isDiagnosable, isPolicyProvider } from './core/capabilities.js'
export type {
  SignedUrlVerifier,
  HasSignedUrlVerifier,
  SelfServing,
  Diagnosable,
  PolicyProvider,
  IamPolicyOptions,
} from './core/capabilities.js'
export type { EnvContext } from './core/options.js'

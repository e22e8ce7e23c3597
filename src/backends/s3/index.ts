/** The S3 backend: `S3Storage` and its options. Importing this module does not load the AWS SDK. */
export { S3Storage, MAX_KEY_BYTES } from './storage.js'
export type { S3StorageOptions, TransferConfig, CloudFrontSignerFunction } from './options.js'
export { DEFAULT_GZIP_CONTENT_TYPES } from './options.js'
export type { IamPolicy, IamStatement } from './policy.js'
export type { S3Action } from './iam.js'

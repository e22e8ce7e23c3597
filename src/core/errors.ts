/**
 * The error classes every backend throws. All extend `StorageError`, carry a stable `code`, the
 * name (key) they concern when there is one, and the provider's original error as `cause`.
 */

/** Options shared by every storage error. */
export interface StorageErrorOptions {
  /** The original error (an `fs` error, an S3 service exception, ...). */
  cause?: unknown
  /** The file name the operation concerned, as the caller gave it. */
  key?: string
  /** The operation that failed (`save`, `open`, `url`, ...). */
  operation?: string
}

/** Base class of every error node-storages throws. */
export class StorageError extends Error {
  /** A stable machine-readable code, e.g. `ENOENT` or `E_SUSPICIOUS`. */
  readonly code: string
  /** The file name concerned, when one applies. */
  readonly key?: string
  /** The operation that failed, when known. */
  readonly operation?: string

  constructor(message: string, options: StorageErrorOptions & { code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'E_STORAGE'
    if (options.key !== undefined) this.key = options.key
    if (options.operation !== undefined) this.operation = options.operation
  }
}

/** A name that is absolute, escapes `location`, holds control characters or has no file name. */
export class SuspiciousFileOperation extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'E_SUSPICIOUS' })
  }
}

/** The file does not exist. */
export class FileNotFoundError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'ENOENT' })
  }
}

/** The target name is taken and the storage does not overwrite (`fileOverwrite: false`). */
export class FileExistsError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'EEXIST' })
  }
}

/** The storage's options or environment are wrong; the message names the option and the fix. */
export class ImproperlyConfigured extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'E_CONFIG' })
  }
}

/** `createStorages().get(alias)` for an alias that has no configuration, or a bad backend. */
export class InvalidStorageError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'E_INVALID_STORAGE' })
  }
}

/** The backend does not support this method (e.g. `path()` on S3). */
export class NotImplementedError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, { ...options, code: 'E_NOT_IMPLEMENTED' })
  }
}

/** Options of `AccessDeniedError`. */
export interface AccessDeniedOptions extends StorageErrorOptions {
  bucket?: string
  /** The IAM action the request needs, e.g. `s3:GetObject`. */
  action?: string
}

/** The provider refused the request (S3 403, `EACCES`/`EPERM` on disk). */
export class AccessDeniedError extends StorageError {
  readonly bucket?: string
  readonly action?: string
  constructor(message: string, options: AccessDeniedOptions = {}) {
    super(message, { ...options, code: 'E_ACCESS_DENIED' })
    if (options.bucket !== undefined) this.bucket = options.bucket
    if (options.action !== undefined) this.action = options.action
  }
}

/** Options of `BucketNotFoundError`. */
export interface BucketNotFoundOptions extends StorageErrorOptions {
  bucket?: string
  region?: string
}

/** The configured bucket does not exist (S3 `NoSuchBucket`). */
export class BucketNotFoundError extends StorageError {
  readonly bucket?: string
  readonly region?: string
  constructor(message: string, options: BucketNotFoundOptions = {}) {
    super(message, { ...options, code: 'E_NO_SUCH_BUCKET' })
    if (options.bucket !== undefined) this.bucket = options.bucket
    if (options.region !== undefined) this.region = options.region
  }
}

/**
 * The error classes every backend throws. All extend `StorageError` and carry a stable `code`
 * (one class per code), the HTTP `status` a server should answer its own client with, whether the
 * message is safe to show that client (`expose`), the name (key) concerned, the operation, and
 * the provider's original error as `cause`. Class names are string literals, so a minifier that
 * renames classes does not change `error.name`.
 */

/** Every code a `StorageError` can carry; one class per code. */
export type StorageErrorCode =
  | 'E_STORAGE'
  | 'E_SUSPICIOUS'
  | 'ENOENT'
  | 'EEXIST'
  | 'EISDIR'
  | 'E_CONFIG'
  | 'E_INVALID_STORAGE'
  | 'E_NOT_IMPLEMENTED'
  | 'E_ACCESS_DENIED'
  | 'E_NO_SUCH_BUCKET'
  | 'E_CLOCK_SKEW'
  | 'E_INVALID_NAME'
  | 'E_INVALID_RANGE'
  | 'E_INVALID_ARGUMENT'
  | 'E_INVALID_CONTENT'
  | 'E_CONTENT'
  | 'E_NO_URL'
  | 'E_TOO_LARGE'
  | 'E_UNSUPPORTED_TYPE'
  | 'E_BAD_REQUEST'
  | 'E_TIMEOUT'
  | 'E_UNAVAILABLE'

/** The public operations an error can concern (the `Storage` method, or `write` for write streams). */
export type StorageOperation =
  | 'save'
  | 'write'
  | 'open'
  | 'read'
  | 'delete'
  | 'exists'
  | 'list'
  | 'stat'
  | 'url'
  | 'path'
  | 'copy'
  | 'move'
  | 'signedUploadUrl'
  | 'cleanup'
  | 'upload'
  | 'serve'

/** How each operation reads in a sentence: "Unable to <verb> 'name'". */
export const OPERATION_VERBS: Readonly<Record<StorageOperation, string>> = {
  save: 'save',
  write: 'write',
  open: 'open',
  read: 'read',
  delete: 'delete',
  exists: 'check for',
  list: 'list',
  stat: 'read the details of',
  url: 'make a URL for',
  path: 'find the path of',
  copy: 'copy',
  move: 'move',
  signedUploadUrl: 'sign an upload URL for',
  cleanup: 'clean up',
  upload: 'accept the upload of',
  serve: 'serve',
}

/** Options shared by every storage error. */
export interface StorageErrorOptions {
  /** The original error (an `fs` error, an S3 service exception, ...). */
  cause?: unknown
  /** The file name the operation concerned, as the caller gave it. */
  key?: string
  /** The operation that failed. */
  operation?: StorageOperation
  /** Overrides the class's HTTP status (a provider failure: 502 or 503). */
  status?: number
}

/** Base class of every error node-storages throws; on its own, a provider failure (`E_STORAGE`, 500). */
export class StorageError extends Error {
  /** A stable machine-readable code, e.g. `ENOENT` or `E_SUSPICIOUS`. */
  readonly code: StorageErrorCode
  /** The HTTP status a server should answer its client with (400 bad name, 404 missing, ...). */
  readonly status: number
  /** Whether the message is safe to show the client (true for 4xx caused by the request). */
  readonly expose: boolean
  /** The file name concerned, when one applies. */
  readonly key?: string
  /** The operation that failed, when known. */
  readonly operation?: StorageOperation

  constructor(message: string, options: StorageErrorOptions = {}, code: StorageErrorCode = 'E_STORAGE', status = 500, expose = false) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StorageError'
    this.code = code
    this.status = options.status ?? status
    this.expose = expose
    if (options.key !== undefined) this.key = options.key
    if (options.operation !== undefined) this.operation = options.operation
  }
}

/** A name that is absolute, escapes `location`, holds control characters or has no file name (400). */
export class SuspiciousFileOperation extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_SUSPICIOUS', 400, true)
    this.name = 'SuspiciousFileOperation'
  }
}

/** The file does not exist (404). */
export class FileNotFoundError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'ENOENT', 404, true)
    this.name = 'FileNotFoundError'
  }
}

/** The target name is taken and the storage does not overwrite (`fileOverwrite: false`) (409). */
export class FileExistsError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'EEXIST', 409, true)
    this.name = 'FileExistsError'
  }
}

/** The name is a directory where a file was expected (404: there is no such file). */
export class IsADirectoryError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'EISDIR', 404, true)
    this.name = 'IsADirectoryError'
  }
}

/** The storage's options or environment are wrong; the message names the option and the fix (500). */
export class ImproperlyConfigured extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_CONFIG', 500, false)
    this.name = 'ImproperlyConfigured'
  }
}

/** `createStorages().get(alias)` for an alias that has no configuration, or a bad backend (500). */
export class InvalidStorageError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_INVALID_STORAGE', 500, false)
    this.name = 'InvalidStorageError'
  }
}

/** The backend (or the server behind it) does not support this (e.g. `path()` on S3) (501). */
export class NotImplementedError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_NOT_IMPLEMENTED', 501, false)
    this.name = 'NotImplementedError'
  }
}

/** Options of `AccessDeniedError`. */
export interface AccessDeniedOptions extends StorageErrorOptions {
  bucket?: string
  /** The IAM action the request needs, e.g. `s3:GetObject`. */
  action?: string
}

/** The provider refused the request (S3 403, `EACCES`/`EPERM` on disk): the app's setup, not the client (500). */
export class AccessDeniedError extends StorageError {
  readonly bucket?: string
  readonly action?: string
  constructor(message: string, options: AccessDeniedOptions = {}) {
    super(message, options, 'E_ACCESS_DENIED', 500, false)
    this.name = 'AccessDeniedError'
    if (options.bucket !== undefined) this.bucket = options.bucket
    if (options.action !== undefined) this.action = options.action
  }
}

/** Options of `BucketNotFoundError`. */
export interface BucketNotFoundOptions extends StorageErrorOptions {
  bucket?: string
  region?: string
}

/** The configured bucket does not exist (S3 `NoSuchBucket`) (500). */
export class BucketNotFoundError extends StorageError {
  readonly bucket?: string
  readonly region?: string
  constructor(message: string, options: BucketNotFoundOptions = {}) {
    super(message, options, 'E_NO_SUCH_BUCKET', 500, false)
    this.name = 'BucketNotFoundError'
    if (options.bucket !== undefined) this.bucket = options.bucket
    if (options.region !== undefined) this.region = options.region
  }
}

/** The provider refused the request because this machine's clock is off (S3 `RequestTimeTooSkewed`) (500). */
export class ClockSkewError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_CLOCK_SKEW', 500, false)
    this.name = 'ClockSkewError'
  }
}

/** A name argument that cannot name a file for this call (empty, the storage root) (400). */
export class InvalidNameError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_INVALID_NAME', 400, true)
    this.name = 'InvalidNameError'
  }
}

/** A byte range that cannot be read: not whole numbers, backwards, or past the end (416). */
export class InvalidRangeError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_INVALID_RANGE', 416, true)
    this.name = 'InvalidRangeError'
  }
}

/** An argument other than a name is out of range (an expiry, a size limit) (400). */
export class InvalidArgumentError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_INVALID_ARGUMENT', 400, true)
    this.name = 'InvalidArgumentError'
  }
}

/** `save()` was given content of a type it does not accept (400). */
export class InvalidContentError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_INVALID_CONTENT', 400, true)
    this.name = 'InvalidContentError'
  }
}

/** The content failed while it was being read (a client that went away, a missing source file) (400). */
export class ContentError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_CONTENT', 400, true)
    this.name = 'ContentError'
  }
}

/** The storage gives no URLs (`baseUrl: null`) (500). */
export class NoUrlError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_NO_URL', 500, false)
    this.name = 'NoUrlError'
  }
}

/** An upload over a size or count limit (413). */
export class PayloadTooLargeError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_TOO_LARGE', 413, true)
    this.name = 'PayloadTooLargeError'
  }
}

/** A request body or upload of a type that is not accepted (415). */
export class UnsupportedMediaTypeError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_UNSUPPORTED_TYPE', 415, true)
    this.name = 'UnsupportedMediaTypeError'
  }
}

/** A malformed request (a broken multipart body, a body shorter than its `Content-Length`) (400). */
export class BadRequestError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_BAD_REQUEST', 400, true)
    this.name = 'BadRequestError'
  }
}

/** The provider did not answer in time (`connectTimeout`/`readTimeout`) (504). */
export class TimeoutError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_TIMEOUT', 504, false)
    this.name = 'TimeoutError'
  }
}

/** The provider is throttling or unavailable (S3 503 `SlowDown`) (503). */
export class ServiceUnavailableError extends StorageError {
  constructor(message: string, options: StorageErrorOptions = {}) {
    super(message, options, 'E_UNAVAILABLE', 503, false)
    this.name = 'ServiceUnavailableError'
  }
}

/** Whether `error` is a `StorageError`, also one from another copy of the package (ESM and CommonJS side by side). */
export function isStorageError(error: unknown): error is StorageError {
  if (error instanceof StorageError) return true
  const e = error as Partial<StorageError> | null
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.code === 'string' &&
    typeof e.status === 'number' &&
    typeof e.expose === 'boolean' &&
    e instanceof Error
  )
}

/**
 * The HTTP status and the message a server may show its client for any error: a `StorageError`'s
 * own `status`, with its message only when `expose`; anything else 500 with a generic message.
 */
export function httpErrorOf(error: unknown): { status: number; message: string; code?: StorageErrorCode } {
  if (isStorageError(error)) {
    return { status: error.status, message: error.expose ? error.message : genericMessage(error.status), code: error.code }
  }
  return { status: 500, message: genericMessage(500) }
}

function genericMessage(status: number): string {
  if (status === 504) return 'The storage did not answer in time.'
  if (status === 503) return 'The storage is unavailable; try again later.'
  if (status === 501) return 'Not implemented.'
  return 'Internal server error.'
}

/**
 * The generic half of error wrapping: what an error becomes when the backend's own `mapError`
 * has nothing to say. Node `fs` codes map to their classes; anything else becomes a
 * `StorageError` naming the operation and the file, with the original as `cause`.
 */
import {
  AccessDeniedError,
  FileExistsError,
  FileNotFoundError,
  InvalidNameError,
  IsADirectoryError,
  OPERATION_VERBS,
  StorageError,
  type StorageOperation,
} from './errors.js'

/** What a backend's `mapError` is told about the failed call. */
export interface ErrorContext {
  /** The public method that failed. */
  operation: StorageOperation
  /** The name as the caller gave it (quoted in messages). */
  name: string
  /** The resolved name (relative to `location`, normalised), when the name resolved. */
  resolved?: string
}

/** Whether `error` is an abort (the caller's signal, or a stream destroyed as aborted). */
export function isAbortError(error: unknown): boolean {
  return (error as Error)?.name === 'AbortError'
}

/** The generic mapping of an error that is not a `StorageError` and that the backend did not map. */
export function genericStorageError(error: unknown, { operation, name }: ErrorContext): StorageError {
  const code = (error as NodeJS.ErrnoException)?.code
  const opts = { cause: error, key: name, operation }
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FileNotFoundError(`File does not exist: '${name}'.`, opts)
  if (code === 'EEXIST') return new FileExistsError(`File '${name}' already exists.`, opts)
  if (code === 'EACCES' || code === 'EPERM') {
    return new AccessDeniedError(`Access denied to '${name}' (${operation}): check the permissions of the storage location.`, opts)
  }
  if (code === 'EISDIR') return new IsADirectoryError(`'${name}' is a directory, not a file.`, opts)
  if (code === 'ENAMETOOLONG') return new InvalidNameError(`The name '${name}' is too long for this file system: use a shorter name.`, opts)
  const message = (error as Error)?.message ?? String(error)
  return new StorageError(`Unable to ${OPERATION_VERBS[operation]} '${name}': ${message}`, opts)
}

/** The S3 backend (placeholder until the S3 issue lands). */
import { Storage } from '../../core/storage.js'
import { ImproperlyConfigured } from '../../core/errors.js'
import type { Env } from '../../core/env.js'

/** Options of `S3Storage` (filled in by the S3 backend). */
export type S3StorageOptions = Record<string, unknown>

/** S3 and S3-compatible object storage. Not available yet in this version. */
export class S3Storage extends Storage {
  constructor(_options: S3StorageOptions = {}, _env: Env = process.env) {
    super()
    throw new ImproperlyConfigured('The S3 backend is not yet available in this version of node-storages: use the filesystem or memory backend.')
  }
  protected _save(): Promise<string> { throw new Error('unreachable') }
  protected _open(): Promise<never> { throw new Error('unreachable') }
  protected _delete(): Promise<void> { throw new Error('unreachable') }
  protected _exists(): Promise<boolean> { throw new Error('unreachable') }
  protected _listdir(): Promise<[string[], string[]]> { throw new Error('unreachable') }
  protected _list(): AsyncIterable<never> { throw new Error('unreachable') }
  protected _stat(): Promise<never> { throw new Error('unreachable') }
  protected _url(): string { throw new Error('unreachable') }
}

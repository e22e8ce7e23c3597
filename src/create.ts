/**
 * `createStorage()` and `createStorages()`: building storages from a config object or from the
 * environment (docs/configuration.md), Django's `STORAGES` for Node.
 */
import { Storage } from './core/storage.js'
import { ImproperlyConfigured, InvalidStorageError } from './core/errors.js'
import { envBool, envValue, type Env } from './core/env.js'
import type { EnvContext } from './core/options.js'
import { FileSystemStorage, type FileSystemStorageOptions } from './backends/filesystem/storage.js'
import { InMemoryStorage, type InMemoryStorageOptions } from './backends/memory/storage.js'
import { S3Storage, type S3StorageOptions } from './backends/s3/index.js'

/** The built-in backends by name. */
export type BackendName = 'filesystem' | 's3' | 'memory'

/** A `Storage` subclass, or a function returning a storage for the options. */
export type BackendFactory = (new (options: any) => Storage) | ((options: any) => Storage)

/** What `createStorage()` takes: a backend and that backend's options. */
export type StorageConfig =
  | ({ backend: 'filesystem' } & FileSystemStorageOptions)
  | ({ backend: 'memory' } & InMemoryStorageOptions)
  | ({ backend: 's3' } & S3StorageOptions)
  | ({ backend: BackendFactory } & Record<string, unknown>)

const BACKENDS: readonly BackendName[] = ['filesystem', 's3', 'memory']

/**
 * The backend the environment asks for: `STORAGE_BACKEND` when set; else S3 when
 * `USE_S3_STORAGE` is true, or when `NODE_ENV=production` and `AWS_STORAGE_BUCKET_NAME` is set
 * (`USE_S3_STORAGE=false` forces the filesystem); else the filesystem.
 */
export function backendFromEnv(env: Env = process.env): BackendName {
  const named = envValue(env, 'STORAGE_BACKEND')
  if (named !== undefined) {
    const backend = named.trim().toLowerCase() as BackendName
    if (!BACKENDS.includes(backend)) {
      throw new ImproperlyConfigured(
        `Environment variable STORAGE_BACKEND=${JSON.stringify(named)} is not a backend: use filesystem, s3 or memory.`,
      )
    }
    return backend
  }
  const useS3 = envBool(env, 'USE_S3_STORAGE')
  if (useS3 !== undefined) return useS3 ? 's3' : 'filesystem'
  if (envValue(env, 'NODE_ENV') === 'production' && envValue(env, 'AWS_STORAGE_BUCKET_NAME') !== undefined) return 's3'
  return 'filesystem'
}

function isStorageClass(fn: BackendFactory): fn is new (options: any) => Storage {
  return typeof fn === 'function' && (fn.prototype instanceof Storage || fn === (Storage as unknown))
}

/**
 * A storage from `config`, or from the environment when there is none: the filesystem backend at
 * `MEDIA_ROOT` (default `./media`) served under `MEDIA_URL` (default `/media/`), or S3 from the
 * django-storages `AWS_*` variables (see backendFromEnv). A built-in backend named in `config`
 * takes every option `config` leaves unset from `env` (its `fromEnv()`); a `Storage` class or
 * factory gets `config`'s options only. `env` defaults to `process.env`.
 */
export function createStorage(config?: StorageConfig, env: Env = process.env): Storage {
  return buildStorage(config ?? { backend: backendFromEnv(env) }, env, {})
}

function buildStorage(config: StorageConfig, env: Env, context: EnvContext): Storage {
  const { backend, ...options } = config as { backend: BackendName | BackendFactory } & Record<string, unknown>
  if (typeof backend === 'function') {
    const storage = isStorageClass(backend) ? new backend(options) : (backend as (o: unknown) => Storage)(options)
    if (!(storage instanceof Storage)) throw new InvalidStorageError('The backend factory did not return a Storage.')
    return storage
  }
  switch (backend) {
    case 'filesystem':
      return FileSystemStorage.fromEnv(env, options as FileSystemStorageOptions, context)
    case 'memory':
      return InMemoryStorage.fromEnv(env, options as InMemoryStorageOptions, context)
    case 's3':
      return S3Storage.fromEnv(env, options as S3StorageOptions, context)
    default:
      throw new InvalidStorageError(
        `Could not find backend '${String(backend)}': use 'filesystem', 's3' or 'memory', or pass a Storage class.`,
      )
  }
}

/** Named storages, each built on first `get()` and then reused (Django's `storages`). */
export interface StorageRegistry {
  /** The storage of `alias`, built once; an unknown alias throws `InvalidStorageError`. */
  get(alias: string): Storage
  /** Whether `alias` is configured. */
  has(alias: string): boolean
  /** The configured aliases. */
  readonly aliases: string[]
}

/**
 * A registry of named storages, e.g. `{ default: {...}, staticfiles: {...} }`, built lazily.
 * The environment's connection settings (credentials, bucket, region, endpoint, …) apply to
 * every alias; settings that widen access (`AWS_DEFAULT_ACL`, `AWS_QUERYSTRING_AUTH=false`,
 * `AWS_S3_CUSTOM_DOMAIN` without CloudFront keys, `AWS_LOCATION`) only to `default`: another
 * alias is private unless its own config says otherwise (docs/configuration.md, "Named storages and the environment").
 */
export function createStorages(configs: Record<string, StorageConfig>, env: Env = process.env): StorageRegistry {
  const built = new Map<string, Storage>()
  return {
    get(alias: string): Storage {
      let storage = built.get(alias)
      if (storage) return storage
      if (!Object.hasOwn(configs, alias)) {
        throw new InvalidStorageError(
          `Could not find config for '${alias}' in the storages configuration (configured: ${Object.keys(configs).join(', ') || 'none'}).`,
        )
      }
      storage = buildStorage(configs[alias]!, env, { alias })
      built.set(alias, storage)
      return storage
    },
    has: (alias: string) => Object.hasOwn(configs, alias),
    get aliases() {
      return Object.keys(configs)
    },
  }
}

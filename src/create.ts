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
import { describeUnread, filesystemInProduction, unreadVariables } from './backends/s3/env-hints.js'

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

/** The warning codes already emitted by this process (each is emitted once). */
const warned = new Set<string>()

/**
 * Emits `message` (when there is one) as a `NodeStoragesWarning` with `code`, once per process:
 * `process.on('warning')` sees it, and Node prints it to stderr unless warnings are silenced.
 */
function warnOnce(code: string, message: string | undefined): void {
  if (!message || warned.has(code)) return
  warned.add(code)
  process.emitWarning(message, { type: 'NodeStoragesWarning', code })
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
      if (context.alias === undefined || context.alias === 'default')
        warnOnce('NODE_STORAGES_S3_SETTINGS_IGNORED', filesystemInProduction(env, backend))
      return FileSystemStorage.fromEnv(env, options as FileSystemStorageOptions, context)
    case 'memory':
      return InMemoryStorage.fromEnv(env, options as InMemoryStorageOptions, context)
    case 's3': {
      const unread = unreadVariables(env)
      if (unread.length) warnOnce('NODE_STORAGES_UNREAD_VARIABLE', describeUnread(unread))
      try {
        return S3Storage.fromEnv(env, options as S3StorageOptions, context)
      } catch (error) {
        // A missing setting whose variable was set under a guide's name: say so in the error too.
        if (!unread.length || !(error instanceof ImproperlyConfigured)) throw error
        throw new ImproperlyConfigured(`${error.message} ${describeUnread(unread)}`, { cause: error })
      }
    }
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
  /** The configured aliases (`staticfiles` from the environment is not listed unless configured). */
  readonly aliases: string[]
}

/**
 * A registry of named storages, e.g. `{ default: {...}, staticfiles: {...} }`, built lazily.
 * The environment's connection settings (credentials, bucket, region, endpoint, …) apply to
 * every alias; settings that widen access (`AWS_DEFAULT_ACL`, `AWS_QUERYSTRING_AUTH=false`,
 * `AWS_S3_CUSTOM_DOMAIN` without CloudFront keys, `AWS_LOCATION`) only to `default`: another
 * alias is private unless its own config says otherwise (docs/configuration.md, "Named storages and the environment").
 * Without `configs`, the `default` alias comes from the environment (`backendFromEnv`); a
 * `staticfiles` alias not configured comes from `staticfilesConfigFromEnv` (collectstatic's).
 */
export function createStorages(given?: Record<string, StorageConfig>, env: Env = process.env): StorageRegistry {
  const configs: Record<string, StorageConfig> = given ?? { default: { backend: backendFromEnv(env) } as StorageConfig }
  const built = new Map<string, Storage>()
  return {
    get(alias: string): Storage {
      let storage = built.get(alias)
      if (storage) return storage
      const config = Object.hasOwn(configs, alias) ? configs[alias] : alias === 'staticfiles' ? staticfilesConfigFromEnv(env) : undefined
      if (!config) {
        throw new InvalidStorageError(
          `Could not find config for '${alias}' in the storages configuration (configured: ${Object.keys(configs).join(', ') || 'none'}).`,
        )
      }
      storage = buildStorage(config, env, { alias })
      built.set(alias, storage)
      return storage
    },
    has: (alias: string) => Object.hasOwn(configs, alias) || alias === 'staticfiles',
    get aliases() {
      return Object.keys(configs)
    },
  }
}

/**
 * The `staticfiles` alias `createStorages()` knows without a config: with S3 selected (see
 * `backendFromEnv`), the bucket of the `AWS_*` variables under location `AWS_STATIC_LOCATION`
 * (default `static`) with unsigned URLs (static files are public); otherwise the filesystem at
 * `STATIC_ROOT` (default `./static`) served under `STATIC_URL` (default `/static/`), or memory.
 */
export function staticfilesConfigFromEnv(env: Env = process.env): StorageConfig {
  const backend = backendFromEnv(env)
  const baseUrl = envValue(env, 'STATIC_URL') ?? '/static/'
  switch (backend) {
    case 's3':
      return { backend: 's3', location: envValue(env, 'AWS_STATIC_LOCATION') ?? 'static', querystringAuth: false }
    case 'memory':
      return { backend: 'memory', baseUrl }
    default:
      return { backend: 'filesystem', location: envValue(env, 'STATIC_ROOT') ?? './static', baseUrl }
  }
}

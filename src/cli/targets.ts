/**
 * Which storages a command works on: the one the environment configures (as `createStorage()`),
 * or the aliases of a config module (`--config FILE`, exporting the `createStorages()` config as
 * its default export or as `storages`; a registry made by `createStorages()` is taken too), one
 * (`--alias NAME`, default `default`) or all of them (`--all`).
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { FileSystemStorage } from '../backends/filesystem/storage.js'
import { backendFromEnv, createStorage, createStorages, type StorageConfig, type StorageRegistry } from '../create.js'
import type { Env } from '../core/env.js'
import { ImproperlyConfigured } from '../core/errors.js'
import type { Storage } from '../core/storage.js'

/** How the command line picks storages. */
export interface TargetOptions {
  /** A config module (`--config FILE`). */
  config?: string
  /** One alias of it (`--alias NAME`, default `default`). */
  alias?: string
  /** Every alias of it (`--all`). */
  all?: boolean
}

/** One storage to work on, built on demand (building may throw `ImproperlyConfigured`). */
export interface Target {
  /** The alias, for a config module; undefined for the environment's storage. */
  alias?: string
  /** The backend's name when known (`filesystem`, `s3`, `memory`), for checks that depend on it. */
  backend?: string
  build(): Storage
}

/** A usage error of the command line (exit code 2). */
export class UsageError extends Error {}

function isRegistry(value: unknown): value is StorageRegistry {
  const v = value as Partial<StorageRegistry> | null
  return typeof v === 'object' && v !== null && typeof v.get === 'function' && Array.isArray(v.aliases)
}

/** Loads a config module: its `storages` export, else its default export; a config object or a registry. */
export async function loadConfigModule(
  file: string,
  env: Env,
): Promise<{ registry: StorageRegistry; configs?: Record<string, StorageConfig> }> {
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>
  } catch (error) {
    throw new ImproperlyConfigured(`Could not load the config module '${file}': ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    })
  }
  const value = mod.storages ?? mod.default
  if (isRegistry(value)) return { registry: value }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const configs = value as Record<string, StorageConfig>
    return { registry: createStorages(configs, env), configs }
  }
  throw new ImproperlyConfigured(
    `The config module '${file}' must export the createStorages() config (an object of aliases, e.g. { default: { backend: 's3' } }) ` +
      'as its default export or as `storages`.',
  )
}

/** The storages `options` select, each built on demand. */
export async function targetsOf(options: TargetOptions, env: Env): Promise<Target[]> {
  if (!options.config) {
    if (options.all) throw new UsageError('--all needs --config FILE (a module exporting the createStorages() config).')
    if (options.alias && options.alias !== 'default')
      throw new UsageError('--alias needs --config FILE (a module exporting the createStorages() config).')
    return [{ build: () => createStorage(undefined, env), backend: backendFromEnv(env) }]
  }
  const { registry, configs } = await loadConfigModule(options.config, env)
  const aliases = options.all ? registry.aliases : [options.alias ?? 'default']
  if (!aliases.length) throw new ImproperlyConfigured(`The config module '${options.config}' configures no alias.`)
  return aliases.map((alias) => {
    const backend = configs?.[alias]?.backend
    return {
      alias,
      ...(typeof backend === 'string' ? { backend } : {}),
      build: () => registry.get(alias),
    }
  })
}

/** The backend name of a built storage whose config did not say (a registry export): only `filesystem` matters to doctor. */
export function backendOf(target: Target, storage: Storage): string | undefined {
  return target.backend ?? (storage instanceof FileSystemStorage ? 'filesystem' : undefined)
}

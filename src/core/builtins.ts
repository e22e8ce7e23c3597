/**
 * Node built-ins loaded on first use instead of at import, so importing node-storages and
 * creating a filesystem storage pays only for what that needs (bench/cold-start.ts measures it).
 * Worker threads (offloaded saves), zlib (gzip), https (S3), crypto (temporary names, HMAC) and
 * the stream stack are all some paths' business. A built-in is compiled into Node: loading one
 * reads no file, so doing it synchronously on a request path is fine, and it happens once.
 *
 * `import … from 'node:fs'` in ESM is no cheaper than a lazy load: its ES module facade reads
 * every export, and `fs.ReadStream`'s getter loads the whole stream stack. Code that needs only
 * promises and `constants` imports `node:fs/promises`; callbacks and streams come from
 * `builtin('node:fs')`, the CommonJS object, whose getters run only when used.
 */
import { createRequire } from 'node:module'

/** The built-ins loaded lazily, by id. */
export interface LazyBuiltins {
  'node:crypto': typeof import('node:crypto')
  'node:fs': typeof import('node:fs')
  'node:http': typeof import('node:http')
  'node:https': typeof import('node:https')
  'node:os': typeof import('node:os')
  'node:stream': typeof import('node:stream')
  'node:stream/promises': typeof import('node:stream/promises')
  'node:timers/promises': typeof import('node:timers/promises')
  'node:util': typeof import('node:util')
  'node:worker_threads': typeof import('node:worker_threads')
  'node:zlib': typeof import('node:zlib')
}

const loaded = new Map<string, unknown>()
let requireBuiltin: ((id: string) => unknown) | undefined

/**
 * The built-in `id`, loaded on the first call and cached: `process.getBuiltinModule` where
 * Node has it (20.16+, 22.3+), else `require` (Node 20 before 20.16).
 */
export function builtin<Id extends keyof LazyBuiltins>(id: Id): LazyBuiltins[Id] {
  let mod = loaded.get(id)
  if (mod === undefined) {
    if (typeof process.getBuiltinModule === 'function') mod = process.getBuiltinModule(id)
    else mod = (requireBuiltin ??= createRequire(import.meta.url))(id)
    loaded.set(id, mod)
  }
  return mod as LazyBuiltins[Id]
}

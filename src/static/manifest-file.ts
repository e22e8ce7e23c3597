/**
 * `staticfiles.json`, byte for byte as Django writes it: `{"paths": {...}, "version": "1.1",
 * "hash": "..."}` in Python's `json.dumps` form (`", "` and `": "` separators, non-ASCII as
 * `\uXXXX`), the hash being the first 12 hex of the MD5 of the sorted `[name, hashed]` pairs
 * dumped the same way. Reading accepts versions 1.0 and 1.1, as Django does.
 */
import { ImproperlyConfigured } from '../core/errors.js'
import { md5Hex } from './names.js'

/** Django's `manifest_version`. */
export const MANIFEST_VERSION = '1.1'

/** Django's default `manifest_name`. */
export const DEFAULT_MANIFEST_NAME = 'staticfiles.json'

/** A loaded or built manifest. */
export interface StaticManifest {
  /** Name → hashed name. */
  paths: Record<string, string>
  /** The manifest's `hash` (12 hex of the MD5 of its sorted paths; `''` when absent). */
  hash: string
}

/** A string as Python's `json.dumps` writes it (`ensure_ascii`: everything outside space..`~` escaped). */
export function pythonJsonString(value: string): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/** The sorted `[name, hashed]` pairs of `paths`. */
function sortedPairs(paths: Record<string, string> | ReadonlyMap<string, string>): [string, string][] {
  const pairs = paths instanceof Map ? [...paths] : Object.entries(paths as Record<string, string>)
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Django's `manifest_hash`: 12 hex of the MD5 of `json.dumps(sorted(paths.items()))`. */
export function manifestHash(paths: Record<string, string> | ReadonlyMap<string, string>): string {
  const dumped =
    '[' +
    sortedPairs(paths)
      .map(([k, v]) => `[${pythonJsonString(k)}, ${pythonJsonString(v)}]`)
      .join(', ') +
    ']'
  return md5Hex(dumped).slice(0, 12)
}

/** The bytes of `staticfiles.json` for `paths` (sorted by name), and its hash. */
export function serializeManifest(paths: Record<string, string> | ReadonlyMap<string, string>): { bytes: Buffer; hash: string } {
  const pairs = sortedPairs(paths)
  const hash = manifestHash(paths)
  const body = pairs.map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonString(v)}`).join(', ')
  const text = `{"paths": {${body}}, "version": ${pythonJsonString(MANIFEST_VERSION)}, "hash": ${pythonJsonString(hash)}}`
  return { bytes: Buffer.from(text, 'utf8'), hash }
}

/**
 * Parses a manifest (versions 1.0 and 1.1). Anything else throws `ImproperlyConfigured` naming
 * the manifest, as Django's "Couldn't load manifest".
 */
export function parseManifest(text: string, manifestName = DEFAULT_MANIFEST_NAME): StaticManifest {
  let stored: unknown
  try {
    stored = JSON.parse(text)
  } catch (error) {
    throw new ImproperlyConfigured(`Couldn't load manifest '${manifestName}': it is not JSON. Run collectstatic with the manifest again.`, {
      key: manifestName,
      cause: error,
    })
  }
  const s = stored as { version?: unknown; paths?: unknown; hash?: unknown } | null
  if (!s || typeof s !== 'object' || (s.version !== '1.0' && s.version !== '1.1')) {
    const version = s && typeof s === 'object' ? String(s.version) : 'none'
    throw new ImproperlyConfigured(
      `Couldn't load manifest '${manifestName}' (version ${version}; expected ${MANIFEST_VERSION} or 1.0). Run collectstatic with the manifest again.`,
      { key: manifestName },
    )
  }
  const paths: Record<string, string> = {}
  if (s.paths && typeof s.paths === 'object') {
    for (const [k, v] of Object.entries(s.paths as Record<string, unknown>)) if (typeof v === 'string') paths[k] = v
  }
  return { paths, hash: typeof s.hash === 'string' ? s.hash : '' }
}

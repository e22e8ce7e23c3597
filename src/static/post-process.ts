/**
 * Django's `ManifestStaticFilesStorage` post-processing, in memory: every collected file gets a
 * hashed name from its content; CSS and JS files get their references rewritten to hashed names
 * first, and are hashed from the rewritten bytes. Nested references (a CSS file importing a CSS
 * file that references an image) are resolved the way Django does it: one pass over all files,
 * deepest directories first, then up to five more passes over the adjustable files until no
 * hashed name changes (a reference loop fails with "Max post-process passes exceeded").
 */
import { FileNotFoundError, InvalidContentError, StorageError } from '../core/errors.js'
import { hashedName, md5Hex } from './names.js'
import { adjustableKind, rewriteReferences, type ConvertContext } from './references.js'

/** Django's `max_post_process_passes`. */
export const MAX_PASSES = 5

/** One collected file as post-processing sees it. */
export interface PostProcessInput {
  /** MD5 (hex) of the file's bytes. */
  md5: string
  /** The bytes, for CSS and JS files (the only ones whose content is rewritten). */
  content?: Buffer
}

/** Options of `postProcess`. */
export interface PostProcessOptions {
  /** `STATIC_URL` (default `/static/`): `/`-rooted references under it name collected files. */
  staticUrl?: string
  /**
   * A reference to a file that is not collected fails the run, naming both files (default
   * true, Django's behaviour); false leaves the reference as it is and calls `onWarning`.
   */
  strict?: boolean
  /** Receives the warnings of non-strict runs. */
  onWarning?: (message: string) => void
}

/** What post-processing produced. */
export interface PostProcessResult {
  /** Name → hashed name, for every file (the manifest's `paths`). */
  paths: Map<string, string>
  /** Name → rewritten bytes, for the CSS and JS files (stored under the hashed name). */
  rewritten: Map<string, Buffer>
}

/** Django's `path_level`: deeper names first, then by name for a stable order. */
function deepestFirst(names: Iterable<string>): string[] {
  return [...names].sort().sort((a, b) => b.split('/').length - a.split('/').length)
}

function decode(name: string, content: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(content)
  } catch (error) {
    throw new InvalidContentError(`Could not post-process '${name}': it is not UTF-8 text, so its references cannot be rewritten.`, {
      key: name,
      cause: error,
    })
  }
}

/**
 * Hashed names and rewritten contents for `files` (name → MD5 and, for CSS/JS, content).
 * Throws `FileNotFoundError` for a reference to a file that is not collected (strict), naming
 * the referencing file and the missing one; `InvalidContentError` for CSS/JS that is not UTF-8;
 * `StorageError` when references loop.
 */
export function postProcess(files: ReadonlyMap<string, PostProcessInput>, options: PostProcessOptions = {}): PostProcessResult {
  const staticUrl = options.staticUrl ?? '/static/'
  const strict = options.strict ?? true
  const paths = new Map<string, string>()
  const rewritten = new Map<string, Buffer>()
  const texts = new Map<string, string>()
  const warned = new Set<string>()

  const resolve = (target: string): string | undefined => {
    const known = paths.get(target)
    if (known !== undefined) return known
    const file = files.get(target)
    return file ? hashedName(target, file.md5) : undefined
  }

  const context = (name: string): ConvertContext => ({
    name,
    staticUrl,
    resolve,
    missing(target, url) {
      const kind = adjustableKind(name) === 'css' ? 'CSS' : 'JS'
      const message =
        `The ${kind} file '${name}' references '${url}', which resolves to '${target}': no such file is collected. ` +
        'Fix the reference or add the file' +
        (strict
          ? ', or set manifest: { strict: false } to leave such references as they are (with a warning).'
          : '; the reference is left as it is.')
      if (strict) throw new FileNotFoundError(message, { key: name })
      if (!warned.has(`${name}\0${url}`)) {
        warned.add(`${name}\0${url}`)
        options.onWarning?.(message)
      }
    },
  })

  /** Processes one file; returns whether its hashed name changed. */
  const process = (name: string): boolean => {
    const file = files.get(name)!
    const before = paths.get(name) ?? hashedName(name, file.md5)
    const kind = adjustableKind(name)
    if (kind === undefined || file.content === undefined) {
      paths.set(name, before)
      return false
    }
    let text = texts.get(name)
    if (text === undefined) texts.set(name, (text = decode(name, file.content)))
    const content = Buffer.from(rewriteReferences(text, kind, context(name)), 'utf8')
    const after = hashedName(name, md5Hex(content))
    rewritten.set(name, content)
    paths.set(name, after)
    return after !== before
  }

  for (const name of deepestFirst(files.keys())) process(name)
  const adjustable = deepestFirst([...files.keys()].filter((n) => adjustableKind(n) !== undefined && files.get(n)!.content))
  let changed: string[] = []
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    changed = adjustable.filter((name) => process(name))
    if (changed.length === 0) break
  }
  if (changed.length > 0) {
    throw new StorageError(
      `Max post-process passes exceeded: the references of ${changed.map((n) => `'${n}'`).join(', ')} form a loop ` +
        '(a file that references itself, directly or through others, can never get a stable hashed name).',
    )
  }
  return { paths: new Map([...paths].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), rewritten }
}

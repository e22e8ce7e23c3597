/**
 * Finding and rewriting the references of CSS and JS files to other static files, as Django's
 * `HashedFilesMixin` does: CSS `url()` and `@import "…"`, and `sourceMappingURL` comments in CSS
 * and JS. References in CSS comments and strings (`content: "url(x)"`) are not references; data
 * URIs, other schemes, protocol-relative and `/`-rooted URLs outside `staticUrl`, and bare
 * fragments (`#default#VML`) are left alone; a query and a fragment are kept.
 */
import { normpath, unquote } from './names.js'
import { posix } from 'node:path'

/** Which pattern found a reference; it decides what the rewritten text looks like. */
export type ReferenceKind = 'url' | 'import' | 'css-source-map' | 'js-source-map'

/** A reference found in a file: the span of text it occupies and the URL in it. */
export interface Reference {
  kind: ReferenceKind
  /** Offsets of the whole matched text (`url("a.png")`, `@import "a.css"`, the comment line). */
  start: number
  end: number
  /** The URL as written, leading spaces removed. */
  url: string
}

/** The text a rewritten reference gets, per kind (Django's templates). */
const TEMPLATES: Record<ReferenceKind, (url: string) => string> = {
  url: (u) => `url("${u}")`,
  import: (u) => `@import url("${u}")`,
  'css-source-map': (u) => `/*# sourceMappingURL=${u} */`,
  'js-source-map': (u) => `//# sourceMappingURL=${u}`,
}

const CSS_SOURCE_MAP = /^\/\*#[ \t]sourceMappingURL=(.*)[ \t]*\*\/$/gm
const JS_SOURCE_MAP = /^\/\/# sourceMappingURL=(.*)$/gm

/** Index just past the string starting at `i` (a quote); a newline or the end closes it too. */
function skipString(text: string, i: number): number {
  const quote = text[i]
  let j = i + 1
  while (j < text.length) {
    const c = text[j]
    if (c === '\\') j += 2
    else if (c === quote) return j + 1
    else if (c === '\n') return j
    else j++
  }
  return text.length
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++
  return i
}

/** A `url(...)` token at `i` (`url(` already checked), or undefined when it is malformed. */
function readUrl(text: string, i: number): Reference | undefined {
  let j = skipSpace(text, i + 4)
  const c = text[j]
  if (c === '"' || c === "'") {
    const after = skipString(text, j)
    if (text[after - 1] !== c || after - 1 === j) return undefined
    const url = text.slice(j + 1, after - 1).replace(/^\s+/, '')
    j = skipSpace(text, after)
    if (text[j] !== ')') return undefined
    return { kind: 'url', start: i, end: j + 1, url }
  }
  const close = text.indexOf(')', j)
  if (close === -1) return undefined
  const url = text.slice(j, close)
  if (/[\n"'(]/.test(url)) return undefined
  return { kind: 'url', start: i, end: close + 1, url }
}

/** An `@import "…"` at `i`, or undefined when no string follows (`@import url(…)` is a `url` reference). */
function readImport(text: string, i: number): Reference | undefined {
  const j = skipSpace(text, i + 7)
  const c = text[j]
  if (c !== '"' && c !== "'") return undefined
  const after = skipString(text, j)
  if (text[after - 1] !== c || after - 1 === j) return undefined
  return { kind: 'import', start: i, end: after, url: text.slice(j + 1, after - 1).replace(/^\s+/, '') }
}

/** The `sourceMappingURL` comments `pattern` finds, as references of `kind`. */
function sourceMaps(text: string, pattern: RegExp, kind: ReferenceKind): Reference[] {
  const refs: Reference[] = []
  for (const m of text.matchAll(pattern)) refs.push({ kind, start: m.index, end: m.index + m[0].length, url: m[1]! })
  return refs
}

/**
 * The references of a CSS text, in order: `url()` and `@import "…"` outside comments and
 * strings (case-insensitive, as Django's patterns), and `/*# sourceMappingURL=… *\/` lines.
 */
export function findCssReferences(text: string): Reference[] {
  const refs: Reference[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    const c = text[i]
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end === -1 ? n : end + 2
    } else if (c === '"' || c === "'") {
      i = skipString(text, i)
    } else if ((c === 'u' || c === 'U') && text.slice(i, i + 4).toLowerCase() === 'url(' && (i === 0 || !/[\w-]/.test(text[i - 1]!))) {
      const ref = readUrl(text, i)
      if (ref) refs.push(ref)
      i = ref ? ref.end : i + 4
    } else if (c === '@' && text.slice(i, i + 7).toLowerCase() === '@import') {
      const ref = readImport(text, i)
      if (ref) refs.push(ref)
      i = ref ? ref.end : i + 7
    } else i++
  }
  refs.push(...sourceMaps(text, CSS_SOURCE_MAP, 'css-source-map'))
  return refs.sort((a, b) => a.start - b.start)
}

/** The references of a JS text: `//# sourceMappingURL=…` lines (Django's JS pattern). */
export function findJsReferences(text: string): Reference[] {
  return sourceMaps(text, JS_SOURCE_MAP, 'js-source-map')
}

/** How a file's references are resolved. */
export interface ConvertContext {
  /** The name of the file holding the references (relative URLs are relative to its directory). */
  name: string
  /** `STATIC_URL`: `/`-rooted URLs under it name collected files, other `/`-rooted URLs are left alone. */
  staticUrl: string
  /** The hashed name of a collected file (a normalised name, no query), or undefined when it is not collected. */
  resolve(target: string): string | undefined
  /** Called for a reference to a file that is not collected; throws to fail, returns to leave it as is. */
  missing(target: string, url: string): void
}

/**
 * The replacement text of one reference (Django's `url_converter`): `matched` itself when the
 * URL is left alone, else the kind's template around the URL whose last segment is the hashed
 * name, the query and fragment kept (`fonts/f.eot?#iefix` → `fonts/f.<hash>.eot?#iefix`).
 */
export function convertReference(ref: Reference, matched: string, ctx: ConvertContext): string {
  const url = ref.url
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) return matched
  if (url.startsWith('/') && !url.startsWith(ctx.staticUrl)) return matched
  const hash = url.indexOf('#')
  let urlPath = hash === -1 ? url : url.slice(0, hash)
  const fragment = hash === -1 ? '' : url.slice(hash + 1)
  if (urlPath.endsWith('?') && urlPath.indexOf('?') === urlPath.length - 1) urlPath = urlPath.slice(0, -1) // an empty query is dropped
  if (urlPath === '') return matched
  const target = unquote(urlPath.startsWith('/') ? urlPath.slice(ctx.staticUrl.length) : posix.join(posix.dirname(ctx.name), urlPath))
  const q = target.indexOf('?')
  const path = (q === -1 ? target : target.slice(0, q)).trim()
  const query = q === -1 ? '' : target.slice(q)
  let hashedUrl: string
  if (path.endsWith('/') || path === '') {
    hashedUrl = target // a directory: not hashed
  } else {
    const normal = normpath(path)
    const stored = normal.startsWith('../') || normal === '..' ? undefined : ctx.resolve(normal)
    if (stored === undefined) {
      ctx.missing(normal, url)
      return matched
    }
    hashedUrl = stored + (query.length > 1 ? query : '')
  }
  let transformed = [...urlPath.split('/').slice(0, -1), ...hashedUrl.split('/').slice(-1)].join('/')
  if (fragment) transformed += (url.includes('?#') ? '?#' : '#') + fragment
  return TEMPLATES[ref.kind](unquote(transformed))
}

/** Which reference finder applies to a name, if any (Django's `*.css` and `*.js`; case-sensitive). */
export function adjustableKind(name: string): 'css' | 'js' | undefined {
  if (name.endsWith('.css')) return 'css'
  if (name.endsWith('.js')) return 'js'
  return undefined
}

/** `text` with every reference replaced by `convertReference`'s result. */
export function rewriteReferences(text: string, kind: 'css' | 'js', ctx: ConvertContext): string {
  const refs = kind === 'css' ? findCssReferences(text) : findJsReferences(text)
  if (refs.length === 0) return text
  let out = ''
  let last = 0
  for (const ref of refs) {
    if (ref.start < last) continue
    const matched = text.slice(ref.start, ref.end)
    out += text.slice(last, ref.start) + convertReference(ref, matched, ctx)
    last = ref.end
  }
  return out + text.slice(last)
}

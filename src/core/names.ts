/**
 * The pure naming rules of Django's Storage API and django-storages, ported exactly except where
 * docs/differences.md says otherwise (names that escape the root always throw).
 */
import { builtin } from './builtins.js'
import { SuspiciousFileOperation } from './errors.js'
import { basename, codePointLength, dropLastCodePoints, hasDotDotPart, join, normpath, split, splitext } from './posix.js'

// C0 controls and DEL: never valid in a name, on any backend.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/** True when `name` holds a C0 control character (U+0000–U+001F) or U+007F. */
export function hasControlCharacters(name: string): boolean {
  return CONTROL_CHARS.test(name)
}

/**
 * django-storages' `clean_name`: `posixpath.normpath`, then backslashes to `/` (in that order, so
 * `a\..\b` stays `a/../b`), a trailing `/` kept, and `.` becoming `''`.
 */
export function cleanName(name: string): string {
  let cleaned = normpath(name).replace(/\\/g, '/')
  if (name.endsWith('/') && !cleaned.endsWith('/')) cleaned += '/'
  return cleaned === '.' ? '' : cleaned
}

// Stands for the root when `base` is empty, so that escaping an empty base is detected exactly as
// escaping a named one is. It holds NUL, which no accepted path can contain.
const ROOT_SENTINEL = '\u0000root'

/**
 * django-storages' `safe_join(base, ...paths)`: joins and normalises the paths under `base` and
 * returns the result without a leading `/` (a trailing `/` kept). Throws
 * `SuspiciousFileOperation` when the result is not inside `base`. Unlike django-storages this also
 * holds when `base` is empty: `safeJoin('', '/etc/passwd')` and `safeJoin('', '../x')` throw
 * instead of being clamped to the root.
 */
export function safeJoin(base: string, ...paths: string[]): string {
  const outside = () => new SuspiciousFileOperation('The joined path is located outside of the base path component.')
  if (paths.some((p) => p.includes('\u0000')) || base.includes('\u0000')) throw outside()
  const basePath = base.replace(/\/+$/, '') || ROOT_SENTINEL
  let finalPath = basePath + '/'
  for (const p of paths) {
    let next = normpath(join(finalPath, p))
    if (p.endsWith('/') || next + '/' === finalPath) next += '/'
    finalPath = next
  }
  if (finalPath === basePath) finalPath += '/'
  if (!finalPath.startsWith(basePath) || finalPath[basePath.length] !== '/') throw outside()
  if (basePath === ROOT_SENTINEL) return finalPath.slice(ROOT_SENTINEL.length + 1)
  return finalPath.replace(/^\/+/, '')
}

/**
 * Django's `validate_file_name(name, allow_relative_path)`: rejects an empty, `.` or `..` file
 * name, and either any path element (default) or absolute paths and `..` segments
 * (`allowRelativePath: true`). Returns the name unchanged.
 */
export function validateFileName(name: string, allowRelativePath = false): string {
  const base = basename(name)
  if (base === '' || base === '.' || base === '..') {
    throw new SuspiciousFileOperation(`Could not derive file name from '${name}'`, { key: name })
  }
  if (allowRelativePath) {
    const posix = name.replace(/\\/g, '/')
    if (posix.startsWith('/') || hasDotDotPart(posix)) {
      throw new SuspiciousFileOperation(`Detected path traversal attempt in '${name}'`, { key: name })
    }
  } else if (name !== base) {
    throw new SuspiciousFileOperation(`File name '${name}' includes path elements`, { key: name })
  }
  return name
}

/**
 * Django's `get_valid_filename`: strips surrounding white space, turns spaces into `_` and drops
 * every character that is not a letter, digit, `_`, `-` or `.` (Unicode letters and digits kept).
 * `"john's portrait in 2004.jpg"` → `johns_portrait_in_2004.jpg`; `"???"` throws.
 */
export function getValidFilename(name: string): string {
  const valid = String(name)
    .trim()
    .replace(/ /g, '_')
    .replace(/[^-\p{L}\p{N}_.]/gu, '')
  if (valid === '' || valid === '.' || valid === '..') {
    throw new SuspiciousFileOperation(`Could not derive file name from '${name}'`, { key: String(name) })
  }
  return valid
}

/** Rejects a directory part with `..` segments (`Detected path traversal attempt in '<dir>'`). */
export function assertNoTraversal(dirName: string): void {
  if (hasDotDotPart(dirName)) {
    throw new SuspiciousFileOperation(`Detected path traversal attempt in '${dirName}'`, { key: dirName })
  }
}

/**
 * django-storages' `get_available_overwrite_name(name, maxLength)`: the name itself when it fits
 * `maxLength` (code points), else its root shortened (only the last extension kept:
 * `file.tar.gz` with 10 → `file.ta.gz`). Throws when the whole root would be cut away.
 */
export function getAvailableOverwriteName(name: string, maxLength?: number | null): string {
  const [dirName, fileName] = split(name)
  assertNoTraversal(dirName)
  validateFileName(fileName, true)
  if (maxLength == null || codePointLength(name) <= maxLength) return name
  const [root, ext] = splitext(fileName)
  const shortened = dropLastCodePoints(root, codePointLength(name) - maxLength)
  if (!shortened) {
    throw new SuspiciousFileOperation(
      `Storage tried to truncate away entire filename "${name}". Please make sure that the corresponding file field allows sufficient "max_length".`,
      { key: name },
    )
  }
  return validateFileName(join(dirName, shortened + ext), true)
}

/** Basename prefix of the temporary files (filesystem) and objects (S3) of writes in progress. */
export const TEMP_NAME_PREFIX = '.nstmp-'

const TEMP_NAME = /^\.nstmp-[0-9a-f]{16,64}$/

/**
 * Whether a basename is one of node-storages' temporary names (`.nstmp-<16 to 64 hex>`):
 * listings hide them, and `save()` refuses them so that no user file is ever hidden.
 */
export function isTemporaryName(baseName: string): boolean {
  return TEMP_NAME.test(baseName)
}

/** A fresh temporary basename, `.nstmp-` and `bytes` random bytes in hex. */
export function temporaryName(bytes = 12): string {
  return TEMP_NAME_PREFIX + builtin('node:crypto').randomBytes(bytes).toString('hex')
}

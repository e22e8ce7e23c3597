/**
 * Content type and encoding from a file name, with the rules of Python's `mimetypes.guess_type`
 * that django-storages relies on: compression suffixes (`.gz`, `.br`, `.bz2`, `.xz`, `.Z`) give
 * the encoding and the type comes from the suffix before them (`x.css.gz` → `text/css` + gzip;
 * `x.gz` → no type + gzip); `.svgz`/`.tgz`/`.taz`/`.tz`/`.tbz2`/`.txz` are aliases. Types come from
 * the `mime-types` database.
 */
import { createRequire } from 'node:module'
import { splitext } from './posix.js'

// The mime-types database is about half of the package's import time: load it on the first
// lookup, not when node-storages is imported.
let db: typeof import('mime-types') | undefined
const mime = {
  lookup(path: string): string | false {
    db ??= createRequire(import.meta.url)('mime-types') as typeof import('mime-types')
    return db.lookup(path)
  },
}

const SUFFIX_MAP: Record<string, string> = {
  '.svgz': '.svg.gz',
  '.tgz': '.tar.gz',
  '.taz': '.tar.gz',
  '.tz': '.tar.gz',
  '.tbz2': '.tar.bz2',
  '.txz': '.tar.xz',
}

const ENCODINGS: Record<string, string> = {
  '.gz': 'gzip',
  '.Z': 'compress',
  '.bz2': 'bzip2',
  '.xz': 'xz',
  '.br': 'br',
}

/** `{ type, encoding }` guessed from the name; either may be undefined. */
export function guessType(name: string): { type?: string; encoding?: string } {
  let [base, ext] = splitext(name)
  while (ext in SUFFIX_MAP) [base, ext] = splitext(base + SUFFIX_MAP[ext])
  let encoding: string | undefined
  if (ext in ENCODINGS) {
    encoding = ENCODINGS[ext]
    ;[base, ext] = splitext(base)
  }
  const type = ext ? mime.lookup(ext.toLowerCase()) || undefined : undefined
  return encoding ? { type, encoding } : { type }
}

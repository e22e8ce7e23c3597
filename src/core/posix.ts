/**
 * Python's `posixpath` functions that Django's naming rules are defined in terms of, ported
 * exactly (they differ from Node's `path.posix` in small ways that show in file names).
 */

/** `posixpath.normpath`: collapses `.`, `..` and repeated `/`; keeps exactly two leading `//`. */
export function normpath(path: string): string {
  if (path === '') return '.'
  let initial = path.startsWith('/') ? 1 : 0
  if (initial && path.startsWith('//') && !path.startsWith('///')) initial = 2
  const out: string[] = []
  for (const comp of path.split('/')) {
    if (comp === '' || comp === '.') continue
    if (comp !== '..' || (!initial && out.length === 0) || (out.length > 0 && out[out.length - 1] === '..')) {
      out.push(comp)
    } else if (out.length > 0) {
      out.pop()
    }
  }
  const joined = '/'.repeat(initial) + out.join('/')
  return joined || '.'
}

/** `posixpath.split`: `[head, tail]`, trailing slashes stripped from a head that is not all slashes. */
export function split(path: string): [string, string] {
  const i = path.lastIndexOf('/') + 1
  let head = path.slice(0, i)
  const tail = path.slice(i)
  if (head && head !== '/'.repeat(head.length)) head = head.replace(/\/+$/, '')
  return [head, tail]
}

/** `posixpath.basename`. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** `posixpath.join` of two parts. */
export function join(a: string, b: string): string {
  if (b.startsWith('/')) return b
  if (a === '' || a.endsWith('/')) return a + b
  return a + '/' + b
}

/** `posixpath.splitext`: `[root, ext]` on the last dot, leading dots of the file name ignored. */
export function splitext(path: string): [string, string] {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  if (dot > slash) {
    let i = slash + 1
    while (i < dot && path[i] === '.') i++
    if (i < dot) return [path.slice(0, dot), path.slice(dot)]
  }
  return [path, '']
}

/** `PurePath(name).suffixes` joined: every suffix of a file name (`a.tar.gz` → `.tar.gz`). */
export function allSuffixes(fileName: string): string {
  if (fileName.endsWith('.')) return ''
  const parts = fileName.replace(/^\.+/, '').split('.')
  return parts.length > 1 ? '.' + parts.slice(1).join('.') : ''
}

/** `PurePosixPath(path).parts` contains `..`. */
export function hasDotDotPart(path: string): boolean {
  return path.split('/').includes('..')
}

/** Length in code points, as Python's `len(str)` counts. */
export function codePointLength(value: string): number {
  let n = 0
  for (const _ of value) n++
  return n
}

/** The string without its last `count` code points (Python's `s[:-count]`). */
export function dropLastCodePoints(value: string, count: number): string {
  if (count <= 0) return value
  const cps = [...value]
  return cps.slice(0, Math.max(0, cps.length - count)).join('')
}

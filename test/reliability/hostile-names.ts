// A generated corpus of hostile file names: traversal in every spelling (plain, percent-encoded,
// double-encoded, overlong UTF-8 read as Latin-1, fullwidth and look-alike dots and slashes),
// backslashes, drive letters and UNC paths, Windows device names, control characters, Unicode
// normalisation forms, `.`/`..`, very long names and paths, and the temporary-name form, each
// alone, under directories and with suffixes, plus seeded random compositions of the same atoms.

/** Atoms that name or reach outside a directory, or that file systems treat specially. */
const ATOMS: readonly string[] = [
  '..',
  '.',
  '',
  '/',
  '//',
  '\\',
  '..\\',
  '../',
  '%2e%2e',
  '%2e%2e%2f',
  '..%2f',
  '%2f',
  '%5c',
  '..%5c',
  '%252e%252e%252f',
  '%c0%ae%c0%ae%c0%af',
  '\u00c0\u00ae\u00c0\u00ae\u00c0\u00af', // overlong UTF-8 of '../', decoded as Latin-1
  '\u00e0\u0080\u00ae', // 3-byte overlong '.'
  '\uff0e\uff0e\uff0f', // fullwidth '../'
  '\u2024\u2024', // one dot leader ×2
  '\u2215', // division slash
  '\u2044', // fraction slash
  '\uff3c', // fullwidth backslash
  'C:',
  'C:\\',
  'c:/windows/',
  '\\\\?\\C:\\',
  '\\\\server\\share\\',
  'file:///',
  'http://evil.example/',
  '~',
  '~root/',
  '$HOME/',
  'CON',
  'nul.txt',
  'COM1',
  'LPT9.log',
  'AUX',
  'CONIN$',
  'x::$DATA',
  'x.',
  'x ',
  ' ',
  '...',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '\u001b[31m',
  '\u007f',
  '\u0085', // C1 next line
  '\u2028',
  '\u202e', // right-to-left override
  '\u200b', // zero width space
  '\ufeff', // byte order mark
  '\ud800', // lone surrogate
  'e\u0301', // NFD é
  '\u00e9', // NFC é
  '\u212b', // angstrom sign (NFC: Å)
  '\ufb01', // fi ligature
  '\u1100\u1161', // Hangul jamo (NFC: 가)
  '.nstmp-0123456789abcdef01234567',
  '.nstmp-XYZ',
  '.nstmp-',
  '*',
  '?',
  '<>|"',
  '#frag',
  '?a=b',
  '%00',
  '%',
]

const ROOTS = ['passwd', 'canary.txt', 'a.txt', 'x', 'ünï€ødé.bin']
const PREFIXES = ['', 'sub/', 'a/b/', './', '../', '../../', '/', 'out/']
const SUFFIXES = ['', '.txt', '/', '/x', '/..', '\u0000.jpg']

/** A small seeded PRNG (xorshift32), so the corpus is the same on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** Very long names and paths, in code points and in UTF-8 bytes. */
function longNames(): string[] {
  return [
    'a'.repeat(255),
    'a'.repeat(256),
    `${'b'.repeat(251)}.txt`,
    'c'.repeat(1024),
    'd'.repeat(1025),
    'e'.repeat(4096),
    '€'.repeat(86), // 258 bytes
    '€'.repeat(342), // 1,026 bytes
    '😀'.repeat(300),
    'a/'.repeat(200) + 'x',
    '../'.repeat(64) + 'etc/passwd',
    `${'x'.repeat(250)}/../../${'y'.repeat(250)}`,
  ]
}

/**
 * The corpus: at least `min` distinct names (default 2,000), deterministic. Every atom alone and
 * between prefixes and suffixes, atoms around real-looking roots, long names, then random
 * compositions of 1 to 4 atoms with roots until `min` is reached.
 */
export function hostileNames(min = 2_000): string[] {
  const names = new Set<string>()
  for (const atom of ATOMS) for (const prefix of PREFIXES) for (const suffix of SUFFIXES) names.add(prefix + atom + suffix)
  for (const atom of ATOMS) for (const root of ROOTS) names.add(`${atom}${root}`).add(`${root}${atom}`).add(`${atom}/${root}`)
  for (const name of longNames()) names.add(name)
  for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) for (const atom of ATOMS) names.add(`n/${atom.normalize(form)}.txt`)
  const random = prng(0x5eed)
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
  while (names.size < min) {
    const parts = Array.from({ length: 1 + Math.floor(random() * 4) }, () => (random() < 0.3 ? pick(ROOTS) : pick(ATOMS)))
    names.add(parts.join(random() < 0.5 ? '/' : ''))
  }
  return [...names]
}

/** The raw HTTP paths of a name under `prefix`: as is (bytes a browser would never send), URI-encoded, component-encoded, double-encoded. */
export function rawPaths(prefix: string, name: string): string[] {
  const safe = (f: () => string) => {
    try {
      return f()
    } catch {
      return undefined // lone surrogates cannot be encoded
    }
  }
  const encoded = [
    safe(() => encodeURI(name)),
    safe(() => name.split('/').map(encodeURIComponent).join('/')),
    safe(() => encodeURIComponent(encodeURIComponent(name))),
  ]
  // The name as raw bytes: only what an HTTP request line can carry (no controls, no spaces).
  const raw = /^[\u0021-\u007e]*$/.test(name) ? name : undefined
  return [...new Set([raw, ...encoded].filter((p): p is string => p !== undefined).map((p) => prefix + p))]
}

// Property-based tests (fast-check) of the pure name functions and the available-name loop: for
// any input, each either returns a name with its stated shape or throws SuspiciousFileOperation,
// and names that escape their base never come out. CI runs 1,000 cases a property; stress 20,000.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InMemoryStorage } from '../../src/backends/memory/storage.js'
import { availableName, fits } from '../../src/core/available-name.js'
import { SuspiciousFileOperation } from '../../src/core/errors.js'
import { cleanName, getValidFilename, safeJoin, validateFileName } from '../../src/core/names.js'
import { STRESS, report } from './helpers.js'

const RUNS = STRESS ? 20_000 : 1_000
let cases = 0
const params = { numRuns: RUNS }

/** Strings built mostly from the characters that matter to paths, plus any Unicode. */
const SEGMENTS = ['..', '.', '', 'a', 'b.txt', '\\', '..\\', 'C:', '~', ' ', '\u0000', '\n', 'é', 'e\u0301', '.nstmp-00', '%2e%2e', '€']
const pathish = fc.oneof(
  fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 8 }).map((parts) => parts.join('/')),
  fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 6 }).map((p) => p.join('/')),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

/** Runs `f`; undefined when it threw SuspiciousFileOperation (any other error fails the property). */
function attempt<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch (error) {
    if (error instanceof SuspiciousFileOperation) return undefined
    throw error
  }
}

const segments = (p: string) => p.split('/')

describe('name functions, for any input', () => {
  it('cleanName: no backslash out, no "." segment (but django-storages\' "./"), and a fixed point once no backslash went in', () => {
    fc.assert(
      fc.property(pathish, (name) => {
        cases++
        const cleaned = cleanName(name)
        expect(cleaned).not.toContain('\\')
        if (cleaned !== './') expect(segments(cleaned.replace(/\/$/, ''))).not.toContain('.')
        if (!name.includes('\\')) expect(cleanName(cleaned)).toBe(cleaned)
      }),
      params,
    )
  })

  it('safeJoin: a result always lies under the base, normalised; an escape always throws', () => {
    fc.assert(
      fc.property(fc.constantFrom('', 'media', 'a/b', '/srv/media'), pathish, (base, name) => {
        cases++
        const joined = attempt(() => safeJoin(base, name))
        if (joined === undefined) return
        const root = base.replace(/^\/+/, '')
        if (root)
          expect(joined === root || joined === `${root}/` || joined.startsWith(`${root}/`), `${base} + ${name} = ${joined}`).toBe(true)
        expect(joined.startsWith('/')).toBe(false)
        expect(segments(joined)).not.toContain('..')
        expect(joined).not.toContain('\u0000')
      }),
      params,
    )
  })

  it('getValidFilename: only letters, digits, "_", "-" and "."; never "", "." or ".."; a fixed point', () => {
    fc.assert(
      fc.property(fc.oneof(pathish, fc.string({ unit: 'grapheme' })), (name) => {
        cases++
        const valid = attempt(() => getValidFilename(name))
        if (valid === undefined) return
        expect(valid).toMatch(/^[-\p{L}\p{N}_.]+$/u)
        expect(['', '.', '..']).not.toContain(valid)
        expect(getValidFilename(valid)).toBe(valid)
      }),
      params,
    )
  })

  it('validateFileName: returns the name unchanged, with no path (strict) or no absolute path and no ".." (relative)', () => {
    fc.assert(
      fc.property(pathish, fc.boolean(), (name, relative) => {
        cases++
        const out = attempt(() => validateFileName(name, relative))
        if (out === undefined) return
        expect(out).toBe(name)
        const posix = name.replace(/\\/g, '/')
        if (!relative) expect(name).not.toContain('/')
        else {
          expect(posix.startsWith('/')).toBe(false)
          expect(segments(posix)).not.toContain('..')
        }
        expect(['', '.', '..']).not.toContain(name.slice(name.lastIndexOf('/') + 1)) // Django's os.path.basename
      }),
      params,
    )
  })
})

describe('the available-name loop, for any name and taken set', () => {
  const storage = new InMemoryStorage()
  const fileName = fc.stringMatching(/^[a-zA-Z0-9_\u00e9\u20ac-]{1,40}(\.[a-z]{1,4}){0,2}$/)

  it('returns a free name in the same directory, fitting maxLength and the byte limit, or throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', 'dir/', 'a/b/'),
        fileName,
        fc.integer({ min: 0, max: 5 }),
        fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined }),
        fc.option(fc.integer({ min: 20, max: 120 }), { nil: undefined }),
        async (dir, file, takenCount, maxLength, maxNameBytes) => {
          cases++
          const name = dir + file
          const tried: string[] = []
          const host = {
            isFree: async (n: string) => (tried.push(n), tried.length > takenCount),
            alternative: (root: string, ext: string) => storage.getAlternativeName(root, ext),
            maxNameBytes,
          }
          let out: string
          try {
            out = await availableName(host, name, maxLength)
          } catch (error) {
            expect(error).toBeInstanceOf(SuspiciousFileOperation)
            return
          }
          expect(fits(out, maxLength, maxNameBytes)).toBe(true)
          expect(out.startsWith(dir)).toBe(true)
          expect(out.slice(dir.length)).not.toContain('/')
          expect(tried.at(-1)).toBe(out) // the name returned is the one found free
          if (out !== name) expect(out.slice(dir.length)).toMatch(/_[A-Za-z0-9]{7}(\.[a-z]{1,4}){0,2}$/)
        },
      ),
      { numRuns: Math.min(RUNS, 5_000) },
    )
  })

  it('save() on memory: every name it accepts is stored under a valid, clean name and reads back', async () => {
    const s = new InMemoryStorage()
    await fc.assert(
      fc.asyncProperty(pathish, async (name) => {
        cases++
        let stored: string
        try {
          stored = await s.save(name, 'x')
        } catch (error) {
          expect(error).toBeInstanceOf(SuspiciousFileOperation)
          return
        }
        expect(validateFileName(stored, true)).toBe(stored)
        expect(cleanName(stored)).toBe(stored)
        expect((await s.read(stored)).toString()).toBe('x')
      }),
      { numRuns: Math.min(RUNS, 5_000) },
    )
  })
})

it('reports its figures', () => report('names-property', { cases }))

// A generated corpus of at least 2,000 hostile names through every method of the local backends:
// each call succeeds or throws a StorageError (never another error, never a crash), no read
// returns a canary's bytes, `path()` stays inside the location, and the canary files outside the
// location are unchanged, with nothing added beside them.
import { realpath } from 'node:fs/promises'
import { sep } from 'node:path'
import { finished } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSystemStorage } from '../../src/backends/filesystem/storage.js'
import { InMemoryStorage } from '../../src/backends/memory/storage.js'
import { streamToBuffer } from '../../src/core/content.js'
import { isStorageError } from '../../src/core/errors.js'
import type { Storage } from '../../src/core/storage.js'
import { CANARY, type CanaryRoot, canaryRoot } from './canaries.js'
import { hostileNames } from './hostile-names.js'
import { STRESS, report } from './helpers.js'

const ALL = hostileNames()
/** CI: 2,000 of the names (evenly spread) on each backend; stress: all of them. */
const NAMES = STRESS ? ALL : ALL.filter((_, i) => Math.floor((i * 2_000) / ALL.length) !== Math.floor(((i - 1) * 2_000) / ALL.length))

/** Every method of the Storage contract, called with `name` (and a seed file where two names are needed). */
const METHODS: Record<string, (s: Storage, name: string) => Promise<unknown> | unknown> = {
  exists: (s, n) => s.exists(n),
  save: (s, n) => s.save(n, `saved as ${JSON.stringify(n)}`),
  read: (s, n) => s.read(n),
  open: async (s, n) => streamToBuffer(await s.open(n)),
  openRange: async (s, n) => streamToBuffer(await s.open(n, { start: 0, end: 3 })),
  stat: (s, n) => s.stat(n),
  size: (s, n) => s.size(n),
  getModifiedTime: (s, n) => s.getModifiedTime(n),
  getCreatedTime: (s, n) => s.getCreatedTime(n),
  getAccessedTime: (s, n) => s.getAccessedTime(n),
  listdir: (s, n) => s.listdir(n),
  list: async (s, n) => {
    const out = []
    for await (const e of s.list(n, { recursive: true })) out.push(e)
    return out
  },
  url: (s, n) => s.url(n),
  path: (s, n) => s.path(n),
  copyFrom: (s, n) => s.copy(n, 'copied.txt'),
  copyTo: (s, n) => s.copy('seed.txt', n),
  moveTo: async (s, n) => {
    await s.copy('seed.txt', 'moving.txt').catch(() => undefined)
    return s.move('moving.txt', n)
  },
  signedUploadUrl: (s, n) => s.signedUploadUrl(n),
  getAvailableName: (s, n) => s.getAvailableName(n),
  generateFilename: (s, n) => s.generateFilename(n),
  getValidName: (s, n) => s.getValidName(n),
  createWriteStream: async (s, n) => {
    const w = s.createWriteStream(n)
    w.end('written')
    await finished(w)
  },
  deleteMany: (s, n) => s.deleteMany([n]),
  delete: (s, n) => s.delete(n),
}

interface Tally {
  calls: number
  ok: number
  refused: number
  bad: string[]
}

/** Runs every method with every name (16 names at a time); returns the tally. */
async function run(
  storage: Storage,
  names: string[],
  check: (method: string, name: string, value: unknown) => Promise<void>,
): Promise<Tally> {
  const tally: Tally = { calls: 0, ok: 0, refused: 0, bad: [] }
  const one = async (name: string) => {
    for (const [method, call] of Object.entries(METHODS)) {
      tally.calls++
      try {
        const value = await call(storage, name)
        tally.ok++
        await check(method, name, value)
      } catch (error) {
        if (isStorageError(error)) tally.refused++
        else if (tally.bad.length < 20) tally.bad.push(`${method}(${JSON.stringify(name)}): ${(error as Error)?.stack ?? String(error)}`)
      }
    }
  }
  for (let i = 0; i < names.length; i += 16) await Promise.all(names.slice(i, i + 16).map(one))
  return tally
}

/** What no successful call may return: a canary's bytes. */
function leaks(value: unknown): boolean {
  if (Buffer.isBuffer(value)) return value.includes(CANARY)
  return typeof value === 'string' && value.includes(CANARY)
}

describe(`${ALL.length} hostile names`, () => {
  let tree: CanaryRoot
  let before: Map<string, string>
  beforeAll(async () => {
    tree = await canaryRoot()
    before = await tree.snapshot()
  })
  afterAll(() => tree.remove())

  it(`go through every method of FileSystemStorage (${NAMES.length} names) without escaping`, async () => {
    const storage = new FileSystemStorage({ location: tree.location, baseUrl: '/media/' })
    const inside = await realpath(tree.location)
    const tally = await run(storage, NAMES, async (method, name, value) => {
      expect(leaks(value), `${method}(${JSON.stringify(name)}) returned a canary`).toBe(false)
      if (method === 'path') {
        const real = await realpath(value as string).catch(() => value as string)
        expect(real === inside || real.startsWith(inside + sep), `path(${JSON.stringify(name)}) = ${real}`).toBe(true)
      }
    })
    expect(tally.bad, tally.bad.join('\n\n')).toEqual([])
    expect(tally.ok).toBeGreaterThan(NAMES.length) // not vacuous: many names are fine ones
    expect(await tree.snapshot()).toEqual(before)
    report('hostile-filesystem', { names: NAMES.length, calls: tally.calls, refused: tally.refused })
  })

  it(`go through every method of InMemoryStorage (${NAMES.length} names): a StorageError or a result, never another error`, async () => {
    const storage = new InMemoryStorage({ baseUrl: '/media/' })
    await storage.save('seed.txt', 'seed')
    const tally = await run(storage, NAMES, async (method, name, value) => {
      expect(leaks(value), `${method}(${JSON.stringify(name)})`).toBe(false)
    })
    expect(tally.bad, tally.bad.join('\n\n')).toEqual([])
    report('hostile-memory', { names: NAMES.length, calls: tally.calls, refused: tally.refused })
  })
})

// collectStatic's hash cache and a path re-pointed while a file is hashed (a `current -> releases/N`
// symlink flipped by a deploy): what the cache remembers (size, times, inode) must describe the
// bytes it hashed. Files over WHOLE_READ_LIMIT were stat'ed through one open and hashed through a
// second open by path, so a flip between the two paired release A's stat with release B's MD5; after
// a rollback to A the next run took B's MD5 from the cache, found it equal to the stored ETag and
// left B's bytes stored while the source was A (found by review). The flip is made deterministic by
// running it from the first handle's close().
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'

const hook: { onClose?: (path: string) => Promise<void> } = vi.hoisted(() => ({}))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const open = async (...args: Parameters<typeof fs.open>) => {
    const handle = await fs.open(...args)
    const close = handle.close.bind(handle)
    handle.close = async () => {
      await close()
      const run = hook.onClose
      if (run && typeof args[0] === 'string') await run(args[0])
    }
    return handle
  }
  return { ...fs, open, default: { ...fs, open } }
})

const { InMemoryStorage } = await import('../../src/index.js')
const { collectStatic } = await import('../../src/static/index.js')
const { RACY_MS } = await import('../../src/static/hash-cache.js')

let root: string
const SIZE = 5 * 1024 * 1024 // over WHOLE_READ_LIMIT: the two-open path
const A = Buffer.alloc(SIZE, 'a')
const B = Buffer.alloc(SIZE, 'b')

async function point(current: string, release: string) {
  await symlink(release, `${current}.new`)
  await rename(`${current}.new`, current) // atomic flip, as deploy tools do
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ns-hash-cache-race-'))
  for (const [r, bytes] of [
    ['a', A],
    ['b', B],
  ] as const) {
    await mkdir(join(root, 'releases', r), { recursive: true })
    await writeFile(join(root, 'releases', r, 'big.bin'), bytes)
  }
  await point(join(root, 'current'), join(root, 'releases', 'a'))
  await new Promise((r) => setTimeout(r, RACY_MS + 200)) // old enough to be remembered
})
afterAll(() => rm(root, { recursive: true, force: true }))

/**
 * Run 1 with a cache while a deploy flips `current` from release a to b as big.bin is hashed; then
 * a rollback to a (its files untouched) and run 2 with `secondRunCache`. Whatever the storage held
 * after run 1, it must hold A after run 2.
 */
async function scenario(secondRunCache: 'cache' | false) {
  const current = join(root, 'current')
  const storage = new InMemoryStorage()
  const cache = join(root, `cache-${Math.random()}.json`)
  let flipped = false
  hook.onClose = async (path) => {
    if (!flipped && path.endsWith('big.bin')) {
      flipped = true
      await point(current, join(root, 'releases', 'b'))
    }
  }
  await collectStatic(current, storage, { cache })
  hook.onClose = undefined
  expect(flipped).toBe(true)
  await point(current, join(root, 'releases', 'a'))
  const second = await collectStatic(current, storage, { cache: secondRunCache === false ? false : cache })
  const stored = Buffer.concat(await (await storage.open('big.bin')).toArray())
  return { uploaded: second.uploaded, storedIsA: stored.equals(A) }
}

it('control: the same sequence with the cache off on the re-run stores A', async () => {
  expect(await scenario(false)).toEqual({ uploaded: 1, storedIsA: true })
})

it('a re-run after a rollback re-uploads the file whose stored bytes differ from the source', async () => {
  expect(await scenario('cache')).toEqual({ uploaded: 1, storedIsA: true })
})

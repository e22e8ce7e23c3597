// collectStatic's local hash cache (src/static/hash-cache.ts): a re-run takes an untouched file's
// MD5 from the cache, any change of size, times or inode reads the file again, files changed just
// before a scan are not remembered, and a bad cache file costs nothing but the reads.
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InMemoryStorage } from '../../src/index.js'
import { collectStatic } from '../../src/static/index.js'
import { defaultCacheFile, loadHashCache, RACY_MS } from '../../src/static/hash-cache.js'

const OLD = new Date('2020-01-01T00:00:00Z')
const FILES = 80 // past the scan worker's threshold, so both read paths are exercised
let root: string
let src: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ns-hash-cache-'))
  src = join(root, 'src')
  for (let i = 0; i < FILES; i++) {
    await mkdir(join(src, `d${i % 4}`), { recursive: true })
    await writeFile(join(src, `d${i % 4}`, `f${i}.txt`), `file ${i} `.repeat(i + 1))
    await utimes(join(src, `d${i % 4}`, `f${i}.txt`), OLD, OLD) // whole seconds: exactly restorable below
  }
  // Older than the racy window: a scan may remember them.
  await new Promise((resolve) => setTimeout(resolve, RACY_MS + 100))
})
afterAll(() => rm(root, { recursive: true, force: true }))

/** A fresh cache file path for one test. */
let n = 0
const cacheFile = () => join(root, `cache-${++n}.json`)

describe('the hash cache', () => {
  it('remembers every file read, and a re-run takes untouched files from it (a poisoned entry proves it is used)', async () => {
    const storage = new InMemoryStorage()
    const cache = cacheFile()
    expect((await collectStatic(src, storage, { cache })).uploaded).toBe(FILES)
    const remembered = await loadHashCache(cache)
    expect(remembered.entries.size).toBe(FILES)

    // Say f5.txt's MD5 is something else: a re-run that reads nothing believes it and re-sends it.
    const f5 = join(src, 'd1', 'f5.txt')
    const entry = remembered.entries.get(f5)!
    remembered.entries.set(f5, [...entry.slice(0, 5), 'f'.repeat(32)] as typeof entry)
    await writeFile(cache, JSON.stringify({ version: 1, files: Object.fromEntries(remembered.entries) }))
    const again = await collectStatic(src, storage, { cache })
    expect(again.names.uploaded).toEqual(['d1/f5.txt'])
    expect(again.unchanged).toBe(FILES - 1)
  })

  it('a cache file that is not ours, or broken, is ignored and replaced', async () => {
    const storage = new InMemoryStorage()
    for (const content of [
      '{ not json',
      JSON.stringify({ version: 99, files: {} }),
      JSON.stringify({ version: 1, files: { x: [1, 2] } }),
    ]) {
      const cache = cacheFile()
      await writeFile(cache, content)
      const result = await collectStatic(src, storage, { cache })
      expect(result.failed).toEqual([])
      expect((await loadHashCache(cache)).entries.size).toBe(FILES)
    }
  })

  it('is not written with cache: false, nor by a dry run', async () => {
    const cache = cacheFile()
    await collectStatic(src, new InMemoryStorage(), { cache, dryRun: true })
    await expect(stat(cache)).rejects.toMatchObject({ code: 'ENOENT' })
    const before = process.env.CACHE_DIR
    const dir = join(root, 'cache-dir')
    process.env.CACHE_DIR = dir
    try {
      await collectStatic(src, new InMemoryStorage(), { cache: false })
      await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' })
      await collectStatic(src, new InMemoryStorage()) // the default: under CACHE_DIR
      expect((await loadHashCache((await defaultCacheFile([src]))!)).entries.size).toBe(FILES)
    } finally {
      process.env.CACHE_DIR = before
    }
  })

  it('lives under CACHE_DIR, else node_modules/.cache/node-storages, else nowhere', async () => {
    const id = /collectstatic-[0-9a-f]{16}\.json$/
    expect(await defaultCacheFile(['static'], '/app', { CACHE_DIR: '/ci/cache' })).toMatch(
      new RegExp(`^/ci/cache/node-storages/${id.source}`),
    )
    const project = join(root, 'project')
    await mkdir(join(project, 'node_modules'), { recursive: true })
    expect(await defaultCacheFile(['static'], project, {})).toMatch(
      new RegExp(`^${project}/node_modules/.cache/node-storages/${id.source}`),
    )
    expect(await defaultCacheFile(['static'], root, {})).toBeUndefined()
    // CACHE_DIR set to a flag rather than a directory (find-cache-dir's rule) is not a place
    expect(await defaultCacheFile(['static'], project, { CACHE_DIR: 'true' })).toMatch(/node_modules\/.cache\/node-storages\//)
    // one file per set of sources
    expect(await defaultCacheFile(['a'], project, {})).not.toBe(await defaultCacheFile(['b'], project, {}))
  })
  // Last: the file it touches is not remembered by later scans (changed within the racy window).
  it('reads a file again when it changed, even to the same size with its old mtime restored', async () => {
    const storage = new InMemoryStorage()
    const cache = cacheFile()
    await collectStatic(src, storage, { cache })
    const file = join(src, 'd2', 'f6.txt')
    const original = await readFile(file)
    try {
      await writeFile(file, Buffer.from(original).fill(0x41)) // same size
      await utimes(file, OLD, OLD) // the same mtime as remembered; only the ctime tells
      expect((await stat(file)).mtimeMs).toBe(OLD.getTime())
      const result = await collectStatic(src, storage, { cache })
      expect(result.names.uploaded).toEqual(['d2/f6.txt'])
      expect((await storage.read('d2/f6.txt')).equals(Buffer.from(original).fill(0x41))).toBe(true)
      // Changed just now: not remembered, so read again next time.
      expect((await loadHashCache(cache)).entries.has(file)).toBe(false)
    } finally {
      await writeFile(file, original)
    }
  })
})

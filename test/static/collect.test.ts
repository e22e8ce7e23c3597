// collectStatic on the filesystem and in memory (the shared suite), plus what only a spy can see:
// the write options (Cache-Control) and the arguments checked.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InMemoryStorage, InvalidArgumentError } from '../../src/index.js'
import type { Storage } from '../../src/core/storage.js'
import type { WriteStreamOptions } from '../../src/core/types.js'
import { collectStatic } from '../../src/static/index.js'
import { describeCollectStatic, sourceDir } from './collect-suite.js'

const roots: string[] = []
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true })
})

describeCollectStatic('FileSystemStorage', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ns-static-root-'))
  roots.push(root)
  return { storage: new FileSystemStorage({ location: join(root, 'static'), baseUrl: '/static/' }) }
})

describeCollectStatic('InMemoryStorage', async () => ({ storage: new InMemoryStorage({ baseUrl: '/static/' }) }))

/** `storage` recording the options of every `createWriteStream` call. */
function recording(storage: Storage, extra: Record<string, unknown> = {}) {
  const writes: Record<string, WriteStreamOptions> = {}
  const proxy = new Proxy(storage, {
    get(target, prop) {
      if (prop in extra) return extra[prop as string]
      if (prop === 'createWriteStream') {
        return (name: string, options: WriteStreamOptions): Writable => {
          writes[name] = options
          return target.createWriteStream(name, options)
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { storage: proxy, writes }
}

describe('Cache-Control of hashed names', () => {
  it('names that look hashed get the immutable header, others none; `immutable` and `cacheControl` change that', async () => {
    const dir = await sourceDir({ 'assets/index-BZ3jNpqs.js': 'v', 'app.3f2a9c1b.js': 'w', 'app.js': 'x' })
    roots.push(dir)
    const a = recording(new InMemoryStorage())
    await collectStatic(dir, a.storage)
    expect(a.writes).toEqual({
      'app.3f2a9c1b.js': { cacheControl: 'public, max-age=31536000, immutable' },
      'app.js': {},
      'assets/index-BZ3jNpqs.js': {},
    })
    const vite = recording(new InMemoryStorage())
    await collectStatic(dir, vite.storage, { immutable: (name) => name.startsWith('assets/'), cacheControl: 'max-age=600' })
    expect(vite.writes['assets/index-BZ3jNpqs.js']).toEqual({ cacheControl: 'max-age=600' })
    expect(vite.writes['app.3f2a9c1b.js']).toEqual({})
    const none = recording(new InMemoryStorage())
    await collectStatic(dir, none.storage, { cacheControl: null })
    expect(none.writes['app.3f2a9c1b.js']).toEqual({})
  })

  it("a storage that declares its own CacheControl keeps it (the storage's setting wins)", async () => {
    const dir = await sourceDir({ 'app.3f2a9c1b.js': 'w' })
    roots.push(dir)
    const s = recording(new InMemoryStorage(), { objectParameters: { CacheControl: 'max-age=60' } })
    await collectStatic(dir, s.storage, { manifest: true })
    for (const options of Object.values(s.writes)) expect(options).toEqual({})
  })
})

describe('arguments', () => {
  it('a missing source or a bad concurrency throws InvalidArgumentError before anything is stored', async () => {
    const storage = new InMemoryStorage()
    await expect(collectStatic('/nonexistent/static-dir', storage)).rejects.toThrow(InvalidArgumentError)
    await expect(collectStatic('/nonexistent/static-dir', storage)).rejects.toThrow(/'\/nonexistent\/static-dir' is not a directory/)
    await expect(collectStatic([], storage, { concurrency: 0 })).rejects.toThrow(/concurrency must be a whole number/)
  })

  it('several sources: the first holding a name wins', async () => {
    const one = await sourceDir({ 'a.txt': 'one', 'b.txt': 'b' })
    const two = await sourceDir({ 'a.txt': 'two', 'c.txt': 'c' })
    roots.push(one, two)
    const storage = new InMemoryStorage()
    expect(await collectStatic([one, two], storage)).toMatchObject({ uploaded: 3 })
    expect((await storage.read('a.txt')).toString()).toBe('one')
  })

  it('an aborted run rejects with the reason and publishes no manifest', async () => {
    const dir = await sourceDir(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}.txt`, `x${i}`])))
    roots.push(dir)
    const storage = new InMemoryStorage()
    const controller = new AbortController()
    const run = collectStatic(dir, storage, {
      manifest: true,
      concurrency: 2,
      signal: controller.signal,
      onProgress: (p) => p.done === 5 && controller.abort(new Error('stop')),
    })
    await expect(run).rejects.toThrow('stop')
    expect(await storage.exists('staticfiles.json')).toBe(false)
  })
})

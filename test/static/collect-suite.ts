// collectStatic's behaviour, run against every backend (filesystem, memory, s3rver): first run,
// no-change re-run, a changed file, delete, dry run, a failure midway and the manifest.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import type { Storage } from '../../src/core/storage.js'
import { collectStatic, manifestStorage } from '../../src/static/index.js'

/** What a backend gives the suite: a fresh empty storage, and (S3) the requests it sent. */
export interface CollectTarget {
  storage: Storage
  /** Requests sent since the last `clear()` (S3 only). */
  requests?: () => { method: string; query: Record<string, string>; path: string; headers: Record<string, unknown> }[]
  clear?: () => void
  /** The Cache-Control the backend stored for a name, when it can tell. */
  cacheControl?: (name: string) => Promise<string | undefined>
}

const h = (data: string | Buffer) => createHash('md5').update(data).digest('hex').slice(0, 12)

/** A source directory holding `files`. */
export async function sourceDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ns-static-'))
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), data)
  }
  return dir
}

/** Every stored name under the storage, sorted. */
export async function storedNames(storage: Storage): Promise<string[]> {
  const names: string[] = []
  for await (const e of storage.list('', { recursive: true })) names.push(e.name)
  return names.sort()
}

/** `storage` whose `createWriteStream` fails for the names `failing` accepts (a failure midway). */
export function failingOn(storage: Storage, failing: (name: string) => boolean): Storage {
  return new Proxy(storage, {
    get(target, prop) {
      if (prop === 'createWriteStream') {
        return (name: string, options: object): Writable => {
          if (failing(name)) throw new Error(`injected failure for ${name}`)
          return target.createWriteStream(name, options)
        }
      }
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

/** Registers the suite for one backend; `make` returns a fresh, empty target per test. */
export function describeCollectStatic(backend: string, make: () => Promise<CollectTarget>): void {
  const dirs: string[] = []
  const source = async (files: Record<string, string | Buffer>) => {
    const dir = await sourceDir(files)
    dirs.push(dir)
    return dir
  }
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })
  const listings = (t: CollectTarget) => t.requests?.().filter((r) => r.method === 'GET' && r.query['list-type'] === '2') ?? []
  const others = (t: CollectTarget) => t.requests?.().filter((r) => !(r.method === 'GET' && r.query['list-type'] === '2')) ?? []

  describe(`collectStatic on ${backend}`, () => {
    it('first run uploads all; a re-run uploads nothing and makes no per-file request; a changed file is re-sent alone', async () => {
      const t = await make()
      const files: Record<string, string> = {
        'css/app.css': 'body{}',
        'js/app.js': 'x()',
        'img/a b.png': 'PNG',
        '.hidden': 'no',
        'x~': 'no',
      }
      const dir = await source(files)
      const first = await collectStatic(dir, t.storage)
      expect(first).toMatchObject({ uploaded: 3, unchanged: 0, deleted: 0, bytes: 12, failed: [] })
      expect(await storedNames(t.storage)).toEqual(['css/app.css', 'img/a b.png', 'js/app.js'])
      expect((await t.storage.read('img/a b.png')).toString()).toBe('PNG')

      t.clear?.()
      const second = await collectStatic(dir, t.storage)
      expect(second).toMatchObject({ uploaded: 0, unchanged: 3, bytes: 0, failed: [] })
      if (t.requests) {
        expect(listings(t)).toHaveLength(1)
        expect(others(t)).toEqual([])
      }

      await writeFile(join(dir, 'js/app.js'), 'y()')
      t.clear?.()
      const third = await collectStatic(dir, t.storage)
      expect(third).toMatchObject({ uploaded: 1, unchanged: 2, names: { uploaded: ['js/app.js'] } })
      if (t.requests) expect(others(t).map((r) => r.method)).toEqual(['PUT'])
      expect((await t.storage.read('js/app.js')).toString()).toBe('y()')
      // replaced under its own name whatever fileOverwrite says: no `app_xxxxxxx.js` next to it
      expect(await storedNames(t.storage)).toEqual(['css/app.css', 'img/a b.png', 'js/app.js'])
    })

    it('a changed file of the same size is recognised too', async () => {
      const t = await make()
      const dir = await source({ 'a.txt': 'aaaa' })
      await collectStatic(dir, t.storage)
      await writeFile(join(dir, 'a.txt'), 'bbbb')
      expect(await collectStatic(dir, t.storage)).toMatchObject({ uploaded: 1, unchanged: 0 })
      expect((await t.storage.read('a.txt')).toString()).toBe('bbbb')
    })

    it('delete removes only the names no source has; dryRun stores and deletes nothing', async () => {
      const t = await make()
      const dir = await source({ 'keep.txt': 'k', 'gone.txt': 'g', 'sub/keep2.txt': 'k2' })
      await collectStatic(dir, t.storage)
      await t.storage.save('extra/old.css', 'old')
      await unlink(join(dir, 'gone.txt'))
      await writeFile(join(dir, 'new.txt'), 'n')

      const dry = await collectStatic(dir, t.storage, { delete: true, dryRun: true })
      expect(dry).toMatchObject({ dryRun: true, uploaded: 1, unchanged: 2, deleted: 2 })
      expect(dry.names).toEqual({ uploaded: ['new.txt'], deleted: ['extra/old.css', 'gone.txt'] })
      expect(await storedNames(t.storage)).toEqual(['extra/old.css', 'gone.txt', 'keep.txt', 'sub/keep2.txt'])

      const real = await collectStatic(dir, t.storage, { delete: true })
      expect(real).toMatchObject({ uploaded: 1, unchanged: 2, deleted: 2 })
      expect(await storedNames(t.storage)).toEqual(['keep.txt', 'new.txt', 'sub/keep2.txt'])
    })

    it('manifest: hashed copies, rewritten CSS, staticfiles.json, immutable Cache-Control on hashed names', async () => {
      const t = await make()
      const css = `@import "fonts.css";\nbody { background: url(../img/bg.png?v=1#top) }\n`
      const dir = await source({ 'css/app.css': css, 'css/fonts.css': 'f{}', 'img/bg.png': 'PNG' })
      const progress: string[] = []
      const result = await collectStatic(dir, t.storage, { manifest: true, onProgress: (p) => progress.push(`${p.action} ${p.name}`) })
      const out = `@import url("fonts.${h('f{}')}.css");\nbody { background: url("../img/bg.${h('PNG')}.png?v=1#top") }\n`
      const paths = {
        'css/app.css': `css/app.${h(out)}.css`,
        'css/fonts.css': `css/fonts.${h('f{}')}.css`,
        'img/bg.png': `img/bg.${h('PNG')}.png`,
      }
      expect(result).toMatchObject({ uploaded: 7, unchanged: 0, manifest: { name: 'staticfiles.json', paths, published: true } })
      expect(progress.at(-1)).toBe('uploaded staticfiles.json')
      expect(progress).toHaveLength(7)
      expect((await t.storage.read(paths['css/app.css'])).toString()).toBe(out)
      expect((await t.storage.read('css/app.css')).toString()).toBe(css) // the plain name keeps the original
      expect(JSON.parse((await t.storage.read('staticfiles.json')).toString())).toMatchObject({ paths, version: '1.1' })
      if (t.cacheControl) {
        expect(await t.cacheControl(paths['img/bg.png'])).toBe('public, max-age=31536000, immutable')
        expect(await t.cacheControl('img/bg.png')).toBeUndefined()
      }
      const statics = manifestStorage(t.storage)
      expect(await statics.url('css/app.css')).toBe(await t.storage.url(paths['css/app.css']))
      const bg = await t.storage.url(paths['img/bg.png'])
      if (bg.includes('?')) await expect(statics.url('img/bg.png?v=2#x')).rejects.toThrow(/has its own \(a signed URL\)/)
      else expect(await statics.url('img/bg.png?v=2#x')).toBe(`${bg}?v=2#x`)
      expect(await statics.url('img/bg.png#x')).toBe(`${bg}#x`)
      await expect(statics.url('css/nope.css')).rejects.toThrow(/Missing staticfiles manifest entry for 'css\/nope.css'/)

      t.clear?.()
      expect(await collectStatic(dir, t.storage, { manifest: true })).toMatchObject({ uploaded: 0, unchanged: 7 })
      if (t.requests) expect(others(t)).toEqual([])
    })

    it('a failure midway leaves the previous manifest in place and deletes nothing', async () => {
      const t = await make()
      const dir = await source({ 'css/app.css': 'a{}', 'img/x.png': 'X', 'old.txt': 'o' })
      await collectStatic(dir, t.storage, { manifest: true })
      const before = (await t.storage.read('staticfiles.json')).toString()
      await writeFile(join(dir, 'css/app.css'), 'b{}')
      await writeFile(join(dir, 'img/x.png'), 'Y')
      await unlink(join(dir, 'old.txt'))

      const failing = failingOn(t.storage, (name) => name === `img/x.${h('Y')}.png`)
      const result = await collectStatic(dir, failing, { manifest: true, delete: true, concurrency: 1 })
      expect(result.failed.map((f) => f.name)).toEqual([`img/x.${h('Y')}.png`])
      expect(String((result.failed[0]!.error as Error).message)).toMatch(/injected failure/)
      expect(result.manifest?.published).toBe(false)
      expect(result.deleted).toBe(0)
      expect((await t.storage.read('staticfiles.json')).toString()).toBe(before)
      expect(await t.storage.exists('old.txt')).toBe(true)

      const retry = await collectStatic(dir, t.storage, { manifest: true })
      expect(retry.failed).toEqual([])
      expect(JSON.parse((await t.storage.read('staticfiles.json')).toString()).paths['img/x.png']).toBe(`img/x.${h('Y')}.png`)
    })
  })
}

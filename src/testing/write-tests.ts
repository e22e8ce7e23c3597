/** Shared behaviour tests: saving, in every content form, with and without overwrite. */
import { Readable } from 'node:stream'
import { expect, it } from 'vitest'
import { SuspiciousFileOperation } from '../core/errors.js'
import { allNames, destroyAfterEnd, pattern, type SuiteContext } from './context.js'

const SUFFIX = '[A-Za-z0-9]{7}'

/** Registers the writing tests. */
export function writeTests(ctx: SuiteContext): void {
  it('saving a buffer and reading it back gives the same bytes', async () => {
    const data = pattern(4096)
    const name = await ctx.storage().save('buffer.bin', data)
    expect(name).toBe('buffer.bin')
    expect((await ctx.storage().read(name)).equals(data)).toBe(true)
  })

  it('saving a string stores its UTF-8 bytes', async () => {
    const name = await ctx.storage().save('s.txt', 'héllo')
    expect([...(await ctx.storage().read(name))]).toEqual([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f])
  })

  it('saving a Node stream stores every byte in order', async () => {
    const data = pattern(3 * 1024 * 1024 + 17, 3)
    const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536))
    const name = await ctx.storage().save('stream.bin', Readable.from(chunks))
    expect((await ctx.storage().read(name)).equals(data)).toBe(true)
  })

  it('saving a web ReadableStream, a Blob and an async iterable store their bytes', async () => {
    const web = new Blob(['web stream']).stream()
    async function* gen() {
      yield new TextEncoder().encode('async ')
      yield new TextEncoder().encode('iterable')
    }
    const storage = ctx.storage()
    expect((await storage.read(await storage.save('web.txt', web))).toString()).toBe('web stream')
    expect((await storage.read(await storage.save('blob.txt', new Blob(['a blob'])))).toString()).toBe('a blob')
    expect((await storage.read(await storage.save('iter.txt', gen()))).toString()).toBe('async iterable')
  })

  it('saving a Uint8Array view stores only the bytes of the view', async () => {
    const backing = Buffer.from('0123456789')
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 5)
    const name = await ctx.storage().save('view.txt', view)
    expect((await ctx.storage().read(name)).toString()).toBe('23456')
  })

  it('saving an empty file creates a zero-byte file', async () => {
    const name = await ctx.storage().save('empty.txt', Buffer.alloc(0))
    expect(await ctx.storage().exists(name)).toBe(true)
    expect(await ctx.storage().size(name)).toBe(0)
  })

  it('saving under nested directories stores the file at that path', async () => {
    const name = await ctx.storage().save('a/b/c/deep.txt', 'deep')
    expect(name).toBe('a/b/c/deep.txt')
    expect((await ctx.storage().read('a/b/c/deep.txt')).toString()).toBe('deep')
  })

  it('saving returns a /-separated name for a name with backslashes', async () => {
    expect(await ctx.storage().save('dir\\file.txt', 'x')).toBe('dir/file.txt')
    expect(await ctx.storage().exists('dir/file.txt')).toBe(true)
  })

  it('saving a file under a taken name keeps both', async () => {
    const storage = ctx.storage()
    const first = await storage.save('taken.txt', 'first')
    const second = await storage.save('taken.txt', 'second')
    expect(first).toBe('taken.txt')
    expect(second).toMatch(new RegExp(`^taken_${SUFFIX}\\.txt$`))
    expect((await storage.read(first)).toString()).toBe('first')
    expect((await storage.read(second)).toString()).toBe('second')
  })

  it('the alternative name keeps every suffix of the file name and never touches the directory', async () => {
    const storage = ctx.storage()
    await storage.save('dotted.dir/a.tar.gz', 'one')
    const second = await storage.save('dotted.dir/a.tar.gz', 'two')
    expect(second).toMatch(new RegExp(`^dotted\\.dir/a_${SUFFIX}\\.tar\\.gz$`))
  })

  it('a hidden file gets its suffix after the whole name', async () => {
    const storage = ctx.storage()
    await storage.save('dir/.hidden', 'one')
    expect(await storage.save('dir/.hidden', 'two')).toMatch(new RegExp(`^dir/\\.hidden_${SUFFIX}$`))
  })

  it('saving with fileOverwrite replaces the file and keeps the name', async () => {
    const storage = await ctx.overwriting()
    expect(await storage.save('same.txt', 'old content')).toBe('same.txt')
    expect(await storage.save('same.txt', 'new')).toBe('same.txt')
    expect((await storage.read('same.txt')).toString()).toBe('new')
    expect(await allNames(storage)).toEqual(['same.txt'])
  })

  it('maxLength shortens the root of an alternative name to fit', async () => {
    const storage = ctx.storage()
    await storage.save('filename.ext', 'one')
    const name = await storage.save('filename.ext', 'two', { maxLength: 14 })
    expect(name).toMatch(new RegExp(`^fi_${SUFFIX}\\.ext$`))
  })

  it('maxLength too short for any name throws and writes nothing', async () => {
    const storage = ctx.storage()
    await storage.save('short.longext', 'one')
    await expect(storage.save('short.longext', 'two', { maxLength: 14 })).rejects.toThrow(/can not find an available filename/)
    expect(await allNames(storage)).toEqual(['short.longext'])
  })

  it('maxLength with fileOverwrite truncates the root of the name itself', async () => {
    const storage = await ctx.overwriting()
    expect(await storage.save('test_long_file_name.txt', 'x', { maxLength: 10 })).toBe('test_l.txt')
  })

  it('saving without a name uses the name the content carries', async () => {
    const file = new File(['from content'], 'fromcontent.txt')
    expect(await ctx.storage().save(null, file)).toBe('fromcontent.txt')
  })

  it('saving absolute, traversing or empty names throws SuspiciousFileOperation and writes nothing', async () => {
    const storage = ctx.storage()
    for (const bad of ['/abs.txt', 'a/../b.txt', '../b.txt', '..\\b.txt', 'dir/', '', '.', 'x/..', '/etc/passwd', 'a/../../b']) {
      await expect(storage.save(bad, 'nope'), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
    }
    expect(await allNames(storage)).toEqual([])
  })

  it('saving a name with a control character throws and writes nothing', async () => {
    const storage = ctx.storage()
    for (const bad of ['nul\u0000.txt', 'tab\t.txt', 'line\nbreak.txt', 'del\u007f.txt']) {
      await expect(storage.save(bad, 'nope')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    }
    expect(await allNames(storage)).toEqual([])
  })

  it('50 concurrent saves of one name give 50 distinct files with their own contents', async () => {
    const storage = ctx.storage()
    const contents = Array.from({ length: 50 }, (_, i) => `content number ${i}`)
    const names = await Promise.all(contents.map((c) => storage.save('race.txt', c)))
    expect(new Set(names).size).toBe(50)
    const read = await Promise.all(names.map(async (n) => (await storage.read(n)).toString()))
    expect(read.sort()).toEqual([...contents].sort())
    expect((await allNames(storage)).length).toBe(50)
  })

  it('a save aborted midway leaves no file behind', async () => {
    const storage = ctx.storage()
    const controller = new AbortController()
    async function* slow() {
      yield pattern(64 * 1024)
      controller.abort()
      await new Promise((r) => setTimeout(r, 20))
      yield pattern(64 * 1024)
    }
    await expect(storage.save('aborted.bin', slow(), { signal: controller.signal })).rejects.toThrow()
    expect(await storage.exists('aborted.bin')).toBe(false)
    expect(await allNames(storage)).toEqual([])
  })

  it('a stream that fails midway leaves no file behind', async () => {
    const storage = ctx.storage()
    async function* failing() {
      yield pattern(1024)
      throw new Error('source broke')
    }
    await expect(storage.save('broken.bin', failing())).rejects.toThrow(/source broke/)
    expect(await allNames(storage)).toEqual([])
  })

  it('a save with an already aborted signal writes nothing', async () => {
    const storage = ctx.storage()
    await expect(storage.save('never.txt', 'x', { signal: AbortSignal.abort() })).rejects.toThrow()
    expect(await allNames(storage)).toEqual([])
  })

  it('a stream that fails before it is read rejects the save as a content error and writes nothing', async () => {
    const storage = ctx.storage()
    const early = new Readable({ read() {} })
    process.nextTick(() => early.destroy(Object.assign(new Error('ENOENT: no such file, open /nope'), { code: 'ENOENT' })))
    const error = await storage.save('early.txt', early).catch((e) => e)
    expect(error).toMatchObject({ code: 'E_CONTENT', key: 'early.txt' })
    expect(error.message).toContain('/nope')
    expect(await allNames(storage)).toEqual([])
  })

  it('a name that is not a string is refused with SuspiciousFileOperation', async () => {
    const storage = ctx.storage()
    await expect(storage.save(123 as never, 'x')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(() => storage.createWriteStream({} as never)).toThrow(SuspiciousFileOperation)
    await expect(storage.copy('a.txt', 5 as never)).rejects.toBeInstanceOf(SuspiciousFileOperation)
  })

  it('onProgress reports the bytes read, ending at the total', async () => {
    const seen: number[] = []
    const data = pattern(200_000)
    await ctx.storage().save('progress.bin', data, { onProgress: (p) => seen.push(p.loaded) })
    expect(seen.length).toBeGreaterThan(0)
    expect(seen[seen.length - 1]).toBe(data.length)
    expect([...seen].sort((a, b) => a - b)).toEqual(seen)
  })

  it('createWriteStream stores what is written once the stream finishes', async () => {
    const storage = ctx.storage()
    const stream = storage.createWriteStream('written.txt')
    stream.write('hello, ')
    stream.end('world')
    await new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject))
    expect((await storage.read('written.txt')).toString()).toBe('hello, world')
  })

  it('createWriteStream replaces an existing file', async () => {
    const storage = ctx.storage()
    await storage.save('replace.txt', 'old')
    const stream = storage.createWriteStream('replace.txt')
    stream.end('new')
    await new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject))
    expect((await storage.read('replace.txt')).toString()).toBe('new')
  })

  it('a write stream destroyed before it finishes leaves nothing behind', async () => {
    const storage = ctx.storage()
    const stream = storage.createWriteStream('destroyed.txt')
    stream.write(pattern(10_000))
    await new Promise<void>((resolve) => {
      stream.on('close', () => resolve())
      stream.on('error', () => {})
      stream.destroy(new Error('client went away'))
    })
    expect(await allNames(storage)).toEqual([])
  })

  it('a write stream destroyed right after end() leaves nothing behind', async () => {
    const storage = ctx.storage()
    // Synchronously after end(): the backend has sent nothing yet. (Later, a network backend can
    // have sent the last byte already; see createWriteStream in docs/differences.md.)
    const { finished, exists } = await destroyAfterEnd(storage, 'late.txt', -1)
    expect(finished).toBe(false)
    expect(exists).toBe(false)
  })

  it('a name of the form of the temporary files is refused, so no user file is ever hidden', async () => {
    await expect(ctx.storage().save('.nstmp-0123456789abcdef0123', 'x')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(await ctx.storage().save('.nstmp-report.txt', 'x')).toBe('.nstmp-report.txt')
    expect(await allNames(ctx.storage())).toEqual(['.nstmp-report.txt'])
  })

  it('createWriteStream refuses a traversing name before writing', () => {
    expect(() => ctx.storage().createWriteStream('../escape.txt')).toThrow(SuspiciousFileOperation)
  })
}

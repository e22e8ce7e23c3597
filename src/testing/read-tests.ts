/** Shared behaviour tests: reading, ranges, existence, sizes and times. */
import { expect, it } from 'vitest'
import { FileNotFoundError } from '../core/errors.js'
import { streamToBuffer } from '../core/content.js'
import type { SuiteContext } from './context.js'

/** Registers the reading tests. */
export function readTests(ctx: SuiteContext): void {
  it('open streams the whole file', async () => {
    await ctx.storage().save('whole.txt', 'the whole file')
    expect((await streamToBuffer(await ctx.storage().open('whole.txt'))).toString()).toBe('the whole file')
  })

  it('open with start and end reads that inclusive byte range', async () => {
    await ctx.storage().save('range.txt', '0123456789')
    const storage = ctx.storage()
    expect((await streamToBuffer(await storage.open('range.txt', { start: 2, end: 5 }))).toString()).toBe('2345')
    expect((await streamToBuffer(await storage.open('range.txt', { start: 7 }))).toString()).toBe('789')
    expect((await streamToBuffer(await storage.open('range.txt', { start: 0, end: 0 }))).toString()).toBe('0')
  })

  it('open refuses a byte range that is negative, fractional or backwards', async () => {
    await ctx.storage().save('r.txt', 'hello world')
    for (const range of [{ start: -1 }, { start: 5, end: 2 }, { start: 1.5 }, { end: -3 }]) {
      await expect(ctx.storage().open('r.txt', range), JSON.stringify(range)).rejects.toMatchObject({ code: 'E_INVALID_RANGE' })
    }
  })

  it('opening a missing file throws FileNotFoundError', async () => {
    await expect(ctx.storage().open('missing.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('reading a missing file throws FileNotFoundError with code ENOENT', async () => {
    const error = await ctx
      .storage()
      .read('missing.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(FileNotFoundError)
    expect(error.code).toBe('ENOENT')
  })

  it('exists is true for a saved file and false for a missing one', async () => {
    await ctx.storage().save('here.txt', 'x')
    expect(await ctx.storage().exists('here.txt')).toBe(true)
    expect(await ctx.storage().exists('not-here.txt')).toBe(false)
  })

  it('exists is true for a directory holding files where the backend has directories', async (t) => {
    if (!ctx.capabilities.directories) return t.skip()
    await ctx.storage().save('holder/inner.txt', 'x')
    expect(await ctx.storage().exists('holder')).toBe(true)
  })

  it('size returns the byte length', async () => {
    await ctx.storage().save('sized.txt', 'héllo')
    expect(await ctx.storage().size('sized.txt')).toBe(6)
  })

  it('size of a missing file throws FileNotFoundError', async () => {
    await expect(ctx.storage().size('missing.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('stat reports the size and a modification time close to now', async () => {
    const before = Date.now()
    await ctx.storage().save('stat.txt', '12345')
    const st = await ctx.storage().stat('stat.txt')
    expect(st.size).toBe(5)
    expect(st.lastModified).toBeInstanceOf(Date)
    expect(Math.abs(st.lastModified.getTime() - before)).toBeLessThan(60_000)
  })

  it('stat of a missing file throws FileNotFoundError', async () => {
    await expect(ctx.storage().stat('missing.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('getModifiedTime returns the time of the last write', async () => {
    const before = Date.now()
    await ctx.storage().save('mtime.txt', 'x')
    const mtime = await ctx.storage().getModifiedTime('mtime.txt')
    expect(Math.abs(mtime.getTime() - before)).toBeLessThan(60_000)
  })

  it('getModifiedTime of a missing file throws FileNotFoundError', async () => {
    await expect(ctx.storage().getModifiedTime('missing.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('getCreatedTime and getAccessedTime return dates where supported, else NotImplementedError', async () => {
    await ctx.storage().save('times.txt', 'x')
    if (ctx.capabilities.times) {
      expect(await ctx.storage().getCreatedTime('times.txt')).toBeInstanceOf(Date)
      expect(await ctx.storage().getAccessedTime('times.txt')).toBeInstanceOf(Date)
    } else {
      await expect(ctx.storage().getCreatedTime('times.txt')).rejects.toMatchObject({ code: 'E_NOT_IMPLEMENTED' })
      await expect(ctx.storage().getAccessedTime('times.txt')).rejects.toMatchObject({ code: 'E_NOT_IMPLEMENTED' })
    }
  })

  it('reading a file with a Unicode name gives its bytes back', async () => {
    const name = await ctx.storage().save('ünïcödé/日本語 ファイル.txt', 'unicode')
    expect(name).toBe('ünïcödé/日本語 ファイル.txt')
    expect((await ctx.storage().read(name)).toString()).toBe('unicode')
  })

  it('names that differ only in Unicode normalisation are distinct files', async () => {
    const nfc = 'caf\u00e9.txt'
    const nfd = 'cafe\u0301.txt'
    const storage = ctx.storage()
    expect(await storage.save(nfc, 'composed')).toBe(nfc)
    expect(await storage.exists(nfd)).toBe(false)
  })

  it('names with spaces and URL punctuation round-trip', async () => {
    const storage = ctx.storage()
    const name = "a b+c&d=e;f,g'h(i)!~@$.txt"
    expect(await storage.save(name, 'punct')).toBe(name)
    expect((await storage.read(name)).toString()).toBe('punct')
  })
}

/** Shared behaviour tests: names that escape, control characters, URLs and Django's naming rules. */
import { expect, it } from 'vitest'
import { NotImplementedError, SuspiciousFileOperation } from '../core/errors.js'
import type { SuiteContext } from './context.js'

const ESCAPING = ['../x', '/etc/passwd', 'a/../../b', '..', '/evil.com', '..\\x', 'a\\..\\..\\b']
const CONTROL = ['nul\u0000.txt', 'bell\u0007', 'esc\u001b[0m', 'del\u007f']

/** Registers the naming tests. */
export function nameTests(ctx: SuiteContext): void {
  it('every method refuses names that escape the storage with SuspiciousFileOperation', async () => {
    const storage = ctx.storage()
    for (const bad of ESCAPING) {
      const calls: Array<() => Promise<unknown>> = [
        () => storage.exists(bad),
        () => storage.open(bad),
        () => storage.read(bad),
        () => storage.delete(bad),
        () => storage.size(bad),
        () => storage.stat(bad),
        () => storage.listdir(bad),
        () => storage.url(bad),
        () => storage.getModifiedTime(bad),
        () => storage.copy('x.txt', bad),
        () => storage.move(bad, 'x.txt'),
      ]
      for (const call of calls) {
        await expect(Promise.resolve().then(call), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
      }
    }
  })

  it('the refusal message quotes the name as given', async () => {
    await expect(ctx.storage().exists('../secret')).rejects.toThrow("Attempted access to '../secret' denied.")
  })

  it('every method refuses control characters in names', async () => {
    const storage = ctx.storage()
    for (const bad of CONTROL) {
      await expect(storage.exists(bad)).rejects.toBeInstanceOf(SuspiciousFileOperation)
      await expect(storage.url(bad)).rejects.toBeInstanceOf(SuspiciousFileOperation)
      await expect(storage.delete(bad)).rejects.toBeInstanceOf(SuspiciousFileOperation)
      await expect(storage.read(bad)).rejects.toBeInstanceOf(SuspiciousFileOperation)
    }
  })

  it('path() refuses a bad name before saying it is unsupported', async () => {
    expect(() => ctx.storage().path('../x')).toThrow(SuspiciousFileOperation)
    if (!ctx.capabilities.path) expect(() => ctx.storage().path('x.txt')).toThrow(NotImplementedError)
  })

  it('a name that leaves and re-enters a directory resolves inside the storage', async () => {
    await ctx.storage().save('dir/y.txt', 'y')
    expect((await ctx.storage().read('dir/x/../y.txt')).toString()).toBe('y')
  })

  it('url encodes the name and contains no raw spaces', async () => {
    const url = await ctx.storage().url('a dir/ãlöhâ & co.txt')
    expect(url).toContain('a%20dir/%C3%A3l%C3%B6h%C3%A2%20%26%20co.txt')
    expect(url).not.toContain(' ')
  })

  it('getAvailableName returns the name itself when it is free', async () => {
    expect(await ctx.storage().getAvailableName('free/name.txt')).toBe('free/name.txt')
  })

  it('getAvailableName refuses a traversing name as given, as Django does', async () => {
    await expect(ctx.storage().getAvailableName('tmp/../path')).rejects.toThrow("Detected path traversal attempt in 'tmp/..'")
    await expect(ctx.storage().getAvailableName('/tmp/..')).rejects.toThrow("Could not derive file name from '..'")
  })

  it('getAvailableName picks another name when the name is taken', async () => {
    await ctx.storage().save('busy.txt', 'x')
    expect(await ctx.storage().getAvailableName('busy.txt')).toMatch(/^busy_[A-Za-z0-9]{7}\.txt$/)
  })

  it('generateFilename makes the file name valid and keeps the directory', () => {
    expect(ctx.storage().generateFilename('some/folder/test with space.txt')).toBe('some/folder/test_with_space.txt')
    expect(() => ctx.storage().generateFilename('tmp/../path')).toThrow("Detected path traversal attempt in 'tmp/..'")
  })

  it('getValidName strips what is not allowed and refuses what leaves nothing', () => {
    expect(ctx.storage().getValidName("john's portrait in 2004.jpg")).toBe('johns_portrait_in_2004.jpg')
    expect(() => ctx.storage().getValidName('???')).toThrow("Could not derive file name from '???'")
  })

  it('getAlternativeName adds an underscore and 7 random letters or digits before the extension', () => {
    const names = new Set(Array.from({ length: 20 }, () => ctx.storage().getAlternativeName('photo', '.tar.gz')))
    for (const n of names) expect(n).toMatch(/^photo_[A-Za-z0-9]{7}\.tar\.gz$/)
    expect(names.size).toBeGreaterThan(15)
  })
}

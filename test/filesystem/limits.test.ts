// Issue 11 item 7, filesystem part: names too long for the file system, url() through a symlinked
// directory, and a read stream that fails midway.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { open as openHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { FileSystemStorage, StorageError, SuspiciousFileOperation } from '../../src/index.js'

const roots: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-fs-limits-'))
  roots.push(dir)
  return dir
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

describe('FileSystemStorage and names too long for the file system', () => {
  const tooLong = `${'é'.repeat(150)}.txt` // 154 characters, 304 bytes of UTF-8: over NAME_MAX (255)

  it('exists() is false for a name the file system cannot hold (Django), not an error', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    expect(await storage.exists(tooLong)).toBe(false)
    expect(await storage.exists(`dir/${'x'.repeat(300)}/file.txt`)).toBe(false)
    expect(await storage.isNameAvailable(tooLong)).toBe(true)
  })

  it('save() with maxLength shortens a name the file system cannot hold and stores the file', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    const name = await storage.save(tooLong, 'x', { maxLength: 100 })
    expect([...name].length).toBeLessThanOrEqual(100)
    expect(name.endsWith('.txt')).toBe(true)
    expect((await storage.read(name)).toString()).toBe('x')
  })

  it('saving an over-long name twice with maxLength keeps both files', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    const a = await storage.save(tooLong, 'a', { maxLength: 100 })
    const b = await storage.save(tooLong, 'b', { maxLength: 100 })
    expect(a).not.toBe(b)
    expect((await storage.read(a)).toString()).toBe('a')
    expect((await storage.read(b)).toString()).toBe('b')
  })
})

describe('FileSystemStorage url() through symlinked directories', () => {
  it('url() refuses a name under a directory link pointing outside, as exists() does', async () => {
    const outside = tempDir()
    writeFileSync(join(outside, 'passwd'), 'secret')
    const location = tempDir()
    symlinkSync(outside, join(location, 'out'))
    const storage = new FileSystemStorage({ location })
    await expect(storage.exists('out/passwd')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.url('out/passwd')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.url('out/passwd')).rejects.toThrow("Attempted access to 'out/passwd' denied.")
    await expect(storage.url('out/deeper/x.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
  })

  it('url() of names in real directories, in links that stay inside, and in directories not made yet still works', async () => {
    const location = tempDir()
    mkdirSync(join(location, 'real'))
    symlinkSync(join(location, 'real'), join(location, 'alias'))
    const storage = new FileSystemStorage({ location, baseUrl: '/m/' })
    expect(await storage.url('real/a b.txt')).toBe('/m/real/a%20b.txt')
    expect(await storage.url('real/a b.txt')).toBe('/m/real/a%20b.txt') // the cached answer is the same
    expect(await storage.url('alias/x.txt')).toBe('/m/alias/x.txt')
    expect(await storage.url('not/made/yet.txt')).toBe('/m/not/made/yet.txt')
    expect(await storage.url('top.txt')).toBe('/m/top.txt')
  })
})

describe('FileSystemStorage read streams that fail midway', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('an I/O error after the first chunk errors the stream with a StorageError naming the file, with the cause', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    await storage.save('big.bin', Buffer.alloc(1024 * 1024, 7))
    const probe = await openHandle(join(location, 'big.bin'))
    const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> }
    await probe.close()
    const original = proto.read
    let calls = 0
    vi.spyOn(proto, 'read').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      if (++calls === 2) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' })
      return original.apply(this, args)
    })
    const stream = await storage.open('big.bin')
    let received = 0
    const error = await (async () => {
      for await (const chunk of stream) received += (chunk as Buffer).length
    })().catch((e: unknown) => e)
    expect(received).toBeGreaterThan(0)
    expect(received).toBeLessThan(1024 * 1024)
    expect(error).toBeInstanceOf(StorageError)
    expect(error).toMatchObject({ key: 'big.bin', operation: 'open' })
    expect((error as Error).message).toMatch(/big\.bin.*EIO/)
    expect((error as Error & { cause?: { code?: string } }).cause?.code).toBe('EIO')
  })

  it('an aborted read stream still errors with the AbortError, not a StorageError', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    await storage.save('big.bin', Buffer.alloc(1024 * 1024, 7))
    const controller = new AbortController()
    const stream = await storage.open('big.bin', { signal: controller.signal })
    const error = await (async () => {
      for await (const _ of stream) controller.abort()
    })().catch((e: unknown) => e)
    expect((error as Error).name).toBe('AbortError')
  })
})

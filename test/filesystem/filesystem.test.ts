import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { FileSystemStorage, ImproperlyConfigured, NotImplementedError, SuspiciousFileOperation } from '../../src/index.js'

const roots: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-fs-'))
  roots.push(dir)
  return dir
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

/** Every file under dir, temp files included. */
function rawFiles(dir: string): string[] {
  return existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((f) => lstatSync(join(dir, f)).isFile()).sort() : []
}

const TRAVERSALS = ['../x', '/etc/passwd', 'a/../../b', 'nul\u0000byte', '..\\..\\x', '/', '//server/share']

describe('FileSystemStorage confinement', () => {
  let outside: string
  let location: string
  beforeEach(() => {
    outside = tempDir()
    writeFileSync(join(outside, 'secret.txt'), 'secret')
    location = join(tempDir(), 'media')
    mkdirSync(location)
    symlinkSync(outside, join(location, 'escape-dir'))
    symlinkSync(join(outside, 'secret.txt'), join(location, 'escape-file.txt'))
    symlinkSync(join(outside, 'nowhere.txt'), join(location, 'dangling.txt'))
  })

  it('traversal attempts throw SuspiciousFileOperation and write nothing (non-empty location)', async () => {
    const storage = new FileSystemStorage({ location })
    for (const bad of TRAVERSALS) {
      await expect(storage.save(bad, 'x'), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
      await expect(storage.read(bad), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
      expect(() => storage.path(bad), bad).toThrow(SuspiciousFileOperation)
    }
    expect(rawFiles(outside)).toEqual(['secret.txt'])
    expect(rawFiles(location)).toEqual(['escape-dir/secret.txt']) // only the outside file, seen through the link
  })

  it('traversal attempts throw with an empty location (the working directory) too', async () => {
    const cwd = process.cwd()
    const dir = tempDir()
    process.chdir(dir)
    try {
      const storage = new FileSystemStorage({ location: '' })
      expect(storage.location).toBe(process.cwd())
      for (const bad of TRAVERSALS) {
        await expect(storage.save(bad, 'x'), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
        await expect(storage.exists(bad), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
      }
      expect(rawFiles(dir)).toEqual([])
      expect(await storage.save('fine.txt', 'ok')).toBe('fine.txt')
    } finally {
      process.chdir(cwd)
    }
  })

  it('a symlinked directory that points outside is refused for reads, writes and path()', async () => {
    const storage = new FileSystemStorage({ location })
    await expect(storage.read('escape-dir/secret.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.save('escape-dir/new.txt', 'x')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.save('escape-dir/deeper/new.txt', 'x')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(() => storage.path('escape-dir/secret.txt')).toThrow(SuspiciousFileOperation)
    await expect(storage.listdir('escape-dir')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(rawFiles(outside)).toEqual(['secret.txt'])
  })

  it('a symlinked file that points outside is refused, and so is a dangling link', async () => {
    const storage = new FileSystemStorage({ location })
    await expect(storage.read('escape-file.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.open('escape-file.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.copy('escape-file.txt', 'copy.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.read('dangling.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(rawFiles(outside)).toEqual(['secret.txt'])
  })

  it('a symlink that stays inside location is followed', async () => {
    const storage = new FileSystemStorage({ location })
    await storage.save('real/inside.txt', 'inside')
    symlinkSync(join(location, 'real'), join(location, 'alias'))
    expect((await storage.read('alias/inside.txt')).toString()).toBe('inside')
  })
})

describe('FileSystemStorage writes', () => {
  let location: string
  beforeEach(() => {
    location = tempDir()
  })

  it('an aborted stream leaves no file and no temp file', async () => {
    const storage = new FileSystemStorage({ location })
    const controller = new AbortController()
    async function* body() {
      yield Buffer.alloc(256 * 1024, 1)
      controller.abort()
      await new Promise((r) => setTimeout(r, 10))
      yield Buffer.alloc(256 * 1024, 2)
    }
    await expect(storage.save('sub/aborted.bin', body(), { signal: controller.signal })).rejects.toThrow()
    expect(rawFiles(location)).toEqual([])
  })

  it('a reader never sees a partial file under the final name while a save is in progress', async () => {
    const storage = new FileSystemStorage({ location })
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    async function* body() {
      yield Buffer.from('first half ')
      await gate
      yield Buffer.from('second half')
    }
    const saving = storage.save('atomic.txt', body())
    await new Promise((r) => setTimeout(r, 20))
    expect(await storage.exists('atomic.txt')).toBe(false)
    expect(await storage.listdir('')).toEqual([[], []])
    release()
    expect(await saving).toBe('atomic.txt')
    expect((await storage.read('atomic.txt')).toString()).toBe('first half second half')
    expect(rawFiles(location)).toEqual(['atomic.txt'])
  })

  it('file and directory permission modes are applied exactly, whatever the umask', async () => {
    const storage = new FileSystemStorage({ location, filePermissionsMode: 0o640, directoryPermissionsMode: '0o750' })
    await storage.save('perm/sub/file.txt', 'x')
    expect(statSync(join(location, 'perm/sub/file.txt')).mode & 0o777).toBe(0o640)
    expect(statSync(join(location, 'perm/sub')).mode & 0o777).toBe(0o750)
    expect(statSync(join(location, 'perm')).mode & 0o777).toBe(0o750)
  })

  it('path() gives the absolute path inside location', async () => {
    const storage = new FileSystemStorage({ location })
    expect(storage.path('a/b.txt')).toBe(join(location, 'a/b.txt'))
  })

  it('delete removes an empty directory, as Django does', async () => {
    const storage = new FileSystemStorage({ location })
    mkdirSync(join(location, 'emptydir'))
    await storage.delete('emptydir')
    expect(existsSync(join(location, 'emptydir'))).toBe(false)
  })
})

describe('FileSystemStorage URLs', () => {
  it('url() is urljoin(baseUrl, filepath_to_uri(name))', async () => {
    const storage = new FileSystemStorage({ location: tempDir(), baseUrl: '/test_media_url/' })
    expect(await storage.url('test.file')).toBe('/test_media_url/test.file')
    expect(await storage.url("~!*()'@#$%^&*abc`+ =.file")).toBe("/test_media_url/~!*()'%40%23%24%25%5E%26*abc%60%2B%20%3D.file")
    expect(await storage.url('a/b\\c.file')).toBe('/test_media_url/a/b/c.file')
    expect(await storage.url('')).toBe('/test_media_url/')
  })

  it('absolute names and NUL throw instead of being rewritten (deliberately unlike Django)', async () => {
    const storage = new FileSystemStorage({ location: tempDir(), baseUrl: '/m/' })
    for (const bad of ['/evil.com', '\\evil.com', '///evil.com', 'ab\u0000c'])
      await expect(storage.url(bad), bad).rejects.toBeInstanceOf(SuspiciousFileOperation)
  })

  it('a trailing slash is added to baseUrl; baseUrl null makes url() throw', async () => {
    expect(await new FileSystemStorage({ location: tempDir(), baseUrl: '/no_ending_slash' }).url('test.file')).toBe(
      '/no_ending_slash/test.file',
    )
    await expect(new FileSystemStorage({ location: tempDir(), baseUrl: null }).url('x')).rejects.toThrow(
      'This file is not accessible via a URL',
    )
  })

  it('signed URLs carry expires and an HMAC signature that verifies, and fail when tampered or expired', async () => {
    const storage = new FileSystemStorage({
      location: tempDir(),
      querystringAuth: true,
      secret: 'a-long-test-secret',
      querystringExpire: 60,
    })
    const url = new URL(await storage.url('private/report.pdf'), 'http://localhost')
    const expires = Number(url.searchParams.get('expires'))
    const signature = url.searchParams.get('signature')!
    expect(expires).toBeGreaterThan(Date.now() / 1000 + 50)
    expect(storage.urls.verify({ method: 'GET', name: 'private/report.pdf', expires }, signature)).toBe('ok')
    expect(storage.urls.verify({ method: 'GET', name: 'private/other.pdf', expires }, signature)).toBe('bad-signature')
    expect(storage.urls.verify({ method: 'GET', name: 'private/report.pdf', expires: expires + 1 }, signature)).toBe('bad-signature')
    expect(
      storage.urls.verify(
        { method: 'GET', name: 'private/report.pdf', expires },
        signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A'),
      ),
    ).toBe('bad-signature')
    expect(storage.urls.verify({ method: 'GET', name: 'private/report.pdf', expires }, signature, (expires + 1) * 1000)).toBe('expired')
    const other = new FileSystemStorage({ location: tempDir(), querystringAuth: true, secret: 'another-secret' })
    expect(other.urls.verify({ method: 'GET', name: 'private/report.pdf', expires }, signature)).toBe('bad-signature')
  })

  it('url(name, { expire }) sets the expiry', async () => {
    const storage = new FileSystemStorage({ location: tempDir(), querystringAuth: true, secret: 's' })
    const url = new URL(await storage.url('x.txt', { expire: 5 }), 'http://localhost')
    expect(Number(url.searchParams.get('expires'))).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 5)
  })
})

describe('FileSystemStorage options', () => {
  it('an unknown option throws ImproperlyConfigured naming it', () => {
    expect(() => new FileSystemStorage({ bogus: 1 } as never)).toThrow("Invalid setting 'bogus' for FileSystemStorage")
  })
  it('querystringAuth without a secret throws ImproperlyConfigured with the fix', () => {
    expect(() => new FileSystemStorage({ querystringAuth: true })).toThrow(ImproperlyConfigured)
    expect(() => new FileSystemStorage({ querystringAuth: true })).toThrow(/pass secret/)
  })
  it('a bad permission mode throws ImproperlyConfigured', () => {
    expect(() => new FileSystemStorage({ filePermissionsMode: 'rw-r--r--' })).toThrow(/filePermissionsMode/)
  })
  it('defaults: ./media made absolute, /media/ URLs, no overwrite, no signing', async () => {
    const storage = new FileSystemStorage()
    expect(storage.location).toBe(join(process.cwd(), 'media'))
    expect(storage.fileOverwrite).toBe(false)
    expect(await storage.url('a b.txt')).toBe('/media/a%20b.txt')
  })
  it('the secret never appears in toString() or in errors', async () => {
    const secret = 'super-secret-value-123'
    const storage = new FileSystemStorage({ location: tempDir(), querystringAuth: true, secret })
    expect(String(storage)).not.toContain(secret)
    expect(JSON.stringify(storage)).not.toContain(secret)
    const error = await storage.read('missing').catch((e) => e)
    expect(String(error) + JSON.stringify(error)).not.toContain(secret)
  })
  it('signed upload URLs need a secret', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    await expect(storage.signedUploadUrl('x.txt')).rejects.toThrow(/secret/)
  })
  it('getCreatedTime is a Date or NotImplementedError where the file system has no birth time', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    await storage.save('t.txt', 'x')
    const created = await storage.getCreatedTime('t.txt').catch((e) => e)
    expect(created instanceof Date || created instanceof NotImplementedError).toBe(true)
  })
})

describe('FileSystemStorage exists() and links', () => {
  it('exists() refuses a dangling symlink and one pointing outside, as the docs say', async () => {
    const outside = tempDir()
    const location = tempDir()
    symlinkSync(join(outside, 'gone.txt'), join(location, 'dangling'))
    symlinkSync(outside, join(location, 'out'))
    const storage = new FileSystemStorage({ location })
    await expect(storage.exists('dangling')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.exists('out')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    mkdirSync(join(location, 'dir'))
    expect(await storage.exists('dir')).toBe(true)
  })
})

describe('FileSystemStorage listings and links', () => {
  it('list() and listdir() leave out links every other method refuses', async () => {
    const outside = tempDir()
    writeFileSync(join(outside, 'secret.txt'), 'secret')
    const location = tempDir()
    symlinkSync(join(outside, 'secret.txt'), join(location, 'link.txt'))
    symlinkSync(outside, join(location, 'outdir'))
    const storage = new FileSystemStorage({ location })
    await storage.save('real.txt', 'real')
    const listed: string[] = []
    for await (const e of storage.list('', { recursive: true })) listed.push(e.name)
    expect(listed).toEqual(['real.txt'])
    expect(await storage.listdir('')).toEqual([[], ['real.txt']])
  })
})

describe('FileSystemStorage signing arguments', () => {
  it('an expiry or maxSize that could never verify is refused when signing', async () => {
    const storage = new FileSystemStorage({ location: tempDir(), querystringAuth: true, secret: 's' })
    for (const expire of [1.5, -1, Number.NaN])
      await expect(storage.url('x.txt', { expire }), String(expire)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    for (const maxSize of [10.5, -1, 2 ** 60])
      await expect(storage.signedUploadUrl('x.txt', { maxSize }), String(maxSize)).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    expect(() => new FileSystemStorage({ querystringAuth: true, secret: 's', querystringExpire: 0.5 })).toThrow(/querystringExpire/)
  })
})

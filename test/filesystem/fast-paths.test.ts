// The fast paths of FileSystemStorage writes (issue 12) keep every guarantee of the slow ones:
// bytes written in one call, files copied with copyFile, no probe before an exclusive commit, and
// directories trusted for a second at most; small saves through the thread pool and through the worker.
import { chmodSync, createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FileSystemStorage, StorageError, SuspiciousFileOperation } from '../../src/index.js'
import { TRUST_MS } from '../../src/backends/filesystem/confine.js'
import { offloadedJobs, offloadReady, setOffload } from '../../src/backends/filesystem/offload.js'

const roots: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-fs-fast-'))
  roots.push(dir)
  return dir
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

const temporaries = (dir: string) => readdirSync(dir, { recursive: true }).filter((f) => String(f).includes('.nstmp-'))

/** The mode a plain writeFile gives a new file here (0o666 less the umask). */
function plainMode(dir: string): number {
  writeFileSync(join(dir, 'plain-probe'), '')
  const mode = statSync(join(dir, 'plain-probe')).mode & 0o777
  rmSync(join(dir, 'plain-probe'))
  return mode
}

describe.each([
  ['the thread pool', false],
  ['the worker thread', true],
])('FileSystemStorage buffer saves through %s', (_, worker) => {
  let jobsBefore = 0
  beforeAll(async () => {
    setOffload(worker)
    if (worker) expect(await offloadReady()).toBe(true)
    jobsBefore = offloadedJobs()
  })
  afterAll(() => {
    // Each test below made small saves: they went through the worker exactly when it was on.
    if (worker) expect(offloadedJobs()).toBeGreaterThan(jobsBefore + 5)
    else expect(offloadedJobs()).toBe(jobsBefore)
    setOffload(true)
  })

  it('a new name is committed without calling exists(); a taken one still gets another name', async () => {
    const storage = new FileSystemStorage({ location: tempDir() })
    const exists = vi.spyOn(storage, 'exists')
    expect(await storage.save('one.txt', 'first')).toBe('one.txt')
    expect(exists).not.toHaveBeenCalled()
    const second = await storage.save('one.txt', 'second')
    expect(second).toMatch(/^one_[A-Za-z0-9]{7}\.txt$/)
    expect(exists).toHaveBeenCalled()
    expect((await storage.read('one.txt')).toString()).toBe('first')
    expect((await storage.read(second)).toString()).toBe('second')
  })

  it('50 concurrent buffer saves of one name give 50 files with their own bytes and leave no temporary file', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    const contents = Array.from({ length: 50 }, (_, i) => Buffer.from(`content ${i}`))
    const names = await Promise.all(contents.map((c) => storage.save('same/name.bin', c)))
    expect(new Set(names).size).toBe(50)
    const read = await Promise.all(names.map(async (n) => (await storage.read(n)).toString()))
    expect(read.sort()).toEqual(contents.map(String).sort())
    expect(temporaries(location)).toEqual([])
  })

  it('a name taken by a directory gets another name, the directory untouched', async () => {
    const location = tempDir()
    mkdirSync(join(location, 'taken.txt'))
    const storage = new FileSystemStorage({ location })
    const name = await storage.save('taken.txt', 'x')
    expect(name).toMatch(/^taken_[A-Za-z0-9]{7}\.txt$/)
    expect(statSync(join(location, 'taken.txt')).isDirectory()).toBe(true)
  })

  it('buffer saves get the exact filePermissionsMode, whatever the umask, overwriting too', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location, filePermissionsMode: 0o666 })
    await storage.save('wide.txt', Buffer.from('x'))
    expect(statSync(join(location, 'wide.txt')).mode & 0o777).toBe(0o666)
    const overwriting = new FileSystemStorage({ location, fileOverwrite: true, filePermissionsMode: 0o600 })
    expect(await overwriting.save('wide.txt', 'y')).toBe('wide.txt')
    expect(statSync(join(location, 'wide.txt')).mode & 0o777).toBe(0o600)
    expect((await storage.read('wide.txt')).toString()).toBe('y')
    expect(temporaries(location)).toEqual([])
  })

  it('a view of a larger buffer stores only its own bytes', async () => {
    const big = Buffer.alloc(1024 * 1024, 1)
    big.write('hello', 1000)
    const storage = new FileSystemStorage({ location: tempDir() })
    const name = await storage.save('view.txt', big.subarray(1000, 1005))
    expect((await storage.read(name)).toString()).toBe('hello')
  })

  it('a name too long for the file system fails with a StorageError carrying the errno, leaving nothing', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    const error = await storage.save(`${'x'.repeat(300)}.txt`, 'x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect((error as StorageError & { cause?: { code?: string } }).cause?.code).toBe('ENAMETOOLONG')
    expect(readdirSync(location)).toEqual([])
  })

  it('a trusted directory removed behind the storage is made again on the next save', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    await storage.save('d/one.txt', '1')
    rmSync(join(location, 'd'), { recursive: true })
    expect(await storage.save('d/two.txt', '2')).toBe('d/two.txt')
    expect((await storage.read('d/two.txt')).toString()).toBe('2')
  })
})

describe('FileSystemStorage subclasses and the skipped probe', () => {
  it("an overridden getAvailableName() is still what save() asks (Django's OverwriteStorage pattern)", async () => {
    class Overwriting extends FileSystemStorage {
      override async getAvailableName(name: string): Promise<string> {
        await this.delete(name)
        return name
      }
    }
    const storage = new Overwriting({ location: tempDir() })
    expect(await storage.save('same.txt', 'one')).toBe('same.txt')
    expect(await storage.save('same.txt', 'two')).toBe('same.txt')
    expect((await storage.read('same.txt')).toString()).toBe('two')
  })

  it('an exists() that always says false cannot make save() loop: a taken name is a FileExistsError', async () => {
    class Blind extends FileSystemStorage {
      override async exists(): Promise<boolean> {
        return false
      }
    }
    const storage = new Blind({ location: tempDir() })
    await storage.save('taken.txt', 'one')
    await expect(storage.save('taken.txt', 'two')).rejects.toMatchObject({ code: 'EEXIST' })
    expect((await storage.read('taken.txt')).toString()).toBe('one')
  })
})

describe('FileSystemStorage saves of files on disk', () => {
  it('an untouched fs.ReadStream is copied whole without being read, then closed; the copy gets the mode of any save', async () => {
    const source = join(tempDir(), 'source.bin')
    const data = Buffer.alloc(3 * 1024 * 1024 + 5, 9)
    writeFileSync(source, data)
    chmodSync(source, 0o600)
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    const stream = createReadStream(source)
    expect(await storage.save('copied.bin', stream)).toBe('copied.bin')
    expect(stream.bytesRead).toBe(0) // copied by copyFile, not streamed
    expect(stream.destroyed).toBe(true)
    expect((await storage.read('copied.bin')).equals(data)).toBe(true)
    expect(statSync(join(location, 'copied.bin')).mode & 0o777).toBe(plainMode(location))
    const modal = new FileSystemStorage({ location, filePermissionsMode: 0o640 })
    const again = await modal.save('copied.bin', createReadStream(source))
    expect(again).not.toBe('copied.bin')
    expect(statSync(join(location, again)).mode & 0o777).toBe(0o640)
    expect(temporaries(location)).toEqual([])
  })

  it('a read stream of part of a file, or already read from, stores exactly what the stream gives', async () => {
    const source = join(tempDir(), 'source.txt')
    writeFileSync(source, '0123456789')
    const storage = new FileSystemStorage({ location: tempDir() })
    expect((await storage.read(await storage.save('part.txt', createReadStream(source, { start: 2, end: 5 })))).toString()).toBe('2345')
    const started = createReadStream(source, { highWaterMark: 4 })
    await new Promise<void>((r) => started.once('readable', () => r()))
    started.read(4)
    expect((await storage.read(await storage.save('rest.txt', started))).toString()).toBe('456789')
  })

  it('a read stream of a missing file fails as the content, and leaves nothing behind', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    await expect(storage.save('x.bin', createReadStream(join(location, 'missing.bin')))).rejects.toMatchObject({ code: 'E_CONTENT' })
    expect(readdirSync(location)).toEqual([])
  })

  it('with onProgress the stream is read (and progress reported) instead of copied', async () => {
    const source = join(tempDir(), 'source.bin')
    writeFileSync(source, Buffer.alloc(200_000, 1))
    const storage = new FileSystemStorage({ location: tempDir() })
    const seen: number[] = []
    await storage.save('p.bin', createReadStream(source), { onProgress: (p) => seen.push(p.loaded) })
    expect(seen.at(-1)).toBe(200_000)
  })
})

describe('FileSystemStorage trusted directories', () => {
  it('a trusted directory replaced by a link outside location is refused once the trust expires', async () => {
    const outside = tempDir()
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    await storage.save('d/one.txt', '1')
    expect(await storage.url('d/one.txt')).toBe('/media/d/one.txt')
    rmSync(join(location, 'd'), { recursive: true })
    symlinkSync(outside, join(location, 'd'))
    await new Promise((r) => setTimeout(r, TRUST_MS + 50))
    await expect(storage.save('d/two.txt', '2')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.url('d/one.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    await expect(storage.exists('d/one.txt')).rejects.toBeInstanceOf(SuspiciousFileOperation)
    expect(readdirSync(outside)).toEqual([])
  })
})

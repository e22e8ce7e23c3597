// cleanup(): the temporary files interrupted writes leave behind (issue 11 item 6, filesystem part).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage } from '../../src/index.js'

const roots: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-fs-cleanup-'))
  roots.push(dir)
  return dir
}
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true })
})

const HOUR = 3_600_000

/** Writes a file and sets its modification time `ageMs` in the past. */
function leftover(file: string, ageMs: number, content = 'partial'): string {
  writeFileSync(file, content)
  const when = new Date(Date.now() - ageMs)
  utimesSync(file, when, when)
  return file
}

describe('FileSystemStorage.cleanup()', () => {
  it('removes temporary files older than a day (the default) at every depth, and counts them', async () => {
    const location = tempDir()
    mkdirSync(join(location, 'a/b'), { recursive: true })
    const old = [
      leftover(join(location, '.nstmp-0123456789abcdef'), 25 * HOUR),
      leftover(join(location, 'a/.nstmp-00112233445566778899aabb'), 48 * HOUR),
      leftover(join(location, 'a/b/.nstmp-ffffffffffffffff'), 30 * HOUR),
    ]
    const young = leftover(join(location, 'a/.nstmp-aaaaaaaaaaaaaaaa'), 1 * HOUR)
    const storage = new FileSystemStorage({ location })
    expect(await storage.cleanup()).toBe(3)
    for (const f of old) expect(existsSync(f), f).toBe(false)
    expect(existsSync(young)).toBe(true)
    expect(await storage.cleanup()).toBe(0)
  })

  it('olderThan narrows or widens the age; user files, even old ones, are never touched', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    const name = await storage.save('kept.txt', 'user data')
    utimesSync(join(location, name), new Date(0), new Date(0))
    leftover(join(location, '.nstmp-not-hex-so-a-user-file'), 100 * HOUR)
    leftover(join(location, '.nstmp-0123'), 100 * HOUR) // too short to be ours
    leftover(join(location, 'x.nstmp-0123456789abcdef'), 100 * HOUR)
    const tmp = leftover(join(location, '.nstmp-0123456789abcdef'), 2 * HOUR)
    expect(await storage.cleanup({ olderThan: 3 * HOUR })).toBe(0)
    expect(await storage.cleanup({ olderThan: HOUR })).toBe(1)
    expect(existsSync(tmp)).toBe(false)
    expect(readdirSync(location).sort()).toEqual(['.nstmp-0123', '.nstmp-not-hex-so-a-user-file', 'kept.txt', 'x.nstmp-0123456789abcdef'])
    expect((await storage.read('kept.txt')).toString()).toBe('user data')
  })

  it('does not follow a symlinked directory out of location', async () => {
    const outside = tempDir()
    const theirs = leftover(join(outside, '.nstmp-0123456789abcdef'), 100 * HOUR)
    const location = tempDir()
    symlinkSync(outside, join(location, 'linked'))
    expect(await new FileSystemStorage({ location }).cleanup({ olderThan: 0 })).toBe(0)
    expect(existsSync(theirs)).toBe(true)
  })

  it('never removes the temporary file of a save in progress in this process, even with olderThan 0', async () => {
    const location = tempDir()
    const storage = new FileSystemStorage({ location })
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    async function* body() {
      yield Buffer.from('first ')
      await gate
      yield Buffer.from('second')
    }
    const saving = storage.save('slow.txt', body())
    await new Promise((r) => setTimeout(r, 30))
    expect(readdirSync(location).filter((f) => f.startsWith('.nstmp-'))).toHaveLength(1)
    expect(await storage.cleanup({ olderThan: 0 })).toBe(0)
    release()
    expect(await saving).toBe('slow.txt')
    expect((await storage.read('slow.txt')).toString()).toBe('first second')
    expect(readdirSync(location)).toEqual(['slow.txt'])
  })

  it('a missing location is nothing to clean; a bad olderThan is refused', async () => {
    const storage = new FileSystemStorage({ location: join(tempDir(), 'not-yet') })
    expect(await storage.cleanup()).toBe(0)
    await expect(storage.cleanup({ olderThan: -1 })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
    await expect(storage.cleanup({ olderThan: Number.NaN })).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' })
  })

  it('an aborted cleanup rejects with the reason', async () => {
    const location = tempDir()
    leftover(join(location, '.nstmp-0123456789abcdef'), 100 * HOUR)
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(new FileSystemStorage({ location }).cleanup({ signal: controller.signal })).rejects.toBe(reason)
  })
})

// On a file system without hard links (link() fails with EPERM), no-overwrite saves reserve the
// name by exclusive create and rename the temp file over it: still no lost or mixed-up files.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'

const linkCalls = vi.hoisted(() => ({ count: 0 }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>()
  return {
    ...original,
    link: async () => {
      linkCalls.count++
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' })
    },
  }
})

const { FileSystemStorage } = await import('../../src/index.js')
// Small saves normally go through a worker thread, which the mock above does not reach.
const { setOffload } = await import('../../src/backends/filesystem/offload.js')
setOffload(false)
const dir = mkdtempSync(join(tmpdir(), 'ns-nolink-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('FileSystemStorage without hard links', () => {
  it('20 concurrent saves of one name still give 20 distinct files with their own contents', async () => {
    const storage = new FileSystemStorage({ location: dir })
    const contents = Array.from({ length: 20 }, (_, i) => `content ${i}`)
    const names = await Promise.all(contents.map((c) => storage.save('same.txt', c)))
    expect(linkCalls.count).toBeGreaterThanOrEqual(20)
    expect(new Set(names).size).toBe(20)
    const read = await Promise.all(names.map(async (n) => (await storage.read(n)).toString()))
    expect(read.sort()).toEqual([...contents].sort())
    expect(readdirSync(dir).filter((f) => f.startsWith('.nstmp-'))).toEqual([])
  })

  it('move without overwrite falls back to copy and still refuses a taken name', async () => {
    const storage = new FileSystemStorage({ location: dir })
    await storage.save('m/a.txt', 'a')
    await storage.save('m/b.txt', 'b')
    await expect(storage.move('m/a.txt', 'm/b.txt')).rejects.toMatchObject({ code: 'EEXIST' })
    await storage.move('m/a.txt', 'm/c.txt')
    expect((await storage.read('m/c.txt')).toString()).toBe('a')
    expect(await storage.exists('m/a.txt')).toBe(false)
  })
})

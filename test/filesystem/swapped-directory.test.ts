// A directory inside location swapped for a symlink that points outside: saves that create new
// subdirectories under it must not keep writing outside (each new directory is checked by its
// real path before it is trusted), and past the trust window nothing at all lands outside.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage } from '../../src/index.js'

const base = mkdtempSync(join(tmpdir(), 'ns-swap-'))
afterAll(() => rmSync(base, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a directory swapped for an outward symlink', () => {
  it('a save creating new subdirectories under it is refused and writes nothing outside', async () => {
    const loc = join(base, 'loc')
    const out = join(base, 'out')
    mkdirSync(loc, { recursive: true })
    mkdirSync(out)
    const storage = new FileSystemStorage({ location: loc })
    await storage.save('a/first.txt', Buffer.from('x'))
    renameSync(join(loc, 'a'), join(base, 'a-old'))
    symlinkSync(out, join(loc, 'a'))
    let dir = 'a'
    for (let i = 0; i < 3; i++) {
      await sleep(600)
      dir += `/s${i}`
      await expect(storage.save(`${dir}/leak.txt`, Buffer.from('leak'))).rejects.toMatchObject({ code: 'E_SUSPICIOUS' })
    }
    await sleep(1100) // past the trust window of a/ itself
    await expect(storage.save('a/late.txt', Buffer.from('late'))).rejects.toMatchObject({ code: 'E_SUSPICIOUS' })
    expect(readdirSync(out)).toEqual([])
    expect(existsSync(join(base, 'a-old', 'late.txt'))).toBe(false)
  }, 15_000)
})

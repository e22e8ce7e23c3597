// openVersion(): the stat and the bytes of one version, even when the file is replaced between
// the open and the read (what an HTTP response's Content-Length/ETag and body need).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { streamToBuffer } from '../../src/core/content.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const backends: [string, () => Storage][] = [
  [
    'FileSystemStorage',
    () => new FileSystemStorage({ location: (dirs[dirs.length] = mkdtempSync(join(tmpdir(), 'ns-ov-'))), fileOverwrite: true }),
  ],
  ['InMemoryStorage', () => new InMemoryStorage({ fileOverwrite: true })],
]

describe.each(backends)('%s.openVersion', (_name, make) => {
  it('reads the version it opened although the file was replaced before the read', async () => {
    const storage = make()
    await storage.save('f.txt', 'old version, longer')
    const opened = await storage.openVersion('f.txt')
    await storage.save('f.txt', 'new')
    expect(opened.stat.size).toBe(19)
    const body = await streamToBuffer(await opened.read({ start: 4, end: 10 }))
    expect(body.toString()).toBe('version')
    expect((await storage.stat('f.txt')).size).toBe(3)
  })

  it('close() without a read releases the file; a missing file is FileNotFoundError (404)', async () => {
    const storage = make()
    await storage.save('g.txt', 'x')
    const opened = await storage.openVersion('g.txt')
    await opened.close()
    await expect(storage.openVersion('missing.txt')).rejects.toMatchObject({ code: 'ENOENT', status: 404 })
    await expect(storage.openVersion('../out.txt')).rejects.toMatchObject({ code: 'E_SUSPICIOUS' })
  })
})

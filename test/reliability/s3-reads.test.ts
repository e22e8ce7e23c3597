// Downloads that fail midway (the answer's body truncated, the connection reset) always throw, and
// throw a StorageError with the failure as `cause`, never a bare `Error: aborted` and never a short
// result; faults before the answer starts are retried by the SDK and give the right bytes.
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { StorageError } from '../../src/core/errors.js'
import { streamToBuffer } from '../../src/core/content.js'
import { STRESS, bytes, faultProxy, report, s3Storage, sha256 } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
afterEach(() => proxy.reset())

const SIZE = 512 * 1024
const CUTS = STRESS ? Array.from({ length: 32 }, (_, i) => Math.floor(((i + 1) * SIZE) / 33)) : [1, 64 * 1024, SIZE - 1]
let truncated = 0
let compared = 0

describe('a download cut short', () => {
  for (const how of ['read', 'open'] as const) {
    it(`${how}() throws a StorageError with its cause, wherever the body is cut (${CUTS.length} places)`, async () => {
      const storage = s3Storage(proxy)
      const data = bytes(SIZE, 3)
      await storage.save('file.bin', data)
      for (const cut of CUTS) {
        proxy.setRules([{ match: 'GetObject', fault: { kind: 'truncate', afterBytes: cut } }])
        const result = await (how === 'read' ? storage.read('file.bin') : storage.open('file.bin').then(streamToBuffer)).then(
          (got) => got,
          (e: unknown) => e,
        )
        truncated++
        expect(result, `cut at ${cut}`).toBeInstanceOf(StorageError)
        expect((result as Error).cause, `cut at ${cut}`).toBeDefined()
        expect((result as Error).message).toMatch(/file\.bin/)
      }
      storage.destroy()
    })
  }

  it('a range read cut short throws too', async () => {
    const storage = s3Storage(proxy)
    await storage.save('file.bin', bytes(SIZE, 4))
    proxy.setRules([{ match: 'GetObject', fault: { kind: 'truncate', afterBytes: 100 } }])
    await expect(storage.open('file.bin', { start: 10, end: 5000 }).then(streamToBuffer)).rejects.toBeInstanceOf(StorageError)
    storage.destroy()
  })
})

describe('a fault before the answer starts', () => {
  it('is retried by the SDK: the bytes read are the bytes saved', async () => {
    const storage = s3Storage(proxy)
    const data = bytes(SIZE, 5)
    await storage.save('file.bin', data)
    for (const fault of [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
      { kind: 'reset', afterBytes: 0 },
    ] as const) {
      proxy.setRules([{ match: 'GetObject', fault, times: 1 }])
      expect(sha256(await storage.read('file.bin'))).toBe(sha256(data))
      compared += data.length
    }
    storage.destroy()
  })
})

afterAll(() => report('reads', { truncatedDownloads: truncated, bytesCompared: compared, requests: proxy.stats.requests }))

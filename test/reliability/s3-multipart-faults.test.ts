// A multipart upload the server keeps failing (every UploadPart answered 500 or 503, or reset
// mid-body) rejects with a StorageError carrying the server's failure as `cause`, never with the
// AbortError a caller's own abort gives, and leaves no object and no open upload behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StorageError } from '../../src/core/errors.js'
import type { Fault } from '../support/fault-proxy.js'
import { MIB, STRESS, allKeys, bytes, faultProxy, openUploads, reportProxy, s3Storage, streamOf } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
beforeAll(() => proxy.reset())

const SIZES = STRESS ? [12 * MIB, 40 * MIB, 64 * MIB] : [40 * MIB]
const FAULTS: Fault[] = [
  { kind: 'status', status: 500 },
  { kind: 'status', status: 503 },
  { kind: 'reset', afterBytes: 64 * 1024 },
]
let saves = 0

describe('a multipart upload the server keeps failing', () => {
  for (const size of SIZES) {
    for (const fault of FAULTS) {
      const label = fault.kind === 'status' ? `every UploadPart answered ${fault.status}` : 'every UploadPart reset after 64 KiB'
      it(`rejects with a StorageError and its cause (${size / MIB} MiB, ${label}), leaving nothing behind`, async () => {
        proxy.setRules([{ match: 'UploadPart', fault }])
        const storage = s3Storage(proxy, { fileOverwrite: true, clientConfig: { maxAttempts: 2, retryMode: 'standard' } })
        const data = bytes(size, size + fault.kind.length)
        const error = await storage.save('big.bin', streamOf(data)).then(
          () => undefined,
          (e: unknown) => e,
        )
        saves++
        proxy.setRules([])
        expect(error).toBeInstanceOf(StorageError)
        expect((error as Error).name).not.toBe('AbortError')
        expect((error as Error).cause).toBeDefined()
        expect(await allKeys(storage)).toEqual([])
        expect(await openUploads(storage)).toEqual([])
        storage.destroy()
      })
    }
  }

  it('still tells a caller its own abort: the signal’s reason', async () => {
    proxy.setRules([{ match: 'UploadPart', fault: { kind: 'hang' } }])
    const storage = s3Storage(proxy, { fileOverwrite: true })
    const controller = new AbortController()
    const reason = new Error('the caller gave up')
    setTimeout(() => controller.abort(reason), 300)
    const started = Date.now()
    await expect(storage.save('big.bin', streamOf(bytes(12 * MIB)), { signal: controller.signal })).rejects.toBe(reason)
    expect(Date.now() - started).toBeLessThan(2_000) // the hung parts are cancelled, not waited for
    proxy.setRules([])
    await expect.poll(() => openUploads(storage), { timeout: 5_000 }).toEqual([])
    expect(await allKeys(storage)).toEqual([])
    storage.destroy()
  })
})

afterAll(() => reportProxy('multipart-faults', proxy, { saves }))

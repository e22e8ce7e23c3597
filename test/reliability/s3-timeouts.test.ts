// Timeouts and cancellation against a server that stops answering (the fault proxy hangs): every
// S3 call fails with TimeoutError (E_TIMEOUT, 504) within readTimeout × the SDK's attempts, never
// hangs; and every method's `signal` reaches the SDK (the hung request is really closed).
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { S3Storage } from '../../src/backends/s3/index.js'
import { clientConfig } from '../../src/backends/s3/client.js'
import { resolveS3Options } from '../../src/backends/s3/resolve.js'
import { StorageError, TimeoutError } from '../../src/core/errors.js'
import { streamToBuffer } from '../../src/core/content.js'
import type { ProxiedRequest, S3Op } from '../support/fault-proxy.js'
import { MIB, bytes, faultProxy, reportProxy, s3Storage, streamOf } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
afterAll(() => reportProxy('timeouts', proxy))
afterEach(() => proxy.reset())

const READ_TIMEOUT = 300
const ATTEMPTS = 3

/** Each public I/O method, called on `s` (names prepared by `prepare`). */
const CALLS: Record<string, (s: S3Storage, signal?: AbortSignal) => Promise<unknown>> = {
  exists: (s, signal) => s.exists('a.txt', { signal }),
  stat: (s, signal) => s.stat('a.txt', { signal }),
  read: (s, signal) => s.read('a.txt', { signal }),
  open: async (s, signal) => streamToBuffer(await s.open('a.txt', { signal })),
  listdir: (s, signal) => s.listdir('', { signal }),
  list: async (s, signal) => {
    for await (const _ of s.list('', { signal })) void _
  },
  delete: (s, signal) => s.delete('a.txt', { signal }),
  deleteMany: (s, signal) => s.deleteMany(['a.txt', 'b.txt'], { signal }),
  copy: (s, signal) => s.copy('a.txt', 'c.txt', { signal }),
  move: (s, signal) => s.move('a.txt', 'd.txt', { signal }),
  save: (s, signal) => s.save('e.txt', 'hello', { signal }),
  'save (multipart)': (s, signal) => s.save('f.bin', streamOf(bytes(6 * MIB)), { signal }),
  signedUploadUrl: (s, signal) => s.signedUploadUrl('g.txt', { signal }),
}

/**
 * What hangs in the signal tests: everything, but for saves the write itself (the available-name
 * probe of core `save()` carries no signal yet; it is bounded by readTimeout) and, for multipart,
 * the parts (CreateMultipartUpload runs to the end: its upload id is needed to abort the upload).
 */
const HUNG: Record<string, S3Op | ((r: ProxiedRequest) => boolean)> = { save: 'PutObject', 'save (multipart)': 'UploadPart' }
const SIGNAL_CALLS = Object.entries(CALLS).filter(([method]) => method !== 'signedUploadUrl') // presigning sends nothing

describe('timeouts by default', () => {
  it('are connectTimeout 10 s and readTimeout 60 s on the client built', () => {
    const config = clientConfig(resolveS3Options({ bucketName: 'b' }))
    expect(config.requestHandler).toMatchObject({ connectionTimeout: 10_000, socketTimeout: 60_000 })
    const custom = clientConfig(
      resolveS3Options({ bucketName: 'b', readTimeout: 5_000, clientConfig: { requestHandler: { socketTimeout: 7 } } }),
    )
    expect(custom.requestHandler).toMatchObject({ connectionTimeout: 10_000, socketTimeout: 7 })
    expect(S3Storage.fromEnv({ AWS_STORAGE_BUCKET_NAME: 'b', AWS_S3_READ_TIMEOUT: '1500' })).toBeInstanceOf(S3Storage)
    expect(() => new S3Storage({ bucketName: 'b', readTimeout: -1 })).toThrow(/readTimeout/)
  })
})

describe('a server that stops answering', () => {
  it('fails every S3 method with E_TIMEOUT within readTimeout × attempts (all at once)', async () => {
    const storage = s3Storage(proxy, { readTimeout: READ_TIMEOUT })
    const overwriting = s3Storage(proxy, { readTimeout: READ_TIMEOUT, fileOverwrite: true, location: storage.location })
    await storage.save('a.txt', 'content')
    proxy.setRules([{ match: () => true, fault: { kind: 'hang' } }])
    const outcomes = await Promise.all(
      Object.entries(CALLS).map(async ([method, call]) => {
        const started = Date.now()
        const error = await call(method === 'save (multipart)' ? overwriting : storage).then(
          () => undefined,
          (e: unknown) => e,
        )
        return { method, took: Date.now() - started, error }
      }),
    )
    for (const { method, took, error } of outcomes) {
      expect(error, method).toBeInstanceOf(TimeoutError)
      expect(error, method).toMatchObject({ code: 'E_TIMEOUT', status: 504 })
      // Each attempt waits readTimeout, then the SDK backs off (< 1 s each here) and retries; the
      // available-name probe of a save and the follow-up of a failed HEAD are calls of their own.
      expect(took, method).toBeLessThan(2 * ATTEMPTS * (READ_TIMEOUT + 1_000))
    }
    storage.destroy()
    overwriting.destroy()
  })

  it('fails a read stream whose body stops midway with E_TIMEOUT', async () => {
    const storage = s3Storage(proxy, { readTimeout: READ_TIMEOUT })
    await storage.save('big.bin', bytes(256 * 1024))
    proxy.setRules([{ match: 'GetObject', fault: { kind: 'hang', afterBytes: 1000 } }])
    const stream = await storage.open('big.bin')
    await expect(streamToBuffer(stream)).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    proxy.setRules([])
    storage.destroy()
  })
})

describe('a signal', () => {
  for (const [method, call] of SIGNAL_CALLS) {
    it(`reaches the SDK from ${method}(): the hung request is closed and the call rejects with the reason`, async () => {
      const storage = s3Storage(proxy, { readTimeout: 30_000, fileOverwrite: method === 'save (multipart)' })
      await storage.save('a.txt', 'content')
      proxy.setRules([{ match: HUNG[method] ?? (() => true), fault: { kind: 'hang' } }])
      const abandoned = proxy.stats.abandoned
      const controller = new AbortController()
      const reason = new Error(`stop ${method}`)
      const done = call(storage, controller.signal).then(
        () => undefined,
        (e: unknown) => e,
      )
      proxy.seen.length = 0
      await expect.poll(() => proxy.seen.length, { timeout: 5_000 }).toBeGreaterThan(0) // a request is hanging
      await new Promise((r) => setTimeout(r, 50))
      controller.abort(reason)
      expect(await done).toBe(reason)
      await expect.poll(() => proxy.stats.abandoned, { timeout: 2_000 }).toBeGreaterThan(abandoned)
      proxy.setRules([])
      proxy.reset()
      storage.destroy()
    })
  }

  it('never turns a caller’s abort into a StorageError', async () => {
    const storage = s3Storage(proxy)
    const controller = new AbortController()
    controller.abort()
    await expect(storage.exists('x', { signal: controller.signal })).rejects.not.toBeInstanceOf(StorageError)
    storage.destroy()
  })
})

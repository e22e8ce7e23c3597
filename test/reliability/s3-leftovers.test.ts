// What interrupted writes leave behind, and cleanup(): the temporary key of a multipart save whose
// delete failed is retried once, else found and removed by cleanup(); cleanup() also aborts the
// incomplete multipart uploads of temporary keys (a killed process), spares the writes in
// progress, and removes nothing younger than olderThan.
import { randomBytes } from 'node:crypto'
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { InMemoryStorage } from '../../src/backends/memory/storage.js'
import { InvalidArgumentError } from '../../src/core/errors.js'
import { BUCKET, MIB, allKeys, bytes, faultProxy, ledger, openUploads, reportProxy, s3Storage, streamOf } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
afterAll(() => reportProxy('leftovers', proxy))
afterEach(() => proxy.reset())

const isTemp = (key: string) => /^\.nstmp-[0-9a-f]+$/.test(key)
const ONE_ATTEMPT = { clientConfig: { maxAttempts: 1 } }

describe('the temporary key of a multipart save', () => {
  it('is deleted by a second try when the first delete fails', async () => {
    const storage = s3Storage(proxy, ONE_ATTEMPT)
    proxy.setRules([{ match: 'DeleteObject', fault: { kind: 'status', status: 500 }, times: 1 }])
    expect(await storage.save('big.bin', streamOf(bytes(6 * MIB)))).toBe('big.bin')
    expect(proxy.stats.byOp.DeleteObject).toBeGreaterThanOrEqual(2)
    expect(await allKeys(storage)).toEqual(['big.bin'])
    storage.destroy()
  })

  it('is left hidden when every delete fails, and cleanup() finds and removes it', async () => {
    const storage = s3Storage(proxy, ONE_ATTEMPT)
    proxy.setRules([{ match: 'DeleteObject', fault: { kind: 'status', status: 503 } }])
    expect(await storage.save('big.bin', streamOf(bytes(6 * MIB)))).toBe('big.bin')
    proxy.setRules([])
    const keys = await allKeys(storage)
    expect(keys.filter(isTemp)).toHaveLength(1)
    expect((await storage.listdir(''))[1]).toEqual(['big.bin']) // hidden from listings
    expect(await storage.cleanup()).toBe(0) // younger than a day: kept
    expect(await storage.cleanup({ olderThan: 0 })).toBe(1)
    expect(await allKeys(storage)).toEqual(['big.bin'])
    storage.destroy()
  })
})

describe('cleanup()', () => {
  it('aborts the incomplete multipart uploads of temporary keys a killed process left', async () => {
    const storage = s3Storage(proxy)
    const key = `${storage.location}/.nstmp-${randomBytes(12).toString('hex')}`
    const { UploadId } = await ledger.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }))
    await ledger.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: bytes(1024) }))
    const other = `${storage.location}/not-ours.bin`
    await ledger.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: other }))
    expect(await openUploads(storage)).toHaveLength(2)
    expect(await storage.cleanup({ olderThan: 0 })).toBe(1)
    expect(await openUploads(storage)).toEqual(['not-ours.bin']) // not a temporary key: left to a lifecycle rule
    storage.destroy()
  })

  it('spares the temporary key of a save in progress', async () => {
    const storage = s3Storage(proxy)
    proxy.setRules([{ match: 'UploadPart', fault: { kind: 'hang' } }])
    const controller = new AbortController()
    const saving = storage.save('slow.bin', streamOf(bytes(6 * MIB)), { signal: controller.signal }).catch((e: unknown) => e)
    await expect.poll(() => openUploads(storage), { timeout: 5_000 }).toHaveLength(1)
    expect(await storage.cleanup({ olderThan: 0 })).toBe(0)
    expect(await openUploads(storage)).toHaveLength(1)
    controller.abort()
    await saving
    await expect.poll(() => openUploads(storage), { timeout: 5_000 }).toEqual([])
    storage.destroy()
  })

  it('checks olderThan and honours its signal', async () => {
    const storage = s3Storage(proxy)
    await expect(storage.cleanup({ olderThan: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
    await expect(storage.cleanup({ olderThan: Number.NaN })).rejects.toBeInstanceOf(InvalidArgumentError)
    const reason = new Error('enough')
    await expect(storage.cleanup({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    storage.destroy()
  })

  it('on memory, counts nothing left by its own (atomic) writes', async () => {
    const storage = new InMemoryStorage()
    await storage.save('a.txt', 'a')
    expect(await storage.cleanup({ olderThan: 0 })).toBe(0)
    expect(await storage.exists('a.txt')).toBe(true)
  })
})

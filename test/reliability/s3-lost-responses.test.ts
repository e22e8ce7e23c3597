// A write whose answer is lost (the server stored it, the connection dropped, the SDK retried) is
// recognised as this write's own: a 412 to the retry of a conditional PutObject or CopyObject, or
// a NoSuchUpload to the retry of CompleteMultipartUpload, ends in success under the wanted name,
// with no second object and no leftover temporary key or open upload.
import { afterAll, describe, expect, it } from 'vitest'
import type { S3Op } from '../support/fault-proxy.js'
import { MIB, allKeys, bytes, faultProxy, openUploads, reportProxy, s3Storage, sha256, streamOf } from './helpers.js'

const proxy = await faultProxy()
afterAll(() => proxy.stop())
afterAll(() => reportProxy('lost-responses', proxy))

/** Saves `data` (a stream: multipart above 5 MiB) with the first `op` answer dropped; returns name and keys. */
async function saveLosing(op: S3Op, data: Buffer, options: Parameters<typeof s3Storage>[1] = {}) {
  const storage = s3Storage(proxy, options)
  proxy.setRules([{ match: op, fault: { kind: 'drop-response' }, times: 1 }])
  const before = proxy.stats.faults['drop-response']
  try {
    const name = await storage.save('lost.bin', streamOf(data))
    expect(proxy.stats.faults['drop-response']).toBe(before + 1) // the fault did happen
    return { name, keys: await allKeys(storage), uploads: await openUploads(storage), read: await storage.read(name), storage }
  } finally {
    proxy.setRules([])
    storage.destroy()
  }
}

describe('a conditional write whose answer is lost', () => {
  it('PutObject: the 412 to its retry is its own, the file keeps its name and there is one object', async () => {
    const data = bytes(64 * 1024, 7)
    const out = await saveLosing('PutObject', data)
    expect(out.name).toBe('lost.bin')
    expect(out.keys).toEqual(['lost.bin'])
    expect(sha256(out.read)).toBe(sha256(data))
  })

  it('the conditional CopyObject of a multipart save: same, and the temporary key is gone', async () => {
    const data = bytes(6 * MIB, 8)
    const out = await saveLosing('CopyObject', data)
    expect(out.name).toBe('lost.bin')
    expect(out.keys).toEqual(['lost.bin'])
    expect(out.uploads).toEqual([])
    expect(sha256(out.read)).toBe(sha256(data))
  })

  it('a name really taken by another file still moves the save to another name', async () => {
    const storage = s3Storage(proxy)
    await storage.save('taken.bin', 'first')
    const stored = await storage.save('taken.bin', streamOf(bytes(1000)))
    expect(stored).toMatch(/^taken_[A-Za-z0-9]{7}\.bin$/)
    expect((await storage.read('taken.bin')).toString()).toBe('first')
    storage.destroy()
  })
})

describe('a lost answer to CompleteMultipartUpload', () => {
  for (const [label, options] of [
    ['conditionalWrites: false', { conditionalWrites: false }],
    ['fileOverwrite: true', { fileOverwrite: true }],
    ['conditional writes (the temporary key)', {}],
  ] as const) {
    it(`does not fail a save whose object was stored whole (${label})`, async () => {
      const data = bytes(6 * MIB, 9)
      const out = await saveLosing('CompleteMultipartUpload', data, options)
      expect(out.name).toBe('lost.bin')
      expect(out.keys).toEqual(['lost.bin'])
      expect(out.uploads).toEqual([])
      expect(sha256(out.read)).toBe(sha256(data))
    })
  }
})

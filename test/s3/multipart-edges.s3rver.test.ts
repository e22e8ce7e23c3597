// Multipart boundaries (5 MiB ± 1, 10 MiB ± 1), a part retried, content errors, through the verifying and fault proxies.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync, writeFileSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'
import { startVerifyingProxy, type VerifyingProxy } from '../support/sigv4-proxy.js'
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]
const MIB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'ns-rv-mp-'))
let proxy: VerifyingProxy
let faults: FaultProxy
const storages: S3Storage[] = []
beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
  faults = await startFaultProxy({ target: proxy.endpoint })
})
beforeEach(() => {
  proxy.clear()
  faults.reset()
})
afterAll(async () => {
  for (const s of storages) s.destroy()
  await faults.stop()
  await proxy.stop()
  rmSync(dir, { recursive: true, force: true })
})
function storage(options: S3StorageOptions = {}): S3Storage {
  const s = new S3Storage({
    bucketName: Bucket,
    endpointUrl: faults.endpoint,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    location: `rv-${randomUUID()}`,
    conditionalWrites: false,
    transferConfig: { partSize: 5 * MIB, queueSize: 2, multipartThreshold: MIB },
    ...options,
  })
  storages.push(s)
  return s
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
function streamOf(data: Buffer, chunk = 64 * 1024): Readable {
  const chunks: Buffer[] = []
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk))
  return Readable.from(chunks, { objectMode: false })
}

describe('boundaries', () => {
  for (const size of [5 * MIB - 1, 5 * MIB, 5 * MIB + 1, 10 * MIB, 10 * MIB + 1]) {
    for (const source of ['stream', 'file', 'buffer'] as const) {
      it(`${size} bytes from a ${source}`, async () => {
        const s = storage()
        const data = randomBytes(size)
        let content: Buffer | Readable = data
        if (source === 'stream') content = streamOf(data, 100_000)
        if (source === 'file') {
          const p = join(dir, randomUUID())
          writeFileSync(p, data)
          content = createReadStream(p)
        }
        await s.save('x.bin', content)
        expect(sha(await s.read('x.bin'))).toBe(sha(data))
        expect(proxy.openUploads()).toEqual([])
      })
    }
  }
})

describe('faults', () => {
  it('an UploadPart answered 500 once is retried; the object is whole', async () => {
    const s = storage()
    const data = randomBytes(12 * MIB)
    faults.setRules([{ match: 'UploadPart', fault: { kind: 'status', status: 500 }, times: 1 }])
    await s.save('r.bin', streamOf(data))
    expect(sha(await s.read('r.bin'))).toBe(sha(data))
  })
  it('an UploadPart whose connection resets midway is retried; the object is whole', async () => {
    const s = storage()
    const data = randomBytes(12 * MIB)
    faults.setRules([{ match: 'UploadPart', fault: { kind: 'reset', afterBytes: MIB }, times: 1 }])
    await s.save('r2.bin', streamOf(data))
    expect(sha(await s.read('r2.bin'))).toBe(sha(data))
  })
  it('a file that shrinks during its multipart upload: an error, no object, upload aborted', async () => {
    const s = storage()
    const p = join(dir, randomUUID())
    writeFileSync(p, randomBytes(20 * MIB))
    faults.setRules([{ match: 'UploadPart', fault: { kind: 'hang', afterBytes: 0 }, times: 0 }])
    let truncated = false
    const saving = s.save('shrunk.bin', createReadStream(p)).catch((e: unknown) => e)
    const started = Date.now()
    while (!proxy.requests.some((r) => r.method === 'PUT' && 'partNumber' in r.query) && Date.now() - started < 10_000)
      await new Promise((r) => setTimeout(r, 2))
    truncateSync(p, 6 * MIB)
    truncated = true
    const error = await saving
    expect(truncated).toBe(true)
    expect(error).toBeInstanceOf(Error)
    expect(await s.exists('shrunk.bin')).toBe(false)
    await expect.poll(() => proxy.openUploads(), { timeout: 5000 }).toEqual([])
  })
})

// Uploads through the SigV4-verifying proxy to s3rver: what goes over the wire for files on disk,
// content in memory and streams of unknown length, at the sizes where the path changes (empty,
// one PutObject, one part, many parts), and that every byte comes back. The proxy records the
// headers of each request and keeps the multipart ledger (s3rver has no AbortMultipartUpload).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { ContentError } from '../../src/core/errors.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'
import { startVerifyingProxy, type RecordedRequest, type VerifyingProxy } from '../support/sigv4-proxy.js'

const s3 = inject('s3')
const Bucket = s3.buckets[0]
const MIB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'ns-upload-'))
let proxy: VerifyingProxy
const storages: S3Storage[] = []

beforeAll(async () => {
  proxy = await startVerifyingProxy({ target: s3.endpoint, credentials: [{ ...S3RVER_CREDENTIALS }] })
})
beforeEach(() => proxy.clear())
afterAll(async () => {
  for (const s of storages) {
    const names: string[] = []
    for await (const e of s.list('', { recursive: true })) names.push(e.name)
    await s.deleteMany(names)
    s.destroy()
  }
  await proxy.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** 5 MiB parts (S3's minimum), 2 at a time, one PutObject up to 1 MiB. */
function storage(options: S3StorageOptions = {}): S3Storage {
  const s = new S3Storage({
    bucketName: Bucket,
    endpointUrl: proxy.endpoint,
    accessKey: S3RVER_CREDENTIALS.accessKeyId,
    secretKey: S3RVER_CREDENTIALS.secretAccessKey,
    location: `up-${randomUUID()}`,
    conditionalWrites: false, // s3rver ignores If-None-Match
    transferConfig: { partSize: 5 * MIB, queueSize: 2, multipartThreshold: MIB },
    ...options,
  })
  storages.push(s)
  return s
}

/** A file of `size` random bytes; its path and bytes. */
function file(size: number): { path: string; data: Buffer } {
  const data = randomBytes(size)
  const path = join(dir, `${randomUUID()}.bin`)
  writeFileSync(path, data)
  return { path, data }
}

/** `data` as a stream of unknown length, in 64 KiB chunks. */
function streamOf(data: Buffer): Readable {
  const chunks: Buffer[] = []
  for (let i = 0; i < data.length; i += 64 * 1024) chunks.push(data.subarray(i, i + 64 * 1024))
  return Readable.from(chunks, { objectMode: false })
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const isPart = (r: RecordedRequest) => r.method === 'PUT' && 'partNumber' in r.query
const isPut = (r: RecordedRequest) => r.method === 'PUT' && !('partNumber' in r.query)
const creates = () => proxy.requests.filter((r) => r.method === 'POST' && 'uploads' in r.query)

/** The path an upload of `size` bytes takes with the storage above. */
const SIZES = [
  { size: 0, path: 'one PutObject (empty)' },
  { size: 1000, path: 'one PutObject' },
  { size: 3 * MIB, path: 'one PutObject (above the threshold, within one part)' },
  { size: 12 * MIB + 7, path: 'three parts' },
]

describe('uploads round-trip byte-exact', () => {
  for (const { size, path } of SIZES) {
    for (const source of ['a file', 'a stream of unknown length', 'a Buffer'] as const) {
      it(`${size} bytes from ${source}: ${path}`, async () => {
        const s = storage()
        const { path: filePath, data } = file(size)
        const content = source === 'a file' ? createReadStream(filePath) : source === 'a Buffer' ? data : streamOf(data)
        expect(await s.save('f.bin', content)).toBe('f.bin')
        const back = await s.read('f.bin')
        expect(back.length).toBe(size)
        expect(sha(back)).toBe(sha(data))
        const parts = proxy.requests.filter(isPart)
        expect(parts.length).toBe(size > 5 * MIB ? 3 : 0)
        expect(creates().length).toBe(size > 5 * MIB ? 1 : 0)
        expect(proxy.requests.filter(isPut).length).toBe(size > 5 * MIB ? 0 : 1)
        for (const r of proxy.requests.filter((r) => isPart(r) || isPut(r))) expect(r.status).toBe(200)
      })
    }
  }
})

describe('what each upload request carries', () => {
  it('with checksums (WHEN_SUPPORTED): a CRC32 header and UNSIGNED-PAYLOAD, never aws-chunked', async () => {
    const s = storage({ requestChecksumCalculation: 'WHEN_SUPPORTED' })
    const { path, data } = file(11 * MIB)
    await s.save('crc.bin', createReadStream(path))
    const small = file(600 * 1024)
    await s.save('small.bin', createReadStream(small.path))
    const bodies = proxy.requests.filter((r) => isPart(r) || isPut(r))
    expect(bodies.length).toBe(4)
    for (const r of bodies) {
      expect(r.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD')
      expect(r.headers['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/)
      expect(r.headers['content-encoding'] ?? '').not.toContain('aws-chunked')
      expect(r.headers['content-length']).toBeDefined()
    }
    expect(creates()[0]!.headers['x-amz-checksum-algorithm']).toBe('CRC32')
    // The small file went as one streamed PutObject with its length.
    expect(bodies.at(-1)!.headers['content-length']).toBe(String(600 * 1024))
    expect(sha(await s.read('crc.bin'))).toBe(sha(data))
    expect(sha(await s.read('small.bin'))).toBe(sha(small.data))
  })

  it('without checksums (WHEN_REQUIRED, the default with endpointUrl) over http: the payload is signed (its SHA-256, checked by the proxy)', async () => {
    const s = storage()
    const big = file(6 * MIB)
    const small = file(200 * 1024)
    await s.save('big.bin', createReadStream(big.path))
    await s.save('small.bin', createReadStream(small.path))
    const bodies = proxy.requests.filter((r) => isPart(r) || isPut(r))
    const hashes = bodies.map((r) => r.headers['x-amz-content-sha256'])
    expect(hashes.slice(0, 2).sort()).toEqual([sha(big.data.subarray(0, 5 * MIB)), sha(big.data.subarray(5 * MIB))].sort())
    expect(hashes[2]).toBe(sha(small.data))
    for (const r of bodies) expect(r.headers).not.toHaveProperty('x-amz-checksum-crc32')
    expect(sha(await s.read('small.bin'))).toBe(sha(small.data))
  })
})

describe('failed uploads leave nothing behind', () => {
  it('a stream failing after two parts: the content’s error, the upload aborted, no object', async () => {
    const s = storage()
    const failure = new Error('the source broke')
    let sent = 0
    const source = new Readable({
      read() {
        if (sent >= 11 * MIB) return void this.destroy(failure)
        sent += MIB
        this.push(randomBytes(MIB))
      },
    })
    const error = await s.save('broken.bin', source).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ContentError)
    expect((error as Error).cause).toBe(failure)
    expect(await s.exists('broken.bin')).toBe(false)
    const uploads = proxy.multipartUploads().filter((u) => u.key.startsWith(`${s.location}/`))
    expect(uploads).toMatchObject([{ state: 'aborted' }])
    expect(proxy.openUploads()).toEqual([])
  })

  it('an abort signal mid-upload of a file: rejects with its reason, the upload aborted, no object', async () => {
    const s = storage()
    const { path } = file(30 * MIB)
    const controller = new AbortController()
    const reason = new Error('stop')
    const saving = s.save('stopped.bin', createReadStream(path), { signal: controller.signal })
    const started = Date.now()
    while (!proxy.requests.some(isPart) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5))
    controller.abort(reason)
    await expect(saving).rejects.toBe(reason)
    expect(await s.exists('stopped.bin')).toBe(false)
    await expect.poll(() => proxy.openUploads(), { timeout: 5_000 }).toEqual([])
    expect(proxy.requests.some((r) => r.method === 'POST' && 'uploadId' in r.query)).toBe(false) // never completed
  })
})

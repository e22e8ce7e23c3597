// The multipart uploader against a mocked client (aws-sdk-client-mock): how a file on disk is read
// (by ranges into reused part buffers, never whole), that small known-length content makes one
// PutObject, and that a failed part or an abort aborts the upload and completes nothing.
import { randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { mockClient } from 'aws-sdk-client-mock'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { S3Storage } from '../../src/backends/s3/index.js'

const s3 = mockClient(S3Client)
const MIB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), 'ns-multipart-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const make = () =>
  new S3Storage({
    bucketName: 'test-bucket',
    regionName: 'us-east-1',
    fileOverwrite: true,
    accessKey: 'AKIDEXAMPLE',
    secretKey: 'secret',
    transferConfig: { partSize: 5 * MIB, queueSize: 2, multipartThreshold: MIB },
  })

function file(size: number): { path: string; data: Buffer } {
  const data = randomBytes(size)
  const path = join(dir, `${randomUUID()}.bin`)
  writeFileSync(path, data)
  return { path, data }
}

/** What each UploadPart carried, copied when sent (the part buffers are reused). */
let parts: { number: number; bytes: Buffer; arrayBuffer: ArrayBufferLike; length: number }[] = []

beforeEach(() => {
  s3.reset()
  parts = []
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' })
  s3.on(UploadPartCommand).callsFake((input: { PartNumber: number; Body: Buffer }) => {
    const body = input.Body
    parts.push({ number: input.PartNumber, bytes: Buffer.from(body), arrayBuffer: body.buffer, length: body.length })
    return { ETag: `"etag-${input.PartNumber}"` }
  })
  s3.on(CompleteMultipartUploadCommand).resolves({})
  s3.on(AbortMultipartUploadCommand).resolves({})
  s3.on(PutObjectCommand).resolves({})
})

describe('a file on disk', () => {
  it('is uploaded by ranged reads into reused part buffers: never read whole, never through its stream', async () => {
    const { path, data } = file(23 * MIB + 3)
    const stream = createReadStream(path)
    await make().save('big.bin', stream)
    expect(stream.bytesRead).toBe(0) // read by ranges, not through the stream
    expect(parts.map((p) => p.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5])
    for (const p of parts) {
      expect(p.bytes.equals(data.subarray((p.number - 1) * 5 * MIB, p.number * 5 * MIB))).toBe(true)
      expect(p.arrayBuffer.byteLength).toBe(5 * MIB) // a part buffer, not the whole file
    }
    // Two workers, two buffers, reused for all five parts.
    expect(new Set(parts.map((p) => p.arrayBuffer)).size).toBe(2)
    const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input
    expect(complete.MultipartUpload!.Parts!.map((p) => p.PartNumber)).toEqual([1, 2, 3, 4, 5])
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
  })

  it('of known length up to the threshold goes as one streamed PutObject with its ContentLength', async () => {
    const { path } = file(700 * 1024)
    await make().save('small.bin', createReadStream(path))
    const puts = s3.commandCalls(PutObjectCommand)
    expect(puts).toHaveLength(1)
    const input = puts[0]!.args[0].input
    expect(input.ContentLength).toBe(700 * 1024)
    expect(input.Body).toBeInstanceOf(Readable)
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0)
  })
})

describe('content in memory', () => {
  it('above the threshold is sent as slices of itself (no copy)', async () => {
    const data = randomBytes(12 * MIB)
    await make().save('mem.bin', data)
    expect(parts).toHaveLength(3)
    for (const p of parts) expect(p.arrayBuffer).toBe(data.buffer)
  })
})

describe('a failed upload', () => {
  it('a part failing: the upload is aborted, nothing completed, the server’s error as the cause', async () => {
    s3.on(UploadPartCommand, { PartNumber: 2 }).rejects(
      new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'boom' }),
    )
    const { path } = file(23 * MIB)
    await expect(make().save('fails.bin', createReadStream(path))).rejects.toMatchObject({ cause: { name: 'InternalError' } })
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1)
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).toMatchObject({ UploadId: 'up-1' })
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0)
  })

  it('an abort signal mid-upload: rejects with its reason, the upload aborted, nothing completed', async () => {
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    s3.on(UploadPartCommand).callsFake(async () => {
      controller.abort(reason) // the caller gives up while the first part is in flight
      throw reason
    })
    const stream = Readable.from(
      (function* () {
        for (let i = 0; i < 20; i++) yield randomBytes(MIB)
      })(),
      { objectMode: false },
    )
    await expect(make().save('stopped.bin', stream, { signal: controller.signal })).rejects.toBe(reason)
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1)
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0)
  })
})

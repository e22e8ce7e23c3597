// S3Storage against a mocked S3 client (aws-sdk-client-mock): the requests it makes and how it
// reads the answers, each test checking one behaviour of django-storages' S3Storage (or a
// deliberate difference, docs/differences.md).
import { Readable } from 'node:stream'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mockClient } from 'aws-sdk-client-mock'
import { SDK_ONLY } from '../support/sdk-only.js'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import {
  AccessDeniedError,
  BucketNotFoundError,
  FileExistsError,
  FileNotFoundError,
  ImproperlyConfigured,
  ClockSkewError,
  NotImplementedError,
  ServiceUnavailableError,
  StorageError,
  SuspiciousFileOperation,
} from '../../src/core/errors.js'
import { streamToBuffer } from '../../src/core/content.js'

const s3 = mockClient(S3Client)
const MIB = 1024 * 1024
const KEYS = { accessKey: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }

/** A storage on `test-bucket` with django-storages' test defaults (file_overwrite on), every request on the mock. */
const make = (options: S3StorageOptions = {}) =>
  new S3Storage({ bucketName: 'test-bucket', regionName: 'us-east-1', fileOverwrite: true, ...KEYS, ...options, clientConfig: SDK_ONLY })

/** An S3 service error as the SDK throws it. */
function s3Error(name: string, status: number, extra: Record<string, unknown> = {}) {
  return Object.assign(
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} message` }),
    extra,
  )
}

const puts = () => s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input as unknown as Record<string, unknown>)
const lastPut = () => {
  const { Body, ...params } = puts().at(-1)!
  return { body: Body as Buffer, params }
}
/** Write parameters of the last PutObject, without Bucket/Key/Body/ContentLength. */
const writeParams = () => {
  const { Bucket: _b, Key: _k, ContentLength: _l, ...rest } = lastPut().params
  return rest
}

/** A stream of `size` bytes of unknown length, in 64 KiB chunks. */
function streamOf(size: number, onRead?: (sent: number) => void): Readable {
  let left = size
  return new Readable({
    read() {
      const n = Math.min(left, 64 * 1024)
      left -= n
      this.push(n ? Buffer.alloc(n, 0x61) : null)
      onRead?.(size - left)
    },
  })
}

beforeEach(() => {
  s3.reset()
  s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404))
  s3.on(PutObjectCommand).resolves({ ETag: '"e"' })
})
afterEach(() => vi.useRealTimers())

describe('saving: names (cases 9, 20-30)', () => {
  it('with a location the key is location/name and save returns the relative name', async () => {
    expect(await make({ location: 'media' }).save('a/b.txt', 'x')).toBe('a/b.txt')
    expect(lastPut().params).toMatchObject({ Bucket: 'test-bucket', Key: 'media/a/b.txt' })
  })

  it('with fileOverwrite the name is kept and no HEAD is made', async () => {
    expect(await make().save('a b/c d.txt', 'x')).toBe('a b/c d.txt')
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0)
    expect(lastPut().params.IfNoneMatch).toBeUndefined()
  })

  it('without overwrite a taken name gets a 7-character suffix before all suffixes', async () => {
    s3.on(HeadObjectCommand, { Key: 'dir/file.tar.gz' }).resolves({})
    s3.on(HeadObjectCommand, { Key: 'dir/.hidden' }).resolves({})
    const s = make({ fileOverwrite: false })
    expect(await s.save('dir/file.tar.gz', 'x')).toMatch(/^dir\/file_[A-Za-z0-9]{7}\.tar\.gz$/)
    expect(await s.save('dir/.hidden', 'x')).toMatch(/^dir\/\.hidden_[A-Za-z0-9]{7}$/)
    expect(lastPut().params.IfNoneMatch).toBe('*')
  })

  it('maxLength shortens the root of the alternative name', async () => {
    s3.on(HeadObjectCommand, { Key: 'dir/file.tar.gz' }).resolves({})
    s3.on(HeadObjectCommand, { Key: 'filename.ext' }).resolves({})
    const s = make({ fileOverwrite: false })
    expect(await s.save('dir/file.tar.gz', 'x', { maxLength: 20 })).toMatch(/^dir\/f_[A-Za-z0-9]{7}\.tar\.gz$/)
    expect(await s.save('filename.ext', 'x', { maxLength: 14 })).toMatch(/^fi_[A-Za-z0-9]{7}\.ext$/)
  })

  it('absolute, traversing and empty names are refused before any request', async () => {
    const s = make()
    await expect(s.save('/abs.txt', 'x')).rejects.toThrow("Detected path traversal attempt in '/abs.txt'")
    await expect(s.save('a/../b.txt', 'x')).rejects.toThrow(SuspiciousFileOperation)
    await expect(s.save('../b.txt', 'x')).rejects.toThrow(SuspiciousFileOperation)
    await expect(s.save('dir/', 'x')).rejects.toThrow("Could not derive file name from 'dir/'")
    expect(s3.calls()).toHaveLength(0)
  })

  it('backslashes become slashes; a nameless save uses the content name', async () => {
    expect(await make().save('a\\b.txt', 'x')).toBe('a/b.txt')
    expect(lastPut().params.Key).toBe('a/b.txt')
    const file = new File(['from a file'], 'fromcontent.txt', { type: 'text/plain' })
    expect(await make().save(null, file)).toBe('fromcontent.txt')
    expect(lastPut().body.toString()).toBe('from a file')
  })

  it('a taken alternative that would pass 1,024 key bytes is shortened to fit', async () => {
    const long = 'x'.repeat(1024 - 'media/'.length - 4) + '.txt' // exactly 1,024 bytes with the location
    s3.on(HeadObjectCommand, { Key: `media/${long}` }).resolves({})
    const name = await make({ location: 'media', fileOverwrite: false }).save(long, 'x')
    expect(name).toMatch(/^x+_[A-Za-z0-9]{7}\.txt$/)
    expect(Buffer.byteLength(`media/${name}`)).toBe(1024)
  })
})

describe('saving: write parameters (cases 31-43)', () => {
  it('text content is UTF-8 with a guessed ContentType and no ACL', async () => {
    await make().save('s.txt', 'héllo')
    expect(lastPut().body).toEqual(Buffer.from([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]))
    expect(writeParams()).toEqual({ ContentType: 'text/plain' })
  })

  it("the type is guessed, or the content's own, or octet-stream", async () => {
    await make().save('test_image.jpg', 'x')
    expect(writeParams()).toEqual({ ContentType: 'image/jpeg' })
    await make().save('x.jpg', new Blob(['x'], { type: 'test/foo' }))
    expect(writeParams()).toEqual({ ContentType: 'test/foo' })
    await make().save('test_file', 'x')
    expect(writeParams()).toEqual({ ContentType: 'application/octet-stream' })
    await make().save('x.JPG', 'x')
    expect(writeParams()).toEqual({ ContentType: 'image/jpeg' })
  })

  it('compression suffixes give ContentEncoding, the body untouched', async () => {
    const cases: [string, Record<string, string>][] = [
      ['x.gz', { ContentType: 'application/octet-stream', ContentEncoding: 'gzip' }],
      ['x.tar.gz', { ContentType: 'application/x-tar', ContentEncoding: 'gzip' }],
      ['x.css.gz', { ContentType: 'text/css', ContentEncoding: 'gzip' }],
      ['x.svgz', { ContentType: 'image/svg+xml', ContentEncoding: 'gzip' }],
      ['x.bz2', { ContentType: 'application/octet-stream', ContentEncoding: 'bzip2' }],
      ['x.br', { ContentType: 'application/octet-stream', ContentEncoding: 'br' }],
    ]
    for (const [name, expected] of cases) {
      await make().save(name, 'raw')
      expect(writeParams(), name).toEqual(expected)
      expect(lastPut().body.toString()).toBe('raw')
    }
  })

  it('a ContentType in objectParameters wins and no encoding is derived', async () => {
    await make({ objectParameters: { ContentType: 'application/gzip' } }).save('test_file.gz', 'x')
    expect(writeParams()).toEqual({ ContentType: 'application/gzip' })
  })

  it('the contentType option wins over objectParameters and the name', async () => {
    await make({ objectParameters: { ContentType: 'a/b' } }).save('x.txt', 'x', { contentType: 'c/d' })
    expect(writeParams()).toEqual({ ContentType: 'c/d' })
  })

  it('defaultAcl adds ACL', async () => {
    await make({ defaultAcl: 'private' }).save('x.txt', 'x')
    expect(writeParams()).toEqual({ ContentType: 'text/plain', ACL: 'private' })
  })

  it('objectParameters ACL wins over defaultAcl', async () => {
    await make({ defaultAcl: 'public-read', objectParameters: { ACL: 'private' } }).save('x.txt', 'x')
    expect(writeParams()).toEqual({ ContentType: 'text/plain', ACL: 'private' })
  })

  it('objectParameters are sent and never mutated; per-call options add metadata and headers', async () => {
    const objectParameters = { CacheControl: 'max-age=86400' }
    await make({ objectParameters }).save('x.txt', 'x', {
      metadata: { owner: 'me' },
      contentDisposition: 'attachment',
      objectParameters: { StorageClass: 'STANDARD_IA' },
    })
    expect(writeParams()).toEqual({
      CacheControl: 'max-age=86400',
      ContentType: 'text/plain',
      Metadata: { owner: 'me' },
      ContentDisposition: 'attachment',
      StorageClass: 'STANDARD_IA',
    })
    expect(objectParameters).toEqual({ CacheControl: 'max-age=86400' })
  })
})

describe('saving: gzip (cases 45-51)', () => {
  const gz = (o: S3StorageOptions = {}) => make({ gzip: true, ...o })

  it('a css file is gzipped, level 9 and mtime 0 (header 1f 8b 08 00 00000000 02 03)', async () => {
    await gz().save('x.css', "I should be gzip'd")
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    const { body } = lastPut()
    expect(body.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000203')
    expect(gunzipSync(body).toString()).toBe("I should be gzip'd")
  })

  it('the same content gzips to the same bytes every time', async () => {
    await gz().save('a.css', 'hello world')
    const first = lastPut().body
    await gz().save('b.css', 'hello world')
    expect(lastPut().body).toEqual(first)
  })

  it('js and svg are gzipped; json and html are not', async () => {
    for (const name of ['x.js', 'x.svg']) {
      await gz().save(name, 'content')
      expect(writeParams().ContentEncoding, name).toBe('gzip')
    }
    for (const name of ['x.json', 'x.html']) {
      await gz().save(name, 'content')
      expect(writeParams().ContentEncoding, name).toBeUndefined()
      expect(lastPut().body.toString()).toBe('content')
    }
  })

  it('an encoding from the name or from objectParameters is never re-compressed', async () => {
    await gz().save('x.css.gz', 'already')
    expect(lastPut().body.toString()).toBe('already')
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    await gz({ objectParameters: { ContentEncoding: 'br' } }).save('x.css', 'brotli')
    expect(lastPut().body.toString()).toBe('brotli')
    expect(writeParams()).toEqual({ ContentEncoding: 'br', ContentType: 'text/css' })
  })

  it('ContentType text/css from objectParameters compresses even x.gz', async () => {
    await gz({ objectParameters: { ContentType: 'text/css' } }).save('x.gz', 'css')
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    expect(gunzipSync(lastPut().body).toString()).toBe('css')
  })

  it('a type carried by the content still lets the name give ContentEncoding: style.css.gz is not gzipped twice', async () => {
    const packed = gzipSync('body{color:red}')
    await gz().save('style.css.gz', new File([packed], 'style.css.gz', { type: 'text/css' }))
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    expect(lastPut().body).toEqual(packed)
    await gz().save('x.css.gz', Object.assign(Readable.from([packed]), { contentType: 'text/css' }))
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    expect(lastPut().body).toEqual(packed)
    // An explicit type (option or objectParameters) derives no encoding, so the body is gzipped.
    await gz().save('x.css.gz', 'css', { contentType: 'text/css' })
    expect(writeParams()).toEqual({ ContentType: 'text/css', ContentEncoding: 'gzip' })
    expect(gunzipSync(lastPut().body).toString()).toBe('css')
  })

  it('gzipContentTypes replaces the list', async () => {
    await gz({ gzipContentTypes: ['text/plain'] }).save('x.txt', 'plain')
    expect(writeParams().ContentEncoding).toBe('gzip')
    await gz({ gzipContentTypes: ['text/plain'] }).save('x.css', 'css')
    expect(writeParams().ContentEncoding).toBeUndefined()
  })
})

describe('saving: no overwrite with If-None-Match', () => {
  it('a 412 on PutObject picks the next name and resends the same bytes', async () => {
    s3.on(PutObjectCommand, { Key: 'race.txt' }).rejects(s3Error('PreconditionFailed', 412))
    s3.on(HeadObjectCommand, { Key: 'race.txt' }).rejectsOnce(s3Error('NotFound', 404)).resolves({})
    const name = await make({ fileOverwrite: false }).save('race.txt', 'my bytes')
    expect(name).toMatch(/^race_[A-Za-z0-9]{7}\.txt$/)
    const calls = puts()
    expect(calls.map((c) => c.Key)).toEqual(['race.txt', name])
    expect(calls.map((c) => c.IfNoneMatch)).toEqual(['*', '*'])
    expect(calls.map((c) => (c.Body as Buffer).toString())).toEqual(['my bytes', 'my bytes'])
  })

  it('a server that always answers 412 gets 100 retries, then FileExistsError suggesting conditionalWrites: false', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412))
    const error = await make({ fileOverwrite: false })
      .save('a.txt', 'x')
      .catch((e) => e)
    expect(error).toBeInstanceOf(FileExistsError)
    expect(error.message).toContain('conditionalWrites: false')
    expect(puts()).toHaveLength(101)
    // the same for the copy of a large upload from its temporary key
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' })
    s3.on(UploadPartCommand).resolves({ ETag: '"part"' })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    s3.on(CopyObjectCommand).rejects(s3Error('PreconditionFailed', 412))
    s3.on(DeleteObjectCommand).resolves({})
    const big = make({ fileOverwrite: false, transferConfig: { multipartThreshold: MIB, partSize: 5 * MIB } })
    await expect(big.save('big.bin', streamOf(6 * MIB))).rejects.toThrow(/conditionalWrites: false/)
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(101)
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1) // the temporary key
  })

  it('concurrent saves of a name near the 1,024-byte key limit get different names that fit', async () => {
    const long = 'a'.repeat(1016) + '.txt' // 1,020 bytes
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    s3.on(PutObjectCommand).callsFake(async () => {
      await held
      return { ETag: '"e"' }
    })
    const s = make({ fileOverwrite: false })
    const saves = Promise.all([s.save(long, 'one'), s.save(long, 'two')])
    await vi.waitFor(() => expect(puts()).toHaveLength(2))
    release()
    const names = await saves
    expect(names[0]).toBe(long)
    expect(names[1]).toMatch(/^a+_[A-Za-z0-9]{7}\.txt$/)
    expect(Buffer.byteLength(names[1])).toBe(1024)
    // One PutObject to each name; which of the two concurrent saves sends first is not fixed.
    expect(
      puts()
        .map((p) => p.Key)
        .sort(),
    ).toEqual([...names].sort())
  })

  it('conditionalWrites false sends no If-None-Match and checks with a HEAD after claiming the name', async () => {
    await make({ fileOverwrite: false, conditionalWrites: false }).save('x.txt', 'x')
    expect(lastPut().params.IfNoneMatch).toBeUndefined()
    expect(s3.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['x.txt', 'x.txt'])
  })

  it('a large upload without overwrite goes to a temporary key, then is copied under a free name (412 → next name)', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' })
    s3.on(UploadPartCommand).resolves({ ETag: '"part"' })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    s3.on(CopyObjectCommand).rejectsOnce(s3Error('PreconditionFailed', 412)).resolves({})
    s3.on(HeadObjectCommand, { Key: 'media/big.bin' }).rejectsOnce(s3Error('NotFound', 404)).resolves({})
    s3.on(DeleteObjectCommand).resolves({})
    const storage = make({
      fileOverwrite: false,
      location: 'media',
      defaultAcl: 'private',
      transferConfig: { multipartThreshold: MIB, partSize: 5 * MIB },
    })
    const name = await storage.save('big.bin', streamOf(6 * MIB))
    expect(name).toMatch(/^big_[A-Za-z0-9]{7}\.bin$/)
    const temp = s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input
    expect(temp.Key).toMatch(/^media\/\.nstmp-[0-9a-f]{24}$/)
    expect(temp).toMatchObject({ ContentType: 'application/octet-stream', ACL: 'private' })
    expect(s3.commandCalls(UploadPartCommand)).toHaveLength(2)
    const copies = s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)
    expect(copies.map((c) => c.Key)).toEqual(['media/big.bin', `media/${name}`])
    expect(copies[1]).toMatchObject({ CopySource: `test-bucket/${temp.Key}`, IfNoneMatch: '*', ACL: 'private' })
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([temp.Key])
  })

  it('with overwrite a large body streams straight into a multipart upload of the key', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' })
    s3.on(UploadPartCommand).resolves({ ETag: '"part"' })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    await make({ transferConfig: { multipartThreshold: 0, partSize: 5 * MIB } }).save('big.txt', streamOf(11 * MIB))
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toMatchObject({ Key: 'big.txt', ContentType: 'text/plain' })
    const parts = s3.commandCalls(UploadPartCommand).map((c) => (c.args[0].input.Body as Buffer).length)
    expect(parts).toEqual([5 * MIB, 5 * MIB, MIB])
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0)
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0)
  })

  it('a failed multipart upload is aborted on the server and nothing is stored', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-9' })
    s3.on(UploadPartCommand).rejects(s3Error('InternalError', 500))
    s3.on(AbortMultipartUploadCommand).resolves({})
    await expect(
      make({ transferConfig: { multipartThreshold: 0, partSize: 5 * MIB } }).save('big.txt', streamOf(11 * MIB)),
    ).rejects.toThrow()
    expect(s3.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toContainEqual({
      Bucket: 'test-bucket',
      Key: 'big.txt',
      UploadId: 'up-9',
    })
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0)
  })

  it('an aborted save rejects with an AbortError and aborts the multipart upload', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' })
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' })
    s3.on(AbortMultipartUploadCommand).resolves({})
    const controller = new AbortController()
    let read = 0
    const body = streamOf(64 * MIB, (sent) => {
      read = sent
      if (sent > 12 * MIB) controller.abort()
    })
    const saving = make({ transferConfig: { multipartThreshold: 0, partSize: 5 * MIB } }).save('big.txt', body, {
      signal: controller.signal,
    })
    await expect(saving).rejects.toMatchObject({ name: 'AbortError' })
    expect(read).toBeLessThan(32 * MIB)
    expect(s3.commandCalls(AbortMultipartUploadCommand).length).toBeGreaterThan(0)
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0)
  })

  it('createWriteStream stores what is written when it finishes', async () => {
    const stream = make({ objectParameters: { StorageClass: 'REDUCED_REDUNDANCY' } }).createWriteStream('test_open_for_writïng.txt')
    stream.write('new ')
    stream.end('content')
    await new Promise((resolve, reject) => stream.on('finish', resolve).on('error', reject))
    expect(lastPut()).toMatchObject({
      body: Buffer.from('new content'),
      params: { Key: 'test_open_for_writïng.txt', ContentType: 'text/plain', StorageClass: 'REDUCED_REDUNDANCY' },
    })
  })
})

describe('exists, delete, size, times (cases 76-81, 86)', () => {
  it('exists HEADs the key with only the download-allowed objectParameters', async () => {
    s3.on(HeadObjectCommand).resolves({})
    expect(await make().exists('file.txt')).toBe(true)
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({ Bucket: 'test-bucket', Key: 'file.txt' })
    await make({ objectParameters: { SSECustomerKey: 'xyz', CacheControl: 'never' } }).exists('file.txt')
    expect(s3.commandCalls(HeadObjectCommand)[1].args[0].input).toEqual({ Bucket: 'test-bucket', Key: 'file.txt', SSECustomerKey: 'xyz' })
  })

  it('404 is false; 403 is AccessDeniedError naming the IAM actions', async () => {
    expect(await make().exists('file.txt')).toBe(false)
    s3.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403))
    const error = await make({ location: 'media' })
      .exists('file.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error).toMatchObject({
      code: 'E_ACCESS_DENIED',
      bucket: 'test-bucket',
      action: 's3:GetObject',
      key: 'file.txt',
      operation: 'exists',
    })
    expect(error.message).toContain("key 'media/file.txt' in bucket 'test-bucket'")
    expect(error.message).toContain('s3:ListBucket')
    expect(error.cause).toBeInstanceOf(S3ServiceException)
  })

  it("exists('dir/') HEADs the marker key", async () => {
    expect(await make().exists('dir/')).toBe(false)
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input.Key).toBe('dir/')
  })

  it('delete sends DeleteObject; a missing key is fine, 403 is not', async () => {
    s3.on(DeleteObjectCommand, { Key: 'path/to/file.txt' }).resolves({})
    s3.on(DeleteObjectCommand, { Key: 'gone.txt' }).rejects(s3Error('NoSuchKey', 404))
    s3.on(DeleteObjectCommand, { Key: 'locked.txt' }).rejects(s3Error('AccessDenied', 403))
    await make().delete('path/to/file.txt')
    await make().delete('gone.txt')
    await expect(make().delete('locked.txt')).rejects.toMatchObject({ action: 's3:DeleteObject' })
  })

  it('size is ContentLength; a missing key is FileNotFoundError naming name and key', async () => {
    s3.on(HeadObjectCommand, { Key: 'file.txt' }).resolves({ ContentLength: 4098 })
    expect(await make().size('file.txt')).toBe(4098)
    const error = await make({ location: 'media' })
      .size('file.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(FileNotFoundError)
    expect(error.message).toBe("File does not exist: 'file.txt' (key 'media/file.txt' in bucket 'test-bucket').")
  })

  it('getModifiedTime is LastModified (UTC); a missing key is FileNotFoundError (deliberately unlike django-storages)', async () => {
    const at = new Date('2020-01-02T03:04:05Z')
    s3.on(HeadObjectCommand, { Key: 'f.txt' }).resolves({ LastModified: at, ContentLength: 1, ETag: '"e"', ContentType: 'text/plain' })
    expect(await make().getModifiedTime('f.txt')).toEqual(at)
    expect(await make().stat('f.txt')).toEqual({ size: 1, lastModified: at, etag: '"e"', contentType: 'text/plain' })
    await expect(make().getModifiedTime('missing.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('path, created and accessed times are not implemented', async () => {
    expect(() => make().path('x')).toThrow("This backend doesn't support absolute paths.")
    await expect(make().getCreatedTime('x')).rejects.toBeInstanceOf(NotImplementedError)
    await expect(make().getAccessedTime('x')).rejects.toBeInstanceOf(NotImplementedError)
  })

  it('deleteMany sends DeleteObjects in batches of 1,000 and reports a refused key', async () => {
    s3.on(DeleteObjectsCommand).resolves({})
    const names = Array.from({ length: 2500 }, (_, i) => `f${i}.txt`)
    await make({ location: 'media' }).deleteMany(names)
    const batches = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!)
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500])
    expect(batches[2].at(-1)).toEqual({ Key: 'media/f2499.txt' })
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'media/f1.txt', Code: 'AccessDenied', Message: 'no' }] })
    await expect(make({ location: 'media' }).deleteMany(['f1.txt'])).rejects.toBeInstanceOf(AccessDeniedError)
  })
})

describe('listdir and list (cases 82-85)', () => {
  it('listdir("") lists the root with a / delimiter', async () => {
    s3.on(ListObjectsV2Command).resolves({
      CommonPrefixes: [{ Prefix: 'some/' }, { Prefix: 'other/' }],
      Contents: [{ Key: '2.txt' }, { Key: '4.txt' }],
    })
    expect(await make().listdir('')).toEqual([
      ['some', 'other'],
      ['2.txt', '4.txt'],
    ])
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: 'test-bucket', Delimiter: '/', Prefix: '' })
  })

  it('listdir("some") lists "some/", hiding the marker key', async () => {
    s3.on(ListObjectsV2Command).resolves({
      CommonPrefixes: [{ Prefix: 'some/path/' }],
      Contents: [{ Key: 'some/' }, { Key: 'some/2.txt' }],
    })
    expect(await make().listdir('some')).toEqual([['path'], ['2.txt']])
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input.Prefix).toBe('some/')
  })

  it('listdir reads every page; a marker-only or missing directory is empty', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'some/' })
      .resolvesOnce({ Contents: [{ Key: 'some/2.txt' }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'some/3.txt' }], IsTruncated: false })
    s3.on(ListObjectsV2Command, { Prefix: 'dir/' }).resolves({ Contents: [{ Key: 'dir/' }] })
    s3.on(ListObjectsV2Command, { Prefix: 'nope/' }).resolves({})
    expect(await make().listdir('some/')).toEqual([[], ['2.txt', '3.txt']])
    expect(s3.commandCalls(ListObjectsV2Command)[1].args[0].input.ContinuationToken).toBe('t1')
    expect(await make().listdir('dir/')).toEqual([[], []])
    expect(await make().listdir('nope')).toEqual([[], []])
  })

  it('with a location, listdir lists under it and names are relative', async () => {
    s3.on(ListObjectsV2Command, { Prefix: 'media/' }).resolves({
      CommonPrefixes: [{ Prefix: 'media/sub/' }],
      Contents: [{ Key: 'media/a.txt' }, { Key: 'media/.nstmp-0123456789abcdef01234567' }],
    })
    s3.on(ListObjectsV2Command, { Prefix: 'media/sub/' }).resolves({ Contents: [{ Key: 'media/sub/b.txt' }] })
    expect(await make({ location: 'media' }).listdir('')).toEqual([['sub'], ['a.txt']])
    expect(await make({ location: 'media' }).listdir('sub')).toEqual([[], ['b.txt']])
  })

  it('list pages lazily: the second page is fetched only when the first is consumed', async () => {
    const at = new Date('2024-01-01T00:00:00Z')
    s3.on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'media/a/1.txt', Size: 1, LastModified: at, ETag: '"1"' }, { Key: 'media/a/' }],
        IsTruncated: true,
        NextContinuationToken: 'n',
      })
      .resolvesOnce({ Contents: [{ Key: 'media/a/b/2.txt', Size: 2, LastModified: at }] })
    const it = make({ location: 'media' }).list('a', { recursive: true })[Symbol.asyncIterator]()
    expect((await it.next()).value).toEqual({ name: 'a/1.txt', size: 1, lastModified: at, etag: '"1"' })
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1)
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: 'test-bucket', Prefix: 'media/a/' })
    expect((await it.next()).value).toMatchObject({ name: 'a/b/2.txt', size: 2 })
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2)
    expect((await it.next()).done).toBe(true)
  })
})

describe('reading (cases 87, 99)', () => {
  const body = (data: string | Buffer) => Readable.from([Buffer.from(data)])

  it('opening a missing key is FileNotFoundError', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404))
    await expect(make().open('missing.txt')).rejects.toThrow(FileNotFoundError)
    await expect(make().read('missing.txt')).rejects.toThrow("File does not exist: 'missing.txt'")
  })

  it('open sends an inclusive Range and trims a wider answer', async () => {
    s3.on(GetObjectCommand, { Range: 'bytes=2-5' }).resolves({ Body: body('2345') as never, ContentRange: 'bytes 2-5/10' })
    s3.on(GetObjectCommand, { Range: 'bytes=0-0' }).resolves({ Body: body('0123456789') as never, ContentRange: 'bytes 0-9/10' })
    expect((await streamToBuffer(await make().open('r.txt', { start: 2, end: 5 }))).toString()).toBe('2345')
    expect((await streamToBuffer(await make().open('r.txt', { start: 0, end: 0 }))).toString()).toBe('0')
  })

  it('with gzip on, gzip-encoded objects are decompressed (ranges too); with gzip off they are raw', async () => {
    const { gzipSync } = await import('node:zlib')
    const packed = gzipSync('hello world')
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(packed), ContentEncoding: 'gzip' }))
    expect((await make({ gzip: true }).read('x.css')).toString()).toBe('hello world')
    expect((await streamToBuffer(await make({ gzip: true }).open('x.css', { start: 6, end: 8 }))).toString()).toBe('wor')
    const raw = await make({ gzip: false }).read('x.css')
    expect(raw.subarray(0, 2).toString('hex')).toBe('1f8b')
  })

  it('with gzip on, a range past the compressed length (416) is read from the whole decompressed object', async () => {
    const text = 'hello world '.repeat(1000)
    const packed = gzipSync(text)
    const invalidRange = () => s3Error('InvalidRange', 416)
    s3.on(GetObjectCommand).callsFake((input) => {
      if (input.Range) throw invalidRange()
      return { Body: body(input.Key === 'x.css' ? packed : 'plain'), ...(input.Key === 'x.css' ? { ContentEncoding: 'gzip' } : {}) }
    })
    expect((await streamToBuffer(await make({ gzip: true }).open('x.css', { start: 5000, end: 5010 }))).toString()).toBe(
      text.slice(5000, 5011),
    )
    expect((await streamToBuffer(await make({ gzip: true }).open('x.css', { start: 11990 }))).toString()).toBe(text.slice(11990))
    // not gzip-encoded: the range really is past the end
    expect(await streamToBuffer(await make({ gzip: true }).open('x.txt', { start: 100 }))).toHaveLength(0)
    // gzip off: one request, no retry
    s3.resetHistory()
    expect(await streamToBuffer(await make({ gzip: false }).open('x.css', { start: 5000, end: 5010 }))).toHaveLength(0)
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1)
  })
})

describe('copy and move', () => {
  it('copy sends CopyObject with an encoded CopySource; without overwrite an existing target is FileExistsError', async () => {
    s3.on(CopyObjectCommand).resolves({})
    await make({ location: 'media' }).copy('a b/ü+&.txt', 'c.txt')
    expect(s3.commandCalls(CopyObjectCommand)[0].args[0].input).toEqual({
      Bucket: 'test-bucket',
      Key: 'media/c.txt',
      CopySource: 'test-bucket/media/a%20b/%C3%BC%2B%26.txt',
    })
    s3.on(HeadObjectCommand, { Key: 'taken.txt' }).resolves({})
    await expect(make({ fileOverwrite: false }).copy('a.txt', 'taken.txt')).rejects.toBeInstanceOf(FileExistsError)
    await make({ fileOverwrite: false }).copy('a.txt', 'free.txt')
    expect(s3.commandCalls(CopyObjectCommand).at(-1)!.args[0].input).toMatchObject({ Key: 'free.txt', IfNoneMatch: '*' })
  })

  it('a 412 from CopyObject is FileExistsError; a missing source is FileNotFoundError', async () => {
    s3.on(CopyObjectCommand, { Key: 'raced.txt' }).rejects(s3Error('PreconditionFailed', 412))
    s3.on(CopyObjectCommand, { Key: 'to.txt' }).rejects(s3Error('NoSuchKey', 404))
    await expect(make({ fileOverwrite: false }).copy('a.txt', 'raced.txt')).rejects.toBeInstanceOf(FileExistsError)
    await expect(make().copy('missing.txt', 'to.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('move copies then deletes the source', async () => {
    s3.on(CopyObjectCommand).resolves({})
    s3.on(DeleteObjectCommand).resolves({})
    await make().move('a.txt', 'b.txt')
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['a.txt'])
  })

  it('with SSE-C objectParameters, copies send the key for the source and for the copy', async () => {
    const sse = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32), SSECustomerKeyMD5: 'md5==' }
    const both = {
      ...sse,
      CopySourceSSECustomerAlgorithm: 'AES256',
      CopySourceSSECustomerKey: 'k'.repeat(32),
      CopySourceSSECustomerKeyMD5: 'md5==',
    }
    s3.on(CopyObjectCommand).resolves({})
    s3.on(DeleteObjectCommand).resolves({})
    await make({ objectParameters: sse }).copy('a.txt', 'b.txt')
    await make({ objectParameters: sse }).move('a.txt', 'c.txt')
    // a large save without overwrite: temporary key, then a copy
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' })
    s3.on(UploadPartCommand).resolves({ ETag: '"part"' })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    await make({ fileOverwrite: false, objectParameters: sse, transferConfig: { multipartThreshold: MIB, partSize: 5 * MIB } }).save(
      'big.bin',
      streamOf(6 * MIB),
    )
    const copies = s3.commandCalls(CopyObjectCommand).map((c) => c.args[0].input)
    expect(copies.map((c) => c.Key)).toEqual(['b.txt', 'c.txt', 'big.bin'])
    for (const copy of copies) expect(copy).toMatchObject(both)
  })

  it('with SSE-C, a part-by-part copy HEADs the source with its key and sends both keys on each part', async () => {
    const sse = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32) }
    s3.on(CopyObjectCommand).rejects(
      s3Error('InvalidRequest', 400, {
        message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
      }),
    )
    s3.on(HeadObjectCommand, { Key: 'huge.bin' }).resolves({ ContentLength: 6 * 1024 * MIB })
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'cp' })
    s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"x"' } })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    await make({ objectParameters: sse }).copy('huge.bin', 'copy.bin')
    const head = s3.commandCalls(HeadObjectCommand).find((c) => c.args[0].input.Key === 'huge.bin')!.args[0].input
    expect(head).toMatchObject(sse)
    const created = s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input
    expect(created).toMatchObject(sse)
    expect(Object.keys(created).filter((k) => k.startsWith('CopySource'))).toEqual([])
    for (const part of s3.commandCalls(UploadPartCopyCommand)) {
      expect(part.args[0].input).toMatchObject({
        ...sse,
        CopySourceSSECustomerAlgorithm: 'AES256',
        CopySourceSSECustomerKey: 'k'.repeat(32),
      })
    }
  })

  it('objects over the single-copy limit are copied part by part with UploadPartCopy', async () => {
    s3.on(CopyObjectCommand).rejects(
      s3Error('InvalidRequest', 400, {
        message: 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120',
      }),
    )
    s3.on(HeadObjectCommand, { Key: 'huge.bin' }).resolves({ ContentLength: 6 * 1024 * MIB, ContentType: 'video/mp4' })
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'cp' })
    s3.on(UploadPartCopyCommand).resolves({ CopyPartResult: { ETag: '"x"' } })
    s3.on(CompleteMultipartUploadCommand).resolves({})
    await make().copy('huge.bin', 'copy.bin')
    const ranges = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input.CopySourceRange)
    expect(ranges).toHaveLength(12)
    expect(ranges[0]).toBe(`bytes=0-${512 * MIB - 1}`)
    expect(ranges[11]).toBe(`bytes=${11 * 512 * MIB}-${6 * 1024 * MIB - 1}`)
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toMatchObject({ Key: 'copy.bin', ContentType: 'video/mp4' })
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input.MultipartUpload!.Parts).toHaveLength(12)
  })
})

describe('error mapping', () => {
  it('NoSuchBucket is BucketNotFoundError naming bucket and region', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('NoSuchBucket', 404))
    const error = await make({ regionName: 'eu-west-3' })
      .save('x.txt', 'x')
      .catch((e) => e)
    expect(error).toBeInstanceOf(BucketNotFoundError)
    expect(error).toMatchObject({ bucket: 'test-bucket', region: 'eu-west-3', code: 'E_NO_SUCH_BUCKET' })
    expect(error.message).toContain("Bucket 'test-bucket' does not exist in region 'eu-west-3'")
  })

  it('a 301 PermanentRedirect names the region from x-amz-bucket-region', async () => {
    s3.on(HeadObjectCommand).rejects(
      s3Error('PermanentRedirect', 301, { $response: { statusCode: 301, headers: { 'x-amz-bucket-region': 'eu-west-1' } } }),
    )
    const error = await make()
      .exists('x')
      .catch((e) => e)
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect(error.message).toBe(
      "Bucket 'test-bucket' is in region 'eu-west-1', not 'us-east-1': set regionName: 'eu-west-1' (AWS_S3_REGION_NAME=eu-west-1).",
    )
  })

  it('a 400 AuthorizationHeaderMalformed names the region from the error body', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('AuthorizationHeaderMalformed', 400, { Region: 'ap-southeast-2' }))
    await expect(make().read('x')).rejects.toThrow("is in region 'ap-southeast-2', not 'us-east-1'")
  })

  it('a 403 on save names s3:PutObject, and s3:PutObjectAcl when an ACL is sent', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403))
    await expect(make().save('x.txt', 'x')).rejects.toMatchObject({ action: 's3:PutObject' })
    await expect(make({ defaultAcl: 'public-read' }).save('x.txt', 'x')).rejects.toMatchObject({
      action: 's3:PutObject and s3:PutObjectAcl',
    })
  })

  it('bad credentials are AccessDeniedError saying which keys to check', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('SignatureDoesNotMatch', 403))
    const error = await make()
      .read('x.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(AccessDeniedError)
    expect(error.message).toMatch(
      /^S3 refused the credentials \(SignatureDoesNotMatch\) when trying to read 'x.txt': .*AWS_SECRET_ACCESS_KEY/,
    )
  })

  it('RequestTimeTooSkewed is ClockSkewError naming the NTP fix', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('RequestTimeTooSkewed', 403))
    const error = await make()
      .read('x.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(ClockSkewError)
    expect(error).toMatchObject({ code: 'E_CLOCK_SKEW', operation: 'read', key: 'x.txt' })
    expect(error.message).toMatch(/NTP/)
  })

  it('501 NotImplemented is NotImplementedError; on a write it suggests conditionalWrites: false', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('NotImplemented', 501))
    const error = await make({ fileOverwrite: false })
      .save('x.txt', 'x')
      .catch((e) => e)
    expect(error).toBeInstanceOf(NotImplementedError)
    expect(error).toMatchObject({ code: 'E_NOT_IMPLEMENTED', status: 501 })
    expect(error.message).toContain('conditionalWrites: false')
    s3.on(ListObjectsV2Command).rejects(s3Error('NotImplemented', 501))
    const listing = await make()
      .listdir('')
      .catch((e) => e)
    expect(listing).toBeInstanceOf(NotImplementedError)
    expect(listing.message).not.toContain('conditionalWrites')
  })

  it('503 SlowDown is ServiceUnavailableError (503); another 5xx is a StorageError with status 502', async () => {
    s3.on(GetObjectCommand).rejects(s3Error('SlowDown', 503))
    const slow = await make()
      .read('x.txt')
      .catch((e) => e)
    expect(slow).toBeInstanceOf(ServiceUnavailableError)
    expect(slow).toMatchObject({ code: 'E_UNAVAILABLE', status: 503, expose: false })
    s3.on(GetObjectCommand).rejects(s3Error('InternalError', 500))
    const failed = await make()
      .read('x.txt')
      .catch((e) => e)
    expect(failed.constructor).toBe(StorageError)
    expect(failed).toMatchObject({ code: 'E_STORAGE', status: 502, expose: false, operation: 'read' })
    expect(failed.message).toContain("Unable to read 'x.txt' (key 'x.txt' in bucket 'test-bucket'): S3 failed (InternalError, HTTP 500")
    expect(failed.cause).toBeInstanceOf(S3ServiceException)
  })
})

describe('signed URLs', () => {
  it('url() equals @aws-sdk/s3-request-presigner for the same signing time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2025-03-04T05:06:07Z'))
    const storage = make({ regionName: 'eu-west-3', location: 'media', securityToken: 'tok/en+=' })
    const client = new S3Client({
      region: 'eu-west-3',
      credentials: { accessKeyId: KEYS.accessKey, secretAccessKey: KEYS.secretKey, sessionToken: 'tok/en+=' },
    })
    for (const name of ['a.txt', "sp ace/ü~!*()'.txt", 'q?#&=.bin']) {
      const sdk = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: 'test-bucket', Key: `media/${name}`, ResponseContentType: 'text/plain' }),
        { expiresIn: 900 },
      )
      expect(await storage.url(name, { expire: 900, parameters: { ResponseContentType: 'text/plain' } })).toBe(sdk)
    }
  })

  it('a failed region lookup of a given client is retried by the next url()', async () => {
    const region = vi.fn<() => Promise<string>>().mockRejectedValueOnce(new Error('region lookup failed')).mockResolvedValue('eu-west-3')
    const client = new S3Client({ region, credentials: { accessKeyId: KEYS.accessKey, secretAccessKey: KEYS.secretKey } })
    const storage = new S3Storage({ bucketName: 'test-bucket', client })
    await expect(storage.url('a.txt')).rejects.toThrow('region lookup failed')
    expect(await storage.url('a.txt')).toMatch(/^https:\/\/test-bucket\.s3\.eu-west-3\.amazonaws\.com\/a\.txt\?X-Amz-Algorithm=/)
    expect(await storage.url('b.txt')).toContain('/b.txt?')
    expect(region).toHaveBeenCalledTimes(2)
  })

  it('signedUploadUrl PUT carries no checksum; the ACL is signed in the query', async () => {
    const up = await make({ defaultAcl: 'private' }).signedUploadUrl('up/doc.pdf', { contentType: 'application/pdf', expire: 300 })
    const url = new URL(up.url)
    expect(up).toMatchObject({ name: 'up/doc.pdf', method: 'PUT', headers: { 'Content-Type': 'application/pdf' } })
    expect(url.searchParams.get('x-amz-acl')).toBe('private')
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300')
    expect([...url.searchParams.keys()].filter((k) => k.includes('checksum'))).toEqual([])
    expect(up.expiresAt.getTime() - Date.now()).toBeGreaterThan(299_000)
  })

  it('signedUploadUrl POST gives a policy with content-length-range and the key', async () => {
    const up = await make({ location: 'media' }).signedUploadUrl('doc.pdf', {
      method: 'POST',
      maxSize: 1000,
      contentType: 'application/pdf',
    })
    expect(up.method).toBe('POST')
    expect(up.url).toBe('https://test-bucket.s3.us-east-1.amazonaws.com/')
    const policy = JSON.parse(Buffer.from(up.fields!.Policy, 'base64').toString())
    expect(policy.conditions).toContainEqual(['content-length-range', 0, 1000])
    expect(policy.conditions).toContainEqual({ key: 'media/doc.pdf' })
    expect(up.fields).toMatchObject({ key: 'media/doc.pdf', 'Content-Type': 'application/pdf' })
  })
})

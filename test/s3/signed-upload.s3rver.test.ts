// Direct uploads to S3 with signedUploadUrl(): the presigned PUT signs the headers it names, so
// the server (here s3rver behind the SigV4-verifying proxy) refuses an upload that changes them.
import { randomUUID } from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import { S3Storage } from '../../src/backends/s3/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'

const s3 = inject('s3')

function storage(options: Record<string, unknown> = {}): S3Storage {
  return new S3Storage({
    bucketName: s3.buckets[0],
    endpointUrl: s3.proxyEndpoint,
    accessKey: S3RVER_CREDENTIALS.accessKeyId,
    secretKey: S3RVER_CREDENTIALS.secretAccessKey,
    location: `up-${randomUUID()}`,
    conditionalWrites: false,
    ...options,
  })
}

describe('signedUploadUrl on S3', () => {
  it('signs Content-Type: the upload with the named type is stored', async () => {
    const s = storage()
    const up = await s.signedUploadUrl('docs/report.pdf', { contentType: 'application/pdf' })
    expect(new URL(up.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host')
    const res = await fetch(up.url, { method: 'PUT', headers: up.headers, body: '%PDF-1.7 bytes' })
    expect(res.status).toBe(200)
    expect(await s.stat(up.name)).toMatchObject({ size: 14, contentType: 'application/pdf' })
  })

  it('an upload with another Content-Type is refused and stores nothing', async () => {
    const s = storage()
    const up = await s.signedUploadUrl('docs/report.pdf', { contentType: 'application/pdf' })
    const res = await fetch(up.url, { method: 'PUT', headers: { 'Content-Type': 'text/html' }, body: '<script>alert(1)</script>' })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('SignatureDoesNotMatch')
    expect(await s.exists(up.name)).toBe(false)
  })

  it('objectParameters headers (Cache-Control) are signed and must be sent as named', async () => {
    const s = storage({ objectParameters: { CacheControl: 'max-age=60' } })
    const up = await s.signedUploadUrl('a.txt', { contentType: 'text/plain' })
    expect(up.headers).toEqual({ 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' })
    expect((await fetch(up.url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'x' })).status).toBe(403)
    expect((await fetch(up.url, { method: 'PUT', headers: up.headers, body: 'x' })).status).toBe(200)
  })
})

describe('signedUploadUrl on S3 without overwrite', () => {
  it('signs If-None-Match: * so that a taken name is never replaced (conditional writes on)', async () => {
    const s = storage({ conditionalWrites: true })
    const up = await s.signedUploadUrl('once.txt', { contentType: 'text/plain' })
    expect(up.headers).toEqual({ 'Content-Type': 'text/plain', 'If-None-Match': '*' })
    expect(new URL(up.url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host;if-none-match')
    // Dropping the header breaks the signature: the condition cannot be stripped by the client.
    expect((await fetch(up.url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: 'x' })).status).toBe(403)
    expect((await fetch(up.url, { method: 'PUT', headers: up.headers, body: 'x' })).status).toBe(200)
  })

  it('sends no condition with fileOverwrite or with conditionalWrites off', async () => {
    expect(
      (await storage({ conditionalWrites: true, fileOverwrite: true }).signedUploadUrl('a.txt', { contentType: 'text/plain' })).headers,
    ).toEqual({ 'Content-Type': 'text/plain' })
    expect((await storage({ conditionalWrites: false }).signedUploadUrl('a.txt', { contentType: 'text/plain' })).headers).toEqual({
      'Content-Type': 'text/plain',
    })
  })
})

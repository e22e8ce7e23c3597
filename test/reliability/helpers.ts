// Shared pieces of the reliability tests: S3 storages talking to s3rver through a fault proxy,
// deterministic bodies with their digests, and the figures a stress run reports.
import { createHash, randomUUID } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import { inject } from 'vitest'
import { S3Storage, type S3StorageOptions } from '../../src/backends/s3/index.js'
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { S3RVER_CREDENTIALS, s3ClientConfig } from '../support/s3rver.js'
import { startFaultProxy, type FaultProxy, type FaultRule } from '../support/fault-proxy.js'

export const MIB = 1024 * 1024

/** True under `npm run test:stress` (the full matrix); CI runs the small version. */
export const STRESS = process.env.NODE_STORAGES_STRESS === '1'

/** The S3 server of the run (global setup). */
export const s3 = inject('s3')
export const BUCKET = s3.buckets[0]!
export const S3RVER_KEYS = { accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey }

/** A fault proxy in front of the verifying proxy, enforcing If-None-Match against s3rver. */
export function faultProxy(rules: FaultRule[] = []): Promise<FaultProxy> {
  return startFaultProxy({ target: s3.proxyEndpoint, origin: s3.endpoint, rules })
}

/** An S3 storage under a fresh location, through `proxy`, with short timeouts and quick retries. */
export function s3Storage(proxy: FaultProxy, options: S3StorageOptions = {}): S3Storage {
  return new S3Storage({
    bucketName: BUCKET,
    endpointUrl: proxy.endpoint,
    ...S3RVER_KEYS,
    location: `rel-${randomUUID()}`,
    conditionalWrites: true, // the fault proxy enforces If-None-Match
    transferConfig: { partSize: 5 * MIB, queueSize: 4, multipartThreshold: 5 * MIB },
    connectTimeout: 2_000,
    readTimeout: 5_000,
    ...options,
  })
}

/** `size` deterministic bytes (seeded), as a Buffer. */
export function bytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.writeUInt32LE(x >>> 0, i)
  }
  return out
}

/** The bytes as a stream of unknown length (64 KiB chunks), as an upload from a client would be. */
export function streamOf(data: Buffer, chunk = 64 * 1024): Readable {
  let at = 0
  return new Readable({
    read() {
      if (at >= data.length) return void this.push(null)
      this.push(data.subarray(at, at + chunk))
      at += chunk
    },
  })
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** A client straight to s3rver (no proxy, no faults), to see what is really stored. */
export const direct = new S3Client(s3ClientConfig(s3.endpoint))

/** Every key under the storage's location, temporary ones included (s3rver directly, no faults). */
export async function allKeys(storage: S3Storage): Promise<string[]> {
  const client = direct
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${storage.location}/`, ContinuationToken: token }))
    for (const o of page.Contents ?? []) keys.push(o.Key!.slice(storage.location.length + 1))
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return keys.sort()
}

/** Figures of a run, appended to `NODE_STORAGES_STRESS_REPORT` (a JSON line per test file) when set. */
export function report(area: string, figures: Record<string, number>): void {
  const file = process.env.NODE_STORAGES_STRESS_REPORT
  if (file) appendFileSync(file, `${JSON.stringify({ area, ...figures })}\n`)
}

/** A client through the verifying proxy, whose ledger answers ListMultipartUploads (s3rver has none). */
export const ledger = new S3Client(s3ClientConfig(s3.proxyEndpoint))

/** The keys (relative to the location) of the multipart uploads still open under the storage's location. */
export async function openUploads(storage: S3Storage): Promise<string[]> {
  const out = await ledger.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${storage.location}/` }))
  return (out.Uploads ?? []).map((u) => u.Key!.slice(storage.location.length + 1)).sort()
}

/** Reports a fault proxy's figures (requests, faults injected, bytes through it) for `area`. */
export function reportProxy(area: string, proxy: FaultProxy, extra: Record<string, number> = {}): void {
  const faults = Object.values(proxy.stats.faults).reduce((a, b) => a + b, 0)
  report(area, { requests: proxy.stats.requests, faults, bytesProxied: proxy.stats.bytesIn + proxy.stats.bytesOut, ...extra })
}

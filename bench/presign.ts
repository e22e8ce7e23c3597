/**
 * URLs per second on one core: our SigV4 presigner against `@aws-sdk/s3-request-presigner`'s
 * `getSignedUrl` for the same GetObject URLs, plus the CloudFront canned-policy signer.
 *
 *   npx tsx bench/presign.ts            (or: npm run bench)
 *
 * Each measurement warms up first, then runs for at least SECONDS seconds. No network is used:
 * credentials are static and presigning is local.
 */
import { generateKeyPairSync } from 'node:crypto'
import { performance } from 'node:perf_hooks'

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'

import { createCloudFrontSigner } from '../src/backends/s3/signing/cloudfront.js'
import { QueryPresigner } from '../src/backends/s3/signing/sigv4.js'
import { getObjectQuery, objectLocator } from '../src/backends/s3/endpoint.js'
import { filepathToUri } from '../src/core/uri.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2.5)
const WARMUP_MS = 500
const BUCKET = 'bench-bucket'
const REGION = 'eu-west-3'
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const KEYS = Array.from({ length: 1024 }, (_, i) => `media/uploads/2024/${i % 12}/photo ${i} été.jpg`)

const client = new S3Client({
  region: REGION,
  credentials: CREDENTIALS,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const presigner = new QueryPresigner({
  region: REGION,
  credentials: async () => CREDENTIALS,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
})
const locate = objectLocator({ bucket: BUCKET, region: REGION })

// The request is built field by field, as S3Storage.url() does: on Node 20, adding properties after a
// spread (`{ ...locate(key), query, expiresIn }`) costs about 1 µs each, more than presigning itself.
const ours = (key: string, signingDate?: Date): Promise<string> => {
  const { protocol, host, path } = locate(key)
  return presigner.presign({ protocol, host, path, query: getObjectQuery({}), expiresIn: 3600, signingDate })
}
const oursSync = (key: string): string | undefined => {
  const { protocol, host, path } = locate(key)
  return presigner.presignSync({ protocol, host, path, expiresIn: 3600 })
}
const sdk = (key: string, signingDate?: Date): Promise<string> =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 3600, signingDate })

/** Calls `fn` in batches until `ms` have passed; returns calls per second. */
async function run(fn: (i: number) => unknown, ms: number): Promise<number> {
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let j = 0; j < 64; j++) await fn(n++)
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}

async function measure(name: string, fn: (i: number) => unknown): Promise<number> {
  await run(fn, WARMUP_MS)
  const rate = await run(fn, SECONDS * 1000)
  console.log(`${name.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} URLs/s`)
  return rate
}

async function main(): Promise<void> {
  // Same inputs, same signing date: the strings must be identical, or the numbers mean nothing.
  const date = new Date('2024-05-06T07:08:09Z')
  for (const key of KEYS.slice(0, 8)) {
    const [a, b] = await Promise.all([ours(key, date), sdk(key, date)])
    if (a !== b) throw new Error(`URLs differ for ${key}:\n  ours ${a}\n  sdk  ${b}`)
  }
  console.log(`node ${process.version}, one core, ${SECONDS} s per measurement after ${WARMUP_MS} ms warm-up\n`)

  const oursRate = await measure('ours: QueryPresigner.presign (await)', (i) => ours(KEYS[i & 1023]))
  await measure('ours: QueryPresigner.presignSync', (i) => oursSync(KEYS[i & 1023]))
  const sdkRate = await measure('SDK:  getSignedUrl(GetObjectCommand)', (i) => sdk(KEYS[i & 1023]))
  console.log(`\nratio ours / SDK: ${(oursRate / sdkRate).toFixed(1)}x`)

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sign = createCloudFrontSigner('K2JCJMDEHXQW5F', privateKey.export({ type: 'pkcs1', format: 'pem' }))
  const expires = new Date(Date.now() + 3600_000)
  const uris = KEYS.map((k) => `https://d111111abcdef8.cloudfront.net/${filepathToUri(k)}`)
  console.log('')
  await measure('CloudFront canned policy (RSA-2048, SHA-1)', (i) => sign(uris[i & 1023], expires))
}

await main()

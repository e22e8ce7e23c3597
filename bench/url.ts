/**
 * url() throughput of every backend (S3 signed with static credentials, no network), against a baseline measured in the same run: building
 * the same string by plain concatenation with encodeURI (what a hand-written helper would do).
 * Prints URLs/s and the ratio. Run: npx tsx bench/url.ts
 */
import { FileSystemStorage, InMemoryStorage, S3Storage } from '../src/index.js'

const names = Array.from({ length: 1000 }, (_, i) => `products/${i % 37}/photo ${i} (ü).jpg`)

async function measure(label: string, fn: (name: string) => unknown, ms = 1500): Promise<number> {
  for (let i = 0; i < 20000; i++) await fn(names[i % names.length]!)
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let i = 0; i < 1000; i++) await fn(names[i]!)
    n += 1000
  }
  const rate = (n / (performance.now() - start)) * 1000
  console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} URLs/s`)
  return rate
}

const fs = new FileSystemStorage({ location: '/tmp/bench-media' })
const signed = new FileSystemStorage({ location: '/tmp/bench-media', querystringAuth: true, secret: 'bench-secret' })
const memory = new InMemoryStorage()
const baseline = await measure('baseline: "/media/" + encodeURI(name)', (n) => '/media/' + encodeURI(n))
const plain = await measure('FileSystemStorage.url()', (n) => fs.url(n))
await measure('InMemoryStorage.url()', (n) => memory.url(n))
const hmac = await measure('FileSystemStorage.url() signed (HMAC)', (n) => signed.url(n))
const s3Options = { bucketName: 'bench-bucket', regionName: 'eu-west-3', accessKey: 'AKIDEXAMPLE', secretKey: 'bench-secret-key' }
const s3 = new S3Storage(s3Options)
await measure('S3Storage.url() presigned (SigV4)', (n) => s3.url(n))
const unsigned = new S3Storage({ ...s3Options, querystringAuth: false })
await measure('S3Storage.url() unsigned (reused storage)', (n) => unsigned.url(n))
const cdn = new S3Storage({ ...s3Options, customDomain: 'cdn.example.com' })
await measure('S3Storage.url() custom domain', (n) => cdn.url(n))
console.log(`ratio url()/baseline: ${(plain / baseline).toFixed(3)}; signed/unsigned: ${(hmac / plain).toFixed(3)}`)

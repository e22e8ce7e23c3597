/**
 * Listing many keys: `S3Storage.list()` over 100,000 and 10,000 keys, against the SDK's own
 * paginator collecting the keys into an array (what a script without a streaming listing does).
 * The keys come from a small ListObjectsV2 server in a child process on 127.0.0.1 that makes
 * 1,000-key pages on the fly (s3rver would need 100,000 uploads first). Each listing runs in a
 * child process of its own with `--expose-gc`, twice: once for speed, once for memory, where the
 * heap is collected every 5,000 keys and the figure is the largest live heap (`heapUsed` right
 * after a collection) over the collected heap before the listing: what the listing keeps, not
 * garbage waiting for the collector. "Flat" means the 100,000-key listing keeps no more than the
 * 10,000-key one.
 *
 * This file is also the child: `node --import tsx --expose-gc bench/listing.ts child <json>`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type BenchContext, interleave, register, type Row, stats } from './lib.js'

const HERE = fileURLToPath(import.meta.url)
const MIB = 1024 * 1024

/** The page server: `GET /<bucket>?list-type=2&prefix=n<count>/…&continuation-token=<i>`. */
const SERVER = `
const http = require('node:http')
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  const prefix = url.searchParams.get('prefix') ?? ''
  const total = Number(/^n(\\d+)\\//.exec(prefix)?.[1] ?? 0)
  const from = Number(url.searchParams.get('continuation-token') ?? 0)
  const to = Math.min(total, from + 1000)
  const parts = ['<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    '<Name>bench</Name><Prefix>' + esc(prefix) + '</Prefix><KeyCount>' + (to - from) + '</KeyCount><MaxKeys>1000</MaxKeys>',
    '<IsTruncated>' + (to < total) + '</IsTruncated>']
  if (to < total) parts.push('<NextContinuationToken>' + to + '</NextContinuationToken>')
  for (let i = from; i < to; i++) {
    parts.push('<Contents><Key>' + esc(prefix) + 'static/app' + (i % 97) + '/file-' + String(i).padStart(7, '0') + '.css</Key>' +
      '<LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag>' +
      '<Size>' + (1000 + i % 5000) + '</Size><StorageClass>STANDARD</StorageClass></Contents>')
  }
  parts.push('</ListBucketResult>')
  res.writeHead(200, { 'content-type': 'application/xml' })
  res.end(parts.join(''))
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n') })
`

type Kind = 'ours' | 'sdk-array'

interface ChildJob {
  kind: Kind
  endpoint: string
  keys: number
}

interface ChildResult {
  keys: number
  seconds: number
  heapGrowth: number
}

/** One listing, measured in this (child) process. */
async function child(job: ChildJob): Promise<ChildResult> {
  const credentials = { accessKeyId: 'BENCH', secretAccessKey: 'BENCH' }
  const prefix = `n${job.keys}/`
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run the child with --expose-gc')
  let count = 0
  let peak = 0
  let base = 0
  let measuring = false
  const sample = () => {
    if (++count % 5000 !== 0 || !measuring) return
    gc()
    peak = Math.max(peak, process.memoryUsage().heapUsed - base)
  }
  let run: () => Promise<void>
  if (job.kind === 'ours') {
    const { S3Storage } = await import('../src/index.js')
    const storage = new S3Storage({
      bucketName: 'bench',
      endpointUrl: job.endpoint,
      accessKey: credentials.accessKeyId,
      secretKey: credentials.secretAccessKey,
    })
    // Warm up: the SDK loaded and one page listed, so the figure is the listing's, not the imports'.
    for await (const _ of storage.list('n10/', { recursive: true })) void _
    run = async () => {
      for await (const entry of storage.list(prefix, { recursive: true })) {
        if (entry.size < 0) throw new Error('negative size')
        sample()
      }
    }
  } else {
    const { S3Client, paginateListObjectsV2 } = await import('@aws-sdk/client-s3')
    const client = new S3Client({ endpoint: job.endpoint, region: 'us-east-1', credentials, forcePathStyle: true })
    for await (const _ of paginateListObjectsV2({ client }, { Bucket: 'bench', Prefix: 'n10/' })) void _
    run = async () => {
      const all: { Key?: string; Size?: number }[] = []
      for await (const page of paginateListObjectsV2({ client }, { Bucket: 'bench', Prefix: prefix })) {
        for (const object of page.Contents ?? []) {
          all.push(object)
          sample()
        }
      }
      if (all.length !== job.keys) throw new Error(`listed ${all.length} keys, expected ${job.keys}`)
    }
  }
  const start = performance.now()
  await run()
  const seconds = (performance.now() - start) / 1000
  if (count !== job.keys) throw new Error(`listed ${count} keys, expected ${job.keys}`)
  count = 0
  measuring = true
  gc()
  base = process.memoryUsage().heapUsed
  await run()
  return { keys: job.keys, seconds, heapGrowth: peak / MIB }
}

/** Runs one listing in a child process. */
function inChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--expose-gc', HERE, 'child', JSON.stringify(job)],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`listing child failed: ${stderr || error.message}`))
        const line = stdout.trim().split('\n').at(-1)!
        resolve(JSON.parse(line) as ChildResult)
      },
    )
  })
}

/** Starts the page server; resolves with its endpoint and the process. */
function startServer(): Promise<{ endpoint: string; proc: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    proc.once('error', reject)
    proc.stdout!.once('data', (chunk: Buffer) => resolve({ endpoint: `http://127.0.0.1:${chunk.toString().trim()}`, proc }))
  })
}

async function listing(ctx: BenchContext): Promise<Row[]> {
  const { endpoint, proc } = await startServer()
  try {
    const big = ctx.quick ? 20_000 : 100_000
    const small = ctx.quick ? 2_000 : 10_000
    const labels = {
      ours: `list(), ${big.toLocaleString('en-US')} keys`,
      oursSmall: `list(), ${small.toLocaleString('en-US')} keys`,
      sdk: `SDK paginator into an array, ${big.toLocaleString('en-US')} keys`,
    }
    const jobs: Record<string, ChildJob> = {
      [labels.ours]: { kind: 'ours', endpoint, keys: big },
      [labels.oursSmall]: { kind: 'ours', endpoint, keys: small },
      [labels.sdk]: { kind: 'sdk-array', endpoint, keys: big },
    }
    const heap = new Map<string, number[]>()
    const rates = new Map<string, number[]>()
    await interleave(
      ctx.quick ? 1 : 3,
      Object.entries(jobs).map(([label, job]) => ({
        label,
        run: async () => {
          const r = await inChild(job)
          heap.set(label, [...(heap.get(label) ?? []), r.heapGrowth])
          rates.set(label, [...(rates.get(label) ?? []), r.keys / r.seconds])
          ctx.log(`${label}: ${r.heapGrowth.toFixed(1)} MiB heap growth, ${Math.round(r.keys / r.seconds).toLocaleString('en-US')} keys/s`)
          return r.heapGrowth
        },
      })),
    )
    const figure = (map: Map<string, number[]>, label: string) => ({ label, stats: stats(map.get(label)!) })
    return [
      {
        work: `listing ${big.toLocaleString('en-US')} keys with list(): live heap growth`,
        unit: 'MiB',
        lowerIsBetter: true,
        ours: figure(heap, labels.ours),
        others: [{ ...figure(heap, labels.oursSmall), info: true }, figure(heap, labels.sdk)],
        // Flat: what the listing keeps stays under a page's worth whatever the key count (an
        // array of 100,000 SDK objects keeps about 34 MiB).
        goals: [{ absolute: 4 }],
        note: '1,000-key ListObjectsV2 pages from a page server on 127.0.0.1, each listing in its own process; heapUsed after a collection every 5,000 keys, over the collected heap before',
      },
      {
        work: `listing ${big.toLocaleString('en-US')} keys with list(): keys/s`,
        unit: 'keys/s',
        ours: figure(rates, labels.ours),
        others: [figure(rates, labels.sdk)],
        note: 'the same runs',
      },
    ]
  } finally {
    proc.kill()
  }
}

if (process.argv[2] === 'child') {
  child(JSON.parse(process.argv[3]!) as ChildJob).then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
      console.error(error)
      process.exitCode = 1
    },
  )
} else {
  register({ id: 'listing', title: 'Listing 100,000 keys', run: listing })
}

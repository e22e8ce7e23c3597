/**
 * S3 uploads to s3rver on 127.0.0.1, from a file on disk and from a stream of unknown length:
 * `storage.save()` against `@aws-sdk/lib-storage`'s `Upload` at the same part size, queue size and
 * checksum setting (the baseline), and one presigned PUT streaming the bytes (the limit). Each
 * upload runs in a child process of its own, so that its peak RSS (`maxRSS`) is its own; client
 * CPU is the child's (s3rver is another process, not counted). Figures: MiB/s, client CPU seconds
 * per GiB, and peak RSS growth over the child's RSS once warmed up (SDK loaded, one request made).
 *
 * This file is also the child: `node --import tsx bench/s3-upload.ts child <json>`.
 */
import { execFile } from 'node:child_process'
import { createReadStream, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { type BenchContext, type Contender, interleave, register, type Row, rowOf } from './lib.js'

const MIB = 1024 * 1024
const BUCKET = 'bench'
const PART_SIZE = 8 * MIB
const QUEUE_SIZE = 4
const CHECKSUMS = 'WHEN_SUPPORTED' as const // the SDK's default for AWS; header CRC32 for every contender
const CONTENDERS = { ours: 'node-storages save()', lib: 'lib-storage Upload', raw: 'presigned PUT (limit)' } as const
type Kind = keyof typeof CONTENDERS

/** What one child measures. */
interface ChildJob {
  kind: Kind
  source: 'file' | 'stream'
  endpoint: string
  path: string
  size: number
  key: string
}

interface ChildResult {
  seconds: number
  cpu: number
  baseRss: number
  maxRss: number
}

async function child(job: ChildJob): Promise<ChildResult> {
  const { S3Client, PutObjectCommand, HeadBucketCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3')
  const { Upload } = await import('@aws-sdk/lib-storage')
  const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner')
  const { S3Storage } = await import('../src/index.js')
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  const common = { endpoint: job.endpoint, region: 'us-east-1', credentials, forcePathStyle: true }
  const client = new S3Client({ ...common, requestChecksumCalculation: CHECKSUMS, responseChecksumValidation: 'WHEN_REQUIRED' })
  const storage = new S3Storage({
    bucketName: BUCKET,
    endpointUrl: job.endpoint,
    accessKey: credentials.accessKeyId,
    secretKey: credentials.secretAccessKey,
    fileOverwrite: true,
    requestChecksumCalculation: CHECKSUMS,
    transferConfig: { partSize: PART_SIZE, queueSize: QUEUE_SIZE, multipartThreshold: PART_SIZE },
  })
  const body = (): Readable => (job.source === 'file' ? createReadStream(job.path) : createReadStream(job.path).pipe(new PassThrough()))
  const upload = async (key: string, content: () => Readable, size: number) => {
    if (job.kind === 'ours') {
      await storage.save(key, content())
    } else if (job.kind === 'lib') {
      const params = { Bucket: BUCKET, Key: key, Body: content() }
      await new Upload({ client, params, partSize: PART_SIZE, queueSize: QUEUE_SIZE, leavePartsOnError: false }).done()
    } else {
      const url = await getSignedUrl(plain, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 600 })
      await new Promise<void>((resolve, reject) => {
        const req = request(url, { method: 'PUT', headers: { 'content-length': size } }, (res) => {
          res.resume()
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT answered ${res.statusCode}`))))
        })
        pipeline(content(), req).catch(reject)
      })
    }
  }
  const plain = new S3Client({ ...common, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' })
  // Warm up: modules loaded (and compiled), connections made, with a small upload of the same kind.
  await client.send(new HeadBucketCommand({ Bucket: BUCKET }))
  const small = Buffer.alloc(64 * 1024, 1)
  await upload(
    `warm-${job.key}`,
    () => (job.source === 'file' ? createReadStream(job.path, { end: small.length - 1 }) : PassThrough.from([small])),
    small.length,
  )
  ;(globalThis as { gc?: () => void }).gc?.()
  const baseRss = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await upload(job.key, body, job.size)
  const seconds = (performance.now() - t0) / 1000
  const used = process.cpuUsage(cpu0)
  const result = { seconds, cpu: (used.user + used.system) / 1e6, baseRss, maxRss: process.resourceUsage().maxRSS * 1024 }
  await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: job.key }))
  await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `warm-${job.key}` }))
  storage.destroy()
  client.destroy()
  plain.destroy()
  return result
}

/** Runs one upload in a child process. */
function runChild(job: ChildJob): Promise<ChildResult> {
  const script = fileURLToPath(import.meta.url)
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, 'child', JSON.stringify(job)],
      { env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}`))
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult)
      },
    )
  })
}

/** A file of `size` random bytes (written in 8 MiB blocks). */
function makeFile(dir: string, size: number): string {
  const path = join(dir, `data-${size}.bin`)
  const fd = openSync(path, 'w')
  const block = randomBytes(8 * MIB)
  for (let written = 0; written < size; written += block.length) writeSync(fd, block, 0, Math.min(block.length, size - written))
  closeSync(fd)
  return path
}

async function uploads(ctx: BenchContext): Promise<Row[]> {
  const { startS3rver } = await import('../test/support/s3rver.js')
  const server = await startS3rver({ buckets: [BUCKET], cors: false })
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-upload-'))
  const rows: Row[] = []
  const bound = (PART_SIZE * (QUEUE_SIZE + 1)) / MIB + 32
  const plans = ctx.quick
    ? [{ size: 32 * MIB, rounds: 1 }]
    : [
        { size: 256 * MIB, rounds: 2 },
        { size: 1024 * MIB, rounds: 1 },
      ]
  try {
    for (const { size, rounds } of plans) {
      const path = makeFile(dir, size)
      for (const source of ['file', 'stream'] as const) {
        const figures = new Map<string, ChildResult[]>()
        const contenders: Contender[] = (Object.keys(CONTENDERS) as Kind[]).map((kind) => ({
          label: CONTENDERS[kind],
          run: async (round) => {
            const r = await runChild({ kind, source, endpoint: server.endpoint, path, size, key: `${kind}-${source}-${round}.bin` })
            figures.set(CONTENDERS[kind], [...(figures.get(CONTENDERS[kind]) ?? []), r])
            return size / MIB / r.seconds
          },
        }))
        const speed = await interleave(rounds, contenders)
        const of = (f: (r: ChildResult) => number) => new Map([...figures].map(([label, list]) => [label, list.map(f)]))
        const what = `${size / MIB} MiB from ${source === 'file' ? 'a file (fs.ReadStream)' : 'a stream of unknown length'}`
        const note = `${PART_SIZE / MIB} MiB parts, ${QUEUE_SIZE} at a time, requestChecksumCalculation ${CHECKSUMS}; s3rver on loopback; ${rounds} round(s)`
        rows.push(
          rowOf(speed, CONTENDERS.ours, {
            work: `${what}: throughput`,
            unit: 'MiB/s',
            goals: [{ against: CONTENDERS.lib, ratio: 1 }],
            note,
          }),
          rowOf(
            of((r) => r.cpu / (size / (1024 * MIB))),
            CONTENDERS.ours,
            {
              work: `${what}: client CPU`,
              unit: 's/GiB',
              lowerIsBetter: true,
              goals: [{ against: CONTENDERS.lib, ratio: 2 }],
              note: 'user + system CPU of the uploading process',
            },
          ),
          rowOf(
            of((r) => (r.maxRss - r.baseRss) / MIB),
            CONTENDERS.ours,
            {
              work: `${what}: peak RSS growth`,
              unit: 'MiB',
              lowerIsBetter: true,
              goals: [{ absolute: bound }],
              note: `maxRSS minus the warmed-up RSS (about ${Math.round([...figures.values()][0]![0]!.baseRss / MIB)} MiB); bound partSize × (queueSize + 1) + 32 MiB`,
            },
          ),
        )
        ctx.log(`s3 upload, ${what}: done`)
      }
      rmSync(path, { force: true })
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await server.stop()
  }
  return rows
}

if (process.argv[2] === 'child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  child(JSON.parse(process.argv[3]!) as ChildJob).then(
    (result) => console.log(JSON.stringify(result)),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
} else {
  register({ id: 's3-upload', title: 'S3 uploads (s3rver)', run: uploads })
}

/**
 * S3 downloads against s3rver (a child process on 127.0.0.1, fresh temp directory): one 256 MiB
 * object read whole, interleaved, by
 * - `S3Storage.open()` (ours: the direct GET of src/backends/s3/get.ts),
 * - the SDK's `GetObjectCommand` body (the baseline; the goal is ours ≥ 1.3× it),
 * - a raw query-signed `http.get` on a keep-alive agent (the limit: no stream of ours on the way).
 * Each read reports MiB/s and this process's CPU seconds (`process.cpuUsage`; s3rver's CPU is
 * its own process's, not counted).
 */
import http from 'node:http'
import type { Readable } from 'node:stream'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { S3Storage } from '../src/index.js'
import { QueryPresigner } from '../src/backends/s3/signing/sigv4.js'
import { S3RVER_CREDENTIALS, s3ClientConfig, startS3rver } from '../test/support/s3rver.js'
import { type BenchContext, type Contender, interleave, register, type Row, rowOf } from './lib.js'

const MIB = 1024 * 1024
const BUCKET = 'bench-downloads'
const KEY = 'big.bin'

/** Reads `stream` to its end; the number of bytes. */
function drain(stream: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0
    stream.on('data', (chunk: Buffer) => {
      n += chunk.length
    })
    stream.once('end', () => resolve(n))
    stream.once('error', reject)
  })
}

async function downloads(ctx: BenchContext): Promise<Row[]> {
  const size = (ctx.quick ? 32 : 256) * MIB
  const rounds = ctx.quick ? 2 : 7
  const s3 = await startS3rver({ buckets: [BUCKET], cors: false })
  const client = new S3Client(s3ClientConfig(s3.endpoint))
  const storage = new S3Storage({
    bucketName: BUCKET,
    endpointUrl: s3.endpoint,
    accessKey: S3RVER_CREDENTIALS.accessKeyId,
    secretKey: S3RVER_CREDENTIALS.secretAccessKey,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
  const agent = new http.Agent({ keepAlive: true })
  try {
    const data = Buffer.alloc(size)
    for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i)
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: data }))
    const presigner = new QueryPresigner({
      region: 'us-east-1',
      credentials: async () => ({ ...S3RVER_CREDENTIALS }),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    const { host } = new URL(s3.endpoint)
    const cpu = new Map<string, number[]>()
    const measure =
      (label: string, read: () => Promise<number>): Contender['run'] =>
      async () => {
        const startCpu = process.cpuUsage()
        const start = performance.now()
        const n = await read()
        const seconds = (performance.now() - start) / 1000
        const used = process.cpuUsage(startCpu)
        if (n !== size) throw new Error(`${label} read ${n} bytes, not ${size}.`)
        cpu.set(label, [...(cpu.get(label) ?? []), (used.user + used.system) / 1e6])
        return size / MIB / seconds
      }
    const contenders: Contender[] = [
      { label: 'node-storages open()', run: measure('node-storages open()', async () => drain(await storage.open(KEY))) },
      {
        label: 'SDK GetObject',
        run: measure('SDK GetObject', async () => {
          const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))
          return drain(out.Body as Readable)
        }),
      },
      {
        label: 'raw signed http.get',
        run: measure('raw signed http.get', async () => {
          const url = await presigner.presign({ protocol: 'http:', host, path: `/${BUCKET}/${KEY}`, expiresIn: 900 })
          const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, { agent }, resolve).once('error', reject))
          if (res.statusCode !== 200) throw new Error(`raw GET: ${res.statusCode}`)
          return drain(res)
        }),
      },
    ]
    await drain(await storage.open(KEY)) // warm-up: SDK loaded, credentials cached, sockets open
    const results = await interleave(rounds, contenders, (round) => ctx.log(`s3-download round ${round + 1}/${rounds}`))
    const work = `one ${size / MIB} MiB object from s3rver, 127.0.0.1, read whole`
    return [
      rowOf(results, 'node-storages open()', {
        work,
        unit: 'MiB/s',
        goals: [{ against: 'SDK GetObject', ratio: 1.3 }],
        note: 'raw signed http.get: the same GET with nothing on the way (the limit). s3rver serves from a file in its own process.',
      }),
      rowOf(cpu, 'node-storages open()', {
        work: `${work}: client CPU`,
        unit: 'CPU s',
        lowerIsBetter: true,
        note: 'user + system CPU of the reading process per read (s3rver excluded).',
      }),
    ]
  } finally {
    agent.destroy()
    storage.destroy()
    client.destroy()
    await s3.stop()
  }
}

register({ id: 's3-download', title: 'S3 downloads (s3rver)', run: downloads })

// 4 processes × 50 concurrent saves of one name: 200 distinct names, each file intact — on the
// filesystem (exclusive links), and on S3 with If-None-Match honoured (the fault proxy enforces it
// on s3rver, and drops some answers so that the retried writes meet their own 412).
import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FileSystemStorage } from '../../src/backends/filesystem/storage.js'
import { S3Storage } from '../../src/backends/s3/index.js'
import type { Storage } from '../../src/core/storage.js'
import { BUCKET, MIB, S3RVER_KEYS, STRESS, allKeys, faultProxy, report } from './helpers.js'

const SAVER = fileURLToPath(new URL('./fixtures/saver.ts', import.meta.url))
const PROCESSES = 4
const SAVES = 50

interface Saved {
  name: string
  sha256: string
  size: number
}

/** Runs one saver process; resolves to what it stored. */
function saver(job: object): Promise<Saved[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SAVER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c))
    child.stderr.on('data', (c: Buffer) => (err += c))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Saved[])
        : reject(new Error(`saver exited ${code}: ${err.slice(-2000)}`)),
    )
  })
}

/** Runs the processes, then checks 200 distinct names whose bytes are what each save wrote. */
async function race(storage: Storage, job: (id: number) => object): Promise<number> {
  const saved = (await Promise.all(Array.from({ length: PROCESSES }, (_, id) => saver(job(id))))).flat()
  expect(saved).toHaveLength(PROCESSES * SAVES)
  expect(new Set(saved.map((s) => s.name)).size).toBe(PROCESSES * SAVES)
  let bytes = 0
  for (let i = 0; i < saved.length; i += 16) {
    await Promise.all(
      saved.slice(i, i + 16).map(async (s) => {
        const data = await storage.read(s.name)
        expect(createHash('sha256').update(data).digest('hex'), s.name).toBe(s.sha256)
        bytes += data.length
      }),
    )
  }
  return bytes
}

let compared = 0

describe(`${PROCESSES} processes × ${SAVES} saves of one name`, () => {
  it('filesystem: 200 distinct, intact files, no temporary file left', async () => {
    const location = await mkdtemp(join(tmpdir(), 'ns-race-'))
    try {
      const storage = new FileSystemStorage({ location })
      compared += await race(storage, (id) => ({ backend: 'filesystem', location, name: 'same.txt', count: SAVES, id, size: 2048 }))
      const [, files] = await storage.listdir('')
      expect(files).toHaveLength(PROCESSES * SAVES)
      const { readdir } = await import('node:fs/promises')
      expect((await readdir(location)).filter((f) => f.startsWith('.nstmp-'))).toEqual([])
    } finally {
      await rm(location, { recursive: true, force: true })
    }
  }, 60_000)

  it('S3 with If-None-Match honoured (some answers lost): 200 distinct, intact objects, nothing else', async () => {
    const proxy = await faultProxy([{ match: 'PutObject', fault: { kind: 'drop-response' }, skip: 3, times: STRESS ? 20 : 5 }])
    const location = `race-${randomUUID()}`
    const storage = new S3Storage({ bucketName: BUCKET, endpointUrl: proxy.endpoint, ...S3RVER_KEYS, location })
    try {
      compared += await race(storage, (id) => ({
        backend: 's3',
        location,
        endpoint: proxy.endpoint,
        bucket: BUCKET,
        name: 'same.bin',
        count: SAVES,
        id,
        size: STRESS && id === 0 ? 6 * MIB : 4096,
      }))
      expect(proxy.stats.preconditionFailed).toBeGreaterThan(0) // the races did happen at the server
      expect(await allKeys(storage)).toHaveLength(PROCESSES * SAVES) // no orphan, no temporary key
      report('concurrency', {
        processes: PROCESSES,
        saves: PROCESSES * SAVES * 2,
        faults: proxy.stats.faults['drop-response'],
        bytesCompared: compared,
      })
    } finally {
      storage.destroy()
      await proxy.stop()
    }
  }, 120_000)
})

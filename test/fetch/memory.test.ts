// saveUploads never holds a file in memory: a 64 MiB file goes from a streamed Request body through
// the multipart parser into FileSystemStorage with a peak RSS growth under 32 MiB.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { saveUploads } from '../../src/adapters/fetch/index.js'
import { FileSystemStorage } from '../../src/index.js'
import { multipartBody, uploadRequest } from './multipart.js'

const MiB = 1024 * 1024
const root = mkdtempSync(join(tmpdir(), 'ns-fetch-memory-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('saveUploads memory', () => {
  it('uploads 64 MiB with a peak RSS growth under 32 MiB', async () => {
    const storage = new FileSystemStorage({ location: root })
    // Warm up: load the parser and the storage's code paths, so the figure is the upload's alone.
    await saveUploads(uploadRequest(multipartBody([{ field: 'f', filename: 'warm-up.bin', size: MiB }])), storage)
    ;(globalThis as { gc?: () => void }).gc?.()
    // The client lives in this process: its chunks come from a ring of reused buffers, so what is
    // measured is saveUploads' own memory, not the garbage of a generator.
    const body = multipartBody(
      [
        { field: 'title', value: 'a big one' },
        { field: 'f', filename: 'sixty-four.bin', size: 64 * MiB },
      ],
      { ring: 64 },
    )
    const baseline = process.memoryUsage().rss
    let peak = baseline
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
    let result
    try {
      result = await saveUploads(uploadRequest(body), storage)
    } finally {
      clearInterval(timer)
    }
    peak = Math.max(peak, process.memoryUsage().rss)
    const growth = (peak - baseline) / MiB
    console.log(`saveUploads of 64 MiB: peak RSS growth ${growth.toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(0)} MiB)`)
    expect(result.files.map((f) => [f.name, f.size])).toEqual([['sixty-four.bin', 64 * MiB]])
    expect(result.fields).toEqual({ title: 'a big one' })
    expect(growth).toBeLessThan(32)
    const back = createHash('sha256')
    for await (const chunk of await storage.open('sixty-four.bin')) back.update(chunk as Buffer)
    expect(back.digest('hex')).toBe(body.digests[0])
  }, 120_000)
})

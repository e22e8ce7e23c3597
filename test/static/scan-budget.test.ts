// The worker scan keeps bytes only within KEEP_BUDGET (a reviewer found it kept every file).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { KEEP_BUDGET, scanSources, WHOLE_READ_LIMIT } from '../../src/static/sources.js'

let dir: string
const FILES = 96 // 96 × 4 MiB = 384 MiB of sources; KEEP_BUDGET is 64 MiB
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ns-scan-budget-'))
  const bytes = Buffer.alloc(WHOLE_READ_LIMIT, 1)
  for (let i = 0; i < FILES; i++) await writeFile(join(dir, `f${i}.bin`), bytes)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

it('peak memory of a scan stays near KEEP_BUDGET plus a few files in flight (keep: nothing)', async () => {
  global.gc?.()
  const base = process.memoryUsage().arrayBuffers
  let peak = 0
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 1)
  const files = await scanSources([dir], { ignore: () => false, keep: () => false, concurrency: 4 })
  peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)
  clearInterval(timer)
  expect(files).toHaveLength(FILES)
  const kept = files.filter((f) => f.content).length * WHOLE_READ_LIMIT
  expect(kept).toBeLessThanOrEqual(KEEP_BUDGET)
  // Allowed: the budget plus 8 files in flight (concurrency 4, doubled). Measured in MiB.
  expect(Math.round(peak / 2 ** 20)).toBeLessThanOrEqual((KEEP_BUDGET + 8 * WHOLE_READ_LIMIT) / 2 ** 20)
})

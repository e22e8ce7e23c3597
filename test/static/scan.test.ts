import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanInWorker, WORKER_MIN_FILES } from '../../src/static/scan-worker.js'
import { scanSources, WHOLE_READ_LIMIT } from '../../src/static/sources.js'

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex')

describe('scanning many source files (worker thread)', () => {
  let dir: string
  const expected = new Map<string, Buffer>()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ns-scan-'))
    for (let i = 0; i < WORKER_MIN_FILES + 36; i++) {
      const sub = join(dir, `d${i % 7}`)
      await mkdir(sub, { recursive: true })
      const bytes = Buffer.from(`file ${i} `.repeat(i))
      await writeFile(join(sub, `f${i}.txt`), bytes)
      expected.set(`d${i % 7}/f${i}.txt`, bytes)
    }
    const big = Buffer.alloc(WHOLE_READ_LIMIT + 1, 7)
    await writeFile(join(dir, 'big.bin'), big)
    expected.set('big.bin', big)
    await symlink(join(dir, 'd1', 'f1.txt'), join(dir, 'link.txt'))
    expected.set('link.txt', expected.get('d1/f1.txt')!)
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('from WORKER_MIN_FILES files on, gives the same names, sizes, hashes and bytes as reading each file (empty, large and linked files included)', async () => {
    const files = await scanSources([dir], { ignore: () => false, keep: () => true, concurrency: 4 })
    expect(files.map((f) => f.name).sort()).toEqual([...expected.keys()].sort())
    for (const file of files) {
      const bytes = expected.get(file.name)!
      expect(file.size, file.name).toBe(bytes.length)
      expect(file.md5, file.name).toBe(md5(bytes))
      expect(file.content?.equals(bytes), file.name).toBe(true)
    }
  })

  it('answers per path: bytes and MD5, "large" above the limit, nothing for a missing file', async () => {
    const paths = [join(dir, 'd0', 'f0.txt'), join(dir, 'd3', 'f10.txt'), join(dir, 'big.bin'), join(dir, 'missing.txt')]
    const { found: out } = await scanInWorker(paths, WHOLE_READ_LIMIT, [true, true, true, true], 0)
    expect(out[0]).toMatchObject({ size: 0, bytes: new Uint8Array(0), md5: md5('') })
    const ten = out[1] as { bytes: Uint8Array; md5: string }
    expect(Buffer.from(ten.bytes).equals(expected.get('d3/f10.txt')!)).toBe(true)
    expect(ten.md5).toBe(md5(expected.get('d3/f10.txt')!))
    expect(out[2]).toBe('large')
    expect(out[3]).toBeUndefined()
  })

  it('sends bytes back only for kept files and within the budget', async () => {
    const paths = [join(dir, 'd1', 'f1.txt'), join(dir, 'd2', 'f2.txt'), join(dir, 'd3', 'f3.txt')]
    const sizes = paths.map((_, i) => expected.get(`d${i + 1}/f${i + 1}.txt`)!.length)
    const { found, budget } = await scanInWorker(paths, WHOLE_READ_LIMIT, [false, true, false], sizes[0]!)
    const got = found as { size: number; md5: string; bytes?: Uint8Array }[]
    expect(got.map((f) => f.bytes !== undefined)).toEqual([true, true, false]) // the third is over the budget
    expect(got.map((f) => f.size)).toEqual(sizes)
    expect(got[2]!.md5).toBe(md5(expected.get('d3/f3.txt')!))
    expect(budget).toBe(0)
  })

  it('rejects with the signal reason when aborted', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(scanInWorker([join(dir, 'd0', 'f0.txt')], WHOLE_READ_LIMIT, [false], 0, controller.signal)).rejects.toBe(reason)
  })
})

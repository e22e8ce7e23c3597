// The worker thread of small saves (src/backends/filesystem/offload.ts) never keeps a process alive.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = resolve(__dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'ns-fs-offload-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('FileSystemStorage small saves in a worker thread', () => {
  it('a process that saved through the worker exits by itself once its work is done', () => {
    const script = join(dir, 'child.mts')
    writeFileSync(
      script,
      `import { FileSystemStorage } from ${JSON.stringify(join(ROOT, 'src/index.ts'))}
import { offloadedJobs, offloadReady } from ${JSON.stringify(join(ROOT, 'src/backends/filesystem/offload.ts'))}
const storage = new FileSystemStorage({ location: process.argv[2] })
for (let i = 0; i < 20; i++) await storage.save('warm.txt', 'x')
if (!(await offloadReady())) throw new Error('no worker')
await Promise.all(Array.from({ length: 30 }, (_, i) => storage.save('same.txt', String(i))))
console.log(offloadedJobs())
`,
    )
    const files = join(dir, 'files')
    const started = Date.now()
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, files], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(run.signal, 'the process had to be killed: the worker kept it alive').toBeNull()
    expect(run.status, run.stderr).toBe(0)
    expect(Number(run.stdout.trim())).toBeGreaterThan(0)
    expect(Date.now() - started).toBeLessThan(30_000)
    const names = readdirSync(files)
    expect(names.filter((n) => n.startsWith('same')).length).toBe(30)
    expect(names.filter((n) => n.startsWith('.nstmp-'))).toEqual([])
  })
})

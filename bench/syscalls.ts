/**
 * System calls per small save, counted with `strace -f` (Linux, when strace is installed) on a
 * child process (bench/save-child.ts) between two marker calls: file-system calls
 * (open, write, link, stat, ...) and, for transparency, every call, the event loop's and the
 * thread pool's wake-ups (futex, epoll, eventfd) included. Ours against `fs.promises.writeFile`.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BenchContext, register, type Row } from './lib.js'

const HERE = dirname(fileURLToPath(import.meta.url))

// The calls a file operation makes; the event loop's own (epoll, futex, eventfd reads and writes) are not among them.
const FILE_CALLS = new Set(
  (
    'open openat openat2 creat close read pread64 readv write pwrite64 writev pwritev pwritev2 link linkat unlink unlinkat rename renameat ' +
    'renameat2 stat lstat fstat newfstatat statx fchmod chmod fchmodat mkdir mkdirat rmdir readlink readlinkat getdents64 access ' +
    'faccessat faccessat2 copy_file_range sendfile ioctl fsync fdatasync ftruncate lseek realpath getcwd'
  ).split(' '),
)

/** Counts of the calls between the markers of one strace log: file calls and all calls, and by name. */
export function countCalls(log: string): { file: number; all: number; byName: Map<string, number> } {
  const eventFds = new Set<string>()
  let inside = false
  let file = 0
  let all = 0
  const byName = new Map<string, number>()
  for (const line of log.split('\n')) {
    const resumed = /<\.\.\. eventfd2? resumed>.*= (\d+)\s*$/.exec(line)
    if (resumed) eventFds.add(resumed[1]!)
    const m = /^\d+\s+(\w+)\(([^,)]*)/.exec(line)
    if (!m) continue // resumed halves, signals, exits
    const [, name, firstArg] = m as unknown as [string, string, string]
    if (name === 'eventfd2' || name === 'eventfd') eventFds.add(/= (\d+)\s*$/.exec(line)?.[1] ?? '')
    if (line.includes('nonexistent-node-storages-bench-start')) {
      inside = true
      continue
    }
    if (line.includes('nonexistent-node-storages-bench-end')) break
    if (!inside) continue
    all++
    if (!FILE_CALLS.has(name) || ((name === 'read' || name === 'write') && eventFds.has(firstArg))) continue
    file++
    byName.set(name, (byName.get(name) ?? 0) + 1)
  }
  return { file, all, byName }
}

function strace(impl: string, count: number): ReturnType<typeof countCalls> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-strace-'))
  const log = join(dir, 'strace.log')
  try {
    const child = [process.execPath, '--import', 'tsx', join(HERE, 'save-child.ts'), impl, join(dir, 'files'), String(count)]
    const run = spawnSync('strace', ['-f', '-o', log, ...child], {
      cwd: join(HERE, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    })
    if (run.status !== 0) throw new Error(`strace of ${impl} failed: ${run.stderr}`)
    return countCalls(readFileSync(log, 'utf8'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function hasStrace(): boolean {
  return process.platform === 'linux' && spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0
}

async function syscalls(ctx: BenchContext): Promise<Row[]> {
  if (!hasStrace()) {
    ctx.log('strace not found (Linux: apt-get install strace): system calls not counted')
    return []
  }
  const count = ctx.quick ? 50 : 500
  const ours = strace('ours', count)
  const pool = strace('ours-pool', count)
  const overwrite = strace('ours-overwrite', count)
  const base = strace('writeFile', count)
  const per = (n: number) => ({ median: n / count, min: n / count, max: n / count, n: 1 })
  const names = (c: ReturnType<typeof countCalls>) =>
    [...c.byName].map(([name, n]) => `${name} ${(n / count).toFixed(2).replace(/\.?0+$/, '')}`).join(', ')
  ctx.log(`ours: ${names(ours)}; thread pool: ${names(pool)}; overwrite: ${names(overwrite)}; writeFile: ${names(base)}`)
  return [
    {
      work: 'file-system calls per 4 KiB save (new name, existing directory)',
      unit: 'calls',
      lowerIsBetter: true,
      ours: { label: 'node-storages save()', stats: per(ours.file) },
      others: [
        { label: 'save() on the thread-pool path', stats: per(pool.file) },
        { label: 'save() with fileOverwrite', stats: per(overwrite.file) },
        { label: 'fs.promises.writeFile', stats: per(base.file) },
      ],
      goals: [{ absolute: 10 }],
      note: `strace -f, ${count} saves; ours: ${names(ours)}`,
    },
    {
      work: 'all system calls per 4 KiB save (thread pool and event loop wake-ups included)',
      unit: 'calls',
      lowerIsBetter: true,
      ours: { label: 'node-storages save()', stats: per(ours.all) },
      others: [
        { label: 'save() on the thread-pool path', stats: per(pool.all) },
        { label: 'save() with fileOverwrite', stats: per(overwrite.all) },
        { label: 'fs.promises.writeFile', stats: per(base.all) },
      ],
      note: 'futex, epoll_pwait and eventfd reads/writes: about 8 per thread-pool round trip or worker message',
    },
  ]
}

register({ id: 'syscalls', title: 'System calls per save (strace)', run: syscalls })

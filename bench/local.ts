/**
 * The local backend against `fs` and flydrive, measured interleaved in one process:
 * - small saves: 2,000 × 4 KiB `save()` of new names into an existing directory, one at a time
 *   and 16 at a time, on the disk of the OS temp directory and on tmpfs (/dev/shm) when present;
 * - a file on disk saved from an untouched `fs.ReadStream` (256 MiB), against `fs.copyFile`,
 *   a stream pipeline and flydrive's `putStream`.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { copyFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import { Disk } from 'flydrive'
import { FSDriver } from 'flydrive/drivers/fs'
import { FileSystemStorage } from '../src/index.js'
import { type BenchContext, type Contender, interleave, register, type Row, rowOf } from './lib.js'

/** A fresh, empty directory for one measurement; removed with `done()`. */
function scratch(base: string, label: string): string {
  const dir = join(base, `${label.replace(/\W+/g, '-')}-${randomBytes(4).toString('hex')}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Where to measure: the OS temp directory's disk, and tmpfs when there is one. */
export function benchDisks(): { name: string; base: string }[] {
  const disks = [{ name: fsName(tmpdir()), base: join(tmpdir(), 'node-storages-bench') }]
  if (existsSync('/dev/shm')) disks.push({ name: 'tmpfs', base: '/dev/shm/node-storages-bench' })
  return disks
}

const FS_TYPES: Record<string, string> = {
  '61267': 'ext4',
  '1021994': 'tmpfs',
  '9123683e': 'btrfs',
  '58465342': 'xfs',
  '794c7630': 'overlayfs',
}

/** The file system type of `dir` (ext4, tmpfs, ...), from statfs. */
export function fsName(dir: string): string {
  try {
    const type = statfsSync(dir).type
    return FS_TYPES[type.toString(16)] ?? FS_TYPES[String(type)] ?? `fs 0x${type.toString(16)}`
  } catch {
    return 'disk'
  }
}

/** Saves `count` files with `concurrency` in flight through `saveOne(i)`; returns files/s. */
async function timeSaves(count: number, concurrency: number, saveOne: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await saveOne(next++)
    }),
  )
  return count / ((performance.now() - start) / 1000)
}

async function smallSaves(ctx: BenchContext): Promise<Row[]> {
  const count = ctx.quick ? 300 : 2000
  const rounds = ctx.quick ? 2 : 7
  const data = randomBytes(4096)
  const rows: Row[] = []
  for (const disk of benchDisks()) {
    for (const concurrency of [1, 16]) {
      const measure =
        (label: string, make: (dir: string) => (i: number) => Promise<unknown>): Contender['run'] =>
        async () => {
          const dir = scratch(disk.base, label)
          try {
            return await timeSaves(count, concurrency, make(dir))
          } finally {
            rmSync(dir, { recursive: true, force: true })
          }
        }
      const contenders: Contender[] = [
        {
          label: 'node-storages save()',
          run: measure('ours', (dir) => {
            const storage = new FileSystemStorage({ location: dir })
            return (i) => storage.save(`f${i}.bin`, data)
          }),
        },
        { label: 'fs.promises.writeFile', run: measure('writefile', (dir) => (i) => writeFile(join(dir, `f${i}.bin`), data)) },
        {
          label: 'flydrive put()',
          run: measure('flydrive', (dir) => {
            const flydrive = new Disk(new FSDriver({ location: dir, visibility: 'public' }))
            return (i) => flydrive.put(`f${i}.bin`, data)
          }),
        },
        {
          label: 'writeFileSync (limit)',
          run: measure('sync', (dir) => async (i) => writeFileSync(join(dir, `f${i}.bin`), data)),
        },
      ]
      const results = await interleave(rounds, contenders)
      const mode = concurrency === 1 ? 'one at a time' : `${concurrency} at a time`
      ctx.log(`small saves, ${disk.name}, ${mode}: done`)
      rows.push(
        rowOf(results, 'node-storages save()', {
          work: `${count.toLocaleString('en-US')} × 4 KiB saves, ${disk.name}, ${mode}`,
          unit: 'files/s',
          goals: [{ against: 'fs.promises.writeFile', ratio: 0.9 }],
          note: `new names in an existing directory, fileOverwrite false; ${rounds} rounds`,
        }),
      )
    }
    rmSync(disk.base, { recursive: true, force: true })
  }
  return rows
}

async function fileCopy(ctx: BenchContext): Promise<Row[]> {
  const size = (ctx.quick ? 32 : 256) * 1024 * 1024
  const rounds = ctx.quick ? 2 : 5
  const disk = benchDisks()[0]!
  const srcDir = scratch(disk.base, 'source')
  const source = join(srcDir, 'source.bin')
  const chunk = randomBytes(1024 * 1024)
  const out = createWriteStream(source)
  for (let i = 0; i < size / chunk.length; i++) if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()))
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  const mib = size / 1024 / 1024
  const measure =
    (label: string, copy: (dir: string) => Promise<unknown>): Contender['run'] =>
    async () => {
      const dir = scratch(disk.base, label)
      try {
        const start = performance.now()
        await copy(dir)
        return mib / ((performance.now() - start) / 1000)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  try {
    const contenders: Contender[] = [
      {
        label: 'node-storages save(fs.ReadStream)',
        run: measure('ours', (dir) => new FileSystemStorage({ location: dir }).save('copy.bin', createReadStream(source))),
      },
      { label: 'fs.copyFile', run: measure('copyfile', (dir) => copyFile(source, join(dir, 'copy.bin'))) },
      {
        label: 'stream pipeline',
        run: measure('pipeline', (dir) => pipeline(createReadStream(source), createWriteStream(join(dir, 'copy.bin')))),
      },
      {
        label: 'flydrive putStream()',
        run: measure('flydrive', (dir) =>
          new Disk(new FSDriver({ location: dir, visibility: 'public' })).putStream('copy.bin', createReadStream(source)),
        ),
      },
    ]
    const results = await interleave(rounds, contenders)
    ctx.log('file copy: done')
    return [
      rowOf(results, 'node-storages save(fs.ReadStream)', {
        work: `one ${mib} MiB file from an fs.ReadStream, ${disk.name}`,
        unit: 'MiB/s',
        goals: [{ against: 'fs.copyFile', ratio: 0.9 }],
        note: `copyFile (COPYFILE_FICLONE where the file system clones) into the temporary file, then the exclusive link; ${rounds} rounds`,
      }),
    ]
  } finally {
    rmSync(disk.base, { recursive: true, force: true })
  }
}

register({ id: 'local-saves', title: 'Small local saves', run: smallSaves })
register({ id: 'local-copy', title: 'Saving a file on disk', run: fileCopy })

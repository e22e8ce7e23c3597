/**
 * Child process of bench/syscalls.ts, run under `strace -f`: warms up, then makes COUNT saves of
 * 4 KiB between two marker system calls (access() of a path that does not exist), so the parent
 * counts exactly the system calls of those saves.
 *   node --import tsx bench/save-child.ts <ours|ours-pool|ours-overwrite|writeFile> <dir> <count>
 */
import { accessSync, mkdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { offloadReady, setOffload } from '../src/backends/filesystem/offload.js'
import { FileSystemStorage } from '../src/index.js'

const [impl = 'ours', dir = '.', countArg = '100'] = process.argv.slice(2)
const count = Number(countArg)
mkdirSync(dir, { recursive: true })
const data = Buffer.alloc(4096, 1)
const storage = new FileSystemStorage({ location: dir, fileOverwrite: impl === 'ours-overwrite' })
const saveOne = impl === 'writeFile' ? (name: string) => writeFile(join(dir, name), data) : (name: string) => storage.save(name, data)
const marker = (name: string) => {
  try {
    accessSync(`/nonexistent-node-storages-bench-${name}`)
  } catch {}
}
// First-use costs (location's real path, the worker's start) stay out of the count.
setOffload(impl !== 'ours-pool')
for (let i = 0; i < 20; i++) await saveOne(`warm-${i}.bin`)
if (impl !== 'ours-pool') await offloadReady()
marker('start')
for (let i = 0; i < count; i++) await saveOne(`f${i}.bin`)
marker('end')

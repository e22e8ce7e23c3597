// A storage location with canary files around it: a secret directory beside it, a file above it,
// a sibling whose name starts like the location's, and a symlink inside it pointing out. Nothing
// a hostile name does through the storage may change them, read them, or add a file outside.
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The marker every canary file holds: no answer or read may ever contain it. */
export const CANARY = 'CANARY-7f3a91-do-not-serve'

export interface CanaryRoot {
  /** The temporary directory holding everything. */
  root: string
  /** The storage's location (`root/storage`). */
  location: string
  /** Path → fingerprint of everything outside the location (links not followed). */
  snapshot(): Promise<Map<string, string>>
  remove(): Promise<void>
}

/** Makes the directory tree with its canaries and a seed file inside the location. */
export async function canaryRoot(): Promise<CanaryRoot> {
  const root = await mkdtemp(join(tmpdir(), 'ns-hostile-'))
  const location = join(root, 'storage')
  await mkdir(join(root, 'secret'), { recursive: true })
  await mkdir(join(root, 'storage-evil'), { recursive: true })
  await mkdir(location, { recursive: true })
  await writeFile(join(root, 'canary.txt'), `${CANARY} above`)
  await writeFile(join(root, 'passwd'), `${CANARY} passwd`)
  await writeFile(join(root, 'secret', 'passwd'), `${CANARY} secret`)
  await writeFile(join(root, 'storage-evil', 'x'), `${CANARY} sibling`)
  await writeFile(join(location, 'seed.txt'), 'seed')
  await symlink(join(root, 'secret'), join(location, 'out')) // a link out: names through it must be refused
  const snapshot = async () => {
    const out = new Map<string, string>()
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (path === location) continue
        const info = await lstat(path)
        if (entry.isDirectory()) {
          out.set(path, `dir ${info.mode}`)
          await walk(path)
        } else if (entry.isSymbolicLink()) out.set(path, `link ${await readlink(path)}`)
        else
          out.set(
            path,
            `file ${info.size} ${info.mtimeMs} ${info.mode} ${createHash('sha256')
              .update(await readFile(path))
              .digest('hex')}`,
          )
      }
    }
    await walk(root)
    return out
  }
  return { root, location, snapshot, remove: () => rm(root, { recursive: true, force: true }) }
}

/**
 * How FileSystemStorage writes: into a temporary file (`.nstmp-…`) in the target directory,
 * committed by rename (overwrite) or by an exclusive hard link (no-overwrite; exclusive create
 * plus rename where links are unsupported), so a reader never sees a partial file under a final
 * name and concurrent saves of one name never lose a file.
 *
 * Three ways in, cheapest first:
 * - bytes (a Buffer, Uint8Array or string): one `open(O_EXCL)`, one `write`, then the commit;
 *   the descriptor is closed while the commit runs. A save of a new name into a known directory
 *   makes five system calls: open, write, link, close, unlink (six with `filePermissionsMode`).
 * - a file on disk (an untouched `fs.ReadStream`): `copyFile` into the temporary file, a
 *   copy-on-write clone where the file system can (`COPYFILE_FICLONE`).
 * - any other stream: piped into the temporary file.
 */
import { untouchedFilePath } from '../../core/content.js'
import { chmod, constants as fsConstants, copyFile, link, mkdir, open as openPromise, readFile, rename, rm, unlink } from 'node:fs/promises'
import * as path from 'node:path'
import type { WriteRequest } from '../../core/storage.js'
import { builtin } from '../../core/builtins.js'
import { FileExistsError } from '../../core/errors.js'
import { TEMP_NAME_PREFIX } from '../../core/names.js'
import { type Confinement, isMissing } from './confine.js'
import { offload, offloadAvailable } from './offload.js'

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'])
const CREATE_EXCLUSIVE = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL
const COPY_FLAGS = fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE

/** Temporary files being written by this process (`cleanup()` never removes them). */
export const inFlight = new Set<string>()

// Temporary names: a random prefix per process (and thread) and a counter, `.nstmp-` and 26 hex
// digits: as unique as random names (and created with O_EXCL, so a clash is retried, never
// shared), without a call into the CSPRNG per save. The prefix is drawn on the first save, so
// importing the package loads no crypto.
let tempPrefix: string | undefined
let tempCounter = 0

/** A fresh temporary basename (`isTemporaryName` accepts it). */
export function tempName(): string {
  tempPrefix ??= TEMP_NAME_PREFIX + builtin('node:crypto').randomBytes(8).toString('hex')
  tempCounter = (tempCounter + 1) % 2 ** 40
  return tempPrefix + tempCounter.toString(16).padStart(10, '0')
}

/** Picks the name to commit under when the one tried is taken (`WriteRequest.nextName`). */
export type NextName = (taken: string) => Promise<string>

// fs callbacks as promises: cheaper than the FileHandle API on the hot path (no handle object).
// The callback API comes from builtin('node:fs'): an ESM import of node:fs loads the stream stack.
function openExclusive(file: string, mode: number): Promise<number> {
  return new Promise((resolve, reject) =>
    builtin('node:fs').open(file, CREATE_EXCLUSIVE, mode, (error, fd) => (error ? reject(error) : resolve(fd))),
  )
}

function writeAll(fd: number, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0
    const next = (): void => {
      if (offset >= data.byteLength) {
        resolve()
        return
      }
      builtin('node:fs').write(fd, data, offset, data.byteLength - offset, null, (error, written) => {
        if (error) {
          reject(error)
          return
        }
        offset += written
        next()
      })
    }
    next()
  })
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => builtin('node:fs').close(fd, (error) => (error ? reject(error) : resolve())))
}

function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((resolve, reject) => builtin('node:fs').fchmod(fd, mode, (error) => (error ? reject(error) : resolve())))
}

let defaultMode: Promise<number> | undefined

/** 0o666 less the umask: the mode `writeFile` gives a new file (read once, without `process.umask()`'s race). */
function defaultFileMode(): Promise<number> {
  defaultMode ??= readFile('/proc/self/status', 'latin1').then(
    (status) => {
      const umask = /^Umask:\s*([0-7]+)/m.exec(status)
      return umask ? 0o666 & ~Number.parseInt(umask[1]!, 8) : 0o666 & ~process.umask()
    },
    () => 0o666 & ~process.umask(),
  )
  return defaultMode
}

/** The bytes of content that can be written in one call, or undefined (streams, blobs). */
function bytesOf(req: WriteRequest): Uint8Array | undefined {
  // A Transform body means save() wrapped the content to report progress or to abort: use it.
  if (req.body instanceof builtin('node:stream').Transform) return undefined
  const content = req.content
  if (typeof content === 'string') return Buffer.from(content, 'utf8')
  return content instanceof Uint8Array ? content : undefined
}

/** The temporary name was taken by a file that is not ours (never removed). */
class TempNameTaken extends Error {
  constructor(override readonly cause: unknown) {
    super('temporary name taken')
  }
}

/** The writes of one FileSystemStorage. */
export class LocalWriter {
  /** Writes under the confinement checks of `conf`, with the storage's permission modes. */
  constructor(
    private readonly conf: Confinement,
    private readonly fileMode: number | undefined,
    private readonly dirMode: number | undefined,
  ) {}

  /** Makes sure the directory `dir` exists inside `location` (creating it with the directory mode). */
  async ensureDir(dir: string, name: string): Promise<void> {
    if ((await this.conf.dir(dir, name)) === 'inside') return
    const mode = this.dirMode
    const first = await mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) })
    if (first === undefined) {
      await this.conf.dir(dir, name) // made by someone else meanwhile: check it
      return
    }
    // mkdir's mode is masked by the umask: set it exactly on every level made here.
    if (mode !== undefined) for (let d = dir; d.length >= first.length; d = path.dirname(d)) await chmod(d, mode)
    await this.conf.created(dir, first, name)
  }

  /** Writes `req` under `name` (resolved) and returns the name committed. */
  async save(name: string, req: WriteRequest): Promise<string> {
    const dir = path.dirname(this.conf.target(name))
    await this.ensureDir(dir, name)
    const bytes = bytesOf(req)
    if (bytes !== undefined) {
      try {
        return await this.saveBytes(dir, name, bytes, req)
      } catch (error) {
        if (!isMissing(error)) throw error
        this.conf.forget(dir) // the directory went away under us: make it again, once
        await this.ensureDir(dir, name)
        return await this.saveBytes(dir, name, bytes, req)
      }
    }
    const file = untouchedFilePath(req.content, req.body)
    const tmp = path.join(dir, tempName())
    inFlight.add(tmp)
    try {
      if (file === undefined || !(await this.copyIn(file, tmp))) {
        const { createWriteStream } = builtin('node:fs')
        await builtin('node:stream/promises').pipeline(req.body, createWriteStream(tmp, { flags: 'wx', mode: this.fileMode ?? 0o666 }), {
          signal: req.signal,
        })
        if (this.fileMode !== undefined) await chmod(tmp, this.fileMode)
      } else {
        req.body.destroy() // its file was copied whole: close its descriptor
      }
      req.signal?.throwIfAborted()
      return await this.commit(tmp, dir, name, req.overwrite, req.nextName)
    } finally {
      await rm(tmp, { force: true })
      inFlight.delete(tmp)
    }
  }

  /** Copies the file `src` into the new temporary file `tmp`; false (and nothing left) when it cannot. */
  private async copyIn(src: string, tmp: string): Promise<boolean> {
    try {
      await copyFile(src, tmp, COPY_FLAGS)
      // copyFile keeps the source's mode: give the file the mode any other save would.
      await chmod(tmp, this.fileMode ?? (await defaultFileMode()))
      return true
    } catch {
      await rm(tmp, { force: true })
      return false // the stream path reports the source's own error, if it has one
    }
  }

  /** No hard links in this storage's file system: no-overwrite commits go through the reservation path. */
  private noLinks = false

  private async saveBytes(dir: string, name: string, bytes: Uint8Array, req: WriteRequest): Promise<string> {
    if (req.overwrite || !this.noLinks) return this.saveOffloaded(dir, name, bytes, req)
    return this.saveBytesInPool(dir, name, bytes, req)
  }

  private async saveBytesInPool(dir: string, name: string, bytes: Uint8Array, req: WriteRequest): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.saveBytesHere(dir, name, bytes, req)
      } catch (error) {
        // A temporary name someone else holds (a clash of random prefixes): take another.
        if (!(error instanceof TempNameTaken) || attempt === 3) throw error instanceof TempNameTaken ? error.cause : error
      }
    }
  }

  /** The thread-pool path: open, write (and fchmod), then close while the commit runs. */
  private async saveBytesHere(dir: string, name: string, bytes: Uint8Array, req: WriteRequest): Promise<string> {
    const tmp = path.join(dir, tempName())
    inFlight.add(tmp)
    let fd: number | undefined
    let closing: Promise<void> | undefined
    let committed = false
    try {
      fd = await openExclusive(tmp, this.fileMode ?? 0o666).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EEXIST' ? new TempNameTaken(error) : error
      })
      if (this.fileMode === undefined) await writeAll(fd, bytes)
      else await Promise.all([writeAll(fd, bytes), fchmodFd(fd, this.fileMode)]) // exact mode, whatever the umask
      closing = closeFd(fd)
      req.signal?.throwIfAborted()
      const stored = await this.commit(tmp, dir, name, req.overwrite, req.nextName)
      committed = true
      return stored
    } finally {
      if (closing === undefined && fd !== undefined) closing = closeFd(fd)
      // Ours to remove once created: after a link or a failure (a rename took it away already).
      const removing = fd === undefined || (committed && req.overwrite) ? undefined : unlink(tmp).catch(() => {})
      await Promise.all([closing?.catch(() => {}), removing])
      inFlight.delete(tmp)
    }
  }

  /** The worker path (offload.ts): one message per attempt; a taken name is retried under `nextName`. */
  private async saveOffloaded(dir: string, name: string, bytes: Uint8Array, req: WriteRequest): Promise<string> {
    const mode = this.fileMode ?? 0o666
    for (let clashes = 0; ; ) {
      if (!offloadAvailable(bytes.byteLength)) return this.saveBytesInPool(dir, name, bytes, req) // busy or gone: the thread pool
      const tmp = path.join(dir, tempName())
      inFlight.add(tmp)
      try {
        await offload({ tmp, target: this.conf.target(name), bytes, mode, fchmod: this.fileMode !== undefined, overwrite: req.overwrite })
        return name
      } catch (error) {
        const { code = '', syscall } = error as NodeJS.ErrnoException
        if (code === 'EEXIST' && syscall === 'link') {
          name = await this.next(name, req.nextName, error)
          const next = path.dirname(this.conf.target(name))
          if (next !== dir) await this.ensureDir(next, name)
          dir = next
        } else if (code === 'EEXIST' && syscall === 'open' && ++clashes < 3) {
          // another temporary name
        } else if (syscall === 'link' && LINK_UNSUPPORTED.has(code)) {
          this.noLinks = true
          return this.saveBytes(dir, name, bytes, req)
        } else {
          throw error
        }
      } finally {
        inFlight.delete(tmp)
      }
    }
  }

  /**
   * Moves the finished temporary file `tmp` (in `dir`) to `name`: rename (overwrite), or an
   * exclusive link that fails on a taken name, which `nextName` then replaces.
   */
  async commit(tmp: string, dir: string, name: string, overwrite: boolean, nextName: NextName): Promise<string> {
    if (overwrite) {
      await rename(tmp, this.conf.target(name))
      return name
    }
    for (;;) {
      const target = this.conf.target(name)
      if (path.dirname(target) !== dir) await this.ensureDir(path.dirname(target), name)
      try {
        await link(tmp, target)
        return name
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? ''
        if (code === 'EEXIST') {
          name = await this.next(name, nextName, error)
          continue
        }
        if (!LINK_UNSUPPORTED.has(code)) throw error
      }
      // No hard links here: reserve the name by exclusive create, then rename over it.
      try {
        await (await openPromise(target, 'wx')).close()
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          name = await this.next(name, nextName, error)
          continue
        }
        throw error
      }
      await rename(tmp, target)
      return name
    }
  }

  /** The name to try after `taken`; the same name again (an `exists()` that says false for it) is a conflict, not a loop. */
  private async next(taken: string, nextName: NextName, cause: unknown): Promise<string> {
    const name = await nextName(taken)
    if (name === taken) throw new FileExistsError(`File '${taken}' already exists.`, { key: taken, cause })
    return name
  }

  /** Copies the file at `src` (absolute, checked) to `name`, refusing a taken name unless `overwrite`. */
  async copy(src: string, name: string, overwrite: boolean, taken: NextName): Promise<void> {
    const dir = path.dirname(this.conf.target(name))
    await this.ensureDir(dir, name)
    const tmp = path.join(dir, tempName())
    inFlight.add(tmp)
    try {
      await copyFile(src, tmp, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE)
      if (this.fileMode !== undefined) await chmod(tmp, this.fileMode)
      await this.commit(tmp, dir, name, overwrite, taken)
    } finally {
      await rm(tmp, { force: true })
      inFlight.delete(tmp)
    }
  }
}

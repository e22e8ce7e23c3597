/**
 * One version of a file, opened: its stat and reads of exactly the bytes that stat describes,
 * even while another writer replaces the file (what an HTTP response needs: `Content-Length`,
 * `ETag` and body from one version). FileSystemStorage opens the file once and takes the stat
 * from the open descriptor; InMemoryStorage holds the version's buffer. The default here, for
 * backends that cannot do better, checks a read against a second stat and tries again.
 */
import type { ReadStream, Stats } from 'node:fs'
import type { Readable } from 'node:stream'
import { builtin } from './builtins.js'
import { ServiceUnavailableError } from './errors.js'
import type { FileStat, IoOptions } from './types.js'

/** An inclusive byte range of a read. */
export interface ReadRange {
  start?: number
  end?: number
}

/** A file opened at one version (`Storage.openVersion`). */
export interface OpenedVersion {
  /** Size, modification time, ETag and content type of the version opened. */
  readonly stat: FileStat
  /** A stream of `range` (inclusive) of that version; at most one read per opened version. */
  read(range?: ReadRange): Promise<Readable>
  /** Releases the file when no read was started (a HEAD, a 304); a read releases it when it ends. */
  close(): Promise<void>
}

/** What the default implementation needs of a backend. */
export interface VersionSource {
  stat(name: string, options: IoOptions): Promise<FileStat>
  open(name: string, options: IoOptions & ReadRange): Promise<Readable>
}

const time = (d: Date | string | number | undefined) => (d === undefined ? undefined : new Date(d).getTime())

function fstatOf(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) => builtin('node:fs').fstat(fd, (error, st) => (error ? reject(error) : resolve(st))))
}

/** Whether `body`, opened after `st` was taken, reads the version `st` describes. */
async function sameVersion(source: VersionSource, name: string, st: FileStat, body: Readable, options: IoOptions): Promise<boolean> {
  const fd = body instanceof builtin('node:fs').ReadStream ? (body as ReadStream & { fd?: unknown }).fd : undefined
  if (typeof fd === 'number') {
    const opened = await fstatOf(fd)
    return opened.isFile() && opened.size === st.size && opened.mtime.getTime() === time(st.lastModified)
  }
  const again = await source.stat(name, options)
  return again.size === st.size && again.etag === st.etag && time(again.lastModified) === time(st.lastModified)
}

/**
 * The default `_openVersion`: a stat, and a read checked against it (the descriptor of an
 * `fs.ReadStream`, else a second stat). A read that saw another version fails with
 * `ServiceUnavailableError` (503, "changed while being opened"): open the version again.
 */
export async function checkedVersion(source: VersionSource, name: string, options: IoOptions): Promise<OpenedVersion> {
  const stat = await source.stat(name, options)
  return {
    stat,
    async read(range = {}) {
      const body = await source.open(name, { ...range, signal: options.signal })
      let same = false
      try {
        same = await sameVersion(source, name, stat, body, options)
      } finally {
        if (!same) body.destroy()
      }
      if (!same)
        throw new ServiceUnavailableError(`'${name}' changed while it was being opened: open it again.`, { key: name, operation: 'open' })
      return body
    },
    async close() {},
  }
}

/**
 * How `collectStatic` tells a stored file from a changed one, and how it replaces one, using
 * only the public `Storage` API:
 * - One listing of the storage (`list('', { recursive: true })`: one request per 1,000 names on
 *   S3) gives every stored name with its size and ETag.
 * - An ETag that is a plain MD5 (S3 single-part uploads, InMemoryStorage) is compared with the
 *   MD5 of the bytes, and with the MD5 of the bytes gzipped as S3Storage's `gzip` stores them:
 *   no request per file.
 * - Any other ETag (the filesystem's size-and-mtime, S3 multipart `md5-N`, none): a different
 *   size means changed; the same size is settled by reading the stored file and hashing it (a
 *   local read on the filesystem; one GET per such object on S3).
 * - A file is written with `createWriteStream(name)`, which replaces the stored file under its
 *   own name whatever `fileOverwrite` says, atomically per file: the filesystem renames a
 *   finished temporary file over it, S3 answers one PutObject, memory swaps the entry; readers
 *   see the old bytes or the new, never a mix or a missing file.
 */
import { createHash } from 'node:crypto'
import { finished, pipeline } from 'node:stream/promises'
import type { Storage } from '../core/storage.js'
import type { FileEntry, WriteStreamOptions } from '../core/types.js'
import { gzipMd5, readSource, streamSource, WHOLE_READ_LIMIT, type SourceFile } from './sources.js'

/** A file `collectStatic` will store: its name and where its bytes come from. */
export interface PlannedFile {
  name: string
  /** Hex MD5 of the bytes to store. */
  md5: string
  size: number
  /** The bytes, when they are in memory (rewritten CSS/JS, the manifest). */
  bytes?: Buffer
  /** The file on disk, otherwise. */
  source?: SourceFile
  /** Whether the name carries a content hash (gets the immutable `Cache-Control`). */
  immutable: boolean
}

/** The MD5 an ETag holds, when it is a plain one (`"0123…"`, 32 hex), else undefined. */
export function plainMd5(etag: string | undefined): string | undefined {
  const m = etag === undefined ? null : /^(?:W\/)?"?([0-9a-fA-F]{32})"?$/.exec(etag.trim())
  return m ? m[1]!.toLowerCase() : undefined
}

/** Every stored file under the storage's location, by name (one listing). */
export async function storedFiles(storage: Storage, signal?: AbortSignal): Promise<Map<string, FileEntry>> {
  const stored = new Map<string, FileEntry>()
  for await (const entry of storage.list('', { recursive: true, signal })) stored.set(entry.name, entry)
  return stored
}

/** The bytes of a planned file (read again from disk when not in memory). */
async function plannedBytes(file: PlannedFile, signal?: AbortSignal): Promise<Buffer> {
  return file.bytes ?? readSource(file.source!, signal)
}

/** Whether `entry` (the stored file of the same name) holds exactly the planned bytes. */
export async function isStored(storage: Storage, entry: FileEntry | undefined, file: PlannedFile, signal?: AbortSignal): Promise<boolean> {
  if (entry === undefined) return false
  const md5 = plainMd5(entry.etag)
  if (md5 !== undefined) {
    if (md5 === file.md5) return true
    // Stored gzipped (S3Storage `gzip`): the ETag is of the compressed bytes, whose size differs.
    if (entry.size === file.size || file.size > WHOLE_READ_LIMIT) return false
    return (await gzipMd5(await plannedBytes(file, signal))) === md5
  }
  if (entry.size !== file.size) return false
  const hash = createHash('md5')
  for await (const chunk of await storage.open(file.name, { signal })) hash.update(chunk as Buffer)
  return hash.digest('hex') === file.md5
}

/** Writes a planned file under its own name, replacing what is stored there; resolves once committed. */
export async function storeFile(storage: Storage, file: PlannedFile, options: WriteStreamOptions, signal?: AbortSignal): Promise<void> {
  const small = file.bytes !== undefined || file.source!.size <= WHOLE_READ_LIMIT
  if (!small) {
    await pipeline(streamSource(file.source!), storage.createWriteStream(file.name, options), { signal })
    return
  }
  const bytes = await plannedBytes(file, signal)
  signal?.throwIfAborted()
  const stream = storage.createWriteStream(file.name, options)
  const onAbort = () => stream.destroy(signal!.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const done = finished(stream)
    stream.end(bytes)
    await done
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * `node-storages/multer`: a multer (2.x) StorageEngine that streams every uploaded file into any
 * `Storage` — S3, the filesystem, memory — and reports the stored name, the true size, a URL and
 * the content type. See docs/multer.md.
 */
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import type { Storage } from '../../core/storage.js'
import { BadRequestError } from '../../core/errors.js'
import { guessType } from '../../core/mime.js'
import { isNameTooLong } from '../shared/answers.js'
import { clientBasename, urlOrNull } from '../shared/uploads/store.js'
import type { StoredFileInfo } from '../shared/uploads/types.js'

export type { StoredFileInfo } from '../shared/uploads/types.js'

/** The part of multer's file object the engine reads (multer fills in more). */
export interface MulterIncomingFile {
  /** Name of the form field. */
  fieldname: string
  /** The file name the client sent (multer strips directories unless `preservePath`). */
  originalname: string
  /** `Content-Transfer-Encoding` of the part (deprecated by RFC 7578). */
  encoding: string
  /** `Content-Type` the client sent for the part (busboy: `application/octet-stream` when absent). */
  mimetype: string
  /** The file's bytes; only there while `_handleFile` runs. */
  stream: Readable
}

/** Options of `multerStorage()`. */
export interface MulterStorageOptions<Req extends IncomingMessage = IncomingMessage> {
  /**
   * The name to store a file under (may be async; may hold directories, e.g. `avatars/${id}.png`).
   * Its last segment still goes through `storage.generateFilename()`, and the storage picks an
   * available name unless it overwrites. Default: the client's file name without any directory.
   */
  filename?(req: Req, file: MulterIncomingFile): string | Promise<string>
}

const DEFAULT_MIME = 'application/octet-stream'

/**
 * The error multer passes on to the app: storage errors carry their HTTP `status` already (400 for
 * a refused name, which Express's error handler answers); a name too long for the file system
 * becomes a 400 too.
 */
function asClientError(error: unknown): unknown {
  if (isNameTooLong(error)) return new BadRequestError('The file name is too long for this storage.', { cause: error })
  return error
}

/** Counts the bytes of one file as they pass, and fails the write when multer truncated it. */
class ByteCounter extends Transform {
  bytes = 0
  truncated = false

  constructor(private readonly source: Readable & { truncated?: boolean }) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    // busboy ends a file that hit `limits.fileSize` as if it were complete, with `truncated` set:
    // failing here makes the storage discard the partial file instead of committing it.
    if (this.truncated || this.source.truncated) {
      callback(Object.assign(new Error('File too large: the upload hit multer limits.fileSize.'), { code: 'LIMIT_FILE_SIZE' }))
      return
    }
    callback()
  }
}

interface InFlight {
  controller: AbortController
  done: Promise<string | undefined>
}

/**
 * A multer StorageEngine over a `Storage`. Create it with `multerStorage()`; multer calls
 * `_handleFile` for each accepted file and `_removeFile` for the files it gives up on.
 */
export class MulterStorageEngine<Req extends IncomingMessage = IncomingMessage> {
  readonly #inFlight = new WeakMap<object, InFlight>()

  /** `storage` receives every file; `options.filename` names them. */
  constructor(
    readonly storage: Storage,
    private readonly options: MulterStorageOptions<Req> = {},
  ) {}

  /** The name to store `file` under: `options.filename`, else the client's name, made valid. */
  protected async nameFor(req: Req, file: MulterIncomingFile): Promise<string> {
    const wanted = this.options.filename ? await this.options.filename(req, file) : clientBasename(file.originalname)
    return this.storage.generateFilename(String(wanted))
  }

  /** multer's hook: streams `file.stream` into the storage and reports `StoredFileInfo`. */
  _handleFile(req: Req, file: MulterIncomingFile, cb: (error?: unknown, info?: StoredFileInfo) => void): void {
    const controller = new AbortController()
    const done = this.store(req, file, controller.signal).then(
      (info) => {
        cb(null, info)
        return info.name
      },
      (error) => {
        // Leave the request to multer: never destroy it; let busboy drain this part.
        if (!file.stream.destroyed) file.stream.resume()
        cb(asClientError(error))
        return undefined
      },
    )
    this.#inFlight.set(file, { controller, done })
  }

  private async store(req: Req, file: MulterIncomingFile, signal: AbortSignal): Promise<StoredFileInfo> {
    const name = await this.nameFor(req, file)
    const source = file.stream as Readable & { truncated?: boolean }
    if (source.destroyed)
      throw Object.assign(new Error('The upload stream was destroyed before it could be stored.'), { code: 'STREAM_DESTROYED' })
    const counter = new ByteCounter(source)
    source.once('limit', () => {
      counter.truncated = true
    })
    // pipeline: an error on either side tears both down, so the storage sees the failure.
    pipeline(source, counter, () => {})
    const mimetype = file.mimetype && file.mimetype !== DEFAULT_MIME ? file.mimetype : undefined
    let stored: string
    try {
      stored = await this.storage.save(name, counter, { contentType: mimetype, signal })
    } catch (error) {
      if (!counter.destroyed) counter.destroy()
      throw error
    }
    try {
      signal.throwIfAborted()
      const url = await urlOrNull(this.storage, stored)
      const contentType = mimetype ?? guessType(stored).type ?? DEFAULT_MIME
      const slash = stored.lastIndexOf('/')
      return {
        fieldname: file.fieldname,
        originalname: file.originalname,
        name: stored,
        filename: stored.slice(slash + 1),
        size: counter.bytes,
        url,
        contentType,
      }
    } catch (error) {
      // Stored, but the upload is being given up: take the file back out before failing.
      await this.storage.delete(stored).catch(() => {})
      throw error
    }
  }

  /**
   * multer's hook when it gives up on a request (a size limit hit, a client that disconnected, a
   * later error): deletes what `_handleFile` stored; a save still running is aborted first.
   */
  _removeFile(_req: Req, file: MulterIncomingFile & Partial<StoredFileInfo>, cb: (error: Error | null) => void): void {
    const pending = this.#inFlight.get(file)
    const remove = async () => {
      let name = typeof file.name === 'string' ? file.name : undefined
      if (pending) {
        pending.controller.abort()
        name = (await pending.done) ?? name
      }
      if (name) await this.storage.delete(name)
    }
    remove().then(
      () => cb(null),
      (error: Error) => cb(error),
    )
  }
}

/**
 * A multer StorageEngine that streams each upload into `storage.save()` (never buffering a whole
 * file) and adds `{ name, filename, size, url, contentType }` to multer's file object. Files go
 * under the client's file name made valid (`storage.generateFilename`), without a directory;
 * `options.filename(req, file)` picks another name. Files multer aborts are removed again.
 *
 * ```ts
 * const upload = multer({ storage: multerStorage(storage), limits: { fileSize: 10_000_000 } })
 * app.post('/avatar', upload.single('file'), (req, res) => res.json(req.file))
 * ```
 */
export function multerStorage<Req extends IncomingMessage = IncomingMessage>(
  storage: Storage,
  options: MulterStorageOptions<Req> = {},
): MulterStorageEngine<Req> {
  return new MulterStorageEngine<Req>(storage, options)
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-namespace
    namespace Multer {
      /** Fields `multerStorage()` adds to multer's file object. */
      interface File {
        /** Stored name (node-storages `multerStorage`). */
        name?: string
        /** URL of the stored file, or null (node-storages `multerStorage`). */
        url?: string | null
        /** Stored content type (node-storages `multerStorage`). */
        contentType?: string
      }
    }
  }
}

/**
 * The rules of `saveUploads`, whatever parser read the body: each file part is streamed into
 * `storage.save()` through a byte counter (never held in memory), the limits answer 413, and on
 * any failure — a limit, a malformed body, a client that went away — every file this request
 * stored is deleted again before the error is thrown.
 */
import { BadRequestError, PayloadTooLargeError } from '../../../core/errors.js'
import { guessType } from '../../../core/mime.js'
import type { Storage } from '../../../core/storage.js'
import { findCode, isNameTooLong } from '../answers.js'
import { ByteCount } from '../byte-count.js'
import type { PartSource, SaveUploadsOptions, SavedUploads, StoredFileInfo, UploadPart } from './types.js'

const DEFAULT_MIME = 'application/octet-stream'

/** The client's file name without any directory part (`C:\\x\\a.png` and `../a.png` → `a.png`). */
export function clientBasename(filename: string): string {
  const parts = String(filename ?? '').split(/[\\/]/)
  return parts[parts.length - 1] ?? ''
}

/** `storage.url(name)`, or null for a storage without URLs. */
export async function urlOrNull(storage: Storage, name: string): Promise<string | null> {
  try {
    return await storage.url(name)
  } catch (error) {
    if ((error as { code?: unknown })?.code === 'E_NO_URL') return null
    throw error
  }
}

/**
 * The error a failed upload is reported with: the limit or malformation found anywhere in the
 * chain (storages wrap a failing source in `ContentError`), a 400 for a name too long for the file
 * system or a client that went away, else the error itself.
 */
export function uploadError(error: unknown, aborted: boolean): unknown {
  const specific = findCode(error, ['E_TOO_LARGE', 'E_UNSUPPORTED_TYPE', 'E_BAD_REQUEST'])
  if (specific) return specific
  if (isNameTooLong(error)) return new BadRequestError('The file name is too long for this storage.', { cause: error })
  if (aborted) return new BadRequestError('The client closed the request before its end; nothing was stored.', { cause: error })
  return error
}

function setField(fields: Record<string, string>, name: string, value: string): void {
  // defineProperty: a field named `__proto__` is a field like any other, never the prototype.
  Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Reads every part of `source`, storing files in `storage` and collecting fields, within the
 * limits of `options`. On failure nothing this call stored remains, and the error thrown carries
 * its HTTP `status` (413 limits, 415 not multipart, 400 malformed or aborted).
 */
export async function storeUploads(
  source: PartSource,
  storage: Storage,
  options: SaveUploadsOptions = {},
  signal?: AbortSignal,
): Promise<SavedUploads> {
  const maxFiles = options.maxFiles ?? 100
  const maxFields = options.maxFields ?? 1000
  const files: StoredFileInfo[] = []
  const fields: Record<string, string> = {}
  const stored: string[] = []
  const controller = new AbortController()
  const onAbort = () => {
    controller.abort(signal!.reason)
    source.close(signal!.reason)
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  let fieldCount = 0
  let fileCount = 0

  const storeFile = async (part: Extract<UploadPart, { kind: 'file' }>): Promise<void> => {
    const wanted = options.filename ? await options.filename(part) : clientBasename(part.filename)
    const name = storage.generateFilename(String(wanted))
    const counter = new ByteCount({ max: options.maxFileSize, what: 'each file may have' })
    part.stream.once('error', (error) => counter.destroy(error))
    part.stream.pipe(counter)
    const mimetype = part.mimeType && part.mimeType !== DEFAULT_MIME ? part.mimeType : undefined
    const saved = await storage.save(name, counter, { contentType: mimetype, signal: controller.signal })
    stored.push(saved)
    const slash = saved.lastIndexOf('/')
    files.push({
      fieldname: part.fieldname,
      originalname: part.filename,
      name: saved,
      filename: saved.slice(slash + 1),
      size: counter.bytes,
      url: await urlOrNull(storage, saved),
      contentType: mimetype ?? guessType(saved).type ?? DEFAULT_MIME,
    })
  }

  try {
    signal?.throwIfAborted()
    for await (const part of source) {
      controller.signal.throwIfAborted()
      if (part.kind === 'field') {
        if (++fieldCount > maxFields) throw new PayloadTooLargeError(`Too many fields: at most ${maxFields} are accepted.`)
        if (part.truncated) {
          throw new PayloadTooLargeError(
            `The value of field '${part.fieldname}' is too long: at most ${options.maxFieldSize ?? 1048576} bytes.`,
          )
        }
        setField(fields, part.fieldname, part.value)
        continue
      }
      // A file input left empty is sent as a part with no file name: nothing to store.
      if (!part.filename) {
        part.stream.resume()
        continue
      }
      if (++fileCount > maxFiles) {
        part.stream.resume()
        throw new PayloadTooLargeError(`Too many files: at most ${maxFiles} are accepted.`)
      }
      await storeFile(part)
    }
    controller.signal.throwIfAborted()
    return { files, fields }
  } catch (error) {
    controller.abort(error)
    source.close(error)
    await Promise.all(stored.map((name) => storage.delete(name).catch(() => {})))
    throw uploadError(error, signal?.aborted === true)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

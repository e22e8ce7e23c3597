/**
 * `request.saveUploads()` of the Fastify plugin: the parts come from `@fastify/multipart`
 * (`request.parts()`), the rules (streaming into `storage.save()`, limits, clean-up) from the same
 * code as `saveUploads` of node-storages/fetch.
 */
import type { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import { BadRequestError, ImproperlyConfigured, UnsupportedMediaTypeError, isStorageError } from '../../core/errors.js'
import type { Storage } from '../../core/storage.js'
import { requireMultipart } from '../shared/uploads/busboy-source.js'
import { storeUploads } from '../shared/uploads/store.js'
import type { PartSource, SaveUploadsOptions, SavedUploads, UploadPart } from '../shared/uploads/types.js'

/** The part of `@fastify/multipart`'s request API used here. */
interface MultipartRequest {
  isMultipart(): boolean
  parts(options?: { limits?: Record<string, number>; throwFileSizeLimit?: boolean }): AsyncIterable<MultipartPart>
}
type MultipartPart =
  | { type: 'file'; fieldname: string; filename: string; mimetype: string; file: Readable }
  | { type: 'field'; fieldname: string; value: unknown; valueTruncated: boolean }

/** The `StorageError` a multipart failure of `@fastify/multipart` becomes. */
function multipartError(error: unknown): unknown {
  if (isStorageError(error)) return error
  const code = (error as { code?: unknown })?.code
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE')
    return new UnsupportedMediaTypeError('Unsupported Media Type: send files as multipart/form-data.')
  if (code === 'FST_MP_PREMATURE_CLOSE')
    return new BadRequestError('The client closed the request before its end; nothing was stored.', { cause: error })
  return new BadRequestError(`Malformed multipart body: ${(error as Error)?.message ?? String(error)}`, { cause: error })
}

function partsOf(request: MultipartRequest, options: SaveUploadsOptions): PartSource {
  // The limits are this call's own (413 from the byte counter, never a silently truncated file):
  // @fastify/multipart's own limits are lifted for it.
  const parts = request.parts({
    limits: {
      fileSize: Number.POSITIVE_INFINITY,
      files: Number.POSITIVE_INFINITY,
      fields: Number.POSITIVE_INFINITY,
      parts: Number.POSITIVE_INFINITY,
      fieldSize: options.maxFieldSize ?? 1024 * 1024,
    },
    throwFileSizeLimit: false,
  })
  let current: Readable | undefined
  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<UploadPart> {
      try {
        for await (const part of parts) {
          if (part.type === 'file') {
            current = part.file
            yield { kind: 'file', fieldname: part.fieldname, filename: part.filename ?? '', mimeType: part.mimetype, stream: part.file }
          } else {
            const value = typeof part.value === 'string' ? part.value : JSON.stringify(part.value)
            yield { kind: 'field', fieldname: part.fieldname, value, truncated: part.valueTruncated }
          }
        }
      } catch (error) {
        throw multipartError(error)
      }
    },
    close(error) {
      if (current && !current.readableEnded) current.destroy(error as Error)
    },
  }
}

/** `request.saveUploads(options)`: see `saveUploads` of node-storages/fetch for the contract. */
export async function saveFastifyUploads(
  request: FastifyRequest,
  storage: Storage,
  options: SaveUploadsOptions = {},
): Promise<SavedUploads> {
  const multipart = request as unknown as Partial<MultipartRequest>
  if (typeof multipart.parts !== 'function' || typeof multipart.isMultipart !== 'function') {
    throw new ImproperlyConfigured(
      'request.saveUploads() needs @fastify/multipart: npm i @fastify/multipart (fastifyStorage registers it).',
    )
  }
  const raw = request.raw
  const header = request.headers['content-type']
  if (!multipart.isMultipart()) requireMultipart(typeof header === 'string' ? header : undefined)
  const controller = new AbortController()
  const onClose = () => {
    if (!raw.complete) controller.abort(new BadRequestError('The client closed the request before its end; nothing was stored.'))
  }
  raw.once('close', onClose)
  try {
    return await storeUploads(partsOf(multipart as MultipartRequest, options), storage, options, controller.signal)
  } catch (error) {
    // Stop storing, never destroy the request: the rest of the body drains.
    raw.unpipe()
    raw.resume()
    throw error
  } finally {
    raw.off('close', onClose)
  }
}

/**
 * The parts of a `multipart/form-data` byte stream, read with `@fastify/busboy` (the streaming
 * parser Fastify maintains; a dependency already). Busboy holds back the body while a file part
 * is not read, so a file flows from the request into the storage in small chunks, never whole.
 */
import type { Readable } from 'node:stream'
import { Busboy, type BusboyInstance } from '@fastify/busboy'
import { BadRequestError, UnsupportedMediaTypeError } from '../../../core/errors.js'
import type { PartSource, UploadPart } from './types.js'

/** Whether `contentType` is `multipart/form-data`. */
export function isMultipartFormData(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*multipart\/form-data\s*(?:;|$)/i.test(contentType)
}

/** Throws the 415 of a body that is not `multipart/form-data`. */
export function requireMultipart(contentType: string | undefined): void {
  if (!isMultipartFormData(contentType)) {
    throw new UnsupportedMediaTypeError(
      `Unsupported Media Type: send files as multipart/form-data (got ${contentType === undefined ? 'no Content-Type' : `'${contentType}'`}).`,
    )
  }
}

const malformed = (error: unknown) =>
  new BadRequestError(`Malformed multipart body: ${(error as Error)?.message ?? String(error)}`, { cause: error })

/**
 * The parts of `body`, a `multipart/form-data` stream with the given `Content-Type` (415 when it is
 * another type, 400 when it has no boundary). Parse errors and a body that fails or ends early
 * surface as `BadRequestError` (400), on the iteration and on the file part being read.
 */
export function busboyParts(body: Readable, contentType: string | undefined, limits: { maxFieldSize?: number } = {}): PartSource {
  requireMultipart(contentType)
  let parser: BusboyInstance
  try {
    parser = new Busboy({ headers: { 'content-type': contentType! }, limits: { fieldSize: limits.maxFieldSize ?? 1024 * 1024 } })
  } catch (error) {
    throw malformed(error)
  }
  const queue: UploadPart[] = []
  let failure: unknown
  let finished = false
  let current: Readable | undefined
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const fail = (error: unknown) => {
    failure ??= error
    if (current && !current.readableEnded) current.destroy(failure as Error)
    notify()
  }

  parser.on('file', (fieldname, stream, filename, _encoding, mimeType) => {
    // Errors of a part are seen by whoever reads it; this keeps one nobody reads from crashing the process.
    stream.on('error', () => {})
    queue.push({ kind: 'file', fieldname, filename: filename ?? '', mimeType, stream })
    notify()
  })
  parser.on('field', (fieldname, value, _nameTruncated, truncated) => {
    queue.push({ kind: 'field', fieldname, value, truncated })
    notify()
  })
  parser.on('finish', () => {
    finished = true
    notify()
  })
  parser.on('error', (error) => fail(malformed(error)))
  body.on('error', (error) => fail(new BadRequestError('The request body failed before its end; nothing was stored.', { cause: error })))
  body.pipe(parser)

  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (failure !== undefined) throw failure
        const part = queue.shift()
        if (part) {
          if (part.kind === 'file') current = part.stream
          yield part
          continue
        }
        if (finished) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
    close(error) {
      failure ??= error ?? new BadRequestError('The upload was stopped.')
      body.unpipe(parser)
      body.destroy()
      for (const part of [...queue.splice(0), ...(current ? [{ kind: 'file', stream: current } as const] : [])]) {
        if (part.kind === 'file' && !part.stream.readableEnded) part.stream.destroy(failure as Error)
      }
      notify()
    },
  }
}

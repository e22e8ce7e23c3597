/** Turning every accepted `Content` into one Node stream, without buffering streams whole. */
import type { ReadStream } from 'node:fs'
import type { Readable } from 'node:stream'
import type { Content, Progress } from './types.js'
import { builtin } from './builtins.js'
import { InvalidContentError } from './errors.js'

/** Whether `value` is a Node `Readable` (or quacks like one). */
export function isNodeReadable(value: unknown): value is Readable {
  // Every Readable has both (no instanceof: that would load node:stream to answer).
  return typeof (value as Readable)?.pipe === 'function' && typeof (value as Readable)?.read === 'function'
}

function isWebStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof (value as ReadableStream)?.getReader === 'function'
}

/** The byte length of `content` when it is known without reading it (buffers, strings, blobs). */
export function knownLength(content: Content): number | undefined {
  if (typeof content === 'string') return Buffer.byteLength(content)
  if (content instanceof Uint8Array) return content.byteLength
  if (typeof Blob !== 'undefined' && content instanceof Blob) return content.size
  return undefined
}

/** The file name a content object carries (a `File`, or an object with a string `name`), if any. */
export function contentName(content: unknown): string | undefined {
  const name = (content as { name?: unknown } | null)?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** The content type a content object carries (a `Blob`/`File` type, or a `contentType` field). */
export function contentTypeOf(content: unknown): string | undefined {
  const c = content as { type?: unknown; contentType?: unknown } | null
  if (typeof Blob !== 'undefined' && content instanceof Blob) return c?.type ? String(c.type) : undefined
  return typeof c?.contentType === 'string' && c.contentType ? c.contentType : undefined
}

/** A Node `Readable` of bytes over any accepted content. */
export function toReadable(content: Content): Readable {
  const { Readable } = builtin('node:stream')
  if (typeof content === 'string') return Readable.from([Buffer.from(content, 'utf8')], { objectMode: false })
  if (content instanceof Uint8Array) {
    const buf = Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength)
    return Readable.from(buf.byteLength ? [buf] : [], { objectMode: false })
  }
  if (isNodeReadable(content)) return content
  if (typeof Blob !== 'undefined' && content instanceof Blob) {
    return Readable.fromWeb(content.stream() as import('node:stream/web').ReadableStream<Uint8Array>)
  }
  if (isWebStream(content)) return Readable.fromWeb(content as import('node:stream/web').ReadableStream<Uint8Array>)
  if (content && typeof (content as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    return Readable.from(content as AsyncIterable<Uint8Array>, { objectMode: false })
  }
  throw new InvalidContentError(
    'Unsupported content: pass a Buffer, Uint8Array, string, Node Readable, web ReadableStream, Blob or AsyncIterable<Uint8Array>.',
  )
}

/**
 * The body a backend writes: `source` as a stream that reports progress and is destroyed (with
 * an `AbortError`) when `signal` aborts, so the backend's write fails and cleans up.
 */
export function prepareBody(
  source: Readable,
  size: number | undefined,
  options: { signal?: AbortSignal; onProgress?: (p: Progress) => void } = {},
): Readable {
  const { signal, onProgress } = options
  if (!signal && !onProgress) return source
  const { Transform, addAbortSignal } = builtin('node:stream')
  let loaded = 0
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      loaded += chunk.length
      if (onProgress) onProgress(size === undefined ? { loaded } : { loaded, total: size })
      done(null, chunk)
    },
  })
  source.on('error', (err) => counter.destroy(err))
  counter.on('close', () => {
    if (!source.destroyed && !source.readableEnded) source.destroy()
  })
  source.pipe(counter)
  if (signal) addAbortSignal(signal, counter)
  return counter
}

/** Reads a stream to the end into one Buffer. */
export async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

/**
 * The path of `content` when it is an untouched file read stream given as the body itself
 * (nothing read, not flowing, the whole file): backends then copy or read the file directly.
 * Undefined otherwise, and when `save()` wrapped it (`body` is then another stream).
 */
export function untouchedFilePath(content: unknown, body: unknown): string | undefined {
  // Anything but the body itself is ruled out before node:fs's ReadStream is needed.
  if (typeof content !== 'object' || content === null || body !== content) return undefined
  const s = content as ReadStream & { start?: number; end?: number }
  if (!(s instanceof builtin('node:fs').ReadStream)) return undefined
  if (s.bytesRead !== 0 || s.readableFlowing === true || s.readableLength !== 0 || s.destroyed) return undefined
  if ((s.start !== undefined && s.start !== 0) || (s.end !== undefined && s.end !== Number.POSITIVE_INFINITY)) return undefined
  return typeof s.path === 'string' ? s.path : Buffer.isBuffer(s.path) ? s.path.toString() : undefined
}

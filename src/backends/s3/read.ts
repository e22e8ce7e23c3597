/** Reading S3 objects: ranges, gunzip of gzip-encoded objects, and byte slices of a stream. */
import type { Readable } from 'node:stream'
import { builtin } from '../../core/builtins.js'
import type { OpenOptions } from '../../core/types.js'
import { s3ErrorCode, s3Status } from './errors.js'

/** The `Range` header for an inclusive byte range, or undefined for the whole object. */
export function rangeHeader(options: OpenOptions): string | undefined {
  const start = options.start ?? 0
  if (start === 0 && options.end === undefined) return undefined
  return `bytes=${start}-${options.end ?? ''}`
}

/** True when the range selects no bytes at all (`end < start`). */
export function isEmptyRange(options: OpenOptions): boolean {
  return options.end !== undefined && options.end < (options.start ?? 0)
}

/** An empty byte stream. */
export function emptyStream(): Readable {
  return builtin('node:stream').Readable.from([], { objectMode: false })
}

/** Bytes `start..end` (inclusive; `end` undefined: to the end) of a stream. */
export function sliceStream(source: Readable, start: number, end?: number): Readable {
  const { Transform, pipeline } = builtin('node:stream')
  let position = 0
  const slicer = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const from = Math.max(0, start - position)
      const to = end === undefined ? chunk.length : Math.min(chunk.length, end + 1 - position)
      position += chunk.length
      // Bytes past `end` are read and dropped (only gzip-encoded objects are sliced here).
      done(null, to > from ? chunk.subarray(from, to) : undefined)
    },
  })
  return pipeline(source, slicer, () => undefined)
}

/** The decompressed content of a gzip stream. */
export function gunzipStream(source: Readable): Readable {
  return builtin('node:stream').pipeline(source, builtin('node:zlib').createGunzip(), () => undefined)
}

/**
 * The requested range of a ranged GET's body. HTTP lets a server ignore `Range` (200 with the
 * whole body) and some S3-compatible servers answer a wider range than asked (s3rver serves
 * `bytes=0-0` whole); the `Content-Range` answered says which bytes came, and the extra is cut.
 */
export function trimToRange(body: Readable, contentRange: string | undefined, options: OpenOptions): Readable {
  const start = options.start ?? 0
  const answered = /^bytes (\d+)-(\d+)\//.exec(contentRange ?? '')
  const from = answered ? Number(answered[1]) : 0
  const to = answered ? Number(answered[2]) : Infinity
  if (from === start && (options.end === undefined || to <= options.end)) return body
  if (from > start) return body // cannot widen; serve what came
  return sliceStream(body, start - from, options.end === undefined ? undefined : options.end - from)
}

/** What `readObject` uses of a GetObject answer. */
export interface GetAnswer {
  Body?: unknown
  ContentEncoding?: string
  ContentRange?: string
}

/**
 * The bytes `options` selects of an object, `get(range)` sending one GetObject. Without `gzip`
 * that is one request; a range past the end (416) is empty. With `gzip` on, gzip-encoded objects
 * are decompressed, and a range is a range of the decompressed content, which needs the object
 * whole: a ranged answer (or a 416, the range being past the *compressed* length) that turns out
 * gzip-encoded is followed by an unranged GET.
 */
export async function readObject(get: (range?: string) => Promise<GetAnswer>, options: OpenOptions, gzip: boolean): Promise<Readable> {
  const range = rangeHeader(options)
  const slice = (whole: GetAnswer) => sliceStream(gunzipStream(whole.Body as Readable), options.start ?? 0, options.end)
  let out: GetAnswer
  try {
    out = await get(range)
  } catch (error) {
    if (s3Status(error) !== 416 && s3ErrorCode(error) !== 'InvalidRange') throw error
    if (!gzip) return emptyStream()
    const whole = await get()
    if (whole.ContentEncoding === 'gzip') return slice(whole)
    ;(whole.Body as Readable).destroy()
    return emptyStream()
  }
  const gunzip = gzip && out.ContentEncoding === 'gzip'
  if (!gunzip) return range ? trimToRange(out.Body as Readable, out.ContentRange, options) : (out.Body as Readable)
  if (!range) return gunzipStream(out.Body as Readable)
  ;(out.Body as Readable).destroy()
  return slice(await get())
}

/**
 * `source` with its errors mapped by `wrap` (to a `StorageError`, cause kept): a body that fails
 * midway (the connection reset, a read timeout) then fails like any storage call, and one that
 * closes before its end without an error fails too. Destroying the returned stream destroys
 * `source`, which frees its connection. Chunks are relayed as they come (no pipe, no copy), the
 * source paused while the reader is.
 */
export function mapStreamErrors(source: Readable, wrap: (error: unknown) => unknown): Readable {
  return new (relayClass())(source, wrap)
}

/** The stream of {@link mapStreamErrors}, a class defined on first use (node:stream loads then). */
function defineRelay() {
  return class Relay extends builtin('node:stream').Readable {
    readonly #source: Readable

    constructor(source: Readable, wrap: (error: unknown) => unknown) {
      super()
      this.#source = source
      source.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) source.pause()
      })
      source.once('end', () => this.push(null))
      source.on('error', (error) => this.destroy(wrap(error) as Error))
      source.once('close', () => {
        if (!source.readableEnded && !source.errored && !this.destroyed) {
          this.destroy(wrap(new Error('The S3 answer closed before all its bytes were received.')) as Error)
        }
      })
      source.pause()
    }

    override _read(): void {
      this.#source.resume()
    }

    override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
      if (!this.#source.destroyed && !this.#source.readableEnded) this.#source.destroy()
      callback(error)
    }
  }
}

let relay: ReturnType<typeof defineRelay> | undefined

/** The class of {@link mapStreamErrors}' streams, defined once. */
function relayClass(): ReturnType<typeof defineRelay> {
  return (relay ??= defineRelay())
}

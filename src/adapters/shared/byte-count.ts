/**
 * A pass-through that counts the bytes of an upload and fails it — so the storage stores nothing —
 * when it grows past its limit or ends short of the length it declared (a proxy's body limit cut
 * it, a client that stopped mid-way without closing cleanly).
 */
import { Transform, type TransformCallback } from 'node:stream'
import { BadRequestError, PayloadTooLargeError } from '../../core/errors.js'

/** Options of `ByteCount`. */
export interface ByteCountOptions {
  /** Most bytes accepted; one more fails with `PayloadTooLargeError` (413). */
  max?: number
  /** Bytes the body declared (`Content-Length`): ending with any other count fails with `BadRequestError` (400). */
  expected?: number
  /** How the limit reads in the 413 message, e.g. `this upload URL accepts`. */
  what?: string
}

/** Counts bytes as they pass; see `ByteCountOptions` for how it fails. */
export class ByteCount extends Transform {
  /** Bytes passed so far. */
  bytes = 0

  constructor(private readonly options: ByteCountOptions = {}) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    const { max, expected } = this.options
    if (max !== undefined && this.bytes > max) {
      callback(new PayloadTooLargeError(`Payload Too Large: ${this.options.what ?? 'the limit is'} at most ${max} bytes.`))
      return
    }
    if (expected !== undefined && this.bytes > expected) {
      callback(new BadRequestError(`The body is longer than its Content-Length of ${expected} bytes.`))
      return
    }
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    const { expected } = this.options
    if (expected !== undefined && this.bytes !== expected) {
      callback(new BadRequestError(`The body ended after ${this.bytes} of its ${expected} bytes (Content-Length); nothing was stored.`))
      return
    }
    callback()
  }
}

/** The declared `Content-Length`, when it is one whole number. */
export function declaredLength(header: string | undefined): number | undefined {
  if (header === undefined || !/^\s*\d{1,15}\s*$/.test(header)) return undefined
  return Number(header)
}

/**
 * The generic `createWriteStream()`: a Writable whose bytes flow into a backend's `_save` as a
 * stream. It finishes only after the file is committed; destroying it (or an error) aborts the
 * save, and its `close` event comes after the backend has cleaned up.
 */
import { PassThrough, Writable } from 'node:stream'
import type { Readable } from 'node:stream'

/**
 * Builds the Writable. `commit(body)` starts the backend write at once and settles when the file
 * is stored; `wrap` turns its errors into storage errors.
 */
export function createStorageWriteStream(
  commit: (body: Readable) => Promise<unknown>,
  wrap: (error: unknown) => unknown = (e) => e,
): Writable {
  const body = new PassThrough()
  // The backend may attach to `body` only after some async set-up; its errors reach the caller
  // through `commit`'s promise, so an early one must not be an uncaught 'error' event.
  body.on('error', () => {})
  let done: Promise<unknown> | undefined
  let failed: unknown
  const stream: Writable = new Writable({
    construct(callback) {
      done = commit(body)
      done.catch((error) => {
        failed = wrap(error)
        if (!stream.destroyed) stream.destroy(failed as Error)
      })
      callback()
    },
    write(chunk: Buffer, _encoding, callback) {
      if (failed) return callback(failed as Error)
      if (body.write(chunk)) callback()
      else body.once('drain', () => callback())
    },
    final(callback) {
      body.end()
      done!.then(
        () => callback(),
        (error) => callback((failed ?? wrap(error)) as Error),
      )
    },
    destroy(error, callback) {
      if (!body.destroyed && !body.writableFinished) body.destroy(error ?? new Error('The write stream was destroyed before it finished.'))
      const settle = done ?? Promise.resolve()
      settle.then(
        () => callback(error),
        () => callback(error),
      )
    },
  })
  return stream
}

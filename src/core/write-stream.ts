/**
 * The generic `createWriteStream()`: a Writable whose bytes flow into a backend's `_save` as a
 * stream. It finishes only after the file is committed; destroying it (or an error) aborts the
 * save — also after `end()`, while the commit is still running — and its `close` event comes
 * after the backend has cleaned up.
 */
import type { Readable, Writable } from 'node:stream'
import { builtin } from './builtins.js'

/**
 * Builds the Writable. `commit(body, signal)` starts the backend write at once and settles when
 * the file is stored; it must give up when `signal` aborts. `remove()` deletes what a commit
 * stored anyway when the stream was destroyed first; `wrap` turns errors into storage errors.
 */
export function createStorageWriteStream(
  commit: (body: Readable, signal: AbortSignal) => Promise<unknown>,
  wrap: (error: unknown) => unknown = (e) => e,
  remove: () => Promise<unknown> = async () => {},
): Writable {
  const { PassThrough, Writable } = builtin('node:stream')
  const body = new PassThrough()
  const controller = new AbortController()
  // The backend may attach to `body` only after some async set-up; its errors reach the caller
  // through `commit`'s promise, so an early one must not be an uncaught 'error' event.
  body.on('error', () => {})
  let done: Promise<unknown> | undefined
  let failed: unknown
  const stream: Writable = new Writable({
    construct(callback) {
      done = commit(body, controller.signal)
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
      const finished = stream.writableFinished
      if (!finished) {
        controller.abort(error ?? new Error('The write stream was destroyed before it finished.'))
        if (!body.destroyed && !body.writableFinished)
          body.destroy(error ?? new Error('The write stream was destroyed before it finished.'))
      }
      const settle = done ?? Promise.resolve()
      settle
        .then(
          // Destroyed before 'finish', yet the commit won the race: take the file back out.
          () => (finished ? undefined : remove().catch(() => undefined)),
          () => undefined,
        )
        .then(() => callback(error))
    },
  })
  return stream
}

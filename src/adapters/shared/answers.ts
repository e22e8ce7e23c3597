/** The HTTP core's small answers (plain text, JSON, errors) and the error rules every transport shares. */
import { httpErrorOf } from '../../core/errors.js'
import type { HttpAnswer } from './exchange.js'

const PLAIN = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
}

/** A short plain-text answer (`text` plus a newline); HEAD gets the headers without the body. */
export function textAnswer(status: number, text: string, method: string, headers: Record<string, string> = {}): HttpAnswer {
  const body = text + '\n'
  const answer: HttpAnswer = { status, headers: { ...headers, ...PLAIN, 'Content-Length': String(Buffer.byteLength(body)) } }
  if (method !== 'HEAD') answer.body = body
  return answer
}

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
  const body = JSON.stringify(value)
  return {
    status,
    headers: { ...headers, ...PLAIN, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) },
    body,
  }
}

/** The 404 of a name the storage does not hold (a miss: Express goes on to `next()`). */
export function missAnswer(method: string): HttpAnswer {
  return { ...textAnswer(404, 'Not Found', method), miss: true }
}

/** The first error in `error`'s chain of causes (itself included) whose `code` is one of `codes`. */
export function findCode(error: unknown, codes: readonly string[]): unknown {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && codes.includes(code)) return e
  }
  return undefined
}

/** Whether `error`, or an error in its chain of causes, has one of `codes`. */
export function hasCode(error: unknown, codes: readonly string[]): boolean {
  return findCode(error, codes) !== undefined
}

/**
 * A name longer than the file system takes (`ENAMETOOLONG`): the client asked for a file that
 * cannot exist, not a server failure.
 */
export function isNameTooLong(error: unknown): boolean {
  return hasCode(error, ['ENAMETOOLONG'])
}

/**
 * The status and client-safe message of any error: a `StorageError`'s `status`, its message only
 * when `expose`; a name too long for the file system 400; anything else 500 without details.
 */
export function clientErrorOf(error: unknown): { status: number; message: string } {
  if (isNameTooLong(error)) return { status: 400, message: 'The file name is too long for this storage.' }
  const { status, message } = httpErrorOf(error)
  return { status, message }
}

/** The plain-text answer `error` calls for (see `clientErrorOf`). */
export function errorAnswer(error: unknown, method: string): HttpAnswer {
  const { status, message } = clientErrorOf(error)
  return textAnswer(status, message, method)
}

/**
 * Timeouts of S3 requests: `connectTimeout` (the longest wait for a connection) and `readTimeout`
 * (the longest wait for the next byte, either way, once connected), applied by the SDK's Node
 * request handler (`connectionTimeout` and `socketTimeout`; its `requestTimeout` only warns
 * unless told to throw). A request that times out is retried by the SDK like any transient
 * failure, so a server that stops answering fails the call after at most `readTimeout` × the
 * SDK's attempts (3 by default, `clientConfig.maxAttempts`), with `TimeoutError` (`E_TIMEOUT`, 504).
 */
import { ImproperlyConfigured, OPERATION_VERBS, TimeoutError, type StorageOperation } from '../../core/errors.js'
import { parseNumber } from '../../core/env.js'
import { optionKind } from '../../core/option-kinds.js'
import type { OptionParser } from '../../core/options.js'

/** Default `connectTimeout`, in ms. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000
/** Default `readTimeout`, in ms. */
export const DEFAULT_READ_TIMEOUT = 60_000

/** A whole number of milliseconds >= 0 (`0`: no timeout); in the environment, the number of ms. */
export const millisecondsOption: OptionParser<number> = optionKind((value, label) => {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ImproperlyConfigured(`${label} must be a whole number of milliseconds >= 0 (0: no timeout), got ${String(value)}.`)
  }
  return value
}, parseNumber)

/** The two timeouts, in ms (0: none). */
export interface Timeouts {
  connectTimeout: number
  readTimeout: number
}

/**
 * The settings of the SDK's `NodeHttpHandler` for the timeouts, merged under `extra` (the
 * `httpsAgent` of `verify`, or a plain `clientConfig.requestHandler` object, which wins).
 */
export function handlerSettings(timeouts: Timeouts, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(timeouts.connectTimeout > 0 ? { connectionTimeout: timeouts.connectTimeout } : {}),
    ...(timeouts.readTimeout > 0 ? { socketTimeout: timeouts.readTimeout } : {}),
    ...extra,
  }
}

/** Whether an error is a timeout of the connection or of a read (the SDK's `TimeoutError`, `ETIMEDOUT`). */
export function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; code?: string } | null
  return e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT' || e?.code === 'ESOCKETTIMEDOUT'
}

/** The `TimeoutError` (`E_TIMEOUT`, 504) of a timed-out request (`cause`: the SDK's error, made safe by the caller). */
export function timeoutError(cause: unknown, operation: StorageOperation, name: string, timeouts: Timeouts): TimeoutError {
  const attempts = (cause as { $metadata?: { attempts?: number } } | null)?.$metadata?.attempts
  const tries = attempts && attempts > 1 ? ` (${attempts} attempts)` : ''
  return new TimeoutError(
    `S3 did not answer in time when trying to ${OPERATION_VERBS[operation] ?? operation} '${name}'${tries}: no byte for ${timeouts.readTimeout} ms ` +
      `(readTimeout) or no connection within ${timeouts.connectTimeout} ms (connectTimeout). Check the endpoint and the network, ` +
      'or raise readTimeout/connectTimeout (AWS_S3_READ_TIMEOUT/AWS_S3_CONNECT_TIMEOUT, in ms).',
    { cause, key: name, operation },
  )
}

/**
 * Errors without secrets. An AWS SDK error holds far more than its message: the raw answer
 * (`$response`), whose body is the socket's `IncomingMessage`, whose `req` holds the request's
 * headers as sent (`x-amz-security-token`, `x-amz-server-side-encryption-customer-key`), and, for
 * `SignatureDoesNotMatch`, the server's `CanonicalRequest` and `StringToSign` (the session token
 * again). `util.inspect(err, { depth: Infinity, showHidden: true })` prints all of it. Before an
 * SDK error becomes the `cause` of a `StorageError`, `redactS3Error` replaces it with a clone that
 * keeps what error handling reads (name, `Code`, message, `$fault`, `$metadata`, the answer's
 * status and headers) and nothing that can hold a secret.
 */

/** Members of an SDK error that echo the request (SignatureDoesNotMatch); never kept. */
const DROPPED = new Set(['CanonicalRequest', 'CanonicalRequestBytes', 'StringToSign', 'StringToSignBytes', '$request'])

/** Headers and query parameters whose values are secrets. */
const SECRET_FIELDS = [
  'x-amz-security-token',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-copy-source-server-side-encryption-customer-key',
  'authorization',
]

const FIELD = new RegExp(`(${SECRET_FIELDS.join('|')})(\\s*[:=]\\s*)([^\\s&,"'<]+)`, 'gi')

/** Errors already made safe (so redacting twice is free, and keeps identity). */
const SAFE = new WeakSet<object>()

/** `text` with the values of secret headers/parameters and each of `secrets` replaced by `[redacted]`. */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(FIELD, (_m, field: string, sep: string) => `${field}${sep}[redacted]`)
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]')
  return out
}

/** The secrets of a storage's options an error might echo: keys, token, SSE-C keys (raw and base64). */
export function secretsOf(options: {
  credentials?: { secretAccessKey?: string; sessionToken?: string }
  objectParameters?: Record<string, unknown>
}): string[] {
  const out: string[] = []
  if (options.credentials?.secretAccessKey) out.push(options.credentials.secretAccessKey)
  if (options.credentials?.sessionToken) out.push(options.credentials.sessionToken)
  for (const name of ['SSECustomerKey', 'CopySourceSSECustomerKey']) {
    const key = options.objectParameters?.[name]
    if (typeof key === 'string' && key) out.push(key, Buffer.from(key).toString('base64'))
  }
  return out
}

/** The parts of the SDK's raw answer worth keeping: status and headers (answers carry no secret headers). */
function safeResponse(value: unknown): unknown {
  const r = value as { statusCode?: number; reason?: string; headers?: Record<string, unknown> } | null
  if (!r || typeof r !== 'object') return undefined
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(r.headers ?? {})) if (typeof v === 'string') headers[k] = v
  return { statusCode: r.statusCode, ...(r.reason ? { reason: r.reason } : {}), headers }
}

/** A copy of plain data (strings scrubbed), dropping functions and anything that is not plain. */
function plain(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value, secrets)
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value
  if (depth > 4) return undefined
  if (value instanceof Date) return new Date(value)
  if (value instanceof Error) return redactS3Error(value, secrets)
  const proto = Object.getPrototypeOf(value)
  if (Array.isArray(value)) return value.map((v) => plain(v, secrets, depth + 1))
  if (proto !== Object.prototype && proto !== null) return undefined // sockets, streams, agents, requests
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (DROPPED.has(k)) continue
    const copy = plain(v, secrets, depth + 1)
    if (copy !== undefined) out[k] = copy
  }
  return out
}

/**
 * A safe clone of an SDK (or network) error: same prototype (so `instanceof NoSuchKey` holds),
 * same `name`, `Code`, `$fault`, `$metadata`, scrubbed message and stack, `$response` reduced to
 * status and headers, `cause` redacted too, the members that echo the request dropped. Anything
 * not an `Error` is returned as it is. `secrets`: values to blank wherever they appear.
 */
export function redactS3Error<T>(error: T, secrets: readonly string[] = []): T {
  if (!(error instanceof Error) || SAFE.has(error)) return error
  const clone = Object.create(Object.getPrototypeOf(error)) as Record<string | symbol, unknown>
  const source = error as unknown as Record<string | symbol, unknown>
  for (const key of Reflect.ownKeys(error)) {
    if (typeof key === 'string' && DROPPED.has(key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(error, key)!
    if (!('value' in descriptor)) continue // accessors: not data
    const value = key === '$response' ? safeResponse(source[key]) : plain(source[key], secrets)
    if (value === undefined && source[key] !== undefined) continue
    Object.defineProperty(clone, key, { value, enumerable: descriptor.enumerable, writable: true, configurable: true })
  }
  SAFE.add(clone)
  return clone as T
}

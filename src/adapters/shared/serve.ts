/** The GET/HEAD side of the HTTP core: validators, 304s, ranges, and the body, all of one version of the file. */
import type { Storage } from '../../core/storage.js'
import type { FileStat } from '../../core/types.js'
import { hasCode, isNameTooLong, missAnswer, textAnswer } from './answers.js'
import { notModified, parseRange, rangeAllowed, type ByteRange } from './conditional.js'
import { contentTypeOf, isActiveType, SANDBOX_CSP } from './content-type.js'
import type { HttpAnswer, HttpExchange } from './exchange.js'
import { openVersion } from './open-version.js'

/** `cacheControl` with `no-transform`: a proxy or framework that compresses a 206 breaks its `Content-Range`. */
export function fileCacheControl(cacheControl: string | undefined): string {
  const base = (cacheControl ?? 'no-cache').trim()
  if (/(?:^|,)\s*no-transform\s*(?:,|$)/i.test(base)) return base
  return base ? `${base}, no-transform` : 'no-transform'
}

function validDate(st: FileStat): Date | undefined {
  const date = st.lastModified instanceof Date ? st.lastModified : new Date(st.lastModified)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** What the request asks of one version of the file, decided from its stat. */
type Plan =
  | { kind: 'not-modified' }
  | { kind: 'unsatisfiable' }
  | { kind: 'send'; range?: ByteRange; start: number; end: number; length: number; withBody: boolean }

function planFor(exchange: HttpExchange, st: FileStat): Plan {
  const lastModified = validDate(st)
  const conditional = {
    'if-none-match': exchange.header('if-none-match'),
    'if-modified-since': lastModified ? exchange.header('if-modified-since') : undefined,
  }
  if (notModified(conditional, st.etag, lastModified ?? new Date(0))) return { kind: 'not-modified' }
  let range: ByteRange | undefined
  const rangeHeader = exchange.header('range')
  if (rangeHeader !== undefined && rangeAllowed(exchange.header('if-range'), st.etag, lastModified ?? new Date(Number.NaN))) {
    const parsed = parseRange(rangeHeader, st.size)
    if (parsed === 'unsatisfiable') return { kind: 'unsatisfiable' }
    range = parsed
  }
  const start = range?.start ?? 0
  const end = range?.end ?? st.size - 1
  const length = st.size === 0 ? 0 : end - start + 1
  return { kind: 'send', range, start, end, length, withBody: exchange.method !== 'HEAD' && length > 0 }
}

/**
 * The answer to a GET or HEAD of `name`: 200, 206 or 416 for a `Range`, 304 when the client's copy
 * is current; a miss (404) for a missing file, a directory or a name too long to exist.
 */
export async function serveFile(storage: Storage, name: string, exchange: HttpExchange, cacheControl: string): Promise<HttpAnswer> {
  let plan: Plan | undefined
  let opened
  try {
    opened = await openVersion(
      storage,
      name,
      (st) => {
        plan = planFor(exchange, st)
        return plan.kind === 'send' && plan.withBody ? { start: plan.start, end: plan.end } : undefined
      },
      exchange.signal,
    )
  } catch (error) {
    if (hasCode(error, ['ENOENT', 'EISDIR']) || isNameTooLong(error)) return missAnswer(exchange.method)
    throw error
  }
  const { stat: st, body } = opened
  const p = plan!
  const lastModified = validDate(st)
  const base: Record<string, string> = {
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': cacheControl,
  }
  if (st.etag) base['ETag'] = st.etag
  if (lastModified) base['Last-Modified'] = lastModified.toUTCString()
  if (p.kind === 'not-modified') return { status: 304, headers: base }
  if (p.kind === 'unsatisfiable')
    return textAnswer(416, 'Range Not Satisfiable', exchange.method, { ...base, 'Content-Range': `bytes */${st.size}` })

  const type = contentTypeOf(name, st)
  const headers: Record<string, string> = { ...base, 'Content-Type': type, 'Content-Length': String(p.length) }
  if (isActiveType(type)) headers['Content-Security-Policy'] = SANDBOX_CSP
  if (p.range) headers['Content-Range'] = `bytes ${p.start}-${p.end}/${st.size}`
  const answer: HttpAnswer = { status: p.range ? 206 : 200, headers }
  if (body) answer.body = body
  return answer
}

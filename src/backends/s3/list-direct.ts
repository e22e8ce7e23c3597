/**
 * ListObjectsV2 pages without the SDK on the way (`list()`, `listdir()`, collectStatic's listing):
 * a GET presigned by our own SigV4 query signer and sent over the storage's keep-alive agent
 * (direct.ts `DirectLink`, shared with the direct GET and PUT), its XML read by
 * {@link parseListPage}, which takes only what list.ts uses. The SDK's deserialiser (schema walk,
 * one object per XML node, date parsing) cost about three times our client CPU per page and held
 * the next page's request back by as much (docs/performance.md, listing).
 *
 * The SDK stays in charge of everything but the happy path: any answer other than 2xx, any failure
 * before the whole page is read (refused connection, reset, timeout, credentials that cannot be
 * loaded), and any body that is not a plain `ListBucketResult` (CDATA, an `EncodingType`, a page
 * from something other than S3) sends the SDK's ListObjectsV2 for that page instead, whose errors
 * and retries are exactly those of a storage without this path. After three fallbacks in a row
 * that the SDK then served, the storage stops trying (direct.ts `Fallbacks`). A caller's abort
 * rejects with the signal's reason and never falls back.
 */
import type http from 'node:http'
import { type Attempt, EXPIRES_IN, Fallbacks, type DirectLink, type Link, isStale, release, requestOptions } from './direct.js'

/** What list.ts reads of a ListObjectsV2 page (the SDK's output has the same members). */
export interface ListPage {
  Contents?: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }[]
  CommonPrefixes?: { Prefix?: string }[]
  IsTruncated?: boolean
  NextContinuationToken?: string
}

/** One page to list: the ListObjectsV2 members list.ts sends. */
export interface ListRequest {
  Prefix: string
  Delimiter?: string
  ContinuationToken?: string
  ExpectedBucketOwner?: string
}

/** A page larger than this is left to the SDK (1,000 keys of 1,024 bytes are about 2 MB). */
const MAX_PAGE_BYTES = 32 * 1024 * 1024

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** XML text with its entity and character references replaced; undefined when one is not XML's. */
function unescapeXml(text: string): string | undefined {
  if (!text.includes('&')) return text
  let bad = false
  const out = text.replace(/&([^;&]*);?/g, (ref, name: string) => {
    if (!ref.endsWith(';')) bad = true
    else if (name.startsWith('#')) {
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(name)
        ? Number.parseInt(name.slice(2), 16)
        : /^#\d{1,7}$/.test(name)
          ? Number(name.slice(1))
          : -1
      // XML's characters only (no NUL, no surrogate halves, nothing past U+10FFFF); else the SDK's reading.
      if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) return String.fromCodePoint(code)
      bad = true
    } else if (Object.hasOwn(ENTITIES, name)) return ENTITIES[name]!
    else bad = true
    return ref
  })
  return bad ? undefined : out
}

/**
 * The text of the one `<tag>…</tag>` (or `<tag/>`) in `xml[from, to)`, unescaped; null when absent;
 * undefined when malformed or present twice (one nested in another member: the SDK's reading
 * cannot be told from position alone, so it is left to the SDK).
 */
function element(xml: string, tag: string, from: number, to: number): string | null | undefined {
  const open = `<${tag}>`
  const empty = `<${tag}/>`
  const at = (needle: string, start: number) => {
    const i = xml.indexOf(needle, start)
    return i === -1 || i >= to ? -1 : i
  }
  const first = at(open, from)
  const bare = at(empty, from)
  if (first === -1 && bare === -1) return null
  if (first !== -1 && bare !== -1) return undefined
  if (first === -1) return at(empty, bare + empty.length) === -1 ? '' : undefined
  const start = first + open.length
  const close = xml.indexOf(`</${tag}>`, start)
  if (close === -1 || close > to) return undefined
  if (at(open, close) !== -1 || at(empty, close) !== -1) return undefined
  return unescapeXml(xml.slice(start, close))
}

/** The `[start, end)` ranges of the inner text of every `<tag>…</tag>` at any depth; undefined when one is not closed. */
function blocks(xml: string, tag: string): [number, number][] | undefined {
  const out: [number, number][] = []
  const open = `<${tag}>`
  const close = `</${tag}>`
  for (let at = xml.indexOf(open); at !== -1; at = xml.indexOf(open, at)) {
    const end = xml.indexOf(close, at + open.length)
    if (end === -1) return undefined
    out.push([at + open.length, end])
    at = end + close.length
  }
  return out
}

/**
 * The members list.ts uses of a ListObjectsV2 answer (`ListBucketResult`), or undefined when the
 * body is anything else or uses what this reader does not handle (comments, CDATA, `EncodingType`,
 * an unknown entity, an unclosed element, a member present twice in its block, an `IsTruncated`
 * other than `true`/`false`, a date without its zone, anything after the root): the caller then
 * asks the SDK. S3 escapes `<` and `&` in
 * text, so a tag name found by position is always markup, never part of a key.
 */
export function parseListPage(xml: string): ListPage | undefined {
  const root = xml.indexOf('<ListBucketResult')
  const end = xml.lastIndexOf('</ListBucketResult>')
  if (root === -1 || end === -1 || xml.slice(end + '</ListBucketResult>'.length).trim() !== '') return undefined
  // Comments, CDATA, DOCTYPE and processing instructions past the declaration: the SDK's.
  if (xml.includes('<!') || xml.indexOf('<?', xml.startsWith('<?xml') ? 2 : 0) !== -1) return undefined
  if (xml.includes('<EncodingType>')) return undefined
  const page: ListPage = {}
  const contents = blocks(xml, 'Contents')
  const prefixes = blocks(xml, 'CommonPrefixes')
  if (!contents || !prefixes) return undefined
  // Neither tag is a member of a Contents or CommonPrefixes block: the first one is the page's.
  const truncated = element(xml, 'IsTruncated', root, xml.length)
  if (truncated === undefined || (truncated !== null && truncated !== 'true' && truncated !== 'false')) return undefined
  page.IsTruncated = truncated === 'true'
  const token = element(xml, 'NextContinuationToken', root, xml.length)
  if (token === undefined) return undefined
  if (token !== null) page.NextContinuationToken = token
  if (contents.length > 0) {
    page.Contents = []
    for (const [from, to] of contents) {
      const key = element(xml, 'Key', from, to)
      const size = element(xml, 'Size', from, to)
      const etag = element(xml, 'ETag', from, to)
      const modified = element(xml, 'LastModified', from, to)
      if (key === undefined || size === undefined || etag === undefined || modified === undefined || key === null) return undefined
      const entry: NonNullable<ListPage['Contents']>[number] = { Key: key }
      if (size !== null) {
        if (!/^\d+$/.test(size)) return undefined
        entry.Size = Number(size)
      }
      if (etag !== null) entry.ETag = etag
      if (modified !== null) {
        if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(modified)) return undefined
        const date = new Date(modified)
        if (Number.isNaN(date.getTime())) return undefined
        entry.LastModified = date
      }
      page.Contents.push(entry)
    }
  }
  if (prefixes.length > 0) {
    page.CommonPrefixes = []
    for (const [from, to] of prefixes) {
      const prefix = element(xml, 'Prefix', from, to)
      if (prefix === undefined || prefix === null) return undefined
      page.CommonPrefixes.push({ Prefix: prefix })
    }
  }
  return page
}

/** The direct ListObjectsV2 of one storage (see the top of this file). */
export class DirectList {
  readonly #link: DirectLink
  readonly #fallbacks: Fallbacks

  /** `link`: the storage's, shared with the direct GET and PUT. */
  constructor(link: DirectLink) {
    this.#link = link
    this.#fallbacks = new Fallbacks(link)
  }

  /** Why listings go through the SDK (undefined: they try the direct request first). */
  get refusal(): string | undefined {
    return this.#fallbacks.refusal
  }

  /** One page: the direct request's when it got a 2xx and a page it can read, else `fallback()` (the SDK's). */
  page(request: ListRequest, signal: AbortSignal | undefined, fallback: () => Promise<ListPage>): Promise<ListPage> {
    return this.#fallbacks.run(signal, async () => this.send(await this.#link.link(), request, signal), fallback)
  }

  /** One signed GET of a page: the page on a 2xx with a readable body, a fallback for anything else. */
  private async send(link: Link, request: ListRequest, signal?: AbortSignal): Promise<Attempt<ListPage>> {
    const at = link.locator('')
    const path = at.path.length > 1 && at.path.endsWith('/') ? at.path.slice(0, -1) : at.path // `/bucket`, as the SDK sends it
    const query: Record<string, string> = { 'list-type': '2', prefix: request.Prefix }
    if (request.Delimiter) query.delimiter = request.Delimiter
    if (request.ContinuationToken) query['continuation-token'] = request.ContinuationToken
    const headers = request.ExpectedBucketOwner ? { 'x-amz-expected-bucket-owner': request.ExpectedBucketOwner } : undefined
    const signing = {
      method: 'GET' as const,
      protocol: at.protocol,
      host: at.host,
      path,
      query,
      expiresIn: EXPIRES_IN,
      plain: true,
      headers,
    }
    const url = link.presigner.presignSync(signing) ?? (await link.presigner.presign(signing))
    signal?.throwIfAborted()
    return new Promise<Attempt<ListPage>>((resolve, reject) => {
      const req = link.request({ ...requestOptions(link, at, url), method: 'GET', headers: { host: at.host, ...headers } })
      const fail = (error: Error) => req.destroy(error)
      const onAbort = () => fail(signal!.reason as Error)
      signal?.addEventListener('abort', onAbort, { once: true })
      req.once('close', () => signal?.removeEventListener('abort', onAbort))
      this.#link.timeouts(req, link.tls, 'ListObjectsV2', fail)
      let answered = false
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!answered && isStale(req, error, signal)) resolve({ stale: true })
        else reject(error)
      })
      req.once('response', (answer: http.IncomingMessage) => {
        answered = true
        const status = answer.statusCode ?? 0
        if (status < 200 || status > 299 || Number(answer.headers['content-length'] ?? 0) > MAX_PAGE_BYTES) {
          release(answer)
          return resolve({ miss: true })
        }
        const chunks: Buffer[] = []
        let bytes = 0
        answer.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes > MAX_PAGE_BYTES) return answer.destroy()
          chunks.push(chunk)
        })
        answer.once('error', reject)
        answer.once('close', () => {
          if (!answer.complete) return reject(signal?.aborted ? signal.reason : new Error('The listing answer ended early.'))
          const page = parseListPage(Buffer.concat(chunks).toString('utf8'))
          resolve(page ? { done: page } : { miss: true }) // counted: a server whose pages only the SDK reads stops costing two requests a page
        })
      })
      req.end()
    })
  }
}

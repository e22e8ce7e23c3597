/**
 * What the HTTP core and its transports (Node `http`, the Fetch API, Fastify) exchange: a request
 * reduced to what the core reads, and an answer the transport writes out as it is. The core decides
 * every status, header and body; a transport only translates.
 */
import type { Readable } from 'node:stream'

/** A request as the HTTP core sees it. */
export interface HttpExchange {
  /** Upper-case method. */
  method: string
  /** The request target in origin form: path and query, as sent (`/media/a%20b.txt?x=1`). */
  target: string
  /** A request header (the first value when repeated), lower-case `name`. */
  header(name: string): string | undefined
  /** The request body as a byte stream (read by signed PUT uploads only). */
  body(): Readable
  /** Aborts when the client goes away before the answer is complete. */
  signal: AbortSignal
}

/** What to answer; the transport writes it as it is. */
export interface HttpAnswer {
  status: number
  headers: Record<string, string>
  /** Omitted: no body (HEAD, 304, 204). A stream is piped; the transport destroys it if the client leaves. */
  body?: Readable | string
  /** A 404 for a name the storage does not hold: Express/Connect go on to `next()` instead. */
  miss?: boolean
  /**
   * The request body was left unread (a refused upload): a Node transport lets it drain and
   * closes the connection afterwards, never destroying the request.
   */
  bodyUnread?: boolean
}

/** Options the HTTP core takes from every transport. */
export interface StorageHttpOptions {
  /** `Cache-Control` of file responses (default `no-cache`); `no-transform` is always added. */
  cacheControl?: string
  /** CORS for cross-origin direct uploads and downloads (none by default). */
  cors?: CorsOptions
}

/** Which origins may use the handler from a browser: preflights are answered, CORS headers added. */
export interface CorsOptions {
  /** Allowed origins, exactly as browsers send them (`https://app.example.com`), or `'*'` for any. */
  origins: string | readonly string[]
  /** Seconds a browser may cache a preflight answer (default 600). */
  maxAge?: number
}

/** Public types of the Storage contract (docs/custom-backends.md describes it for implementers). */
import type { Readable } from 'node:stream'

/** What `save()` accepts. Streams are read as they arrive, never buffered whole. */
export type Content = Buffer | Uint8Array | string | Readable | ReadableStream<Uint8Array> | Blob | AsyncIterable<Uint8Array>

/** Progress of a write: bytes read from the content so far, and the total when known. */
export interface Progress {
  loaded: number
  total?: number
}

/** Options of `save()`. */
export interface SaveOptions {
  /** Longest name (in characters) the stored name may have; Django's `max_length`. */
  maxLength?: number
  /** Content type to store; else derived from the name. */
  contentType?: string
  /** User metadata (S3 `x-amz-meta-*`; kept in memory by InMemoryStorage). */
  metadata?: Record<string, string>
  /** `Cache-Control` to store with the object (S3). */
  cacheControl?: string
  /** `Content-Disposition` to store with the object (S3). */
  contentDisposition?: string
  /** Aborts the write; nothing is left behind. */
  signal?: AbortSignal
  /** Called as bytes are read from the content. */
  onProgress?: (progress: Progress) => void
  /** Extra PutObject parameters (S3 only), merged over the storage's `objectParameters`. */
  objectParameters?: Record<string, unknown>
}

/** Options every I/O method takes. */
export interface IoOptions {
  /** Aborts the call: it rejects with the signal's reason and leaves nothing behind. */
  signal?: AbortSignal
}

/** Options of `open()`: an inclusive byte range. */
export interface OpenOptions extends IoOptions {
  /** First byte to read (default 0). */
  start?: number
  /** Last byte to read, inclusive (default: the end). */
  end?: number
}

/** Options of `createWriteStream()`. */
export interface WriteStreamOptions {
  contentType?: string
  metadata?: Record<string, string>
  cacheControl?: string
  contentDisposition?: string
  objectParameters?: Record<string, unknown>
}

/** Options of `url()`. */
export interface UrlOptions {
  /** Seconds the URL stays valid (signed URLs); default the storage's `querystringExpire`. */
  expire?: number
  /** Extra query parameters (S3: GetObject input names such as `ResponseContentDisposition`). */
  parameters?: Record<string, unknown>
  /** HTTP method the signed URL is for (default GET). */
  httpMethod?: string
}

/** One entry of `list()`. */
export interface FileEntry {
  /** Name relative to the storage's location, `/`-separated. */
  name: string
  size: number
  lastModified: Date
  etag?: string
}

/** What `stat()` returns. */
export interface FileStat {
  size: number
  lastModified: Date
  etag?: string
  contentType?: string
}

/** Options of `list()`. */
export interface ListOptions extends IoOptions {
  /** Descend into sub-directories (default false: one level, files only). */
  recursive?: boolean
}

/** Options of `signedUploadUrl()`. */
export interface SignedUploadOptions extends IoOptions {
  /** Seconds the upload URL stays valid (default the storage's `querystringExpire`). */
  expire?: number
  /** Content type the client must send. */
  contentType?: string
  /** Largest accepted body in bytes. */
  maxSize?: number
  /** `PUT` (default) or `POST` (S3 presigned POST policy). */
  method?: 'PUT' | 'POST'
  /** Longest name the picked name may have. */
  maxLength?: number
}

/** A direct-upload instruction for a browser or mobile client. */
export interface SignedUpload {
  /** The name picked for the upload (after validation and `getAvailableName`). */
  name: string
  url: string
  method: 'PUT' | 'POST'
  /** Headers the client must send with the upload. */
  headers: Record<string, string>
  /** Form fields to send before the file (presigned POST only). */
  fields?: Record<string, string>
  expiresAt: Date
}

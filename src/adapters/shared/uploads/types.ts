/** The shapes shared by every upload adapter: multer's engine, `saveUploads` (Fetch) and the Fastify plugin. */
import type { Readable } from 'node:stream'

/** What is known of a stored upload (multer adds the same fields to its file object). */
export interface StoredFileInfo {
  /** Name of the form field the file came in. */
  fieldname: string
  /** The file name the client sent (for display; never a path to trust). */
  originalname: string
  /** The name the storage stored the file under (pass it to `storage.open`, `url`, `delete`). */
  name: string
  /** The last segment of `name`. */
  filename: string
  /** Bytes stored, counted as they passed: the true size for any file, 0 for an empty one. */
  size: number
  /** `storage.url(name)` (signed when the storage signs URLs); null when the storage has no URLs. */
  url: string | null
  /** The content type stored: the part's type, or the one guessed from the name when the client sent none. */
  contentType: string
}

/** A file part of a multipart body, as `SaveUploadsOptions.filename` sees it. */
export interface UploadFilePart {
  /** Name of the form field. */
  fieldname: string
  /** The file name the client sent, without any directory. */
  filename: string
  /** `Content-Type` the client sent for the part (`application/octet-stream` when absent). */
  mimeType: string
}

/** Limits and naming of `saveUploads()` and Fastify's `request.saveUploads()`. */
export interface SaveUploadsOptions {
  /** Most bytes in one file (default: no limit); one byte more fails the request with 413. */
  maxFileSize?: number
  /** Most files in the request (default 100); one more fails it with 413. Empty file inputs do not count. */
  maxFiles?: number
  /** Most non-file fields (default 1000); one more fails the request with 413. */
  maxFields?: number
  /** Most bytes in one non-file field's value (default 1 MiB); a longer value fails the request with 413. */
  maxFieldSize?: number
  /**
   * The name to store a file under (may be async; may hold directories, e.g. `avatars/${id}.png`).
   * Its last segment still goes through `storage.generateFilename()`, and the storage picks an
   * available name unless it overwrites. Default: the client's file name without any directory.
   */
  filename?(part: UploadFilePart): string | Promise<string>
}

/** What `saveUploads()` resolves with. */
export interface SavedUploads {
  /** Every stored file, in the order of the body. */
  files: StoredFileInfo[]
  /** The non-file fields; a repeated name keeps its last value. */
  fields: Record<string, string>
}

/** One part of a multipart body, from whichever parser read it. */
export type UploadPart =
  | { kind: 'field'; fieldname: string; value: string; truncated: boolean }
  | (UploadFilePart & { kind: 'file'; stream: Readable })

/** The parts of one request, and a way to stop reading it. */
export interface PartSource extends AsyncIterable<UploadPart> {
  /** Stops reading the body (after an error): the part being read is destroyed. */
  close(error?: unknown): void
}

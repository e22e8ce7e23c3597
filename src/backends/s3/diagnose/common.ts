/** What every S3 doctor check shares: the line builders, error descriptions, the header watcher and unreadable settings. */
import type { Check } from '../../../core/diagnostics.js'
import { s3ErrorCode, s3Status } from '../errors.js'

const line =
  (status: Check['status']) =>
  (name: string, detail: string): Check => ({ status, name, detail })

/** A passing line. */
export const ok = line('ok')
/** A failing line: `detail` says what is wrong (or could not be verified) and how to fix it. */
export const fail = line('fail')
/** A line for a check that does not apply, or that the server does not implement. */
export const skip = line('skip')
/** An advice line: not a failure. */
export const note = line('note')

/** The headers of the last HTTP answer to a watched command, and when it arrived. */
export type Seen = { headers: Record<string, string | undefined>; at?: number }
type Handler = (args: unknown) => Promise<{ response?: { headers?: Record<string, string> } }>

/** Records the raw response headers of `command` (errors included) into `seen`. */
export function watch<C>(command: C, seen: Seen): C {
  const stack = (command as unknown as { middlewareStack: { add(mw: (next: Handler) => Handler, options: object): void } }).middlewareStack
  stack.add(
    (next) => async (args) => {
      const out = await next(args)
      if (out.response?.headers) Object.assign(seen, { headers: out.response.headers, at: Date.now() })
      return out
    },
    { step: 'deserialize', priority: 'low', name: 'nodeStoragesDoctorHeaders' },
  )
  return command
}

/** `AccessDenied, HTTP 403: message`: an SDK (or fetch) error in one short phrase. */
export function describeError(error: unknown): string {
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  const message = (error as Error | null)?.message
  const named = code && code !== 'Error' && code !== 'Unknown' && code !== 'UnknownError' ? code : undefined
  const head = [named, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ')
  if (!message || message === 'UnknownError' || message === code) return head || String(error)
  return head ? `${head}: ${message}` : message
}

/** A server without this part of the API (S3-compatible stores): 501 NotImplemented, 405. */
export function unsupported(error: unknown): boolean {
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  return status === 501 || status === 405 || code === 'NotImplemented' || code === 'MethodNotAllowed'
}

/** How doctor reads a bucket setting: what it is called, the IAM action, and S3's code for "not configured". */
export interface SettingRead {
  /** The line's name. */
  name: string
  /** E.g. `the public access block (GetPublicAccessBlock)`. */
  what: string
  action: string
  missingCode: string
}

/** The fix of a setting the credentials may not read. */
export const GRANT_DOCTOR_READS =
  'run doctor with credentials that may read the bucket settings (`node-storages policy --doctor` prints the policy it needs), ' +
  "or check the setting in the bucket's Permissions tab"

/**
 * A bucket setting that could not be read: 501/405 → skip (the server lacks it); the "not
 * configured" code → `missing()`; a 403 → `matters` says whether this configuration depends on
 * the setting: a fail ("not verified", naming the action and the fix) when it does, else a skip.
 */
export function unreadable(read: SettingRead, error: unknown, missing: () => Check, matters: string | undefined): Check {
  if (s3ErrorCode(error) === read.missingCode) return missing()
  if (unsupported(error)) {
    return skip(
      read.name,
      `the server does not implement ${read.what} (${describeError(error)}), as with many S3-compatible stores: not checked`,
    )
  }
  const why =
    s3Status(error) === 403
      ? `the credentials may not read ${read.what} (needs ${read.action})`
      : `could not read ${read.what} (${describeError(error)})`
  if (!matters) return skip(read.name, `${why}; it does not matter for this configuration: not checked`)
  return fail(
    read.name,
    `not verified: ${why}, and ${matters}. ${GRANT_DOCTOR_READS.charAt(0).toUpperCase()}${GRANT_DOCTOR_READS.slice(1)}.`,
  )
}

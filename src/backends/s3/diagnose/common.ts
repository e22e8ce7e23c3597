/** What every S3 doctor check shares: the line builders, error descriptions and the header watcher. */
import type { Check } from '../../../core/diagnostics.js'
import { s3ErrorCode, s3Status } from '../errors.js'

const line =
  (status: Check['status']) =>
  (name: string, detail: string): Check => ({ status, name, detail })

/** A passing line. */
export const ok = line('ok')
/** A failing line: `detail` says what is wrong and how to fix it. */
export const fail = line('fail')
/** A line for a check that could not run, and why. */
export const skip = line('skip')

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
  const head = [code && code !== 'Error' ? code : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ')
  if (!message || message === 'UnknownError' || message === code) return head || String(error)
  return head ? `${head}: ${message}` : message
}

/** A server without this part of the API (S3-compatible stores): 501 NotImplemented, 405. */
function unsupported(error: unknown): boolean {
  const [code, status] = [s3ErrorCode(error), s3Status(error)]
  return status === 501 || status === 405 || code === 'NotImplemented' || code === 'MethodNotAllowed'
}

/** A 501/405 answer → skip; a 403 → skip naming the action; a missing configuration → `missing()`. */
export function unreadable(name: string, what: string, action: string, error: unknown, missingCode: string, missing: () => Check): Check {
  if (s3ErrorCode(error) === missingCode) return missing()
  if (unsupported(error)) {
    return skip(name, `the server does not implement ${what} (${describeError(error)}), as with many S3-compatible stores: not checked`)
  }
  if (s3Status(error) === 403) return skip(name, `not allowed to read ${what} (needs ${action}): not checked`)
  return skip(name, `could not read ${what} (${describeError(error)}): not checked`)
}

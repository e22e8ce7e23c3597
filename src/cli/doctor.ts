/**
 * `node-storages doctor`: checks the configured storage end to end: the environment (variables
 * node-storages does not read, S3 settings ignored in production), whatever checks the backend
 * adds through `diagnose()` (S3: credentials, bucket, region, clock, ACL settings, Block Public
 * Access, CORS, URLs, advice), then a write, read, URL and delete round trip under `location`.
 * Each line says what is wrong and how to fix it; the exit code is 1 when a check failed. A check
 * that marks `stop` (no credentials, no bucket) ends the run: what follows could only fail.
 */
import { randomBytes } from 'node:crypto'
import { describeUnread, filesystemInProduction, unreadVariables } from '../backends/s3/env-hints.js'
import { isDiagnosable } from '../core/capabilities.js'
import type { Check, DiagnoseOptions } from '../core/diagnostics.js'
import type { Env } from '../core/env.js'
import { isStorageError } from '../core/errors.js'
import type { Storage } from '../core/storage.js'
import { backendOf, type Target } from './targets.js'

function describe(error: unknown): string {
  if (isStorageError(error)) return `${error.name} (${error.code}): ${error.message}`
  return (error as Error)?.message ?? String(error)
}

/** Query parameters of signed URLs that carry a credential: the key id is masked, the rest blanked. */
const SIGNED_PARAMETERS = /([?&])(X-Amz-Credential|X-Amz-Security-Token|X-Amz-Signature|Signature|signature|Policy)=([^&]*)/g

/** `url` with its key id masked (`AKIA…WXYZ`) and its signature, session token and policy blanked: printable. */
export function maskUrl(url: string): string {
  return url.replace(SIGNED_PARAMETERS, (_m, sep: string, name: string, value: string) => {
    if (name !== 'X-Amz-Credential') return `${sep}${name}=…`
    const [id = '', ...scope] = decodeURIComponent(value).split('/')
    const n = Math.min(4, Math.floor(id.length / 4))
    return `${sep}${name}=${[n ? `${id.slice(0, n)}…${id.slice(-n)}` : '…', ...scope].join('%2F')}`
  })
}

async function* roundTrip(storage: Storage): AsyncIterable<Check> {
  const probe = `.node-storages-doctor/${randomBytes(6).toString('hex')}.txt`
  const body = `node-storages doctor ${new Date().toISOString()}`
  let stored: string | undefined
  try {
    stored = await storage.save(probe, body)
    yield { status: 'ok', name: 'write', detail: `stored ${stored}` }
    const read = (await storage.read(stored)).toString()
    yield read === body
      ? { status: 'ok', name: 'read', detail: 'read back the same bytes' }
      : { status: 'fail', name: 'read', detail: 'read back different bytes than were written' }
    yield { status: 'ok', name: 'url', detail: maskUrl(await storage.url(stored)) }
  } catch (error) {
    yield {
      status: 'fail',
      name: stored ? 'read' : 'write',
      detail: `${describe(error)} — check the location exists and the credentials may write to it`,
    }
  } finally {
    if (stored) {
      try {
        await storage.delete(stored)
        yield { status: 'ok', name: 'delete', detail: `deleted ${stored}` }
        await storage.delete('.node-storages-doctor').catch(() => {}) // the local directory, when empty
      } catch (error) {
        yield { status: 'fail', name: 'delete', detail: `${describe(error)} — delete ${stored} by hand` }
      }
    }
  }
}

/** The lines about the environment itself: S3 settings ignored in production, variables under names node-storages does not read. */
export function environmentChecks(env: Env, backend: string | undefined): Check[] {
  const lines: Check[] = []
  const ignored = backend === undefined ? undefined : filesystemInProduction(env, backend)
  if (ignored) lines.push({ status: 'fail', name: 'backend', detail: ignored })
  for (const unread of unreadVariables(env)) lines.push({ status: 'fail', name: 'environment', detail: describeUnread([unread]) })
  return lines
}

/** What `doctor` was asked, besides the storage. */
export interface DoctorOptions extends Omit<DiagnoseOptions, 'env'> {}

/** Prints the checks of one storage; resolves to whether one failed. */
async function doctorOne(target: Target, env: Env, out: NodeJS.WritableStream, options: DoctorOptions): Promise<boolean> {
  const print = (check: Check) => out.write(`${check.status.toUpperCase().padEnd(4)}  ${check.name}: ${check.detail}\n`)
  let storage: Storage
  try {
    storage = target.build()
  } catch (error) {
    if (!isStorageError(error)) throw error
    const lines = [{ status: 'fail', name: 'config', detail: describe(error) } as Check, ...environmentChecks(env, target.backend)]
    lines.forEach(print)
    return true
  }
  out.write(`storage: ${String(storage)}\n`)
  let failed = false
  const note = (check: Check) => {
    if (check.status === 'fail') failed = true
    print(check)
  }
  environmentChecks(env, backendOf(target, storage)).forEach(note)
  try {
    if (isDiagnosable(storage)) {
      for await (const check of storage.diagnose({ ...options, env })) {
        note(check)
        if (check.stop) return true
      }
    }
    for await (const check of roundTrip(storage)) note(check)
  } finally {
    ;(storage as { destroy?: () => void }).destroy?.()
  }
  return failed
}

/** Runs every check of each target (a header line per alias when there are several), and resolves to the exit code (1 on any failure). */
export async function runDoctor(targets: Target[], env: Env, out: NodeJS.WritableStream, options: DoctorOptions = {}): Promise<number> {
  let failed = false
  for (const target of targets) {
    if (target.alias !== undefined && targets.length > 1) out.write(`== alias '${target.alias}'\n`)
    if (await doctorOne(target, env, out, options)) failed = true
  }
  return failed ? 1 : 0
}

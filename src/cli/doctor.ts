/**
 * `node-storages doctor`: checks the configured storage end to end — a write, read, URL and
 * delete round trip under `location` — plus whatever checks the backend adds through
 * `diagnose()` (S3: credentials, bucket, region, ACL settings, CORS, clock skew). Each line says
 * what is wrong and how to fix it; the exit code is 1 when a check failed.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from '../core/storage.js'
import { isStorageError } from '../core/errors.js'
import { isDiagnosable } from '../core/capabilities.js'
import type { Check } from '../core/diagnostics.js'

function describe(error: unknown): string {
  if (isStorageError(error)) return `${error.name} (${error.code}): ${error.message}`
  return (error as Error)?.message ?? String(error)
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
    yield { status: 'ok', name: 'url', detail: await storage.url(stored) }
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
        yield { status: 'fail', name: 'delete', detail: `${describe(error)} — delete ${stored} by hand and grant delete permission` }
      }
    }
  }
}

/** Runs every check, prints one line each, and resolves to the exit code (1 on any failure). */
export async function runDoctor(storage: Storage, _env: NodeJS.ProcessEnv, out: NodeJS.WritableStream): Promise<number> {
  out.write(`storage: ${String(storage)}\n`)
  let failed = false
  const sources: AsyncIterable<Check>[] = isDiagnosable(storage) ? [storage.diagnose(), roundTrip(storage)] : [roundTrip(storage)]
  for (const source of sources) {
    for await (const check of source) {
      if (check.status === 'fail') failed = true
      out.write(`${check.status.toUpperCase().padEnd(4)}  ${check.name}: ${check.detail}\n`)
    }
  }
  return failed ? 1 : 0
}

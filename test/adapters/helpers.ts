// Helpers shared by the adapter tests: servers on 127.0.0.1, storages to test against, and a
// tracker that tells when every save and delete a request started has settled.
import type { Server } from 'node:http'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { inject } from 'vitest'
import { FileSystemStorage, InMemoryStorage, S3Storage, type Storage } from '../../src/index.js'
import { S3RVER_CREDENTIALS } from '../support/s3rver.js'

/** Listens on 127.0.0.1 on a free port; resolves with the base URL and a closer. */
export async function listen(server: Server): Promise<{ base: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

/** A storage under test, with a way to list every file it holds on disk (temp files included). */
export interface Backend {
  label: string
  make(options?: Record<string, unknown>): Storage
  /** Every file under the storage's location, temp files included (filesystem only; else []). */
  rawFiles(storage: Storage): string[]
  /** The URL `storage.url(name)` is expected to give, as a pattern. */
  urlPattern(storage: Storage, name: string): RegExp
  cleanup(): void
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function walk(dir: string, root = dir): string[] {
  let out: string[] = []
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out = out.concat(walk(p, root))
    else out.push(relative(root, p))
  }
  return out.sort()
}

/** The two local backends the adapters are tested with. */
export function localBackends(): Backend[] {
  const root = mkdtempSync(join(tmpdir(), 'ns-adapters-'))
  let n = 0
  return [
    {
      label: 'FileSystemStorage',
      make: (options = {}) => new FileSystemStorage({ location: join(root, String(n++)), ...options }),
      rawFiles: (storage) => walk((storage as FileSystemStorage).location),
      urlPattern: (_s, name) => new RegExp(`^/media/${escapeRegExp(name)}$`),
      cleanup: () => rmSync(root, { recursive: true, force: true }),
    },
    {
      label: 'InMemoryStorage',
      make: (options = {}) => new InMemoryStorage(options),
      rawFiles: () => [],
      urlPattern: (_s, name) => new RegExp(`^/media/${escapeRegExp(name)}$`),
      cleanup: () => {},
    },
  ]
}

/** Whether S3Storage is implemented (not the placeholder that throws "not yet available"). */
export function s3Available(): boolean {
  try {
    new S3Storage({ bucketName: 'probe', endpointUrl: 'http://127.0.0.1:9', accessKey: 'probe', secretKey: 'probe' })
    return true
  } catch (error) {
    return !/not yet available/i.test(String(error))
  }
}

/** S3Storage on the harness's s3rver (through the SigV4-verifying proxy), a fresh location each. */
export function s3Backend(): Backend {
  const s3 = inject('s3')
  const made: S3Storage[] = []
  return {
    label: 'S3Storage (s3rver)',
    make: (options = {}) => {
      const storage = new S3Storage({
        bucketName: s3.buckets[0],
        endpointUrl: s3.proxyEndpoint,
        accessKey: S3RVER_CREDENTIALS.accessKeyId,
        secretKey: S3RVER_CREDENTIALS.secretAccessKey,
        location: `adapters-${randomUUID()}`,
        conditionalWrites: false, // s3rver ignores If-None-Match
        ...options,
      })
      made.push(storage)
      return storage
    },
    rawFiles: () => [],
    urlPattern: (storage, name) =>
      new RegExp(
        `^${escapeRegExp(`${s3.proxyEndpoint}/${s3.buckets[0]}/${(storage as S3Storage).location}/${name}`)}\\?.*X-Amz-Signature=`,
      ),
    cleanup: () => {
      for (const s of made) s.destroy()
    },
  }
}

/** Every name the storage lists, recursively. */
export async function allNames(storage: Storage): Promise<string[]> {
  const names: string[] = []
  for await (const entry of storage.list('', { recursive: true })) names.push(entry.name)
  return names.sort()
}

/** Counts the saves and deletes in progress on `storage` (wrapping its methods). */
export function track(storage: Storage) {
  let pending = 0
  const contents: unknown[] = []
  const saves: string[] = []
  const save = storage.save.bind(storage)
  const del = storage.delete.bind(storage)
  storage.save = async (name, content, options) => {
    pending++
    contents.push(content)
    try {
      const stored = await save(name, content, options)
      saves.push(stored)
      return stored
    } finally {
      pending--
    }
  }
  storage.delete = async (name) => {
    pending++
    try {
      return await del(name)
    } finally {
      pending--
    }
  }
  return {
    get pending() {
      return pending
    },
    /** What each save was given (to check that files arrive as streams). */
    contents,
    /** Names that saves stored (before any later delete). */
    saves,
    /** Resolves once `condition()` holds and nothing is in progress (fails after `ms`). */
    async settled(condition: () => boolean = () => true, ms = 10_000): Promise<void> {
      const end = Date.now() + ms
      // Two quiet polls in a row: a removal that starts right after a save ends is seen too.
      let quiet = 0
      while (quiet < 2) {
        if (Date.now() > end) throw new Error(`storage operations did not settle within ${ms} ms (pending ${pending})`)
        quiet = condition() && pending === 0 ? quiet + 1 : 0
        await new Promise((r) => setTimeout(r, 10))
      }
    },
  }
}

/** Polls `condition` every 5 ms until it holds (fails after `ms`). */
export async function until(condition: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

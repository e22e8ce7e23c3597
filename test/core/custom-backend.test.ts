// A third-party backend, written as docs/custom-backends.md says, is served by serveStorage with
// its own signed URLs through the public SignedUrlVerifier capability (no class-name checks).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Storage,
  signGrant,
  signedUrlVerifierOf,
  verifyGrant,
  type FileEntry,
  type FileStat,
  type SignedUrlVerifier,
  type WriteRequest,
} from '../../src/index.js'
import { serveStorage } from '../../src/adapters/http/index.js'

const SECRET = 'a-test-secret-that-is-long-enough-0123456789'

/** A minimal Map-backed backend that signs its own URLs, unrelated to the built-in classes. */
class TinyStorage extends Storage {
  readonly files = new Map<string, { data: Buffer; modified: Date }>()
  readonly signedUrlVerifier: SignedUrlVerifier = {
    requireSignature: true,
    verify: (grant, signature, now) => verifyGrant(SECRET, grant, signature, now),
  }

  constructor() {
    super({})
  }

  protected async _save(name: string, req: WriteRequest): Promise<string> {
    const chunks: Buffer[] = []
    for await (const chunk of req.body) chunks.push(Buffer.from(chunk))
    this.files.set(name, { data: Buffer.concat(chunks), modified: new Date() })
    return name
  }

  protected async _open(name: string, { start, end }: { start?: number; end?: number }): Promise<Readable> {
    const file = this.files.get(name)
    if (!file) throw Object.assign(new Error('missing'), { code: 'ENOENT' })
    return Readable.from([file.data.subarray(start ?? 0, end === undefined ? undefined : end + 1)])
  }

  protected async _delete(name: string): Promise<void> {
    this.files.delete(name)
  }

  protected async _exists(name: string): Promise<boolean> {
    return this.files.has(name)
  }

  protected async _listdir(): Promise<[string[], string[]]> {
    return [[], [...this.files.keys()]]
  }

  protected async *_list(): AsyncIterable<FileEntry> {
    for (const [name, f] of this.files) yield { name, size: f.data.length, lastModified: f.modified }
  }

  protected async _stat(name: string): Promise<FileStat> {
    const file = this.files.get(name)
    if (!file) throw Object.assign(new Error('missing'), { code: 'ENOENT' })
    return { size: file.data.length, lastModified: file.modified, etag: `"${file.data.length}"` }
  }

  protected _url(name: string, options: { expire?: number }): string {
    const expires = Math.floor(Date.now() / 1000) + (options.expire ?? 60)
    return `/media/${encodeURIComponent(name)}?expires=${expires}&signature=${signGrant(SECRET, { method: 'GET', name, expires })}`
  }
}

describe('a third-party backend with its own SignedUrlVerifier', () => {
  const storage = new TinyStorage()
  let server: Server
  let base: string

  beforeAll(async () => {
    await storage.save('doc.txt', 'private words')
    server = createServer(serveStorage(storage, { prefix: '/media/' }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('is recognised by the public capability guard', () => {
    expect(signedUrlVerifierOf(storage)).toBe(storage.signedUrlVerifier)
  })

  it('serves a file through its signed URL', async () => {
    const res = await fetch(base + (await storage.url('doc.txt')))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('private words')
  })

  it('refuses an unsigned request and a tampered signature with 403', async () => {
    expect((await fetch(`${base}/media/doc.txt`)).status).toBe(403)
    const url = await storage.url('doc.txt')
    const tampered = url.replace(/signature=(.)/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`)
    expect((await fetch(base + tampered)).status).toBe(403)
  })

  it('refuses an expired signature with 403', async () => {
    const expires = Math.floor(Date.now() / 1000) - 10
    const url = `/media/doc.txt?expires=${expires}&signature=${signGrant(SECRET, { method: 'GET', name: 'doc.txt', expires })}`
    expect((await fetch(base + url)).status).toBe(403)
  })
})

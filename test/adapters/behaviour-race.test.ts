// The shared HTTP behaviour, part 4: replacing a file while it is served. A writer replaces one
// file, again and again, between two versions of different sizes while 1,000 GETs (some ranged)
// run through each transport: every response's body must match its own Content-Length, and its
// bytes must be those of the version its ETag names — headers and body from one version.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FileSystemStorage, InMemoryStorage, type Storage } from '../../src/index.js'
import { raw, transports, type Reply } from './transports.js'

const KiB = 1024
const VERSIONS = [Buffer.alloc(64 * KiB, 'a'), Buffer.alloc(96 * KiB, 'b')]
const GETS = 1000
const CONCURRENCY = 16

const root = mkdtempSync(join(tmpdir(), 'ns-race-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0
const backends: Array<[string, () => Storage]> = [
  ['FileSystemStorage', () => new FileSystemStorage({ location: join(root, String(n++)), fileOverwrite: true })],
  ['InMemoryStorage', () => new InMemoryStorage({ fileOverwrite: true })],
]

/**
 * Checks one response on its own (status, length, a body of one version, the right range of it);
 * returns a problem, or the ETag and the version its bytes are, to check once every version is known.
 */
function check(r: Reply): string | { etag: string; version: number } {
  if (r.status !== 200 && r.status !== 206) return `status ${r.status}`
  const length = Number(r.headers['content-length'])
  if (r.body.length !== length) return `${r.body.length} body bytes under Content-Length ${length}`
  const version = VERSIONS.findIndex((v) => v[0] === r.body[0])
  const expected = VERSIONS[version]
  if (!expected) return 'a body of neither version'
  if (r.status === 200 && !r.body.equals(expected)) return `a body of ${r.body.length} bytes, not one version`
  if (r.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(r.headers['content-range']))
    if (!m || Number(m[3]) !== expected.length)
      return `Content-Range ${r.headers['content-range']} with a body of the ${expected.length}-byte version`
    if (!r.body.equals(expected.subarray(Number(m[1]), Number(m[2]) + 1))) return 'a ranged body of mixed versions'
  }
  return { etag: String(r.headers['etag']), version }
}

for (const transport of transports) {
  describe(`${transport.label} while a file is being replaced`, () => {
    for (const [label, make] of backends) {
      it(`sends headers and body of one version for each of ${GETS} GETs (${label})`, async () => {
        const storage = make()
        const versions = new Map<string, number>()
        const record = async (v: number) => {
          await storage.save('race.bin', VERSIONS[v]!)
          versions.set((await storage.stat('race.bin')).etag!, v)
        }
        await record(0)
        const server = await transport.start(storage)
        let writing = true
        let writes = 0
        const writer = (async () => {
          while (writing) {
            await record(++writes % 2)
            // InMemoryStorage writes without I/O: let the server's sockets have their turn.
            await new Promise((resolve) => setImmediate(resolve))
          }
        })()
        const problems: string[] = []
        const seen: Array<{ etag: string; version: number; i: number }> = []
        let sent = 0
        try {
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
              while (sent < GETS) {
                const i = sent++
                const headers: Record<string, string> = i % 4 === 3 ? { Range: `bytes=${(i * 997) % (60 * KiB)}-` } : {}
                let result: ReturnType<typeof check>
                try {
                  result = check(await raw(server.base, 'GET', '/media/race.bin', headers))
                } catch (error) {
                  // A body shorter than its Content-Length: the client sees the response cut off.
                  result = `the response broke off (${(error as Error).message})`
                }
                if (typeof result === 'string') problems.push(`GET #${i}: ${result}`)
                else seen.push({ ...result, i })
              }
            }),
          )
        } finally {
          writing = false
          await writer
          await server.close()
        }
        // Now that the writer has recorded the ETag of every version it made: each body is the
        // version its ETag names.
        for (const { etag, version, i } of seen) {
          if (versions.get(etag) !== version)
            problems.push(`GET #${i}: the body of version ${version} under the ETag of version ${versions.get(etag)}`)
        }
        expect(problems.slice(0, 10)).toEqual([])
        expect(seen.length).toBe(GETS)
        // The writer really did replace the file under the readers many times.
        expect(writes).toBeGreaterThan(20)
      }, 120_000)
    }
  })
}

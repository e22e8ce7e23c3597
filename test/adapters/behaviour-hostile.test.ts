// The shared HTTP behaviour, part 3: hostile paths. Every transport of the HTTP core refuses paths
// that try to reach a file placed outside the storage's location — with 400, 403 or 404 for GET,
// HEAD and PUT — and never sends a byte of it or says where it is.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSystemStorage } from '../../src/index.js'
import { raw, transports, type Running } from './transports.js'

const SECRET = 'SECRET-OUTSIDE-LOCATION-' + Math.random().toString(36).slice(2)
const root = mkdtempSync(join(tmpdir(), 'ns-hostile-'))
const secretPath = join(root, 'secret.txt')
writeFileSync(secretPath, SECRET)
const location = join(root, 'confined')
mkdirSync(join(location, 'sub'), { recursive: true })
writeFileSync(join(location, 'inside.txt'), 'inside')
symlinkSync(secretPath, join(location, 'link.txt'))
symlinkSync(root, join(location, 'linkdir'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const hostile = [
  '/media/../secret.txt',
  '/media/sub/../../secret.txt',
  '/media/%2e%2e/secret.txt',
  '/media/%2E%2E%2Fsecret.txt',
  '/media/..%2fsecret.txt',
  '/media/.%2e/secret.txt',
  '/media/sub/%2e%2e/%2e%2e/secret.txt',
  '/media/%252e%252e/secret.txt',
  '/media/%252e%252e%252fsecret.txt',
  '/media/..%255csecret.txt',
  '/media/..\\secret.txt',
  '/media/..%5csecret.txt',
  '/media/%5c..%5csecret.txt',
  '/media/sub%5c..%5c..%5csecret.txt',
  '/media/%00../secret.txt',
  '/media/inside.txt%00.png',
  '/media/..%00/secret.txt',
  '/media//' + secretPath.slice(1),
  '/media/' + encodeURIComponent(secretPath),
  '/media/%2f' + secretPath.slice(1),
  '/media/C:%5cWindows%5cwin.ini',
  '/media/%c0%ae%c0%ae/secret.txt',
  '/media/%uff0e%uff0e/secret.txt',
  '/media/..;/secret.txt',
  '/media/link.txt',
  '/media/linkdir/secret.txt',
  '/media/%6c%69%6e%6b.txt',
]

for (const transport of transports) {
  describe(`${transport.label} never serves a byte from outside location`, () => {
    let server: Running
    beforeAll(async () => {
      server = await transport.start(new FileSystemStorage({ location, secret: 'hostile-test-secret' }))
    })
    afterAll(() => server.close())

    it(`refuses ${hostile.length} hostile paths with 400, 403 or 404 and never leaks`, async () => {
      expect(hostile.length).toBeGreaterThanOrEqual(15)
      // Control: the file inside is served; the secret exists where the paths point.
      expect((await raw(server.base, 'GET', '/media/inside.txt')).body.toString()).toBe('inside')
      for (const path of hostile) {
        for (const method of ['GET', 'HEAD', 'PUT']) {
          const body = method === 'PUT' ? Buffer.from('overwrite') : undefined
          const r = await raw(server.base, method, path, { Range: 'bytes=0-' }, body)
          expect([400, 403, 404], `${method} ${path}`).toContain(r.status)
          expect(r.body.toString()).not.toContain('SECRET-OUTSIDE')
          expect(r.body.toString()).not.toContain(root)
        }
      }
      expect(readFileSync(secretPath, 'utf8')).toBe(SECRET)
    })
  })
}

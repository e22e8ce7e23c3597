// multerStorage over real HTTP: Express + multer 2 on 127.0.0.1, uploads from fetch and from a
// raw socket that stops half-way, against FileSystemStorage and InMemoryStorage.
import { createHash, randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import express, { type ErrorRequestHandler } from 'express'
import multer from 'multer'
import { afterAll, describe, expect, it } from 'vitest'
import { multerStorage, type MulterStorageOptions } from '../../src/adapters/multer/index.js'
import { serveStorage } from '../../src/adapters/http/index.js'
import type { Storage } from '../../src/index.js'
import { allNames, listen, localBackends, s3Available, s3Backend, track, until, type Backend } from './helpers.js'

const KiB = 1024
const MiB = 1024 * KiB
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

interface Setup {
  base: string
  storage: Storage
  tracker: ReturnType<typeof track>
  errors: Array<Error & { code?: string }>
  close(): Promise<void>
}

/** An Express app with multer over `storage` at /upload (one file) and /many (several). */
async function setup(
  storage: Storage,
  opts: { limits?: multer.Options['limits']; engine?: MulterStorageOptions; preservePath?: boolean } = {},
): Promise<Setup> {
  const tracker = track(storage)
  const errors: Setup['errors'] = []
  const upload = multer({ storage: multerStorage(storage, opts.engine), limits: opts.limits, preservePath: opts.preservePath })
  const app = express()
  app.post('/upload', upload.single('file'), (req, res) => {
    res.json({ file: req.file, body: req.body })
  })
  app.post('/many', upload.array('files', 5), (req, res) => {
    res.json({ files: req.files })
  })
  app.use('/media', serveStorage(storage))
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    errors.push(err)
    if (res.headersSent || res.destroyed) return
    const status = err.code === 'LIMIT_FILE_SIZE' ? 413 : (err.status ?? 500)
    res.status(status).json({ code: err.code, message: err.message })
  }
  app.use(onError)
  const server = await listen(app.listen(0, '127.0.0.1'))
  return { base: server.base, storage, tracker, errors, close: server.close }
}

async function post(base: string, path: string, files: Array<{ field?: string; name: string; data: Buffer; type?: string }>) {
  const form = new FormData()
  for (const f of files) form.append(f.field ?? 'file', new Blob([new Uint8Array(f.data)], f.type ? { type: f.type } : {}), f.name)
  const res = await fetch(base + path, { method: 'POST', body: form })
  return { status: res.status, json: (await res.json()) as any }
}

/** Sends a multipart body declaring `declared` bytes of file but only writes `sent`, then hangs up. */
async function abortedUpload(
  base: string,
  parts: Array<{ name: string; data: Buffer }>,
  last: { name: string; declared: number; sent: number },
  storage: Storage,
  reached: () => boolean,
) {
  const boundary = '----nstest' + randomBytes(8).toString('hex')
  const head = (n: string) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${n}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    )
  const complete = Buffer.concat(parts.flatMap((p) => [head(p.name), p.data, Buffer.from('\r\n')]))
  const lastHead = head(last.name)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const length = complete.length + lastHead.length + last.declared + tail.length
  const req = httpRequest(base + '/many', {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(length) },
  })
  req.on('error', () => {})
  req.write(complete)
  req.write(lastHead)
  const chunk = randomBytes(64 * KiB)
  for (let sent = 0; sent < last.sent; sent += chunk.length) req.write(chunk)
  // Hang up only once the server is writing the last file into the storage.
  await until(reached, 10_000, 'the server to start storing the last file')
  req.destroy()
  void storage
}

// S3 too: its 12 MiB upload goes multipart, where multer-s3 reports a size of 0.
const backends: Backend[] = [...localBackends(), ...(s3Available() ? [s3Backend()] : [])]

for (const backend of backends) {
  describe(`multerStorage with ${backend.label}`, () => {
    afterAll(() => backend.cleanup())

    it('stores 1 KiB, 12 MiB and 0-byte files with their true size, content and URL', async () => {
      const s = await setup(backend.make())
      try {
        const cases = [
          { name: 'hello world.txt', data: randomBytes(KiB), type: 'text/plain', stored: 'hello_world.txt' },
          { name: 'big.bin', data: randomBytes(12 * MiB), type: 'application/x-test', stored: 'big.bin' },
          { name: 'empty.txt', data: Buffer.alloc(0), type: 'text/plain', stored: 'empty.txt' },
        ]
        for (const c of cases) {
          const { status, json } = await post(s.base, '/upload', [c])
          expect(status, JSON.stringify(json)).toBe(200)
          const file = json.file
          expect(file.name).toBe(c.stored)
          expect(file.filename).toBe(c.stored)
          expect(file.size).toBe(c.data.length)
          expect(file.contentType).toBe(c.type)
          expect(file.mimetype).toBe(c.type)
          expect(file.originalname).toBe(c.name)
          expect(file.fieldname).toBe('file')
          expect(file.url).toMatch(backend.urlPattern(s.storage, c.stored))
          const stored = await s.storage.read(file.name)
          expect(stored.length).toBe(c.data.length)
          expect(sha(stored)).toBe(sha(c.data))
          expect(await s.storage.size(file.name)).toBe(c.data.length)
          // The URL serves the same bytes (serveStorage locally, the bucket on S3).
          const got = await fetch(file.url.startsWith('http') ? file.url : s.base + file.url)
          expect(got.status).toBe(200)
          expect(sha(Buffer.from(await got.arrayBuffer()))).toBe(sha(c.data))
        }
        // Every file reached the storage as a stream, never as one buffer.
        expect(s.tracker.contents).toHaveLength(3)
        for (const content of s.tracker.contents) expect(typeof (content as { pipe?: unknown }).pipe).toBe('function')
        expect(await allNames(s.storage)).toEqual(['big.bin', 'empty.txt', 'hello_world.txt'])
      } finally {
        await s.close()
      }
    })

    it('keeps both files when a name is uploaded twice, and guesses the type when the client sends none', async () => {
      const s = await setup(backend.make())
      try {
        const a = await post(s.base, '/upload', [{ name: 'photo.png', data: Buffer.from('one') }])
        const b = await post(s.base, '/upload', [{ name: 'photo.png', data: Buffer.from('two') }])
        expect(a.json.file.name).toBe('photo.png')
        expect(b.json.file.name).toMatch(/^photo_[A-Za-z0-9]{7}\.png$/)
        expect(a.json.file.mimetype).toBe('application/octet-stream')
        expect(a.json.file.contentType).toBe('image/png')
        expect((await s.storage.read('photo.png')).toString()).toBe('one')
        expect((await s.storage.read(b.json.file.name)).toString()).toBe('two')
      } finally {
        await s.close()
      }
    })

    it('names files with options.filename (directories allowed) and never outside the storage', async () => {
      const s = await setup(backend.make(), {
        engine: {
          filename: async (req, file) =>
            file.originalname.startsWith('evil')
              ? '../' + file.originalname
              : `avatars/${(req as express.Request).query.user}/${file.originalname}`,
        },
      })
      try {
        const ok = await post(s.base, '/upload?user=42', [{ name: 'me.jpg', data: Buffer.from('jpeg') }])
        expect(ok.json.file.name).toBe('avatars/42/me.jpg')
        expect(ok.json.file.url).toMatch(backend.urlPattern(s.storage, 'avatars/42/me.jpg'))
        const evil = await post(s.base, '/upload', [{ name: 'evil.txt', data: Buffer.from('x') }])
        expect(evil.status).toBe(400)
        expect(evil.json.code).toBe('E_SUSPICIOUS')
        await s.tracker.settled()
        expect(await allNames(s.storage)).toEqual(['avatars/42/me.jpg'])
      } finally {
        await s.close()
      }
    })

    it.runIf(backend.label === 'FileSystemStorage')('answers a file name too long for the file system with 400', async () => {
      const s = await setup(backend.make())
      try {
        const { status } = await post(s.base, '/upload', [{ name: `${'a'.repeat(300)}.txt`, data: Buffer.from('x') }])
        expect(status).toBe(400)
        await s.tracker.settled()
        expect(await allNames(s.storage)).toEqual([])
      } finally {
        await s.close()
      }
    })

    it('drops any directory the client put in the file name', async () => {
      const s = await setup(backend.make(), { preservePath: true })
      try {
        const { status, json } = await post(s.base, '/upload', [{ name: '../../etc/pass wd', data: Buffer.from('x') }])
        expect(status).toBe(200)
        expect(json.file.originalname).toBe('../../etc/pass wd')
        expect(json.file.name).toBe('pass_wd')
        expect(await allNames(s.storage)).toEqual(['pass_wd'])
      } finally {
        await s.close()
      }
    })

    it('accepts a file of exactly limits.fileSize and stores nothing for one over it', async () => {
      const s = await setup(backend.make(), { limits: { fileSize: MiB } })
      try {
        const exact = await post(s.base, '/upload', [{ name: 'exact.bin', data: randomBytes(MiB) }])
        expect(exact.status).toBe(200)
        expect(exact.json.file.size).toBe(MiB)
        await s.storage.delete('exact.bin')

        const over = await post(s.base, '/upload', [{ name: 'over.bin', data: randomBytes(3 * MiB) }])
        expect(over.status).toBe(413)
        expect(over.json.code).toBe('LIMIT_FILE_SIZE')
        await s.tracker.settled()
        expect(await allNames(s.storage)).toEqual([])
        expect(backend.rawFiles(s.storage)).toEqual([])
      } finally {
        await s.close()
      }
    })

    it('removes the files already stored when a later file goes over the limit', async () => {
      const s = await setup(backend.make(), { limits: { fileSize: 256 * KiB } })
      try {
        const res = await post(s.base, '/many', [
          { field: 'files', name: 'first.bin', data: randomBytes(100 * KiB) },
          { field: 'files', name: 'second.bin', data: randomBytes(MiB) },
        ])
        expect(res.status).toBe(413)
        await s.tracker.settled()
        expect(s.tracker.saves).toContain('first.bin') // it was stored, then removed
        expect(await allNames(s.storage)).toEqual([])
        expect(backend.rawFiles(s.storage)).toEqual([])
      } finally {
        await s.close()
      }
    })

    it('leaves no file behind when the client disconnects half-way', async () => {
      const s = await setup(backend.make())
      try {
        await abortedUpload(
          s.base,
          [],
          { name: 'half.bin', declared: 8 * MiB, sent: 2 * MiB },
          s.storage,
          () => s.tracker.pending > 0 && (backend.label !== 'FileSystemStorage' || backend.rawFiles(s.storage).length > 0),
        )
        await s.tracker.settled(() => s.errors.length > 0)
        expect(s.errors[0]?.message).toMatch(/aborted|closed|Unexpected end/i)
        expect(await allNames(s.storage)).toEqual([])
        expect(backend.rawFiles(s.storage)).toEqual([])
      } finally {
        await s.close()
      }
    })

    it('removes a finished file of the same request when the client disconnects during the next one', async () => {
      const s = await setup(backend.make())
      try {
        await abortedUpload(
          s.base,
          [{ name: 'done.txt', data: Buffer.from('complete') }],
          { name: 'half.bin', declared: 8 * MiB, sent: 2 * MiB },
          s.storage,
          () => s.tracker.saves.includes('done.txt') && s.tracker.pending > 0,
        )
        await s.tracker.settled(() => s.errors.length > 0)
        expect(s.tracker.saves).toContain('done.txt')
        expect(await allNames(s.storage)).toEqual([])
        expect(backend.rawFiles(s.storage)).toEqual([])
      } finally {
        await s.close()
      }
    })
  })
}

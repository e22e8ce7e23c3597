// saveUploads (node-storages/fetch): multipart bodies streamed from a web Request into the storage,
// on FileSystemStorage and InMemoryStorage. Sizes from 0 bytes to 12 MiB; every refusal — a limit,
// a body that is not multipart or is malformed, a client that goes away — leaves nothing stored
// and throws a StorageError with the documented status.
import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { createAdaptorServer } from '@hono/node-server'
import { afterAll, describe, expect, it } from 'vitest'
import { errorResponse, saveUploads } from '../../src/adapters/fetch/index.js'
import type { Storage } from '../../src/index.js'
import { allNames, listen, localBackends, track, until } from '../adapters/helpers.js'
import { multipartBody, uploadRequest, type GenPart } from './multipart.js'

const KiB = 1024
const MiB = 1024 * KiB

/** The error `work` rejects with (fails when it resolves). */
async function rejection(work: Promise<unknown>): Promise<Error & { status?: number; code?: string }> {
  try {
    await work
  } catch (error) {
    return error as Error & { status?: number; code?: string }
  }
  throw new Error('expected a rejection')
}

for (const backend of localBackends()) {
  describe(`saveUploads with ${backend.label}`, () => {
    afterAll(() => backend.cleanup())

    /** Nothing in the storage, and (filesystem) no temporary file either. */
    async function expectEmpty(storage: Storage) {
      expect(await allNames(storage)).toEqual([])
      expect(backend.rawFiles(storage)).toEqual([])
    }

    it('stores 0-byte, 1 KiB and 12 MiB files with their true size, content, URL and type, and the fields', async () => {
      const storage = backend.make()
      const body = multipartBody([
        { field: 'title', value: 'holiday' },
        { field: 'files', filename: 'empty.bin', size: 0 },
        { field: 'files', filename: 'small file.txt', type: 'text/plain', size: KiB },
        { field: 'files', filename: 'big.bin', size: 12 * MiB },
        { field: 'note', value: 'ünïcödé' },
      ])
      const { files, fields } = await saveUploads(uploadRequest(body), storage)
      expect(fields).toEqual({ title: 'holiday', note: 'ünïcödé' })
      expect(files.map((f) => [f.fieldname, f.originalname, f.name, f.filename, f.size, f.contentType])).toEqual([
        ['files', 'empty.bin', 'empty.bin', 'empty.bin', 0, 'application/octet-stream'],
        ['files', 'small file.txt', 'small_file.txt', 'small_file.txt', KiB, 'text/plain'],
        ['files', 'big.bin', 'big.bin', 'big.bin', 12 * MiB, 'application/octet-stream'],
      ])
      for (const [i, file] of files.entries()) {
        expect(file.url).toMatch(backend.urlPattern(storage, file.name))
        const hash = createHash('sha256')
        for await (const chunk of await storage.open(file.name)) hash.update(chunk as Buffer)
        expect(hash.digest('hex'), file.name).toBe(body.digests[i])
      }
      expect(await allNames(storage)).toEqual(['big.bin', 'empty.bin', 'small_file.txt'])
    })

    it('streams each file into storage.save(), never as a buffer', async () => {
      const storage = backend.make()
      const tracker = track(storage)
      await saveUploads(uploadRequest(multipartBody([{ field: 'f', filename: 'a.bin', size: 300 * KiB }])), storage)
      expect(tracker.contents).toHaveLength(1)
      expect(Buffer.isBuffer(tracker.contents[0])).toBe(false)
      expect(typeof (tracker.contents[0] as { pipe?: unknown }).pipe).toBe('function')
    })

    it('keeps both files when a name comes twice, names files with options.filename, and skips empty file inputs', async () => {
      const storage = backend.make()
      const { files } = await saveUploads(
        uploadRequest(
          multipartBody([
            { field: 'a', filename: 'same.txt', data: Buffer.from('one') },
            { field: 'a', filename: 'same.txt', data: Buffer.from('two') },
            { field: 'empty', filename: '', size: 0 },
          ]),
        ),
        storage,
        { filename: (part) => `by-field/${part.fieldname}/${part.filename}` },
      )
      expect(files).toHaveLength(2)
      expect(files[0]!.name).toBe('by-field/a/same.txt')
      expect(files[1]!.name).toMatch(/^by-field\/a\/same_[A-Za-z0-9]{7}\.txt$/)
      expect((await storage.read(files[1]!.name)).toString()).toBe('two')
    })

    const refusals: Array<[string, () => { parts?: GenPart[]; request?: Request }, Record<string, unknown>, number, RegExp]> = [
      [
        'a file over maxFileSize',
        () => ({
          parts: [
            { field: 'f', filename: 'ok.bin', size: 100 },
            { field: 'f', filename: 'big.bin', size: 2 * MiB },
          ],
        }),
        { maxFileSize: MiB },
        413,
        /at most 1048576 bytes/,
      ],
      [
        'too many files',
        () => ({ parts: [1, 2, 3].map((i) => ({ field: 'f', filename: `${i}.bin`, size: 10 * KiB })) }),
        { maxFiles: 2 },
        413,
        /Too many files/,
      ],
      [
        'too many fields',
        () => ({ parts: [{ field: 'f', filename: 'a.bin', size: 10 }, ...[1, 2, 3].map((i) => ({ field: `x${i}`, value: 'v' }))] }),
        { maxFields: 2 },
        413,
        /Too many fields/,
      ],
      [
        'a field value over maxFieldSize',
        () => ({
          parts: [
            { field: 'f', filename: 'a.bin', size: 10 },
            { field: 'long', value: 'x'.repeat(2000) },
          ],
        }),
        { maxFieldSize: 1000 },
        413,
        /too long/,
      ],
      [
        'a body that is not multipart',
        () => ({
          request: new Request('http://x/', {
            method: 'POST',
            body: JSON.stringify({ a: 1 }),
            headers: { 'content-type': 'application/json' },
          }),
        }),
        {},
        415,
        /multipart\/form-data/,
      ],
      [
        'a multipart body without a boundary',
        () => ({ request: new Request('http://x/', { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data' } }) }),
        {},
        400,
        /Malformed/,
      ],
      [
        'a malformed multipart body',
        () => {
          const body = multipartBody([{ field: 'f', filename: 'a.bin', size: 200 * KiB }])
          // Same bytes, but announced with another boundary: no part is ever found.
          return { request: uploadRequest({ ...body, contentType: 'multipart/form-data; boundary=nothing-like-it' }) }
        },
        {},
        400,
        /Malformed/,
      ],
      [
        'a name the storage refuses (options.filename)',
        () => ({
          parts: [
            { field: 'f', filename: 'fine.txt', size: 10 },
            { field: 'f', filename: 'evil.txt', size: 10 },
          ],
        }),
        { filename: (p: { filename: string }) => (p.filename.startsWith('evil') ? `../${p.filename}` : p.filename) },
        400,
        /denied|not allowed|\.\./,
      ],
    ]

    for (const [what, make, options, status, message] of refusals) {
      it(`answers ${what} with ${status} and stores nothing`, async () => {
        const storage = backend.make()
        const tracker = track(storage)
        const { parts, request } = make()
        const error = await rejection(saveUploads(request ?? uploadRequest(multipartBody(parts!)), storage, options))
        expect(error.status, error.message).toBe(status)
        expect(error.message).toMatch(message)
        const response = errorResponse(error)
        expect(response.status).toBe(status)
        expect(await response.text()).toMatch(message)
        await tracker.settled()
        await expectEmpty(storage)
      })
    }

    it.runIf(backend.label === 'FileSystemStorage')(
      'answers a file name too long for the file system with 400, storing nothing',
      async () => {
        const storage = backend.make()
        const parts: GenPart[] = [
          { field: 'f', filename: 'fine.txt', size: 10 },
          { field: 'f', filename: `${'a'.repeat(300)}.txt`, size: 10 },
        ]
        const error = await rejection(saveUploads(uploadRequest(multipartBody(parts)), storage))
        expect(error.status).toBe(400)
        expect(error.message).toMatch(/too long/)
        await expectEmpty(storage)
      },
    )

    it('stores nothing when the client goes away mid-file (body fails, request signal aborts), and answers 400', async () => {
      const storage = backend.make()
      const tracker = track(storage)
      const failing = multipartBody(
        [
          { field: 'f', filename: 'done.bin', size: 300 * KiB },
          { field: 'f', filename: 'cut.bin', size: 4 * MiB },
        ],
        { failAfter: 2 * MiB },
      )
      const error = await rejection(saveUploads(uploadRequest(failing), storage))
      expect(error.status).toBe(400)
      await tracker.settled()
      await expectEmpty(storage)

      const controller = new AbortController()
      const slow = multipartBody(
        [
          { field: 'f', filename: 'first.bin', size: 100 * KiB },
          { field: 'f', filename: 'second.bin', size: 8 * MiB },
        ],
        { pace: 2 },
      )
      const pending = rejection(saveUploads(uploadRequest(slow, controller.signal), storage))
      await until(() => tracker.saves.length === 1 && tracker.pending > 0, 10_000, 'the second file to be on its way')
      controller.abort()
      const aborted = await pending
      expect(aborted.status).toBe(400)
      await tracker.settled()
      await expectEmpty(storage)
    })

    it('stores nothing when a real client hangs up mid-upload (Hono on @hono/node-server)', async () => {
      const storage = backend.make()
      const tracker = track(storage)
      const outcomes: number[] = []
      const server = await listen(
        createAdaptorServer({
          fetch: async (request: Request) => {
            try {
              return Response.json(await saveUploads(request, storage))
            } catch (error) {
              const response = errorResponse(error)
              outcomes.push(response.status)
              return response
            }
          },
        }) as Parameters<typeof listen>[0],
      )
      try {
        const body = multipartBody([
          { field: 'f', filename: 'whole.bin', size: 200 * KiB },
          { field: 'f', filename: 'half.bin', size: 8 * MiB },
        ])
        const req = httpRequest(server.base + '/upload', {
          method: 'POST',
          headers: { 'content-type': body.contentType, 'content-length': String(body.length) },
        })
        req.on('error', () => {})
        const reader = body.stream.getReader()
        let sent = 0
        while (sent < 2 * MiB) {
          const { value } = await reader.read()
          sent += value!.length
          if (!req.write(value)) await new Promise((resolve) => req.once('drain', resolve))
        }
        await until(() => tracker.saves.length === 1 && tracker.pending > 0, 10_000, 'the second file to be on its way')
        req.destroy()
        await until(() => outcomes.length === 1, 10_000, 'saveUploads to give up')
        expect(outcomes).toEqual([400])
        await tracker.settled()
        await expectEmpty(storage)
      } finally {
        await server.close()
      }
    })
  })
}

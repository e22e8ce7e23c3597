// node-storages example on Fastify: the Express example's features — a form upload streamed into
// the storage, the file list with signed links, private files, direct uploads to signed URLs —
// with the node-storages/fastify plugin. The same code runs on the local filesystem (default) and
// on S3 (USE_S3_STORAGE=true plus the AWS_* variables).
//
//   npm run build && node examples/fastify-app/server.mjs   # http://127.0.0.1:3000/
//
// It imports the BUILT package by its own name, exactly as an app that installed it would.
import Fastify from 'fastify'
import { httpErrorOf, isStorageError } from 'node-storages'
import { fastifyStorage } from 'node-storages/fastify'
import { baseName, listening, listFiles, setup, signUpload, staticFile, uploadDir } from '../shared/app.mjs'
import { renderError, renderPage } from '../shared/page.mjs'

const config = setup()
const { backend, storage, maxUploadSize, linkLifetime } = config
const app = Fastify({ logger: { level: 'warn' } })
const wantsJson = (request) => /\bapplication\/json\b/.test(request.headers.accept ?? '')

// Serves the local backends' files under /media/ (signed-URL checks, signed PUT uploads) and adds
// request.saveUploads(). On S3 the bucket serves the files: the routes are left out.
await app.register(fastifyStorage, { storage, routes: backend !== 's3' })

app.get('/static/:name', async (request, reply) => {
  const file = await staticFile(request.params.name)
  if (!file) return reply.callNotFound()
  return reply.type(file.type).send(file.body)
})

app.get('/', async (request, reply) => {
  const files = await listFiles(config)
  const page = renderPage({ backend, storage: String(storage), files, uploaded: request.query.uploaded, maxUploadSize, linkLifetime })
  return reply.type('text/html; charset=utf-8').send(page)
})

// 1. A classic form upload: request.saveUploads() streams the file into the storage.
app.post('/upload', async (request, reply) => {
  const { files } = await request.saveUploads({
    maxFileSize: maxUploadSize,
    maxFiles: 1,
    filename: (part) => `${uploadDir}/${baseName(part.filename)}`,
  })
  if (files.length === 0) return reply.code(400).type('text/html; charset=utf-8').send(renderError(400, 'Choose a file to upload.'))
  if (wantsJson(request)) return files[0]
  return reply.redirect(`/?uploaded=${encodeURIComponent(files[0].name)}`, 303)
})

// 2. A direct upload to a signed URL (see ../shared/app.mjs).
app.post('/uploads/sign', async (request, reply) => {
  const [status, json] = await signUpload(config, request.body)
  return reply.code(status).send(json)
})

// Storage errors carry their HTTP status (400 bad name, 413 too large, 415 not multipart, ...);
// httpErrorOf shows their message only when it is safe. Fastify's own client errors keep theirs.
app.setErrorHandler((error, request, reply) => {
  const fastifyClientError = !isStorageError(error) && error.statusCode >= 400 && error.statusCode < 500
  const { status, message } = fastifyClientError ? { status: error.statusCode, message: error.message } : httpErrorOf(error)
  if (status >= 500) request.log.error(error)
  if (request.url === '/uploads/sign' || wantsJson(request)) return reply.code(status).send({ error: message })
  return reply.code(status).type('text/html; charset=utf-8').send(renderError(status, message))
})

await app.listen({ port: config.port, host: config.host })
listening('Fastify', config, app.server.address().port)
const stop = () => app.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

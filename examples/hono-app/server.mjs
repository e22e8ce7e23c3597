// node-storages example on Hono (the Fetch API, served by @hono/node-server): the Express
// example's features — a form upload streamed into the storage, the file list with signed links,
// private files, direct uploads to signed URLs — with node-storages/fetch. The same code runs on
// the local filesystem (default) and on S3 (USE_S3_STORAGE=true plus the AWS_* variables).
//
//   npm run build && node examples/hono-app/server.mjs     # http://127.0.0.1:3000/
//
// It imports the BUILT package by its own name, exactly as an app that installed it would.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { httpErrorOf } from 'node-storages'
import { saveUploads, storageHandler } from 'node-storages/fetch'
import { baseName, listening, listFiles, setup, signUpload, staticFile, uploadDir } from '../shared/app.mjs'
import { renderError, renderPage } from '../shared/page.mjs'

const config = setup()
const { backend, storage, maxUploadSize, linkLifetime } = config
const app = new Hono()
const wantsJson = (c) => /\bapplication\/json\b/.test(c.req.header('accept') ?? '')

app.get('/static/:name', async (c) => {
  const file = await staticFile(c.req.param('name'))
  return file ? c.body(file.body, 200, { 'Content-Type': file.type }) : c.notFound()
})

// Files of the local backends are served by the app itself, with signed-URL checks and the signed
// PUT uploads of storage.signedUploadUrl(). On S3 the bucket serves them.
if (backend !== 's3') {
  const media = storageHandler(storage) // files under /media/
  app.on(['GET', 'HEAD', 'PUT'], '/media/*', (c) => media(c.req.raw))
}

app.get('/', async (c) => {
  const files = await listFiles(config)
  return c.html(renderPage({ backend, storage: String(storage), files, uploaded: c.req.query('uploaded'), maxUploadSize, linkLifetime }))
})

// 1. A classic form upload: saveUploads streams the file from the request into the storage.
app.post('/upload', async (c) => {
  const { files } = await saveUploads(c.req.raw, storage, {
    maxFileSize: maxUploadSize,
    maxFiles: 1,
    filename: (part) => `${uploadDir}/${baseName(part.filename)}`,
  })
  if (files.length === 0) return c.html(renderError(400, 'Choose a file to upload.'), 400)
  if (wantsJson(c)) return c.json(files[0])
  return c.redirect(`/?uploaded=${encodeURIComponent(files[0].name)}`, 303)
})

// 2. A direct upload to a signed URL (see ../shared/app.mjs).
app.post('/uploads/sign', async (c) => {
  const [status, json] = await signUpload(config, await c.req.json().catch(() => undefined))
  return c.json(json, status)
})

// Storage errors carry their HTTP status (400 bad name, 413 too large, 415 not multipart, ...).
app.onError((error, c) => {
  const { status, message } = httpErrorOf(error)
  if (status >= 500) console.error(error)
  if (c.req.path === '/uploads/sign' || wantsJson(c)) return c.json({ error: message }, status)
  return c.html(renderError(status, message), status)
})

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => listening('Hono', config, info.port))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

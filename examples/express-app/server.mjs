// node-storages example: an Express app with uploads through multer, a file list with signed
// links, and direct browser uploads to signed URLs. The same code runs on the local filesystem
// (default) and on S3 (USE_S3_STORAGE=true plus the AWS_* variables); see README.md beside this.
//
//   npm run example                    # builds the package, then http://127.0.0.1:3000/
//   PORT=8080 MEDIA_ROOT=/tmp/media npm run example
//
// It imports the BUILT package by its own name, exactly as an app that installed it would.
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import express from 'express'
import multer from 'multer'
import { backendFromEnv, createStorage } from 'node-storages'
import { multerStorage } from 'node-storages/multer'
import { serveStorage } from 'node-storages/http'
import { renderPage, renderError } from './page.mjs'

const env = process.env
const backend = backendFromEnv(env)
const maxUploadSize = Number(env.MAX_UPLOAD_SIZE ?? 10 * 1024 * 1024)
const linkLifetime = 600 // seconds a signed download link stays valid

// Local backends sign their URLs with an HMAC secret, so files are private: only links this app
// hands out open them, and only for a while. Without MEDIA_SECRET a fresh secret is made at
// start-up (links then stop working when the app restarts).
let generatedSecret = false
function localSecret() {
  if (env.MEDIA_SECRET) return env.MEDIA_SECRET
  generatedSecret = true
  return randomBytes(32).toString('hex')
}
const storage =
  backend === 's3'
    ? createStorage(undefined, env) // bucket, region, credentials... from the AWS_* variables
    : createStorage({ backend, querystringAuth: true, secret: localSecret() }, env)

const app = express()
app.disable('x-powered-by')
app.use('/static', express.static(fileURLToPath(new URL('./public/', import.meta.url))))

// Files of the local backends are served by the app itself, with signed-URL checks and the
// signed PUT uploads of storage.signedUploadUrl(). On S3 the bucket serves them.
if (backend !== 's3') app.use('/media', serveStorage(storage))

const uploadDir = 'uploads'
const baseName = (name) => String(name).split(/[\\/]/).pop() ?? ''

app.get('/', async (req, res, next) => {
  try {
    const files = []
    for await (const entry of storage.list(uploadDir, { recursive: true })) {
      files.push({ ...entry, url: await storage.url(entry.name, { expire: linkLifetime }) })
    }
    files.sort((a, b) => b.lastModified - a.lastModified)
    res
      .type('html')
      .send(renderPage({ backend, storage: String(storage), files, uploaded: req.query.uploaded, maxUploadSize, linkLifetime }))
  } catch (error) {
    next(error)
  }
})

// 1. A classic form upload: multer streams the file into the storage (never into memory).
const upload = multer({
  storage: multerStorage(storage, { filename: (_req, file) => `${uploadDir}/${baseName(file.originalname)}` }),
  limits: { fileSize: maxUploadSize, files: 1 },
})
app.post('/upload', upload.single('file'), (req, res) => {
  if (!req.file) return res.status(400).type('html').send(renderError(400, 'Choose a file to upload.'))
  if (req.accepts(['html', 'json']) === 'json') return res.json(req.file)
  res.redirect(303, `/?uploaded=${encodeURIComponent(req.file.name)}`)
})

// 2. A direct upload: the browser asks for a signed URL, then sends the file straight to it (the
//    bucket on S3, serveStorage locally). No credentials leave the server; the size limit and the
//    content type are part of the signature.
app.post('/uploads/sign', express.json({ limit: '4kb' }), async (req, res, next) => {
  try {
    const { name, type, size } = req.body ?? {}
    if (typeof name !== 'string' || baseName(name) === '') return res.status(400).json({ error: 'name is required' })
    if (typeof size === 'number' && size > maxUploadSize) return res.status(413).json({ error: `at most ${maxUploadSize} bytes` })
    const contentType = typeof type === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream'
    const wanted = storage.generateFilename(`${uploadDir}/${baseName(name)}`)
    // On S3 a presigned POST: its policy makes the bucket itself refuse files over maxSize (a
    // presigned PUT cannot limit the size). Locally a signed PUT, checked by serveStorage.
    const method = backend === 's3' ? 'POST' : 'PUT'
    const signed = await storage.signedUploadUrl(wanted, { contentType, maxSize: maxUploadSize, expire: 300, method })
    res.json(signed)
  } catch (error) {
    next(error)
  }
})

app.use((error, req, res, _next) => {
  const status = error.code === 'LIMIT_FILE_SIZE' ? 413 : error.code === 'E_SUSPICIOUS' ? 400 : (error.status ?? 500)
  const message = status === 500 ? 'Something went wrong; see the server log.' : error.message
  if (status === 500) console.error(error)
  if (req.path === '/uploads/sign' || req.accepts(['html', 'json']) === 'json') return res.status(status).json({ error: message })
  res.status(status).type('html').send(renderError(status, message))
})

const host = env.HOST ?? '127.0.0.1'
const server = app.listen(Number(env.PORT ?? 3000), host, () => {
  const { port } = server.address()
  console.log(`node-storages example (${backend}: ${storage}) listening on http://${host}:${port}/`)
  if (generatedSecret) console.log('MEDIA_SECRET is not set: signed links made now stop working when the app restarts.')
})
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

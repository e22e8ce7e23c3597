// node-storages example: an Express app with uploads through multer, a file list with signed
// links, and direct browser uploads to signed URLs. The same code runs on the local filesystem
// (default) and on S3 (USE_S3_STORAGE=true plus the AWS_* variables); see README.md beside this.
//
//   npm run example                    # builds the package, then http://127.0.0.1:3000/
//   PORT=8080 MEDIA_ROOT=/tmp/media npm run example
//
// It imports the BUILT package by its own name, exactly as an app that installed it would.
import { fileURLToPath } from 'node:url'
import express from 'express'
import multer from 'multer'
import { httpErrorOf } from 'node-storages'
import { multerStorage } from 'node-storages/multer'
import { serveStorage } from 'node-storages/http'
import { baseName, listening, listFiles, setup, signUpload, uploadDir } from '../shared/app.mjs'
import { renderError, renderPage } from '../shared/page.mjs'

const config = setup()
const { backend, storage, maxUploadSize, linkLifetime } = config

const app = express()
app.disable('x-powered-by')
app.use('/static', express.static(fileURLToPath(new URL('../shared/public/', import.meta.url))))

// Files of the local backends are served by the app itself, with signed-URL checks and the
// signed PUT uploads of storage.signedUploadUrl(). On S3 the bucket serves them.
if (backend !== 's3') app.use('/media', serveStorage(storage))

app.get('/', async (req, res, next) => {
  try {
    const files = await listFiles(config)
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

// 2. A direct upload to a signed URL (see ../shared/app.mjs).
app.post('/uploads/sign', express.json({ limit: '4kb' }), async (req, res, next) => {
  try {
    const [status, json] = await signUpload(config, req.body)
    res.status(status).json(json)
  } catch (error) {
    next(error)
  }
})

// Storage errors carry their HTTP status (400 for a refused name, ...); multer's own limit error does not.
app.use((error, req, res, _next) => {
  const { status, message } = error.code === 'LIMIT_FILE_SIZE' ? { status: 413, message: error.message } : httpErrorOf(error)
  if (status >= 500) console.error(error)
  if (req.path === '/uploads/sign' || req.accepts(['html', 'json']) === 'json') return res.status(status).json({ error: message })
  res.status(status).type('html').send(renderError(status, message))
})

const server = app.listen(config.port, config.host, () => listening('Express', config, server.address().port))
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

// What the three example apps (Express, Hono, Fastify) share: the storage from the environment,
// the file list with signed links, and the signing of direct uploads. Each server.mjs only wires
// these into its framework.
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { backendFromEnv, createStorage } from 'node-storages'

/** Uploads go under this directory of the storage. */
export const uploadDir = 'uploads'

/** The last segment of a client's file name. */
export const baseName = (name) => String(name).split(/[\\/]/).pop() ?? ''

/**
 * The storage and settings from the environment: the filesystem at MEDIA_ROOT by default, S3 with
 * USE_S3_STORAGE=true and the AWS_* variables (see docs/configuration.md).
 */
export function setup(env = process.env) {
  const backend = backendFromEnv(env)
  // Local backends sign their URLs with an HMAC secret, so files are private: only links this app
  // hands out open them, and only for a while. Without MEDIA_SECRET a fresh secret is made at
  // start-up (links then stop working when the app restarts).
  const generatedSecret = backend !== 's3' && !env.MEDIA_SECRET
  const secret = env.MEDIA_SECRET || randomBytes(32).toString('hex')
  const storage =
    backend === 's3'
      ? createStorage(undefined, env) // bucket, region, credentials... from the AWS_* variables
      : createStorage({ backend, querystringAuth: true, secret }, env)
  return {
    backend,
    storage,
    generatedSecret,
    maxUploadSize: Number(env.MAX_UPLOAD_SIZE ?? 10 * 1024 * 1024),
    linkLifetime: 600, // seconds a signed download link stays valid
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 3000),
  }
}

/** The stored uploads, newest first, each with a signed link. */
export async function listFiles({ storage, linkLifetime }) {
  const files = []
  for await (const entry of storage.list(uploadDir, { recursive: true })) {
    files.push({ ...entry, url: await storage.url(entry.name, { expire: linkLifetime }) })
  }
  return files.sort((a, b) => b.lastModified - a.lastModified)
}

/**
 * A direct upload: the browser asks for a signed URL, then sends the file straight to it (the
 * bucket on S3, the app's /media/ handler locally). No credentials leave the server; the size
 * limit and the content type are part of the signature. Returns `[status, json]`.
 */
export async function signUpload({ storage, backend, maxUploadSize }, body) {
  const { name, type, size } = body ?? {}
  if (typeof name !== 'string' || baseName(name) === '') return [400, { error: 'name is required' }]
  if (typeof size === 'number' && size > maxUploadSize) return [413, { error: `at most ${maxUploadSize} bytes` }]
  const contentType = typeof type === 'string' && /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : 'application/octet-stream'
  const wanted = storage.generateFilename(`${uploadDir}/${baseName(name)}`)
  // On S3 a presigned POST: its policy makes the bucket itself refuse files over maxSize (a
  // presigned PUT cannot limit the size). Locally a signed PUT, checked by the app's handler.
  const method = backend === 's3' ? 'POST' : 'PUT'
  return [200, await storage.signedUploadUrl(wanted, { contentType, maxSize: maxUploadSize, expire: 300, method })]
}

const STATIC = { 'style.css': 'text/css; charset=utf-8', 'direct-upload.js': 'text/javascript; charset=utf-8' }

/** The example's two static files (`/static/<name>`), or undefined. */
export async function staticFile(name) {
  const type = STATIC[name]
  if (!type) return undefined
  return { type, body: await readFile(new URL(`./public/${name}`, import.meta.url)) }
}

/** The line the apps print once listening (the end-to-end test waits for it). */
export function listening(framework, { backend, storage, host, generatedSecret }, port) {
  console.log(`node-storages example on ${framework} (${backend}: ${storage}) listening on http://${host}:${port}/`)
  if (generatedSecret) console.log('MEDIA_SECRET is not set: signed links made now stop working when the app restarts.')
}

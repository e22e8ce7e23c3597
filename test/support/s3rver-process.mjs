// Runs s3rver in its own process for the tests. Start it as a CHILD process with
//
//   node --openssl-legacy-provider test/support/s3rver-process.mjs \
//     [--dir DIR] [--bucket NAME]... [--cors] [--remove-dir]
//
// (s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in
// the legacy provider; the flag belongs on this process only, never on the test process.)
//
// It listens on 127.0.0.1, on a port the system picks, and prints ONE JSON line
// `{"port":N}` on stdout once it is listening; failures go to stderr with exit code 1.
// It exits on SIGTERM/SIGINT, and also when its stdin closes, so that a test process that
// dies (even by SIGKILL) never leaves it running: the parent must keep stdin a pipe.
// `--remove-dir` (or no `--dir`, in which case a fresh temp directory is made) removes the
// data directory on exit.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const require = createRequire(import.meta.url)

/** CORS rules for direct browser uploads: GET/PUT/POST/HEAD from any origin, any header. */
const CORS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
  </CORSRule>
</CORSConfiguration>`

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    bucket: { type: 'string', multiple: true, default: [] },
    cors: { type: 'boolean', default: false },
    'remove-dir': { type: 'boolean', default: false },
  },
})

const directory = values.dir ?? mkdtempSync(join(tmpdir(), 'node-storages-s3rver-'))
const removeDir = values['remove-dir'] || values.dir === undefined

let server
let exiting = false

/** Closes the server (bounded in time), removes the data directory if asked, and exits. */
function shutdown(code) {
  if (exiting) return
  exiting = true
  const finish = () => {
    if (removeDir) {
      try {
        rmSync(directory, { recursive: true, force: true })
      } catch {
        // best effort: the parent removes it too
      }
    }
    process.exit(code)
  }
  // Keep-alive sockets can hold close() open; don't wait for them for long.
  setTimeout(finish, 500).unref()
  if (server?.httpServer) {
    server.httpServer.closeAllConnections?.()
    server.close().then(finish, finish)
  } else {
    finish()
  }
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
// The parent holds our stdin open for as long as it lives; EOF means it is gone.
process.stdin.on('end', () => shutdown(0))
process.stdin.on('close', () => shutdown(0))
process.stdin.on('error', () => shutdown(0))
process.stdin.resume()

try {
  const S3rver = require('s3rver')
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: values.bucket.map((name) => ({
      name,
      configs: values.cors ? [CORS_XML] : [],
    })),
  })
  const address = await server.run()
  if (!exiting) process.stdout.write(JSON.stringify({ port: address.port }) + '\n')
} catch (err) {
  process.stderr.write(`s3rver failed to start: ${err?.stack ?? err}\n`)
  shutdown(1)
}

// A client that half-closes right after its GET (the answer may no longer be wanted): the file
// opened for the answer is closed at once, never left for the garbage collector (EMFILE risk).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { serveStorage } from '../../src/adapters/http/index.js'
import { FileSystemStorage } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-half-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const openFds = () => readdirSync('/proc/self/fd').length

describe.skipIf(process.platform !== 'linux')('serveStorage and clients that half-close', () => {
  it('closes every file it opened for GETs whose client ended the request at once', async () => {
    const storage = new FileSystemStorage({ location: dir })
    await storage.save('f.txt', '0123456789')
    const server = createServer(serveStorage(storage, { prefix: '/media/' }))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      const before = openFds()
      for (let i = 0; i < 40; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1')
          socket.on('close', () => resolve())
          socket.on('error', () => {})
          socket.end('GET /media/f.txt HTTP/1.1\r\nHost: x\r\n\r\n')
        })
      }
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(openFds()).toBeLessThanOrEqual(before + 2)
      expect(warnings.filter((w) => /file descriptor/i.test(w))).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})

// No secret in the errors of the direct GET and PUT (util.inspect with depth Infinity and showHidden).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { S3Storage } from '../../src/backends/s3/index.js'

const SECRET = 'SECRETsecretSECRETsecret0123456789'
const TOKEN = 'TOKENtokenTOKENtoken0123456789abcdef'
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
let handler: Handler
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => handler(req, res))
})
let endpoint = ''
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})
const storage = () =>
  new S3Storage({
    bucketName: 'b',
    endpointUrl: endpoint,
    accessKey: 'AK',
    secretKey: SECRET,
    securityToken: TOKEN,
    regionName: 'us-east-1',
    fileOverwrite: true,
    clientConfig: { maxAttempts: 1 },
  })
const leaks = (e: unknown) => {
  const text = inspect(e, { depth: Infinity, showHidden: true })
  return [SECRET, TOKEN, encodeURIComponent(TOKEN)].filter((s) => text.includes(s))
}

it('a GET body cut short: the error holds no secret', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('x'.repeat(10))
    setTimeout(() => res.socket?.destroy(), 20)
  }
  const s = storage()
  const error = await s.read('a.txt').catch((e: unknown) => e)
  expect(error).toBeInstanceOf(Error)
  expect(leaks(error)).toEqual([])
  s.destroy()
})

it('a 403 echoing the request (direct then SDK): the error holds no secret', async () => {
  handler = (req, res) => {
    const echo = `<Error><Code>SignatureDoesNotMatch</Code><Message>x</Message><CanonicalRequest>${req.url}\n${JSON.stringify(req.headers)}</CanonicalRequest><StringToSign>${req.url}</StringToSign><Url>${req.url}</Url></Error>`
    res.writeHead(403, { 'content-type': 'application/xml' }).end(echo)
  }
  const s = storage()
  const put = await s.save('a.txt', Buffer.from('hello')).catch((e: unknown) => e)
  const get = await s.read('a.txt').catch((e: unknown) => e)
  expect(put).toBeInstanceOf(Error)
  expect(get).toBeInstanceOf(Error)
  expect(leaks(put)).toEqual([])
  expect(leaks(get)).toEqual([])
  s.destroy()
})

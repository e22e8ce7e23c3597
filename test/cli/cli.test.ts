import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import { InMemoryStorage } from '../../src/index.js'
import { policyFor } from '../../src/cli/policy.js'

const dir = mkdtempSync(join(tmpdir(), 'ns-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const env = { MEDIA_ROOT: join(dir, 'media'), MEDIA_URL: '/files/' }

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const out = new PassThrough()
  let text = ''
  out.on('data', (c) => (text += c))
  const code = await main(args, env, out)
  return { code, out: text }
}

describe('the node-storages command', () => {
  it('put stores a file and prints the name; a second put of the same name keeps both', async () => {
    writeFileSync(join(dir, 'local.txt'), 'local bytes')
    expect(await cli('put', join(dir, 'local.txt'), 'docs/remote.txt')).toEqual({ code: 0, out: 'docs/remote.txt\n' })
    const second = await cli('put', join(dir, 'local.txt'), 'docs/remote.txt')
    expect(second.out).toMatch(/^docs\/remote_[A-Za-z0-9]{7}\.txt\n$/)
  })

  it('ls lists what is stored, url prints the URL, get writes the bytes, rm deletes', async () => {
    expect((await cli('ls')).out).toContain('docs/remote.txt')
    expect(await cli('url', 'docs/remote.txt')).toEqual({ code: 0, out: '/files/docs/remote.txt\n' })
    await cli('get', 'docs/remote.txt', join(dir, 'back.txt'))
    expect(readFileSync(join(dir, 'back.txt'), 'utf8')).toBe('local bytes')
    await cli('rm', 'docs/remote.txt')
    expect(existsSync(join(dir, 'media/docs/remote.txt'))).toBe(false)
  })

  it('doctor runs a write/read/url/delete round trip and exits 0, leaving nothing behind', async () => {
    const { code, out } = await cli('doctor')
    expect(code).toBe(0)
    expect(out).toMatch(/OK {4}write/)
    expect(out).toMatch(/OK {4}delete/)
    expect(existsSync(join(dir, 'media/.node-storages-doctor'))).toBe(false)
  })

  it('doctor exits 1 with a line saying what failed when the location cannot be written', async () => {
    writeFileSync(join(dir, 'not-a-dir'), 'x')
    const out = new PassThrough()
    let text = ''
    out.on('data', (c) => (text += c))
    const code = await main(['doctor'], { MEDIA_ROOT: join(dir, 'not-a-dir') }, out)
    expect(code).toBe(1)
    expect(text).toMatch(/FAIL {2}write: .*check the location/)
  })

  it('a traversing name is refused, an unknown command is a usage error', async () => {
    await expect(cli('get', '../etc/passwd')).rejects.toThrow(/denied/)
    await expect(cli('frobnicate')).rejects.toThrow(/Unknown command/)
  })

  it('policy grants object actions under the location only, and refuses non-S3 storages', () => {
    const policy = policyFor(Object.assign(new InMemoryStorage(), { bucketName: 'media-bucket', location: 'media' })) as {
      Statement: { Action: string[]; Resource: string; Condition?: unknown }[]
    }
    expect(policy.Statement[1]!.Resource).toBe('arn:aws:s3:::media-bucket/media/*')
    expect(policy.Statement[1]!.Action).not.toContain('s3:PutObjectAcl')
    expect(policy.Statement[0]!.Condition).toEqual({ StringLike: { 's3:prefix': ['media/', 'media/*'] } })
    expect(() => policyFor(new InMemoryStorage())).toThrow(/policy` is for S3/)
  })
})

describe('policy for a real S3Storage', () => {
  it('adds s3:PutObjectAcl only when the storage writes an ACL', async () => {
    const { S3Storage } = await import('../../src/index.js')
    const base = { bucketName: 'b', location: 'media', accessKey: 'k', secretKey: 's' }
    const actions = (s: InstanceType<typeof S3Storage>) => (policyFor(s) as { Statement: { Action: string[] }[] }).Statement[1]!.Action
    expect(actions(new S3Storage(base, {}))).not.toContain('s3:PutObjectAcl')
    expect(actions(new S3Storage({ ...base, defaultAcl: 'private' }, {}))).toContain('s3:PutObjectAcl')
    expect(actions(new S3Storage({ ...base, objectParameters: { ACL: 'public-read' } }, {}))).toContain('s3:PutObjectAcl')
  })
})

/**
 * URL signers: bench/presign.ts (our SigV4 presigner against the SDK's getSignedUrl) and
 * bench/url.ts (url() of every backend against plain string building) run as they are, in child
 * processes, several rounds, their lines parsed; and CloudFront-signed `S3Storage.url()` against
 * the raw `crypto.sign` of the same canned policy, interleaved here.
 */
import { spawnSync } from 'node:child_process'
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { S3Storage } from '../src/index.js'
import { type BenchContext, type Contender, interleave, register, type Row, rowOf } from './lib.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const TSX = join(HERE, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs')

/** Runs `bench/<script>` `rounds` times; returns every `<label>  <n> URLs/s` line's rates by label. */
function runScript(script: string, rounds: number, seconds: number): Map<string, number[]> {
  const rates = new Map<string, number[]>()
  for (let i = 0; i < rounds; i++) {
    const run = spawnSync(process.execPath, [TSX, join(HERE, script)], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_SECONDS: String(seconds) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (run.status !== 0) throw new Error(`bench/${script} failed: ${run.stderr || run.stdout}`)
    for (const line of run.stdout.split('\n')) {
      const m = /^(.+?)\s{2,}([\d,]+) URLs\/s\s*$/.exec(line)
      if (!m) continue
      const label = m[1]!.trim()
      rates.set(label, [...(rates.get(label) ?? []), Number(m[2]!.replace(/,/g, ''))])
    }
  }
  return rates
}

/** The labels of `results` that start with `prefix` (the scripts' labels carry details). */
function pick(results: Map<string, number[]>, prefix: string): string {
  const label = [...results.keys()].find((l) => l.startsWith(prefix))
  if (!label) throw new Error(`No line '${prefix}…' in the output (found: ${[...results.keys()].join(' | ')})`)
  return label
}

function subset(results: Map<string, number[]>, labels: string[]): Map<string, number[]> {
  return new Map(labels.map((l) => [l, results.get(l)!]))
}

async function presign(ctx: BenchContext): Promise<Row[]> {
  const results = runScript('presign.ts', ctx.quick ? 1 : 3, ctx.quick ? 0.3 : 1)
  const ours = pick(results, 'ours: QueryPresigner.presign (await)')
  const sdk = pick(results, 'SDK:')
  ctx.log('bench/presign.ts: done')
  return [
    rowOf(subset(results, [ours, pick(results, 'ours: QueryPresigner.presignSync'), sdk]), ours, {
      work: 'presigned GET URLs/s (SigV4, static credentials, one core)',
      unit: 'URLs/s',
      goals: [{ absolute: 200_000 }, { against: sdk, ratio: 60 }],
      note: 'bench/presign.ts, rounds in separate processes; same URLs checked identical first',
    }),
  ]
}

async function urls(ctx: BenchContext): Promise<Row[]> {
  const results = runScript('url.ts', ctx.quick ? 1 : 3, 1)
  const baseline = pick(results, 'baseline:')
  const row = (prefix: string, work: string) => {
    const ours = pick(results, prefix)
    return rowOf(subset(results, [ours, baseline]), ours, { work, unit: 'URLs/s', note: 'bench/url.ts' })
  }
  ctx.log('bench/url.ts: done')
  return [
    row('FileSystemStorage.url()', 'FileSystemStorage.url() (37 directories, checked once a second)'),
    row('FileSystemStorage.url() signed', 'FileSystemStorage.url() signed (HMAC)'),
    row('S3Storage.url() presigned', 'S3Storage.url() presigned (SigV4)'),
    row('S3Storage.url() custom domain', 'S3Storage.url() custom domain, unsigned'),
  ]
}

/** Calls `fn` for `ms` (after a short warm-up); returns calls per second. */
async function rate(fn: (i: number) => unknown, ms: number): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(i)
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) for (let j = 0; j < 32; j++) await fn(n++)
  return n / ((performance.now() - start) / 1000)
}

async function cloudfront(ctx: BenchContext): Promise<Row[]> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
  const keyId = 'K2JCJMDEHXQW5F'
  const storage = new S3Storage({
    bucketName: 'bench-bucket',
    regionName: 'eu-west-3',
    customDomain: 'd111111abcdef8.cloudfront.net',
    cloudfrontKeyId: keyId,
    cloudfrontKey: pem,
  })
  const names = Array.from({ length: 1024 }, (_, i) => `media/uploads/2024/${i % 12}/photo-${i}.jpg`)
  const key = createPrivateKey(pem)
  // The least any canned-policy signer does: the policy JSON, one RSA-SHA1 signature, CloudFront's base64.
  const raw = (i: number): string => {
    const url = `https://d111111abcdef8.cloudfront.net/${names[i & 1023]}`
    const expires = Math.floor(Date.now() / 1000) + 3600
    const policy = `{"Statement":[{"Resource":"${url}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`
    const signature = sign('RSA-SHA1', Buffer.from(policy), key)
      .toString('base64')
      .replace(/\+/g, '-')
      .replace(/=/g, '_')
      .replace(/\//g, '~')
    return `${url}?Expires=${expires}&Signature=${signature}&Key-Pair-Id=${keyId}`
  }
  const ms = ctx.quick ? 300 : 1500
  const contenders: Contender[] = [
    { label: 'S3Storage.url() (CloudFront)', run: () => rate((i) => storage.url(names[i & 1023]!), ms) },
    { label: 'raw crypto.sign (limit)', run: () => rate(raw, ms) },
  ]
  const results = await interleave(ctx.quick ? 1 : 5, contenders)
  ctx.log('CloudFront: done')
  return [
    rowOf(results, 'S3Storage.url() (CloudFront)', {
      work: 'CloudFront-signed URLs/s (canned policy, RSA-2048)',
      unit: 'URLs/s',
      goals: [{ against: 'raw crypto.sign (limit)', ratio: 0.9 }],
      note: 'the public url() against the bare signature of the same policy',
    }),
  ]
}

register({ id: 'presign', title: 'SigV4 presigned URLs (bench/presign.ts)', run: presign })
register({ id: 'urls', title: 'url() of every backend (bench/url.ts)', run: urls })
register({ id: 'cloudfront', title: 'CloudFront-signed URLs', run: cloudfront })

// End to end in a real headless browser (Debian's chromium driven by playwright-core): each example
// app (Express with multer and serveStorage, Hono with node-storages/fetch, Fastify with the
// node-storages/fastify plugin), started as its own process from the BUILT package, gets a file
// through the upload form and one through the direct-upload button; the browser then follows the
// signed links and the bytes are compared. On the filesystem backend, and on S3 (s3rver from the
// test harness).
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { browserOrSkip } from '../support/browser.js'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { S3Storage } from '../../src/index.js'

// A browser, or why the test is skipped here (outside CI only: under CI=true a missing browser fails).
const browserCheck = browserOrSkip()
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..')
const results = join(repo, 'test-results')

/** The newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let max = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    max = Math.max(max, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return max
}

/** Fails with a clear message when the browser or the built package is missing. */
function checkPrerequisites(): void {
  const built = ['index.js', 'multer.js', 'http.js', 'fetch.js', 'fastify.js'].map((f) => join(repo, 'dist', f))
  const missing = built.filter((f) => !existsSync(f))
  if (missing.length)
    throw new Error(`The example app runs the built package, and ${missing.join(', ')} is missing: run \`npm run build\` (npm test does).`)
  const oldest = Math.min(...built.map((f) => statSync(f).mtimeMs))
  if (newest(join(repo, 'src')) > oldest)
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does) so the example app runs the current code.')
}

/** The example apps, by directory under examples/. */
const APPS = ['express-app', 'hono-app', 'fastify-app'] as const
type App = (typeof APPS)[number]

/** Starts examples/<app>/server.mjs with `env` on a free port; resolves with its URL. */
async function startExample(app: App, env: Record<string, string>): Promise<{ base: string; child: ChildProcess; output: () => string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|MEDIA_|STORAGE_BACKEND$|USE_S3_STORAGE$|NODE_OPTIONS$|PORT$|HOST$)/.test(k)),
  ) as Record<string, string>
  const child = spawn(process.execPath, [join(repo, 'examples', app, 'server.mjs')], {
    cwd: repo,
    env: { ...clean, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c))
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${app} example did not start within 15 s:\n${out}`)), 15_000)
    const onData = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the ${app} example exited (${code}) before listening:\n${out}`))
    })
  })
  return { base, child, output: () => out }
}

function stopExample(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** The bytes the browser gets when it follows the link of `name` on the home page. */
async function followLink(page: Page, name: string): Promise<{ status: number; body: Buffer; href: string; contentType: string }> {
  const link = page.locator(`a.file-link[data-name="${name}"]`)
  const href = await link.evaluate((a) => (a as HTMLAnchorElement).href)
  const [response] = await Promise.all([page.waitForResponse((r) => r.url() === href), link.click()])
  const body = await response.body()
  const contentType = (await response.allHeaders())['content-type'] ?? ''
  await page.goBack()
  return { status: response.status(), body, href, contentType }
}

/** Both uploads, the signed links and a screenshot; returns what the test checks further. */
async function uploadAndFollow(browser: Browser, base: string, label: string, dir: string) {
  rmSync(join(results, `e2e-${label}-failure.png`), { force: true }) // from an earlier run
  const page = await browser.newPage()
  // What the browser saw, for the failure message: console lines, failed and refused requests.
  const seen: string[] = []
  page.on('console', (m) => seen.push(`console.${m.type()}: ${m.text()}`))
  page.on('requestfailed', (r) => seen.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`))
  page.on('response', (r) => void (r.status() >= 400 && seen.push(`${r.status()}: ${r.request().method()} ${r.url()}`)))
  const uploads: string[] = [] // the browser's own PUT and POST requests
  page.on('request', (r) => void (['PUT', 'POST'].includes(r.method()) && uploads.push(`${r.method()} ${r.url()}`)))
  try {
    await page.goto(base + '/')
    const formName = `form-${label}-${randomBytes(3).toString('hex')}.txt`
    const formBytes = Buffer.from(`uploaded through the upload form on ${label}: ${randomBytes(24).toString('hex')}\n`)
    writeFileSync(join(dir, formName), formBytes)
    await page.setInputFiles('#form-file', join(dir, formName))
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('uploaded') === `uploads/${formName}`),
      page.click('#upload-form button[type=submit]'),
    ])
    await expect.poll(() => page.locator('#notice').textContent()).toContain(`uploads/${formName}`)

    const directName = `direct-${label}-${randomBytes(3).toString('hex')}.txt`
    const directBytes = Buffer.from(`uploaded straight to a signed URL on ${label}: ${randomBytes(24).toString('hex')}\n`)
    await page.setInputFiles('#direct-file', { name: directName, mimeType: 'text/plain', buffer: directBytes })
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('uploaded') === `uploads/${directName}`, { timeout: 15_000 }),
      page.click('#direct-button'),
    ])

    const form = await followLink(page, `uploads/${formName}`)
    const direct = await followLink(page, `uploads/${directName}`)
    mkdirSync(results, { recursive: true })
    await page.screenshot({ path: join(results, `e2e-${label}.png`), fullPage: true })
    return { page, form, formBytes, direct, directBytes, formName, directName, uploads }
  } catch (error) {
    mkdirSync(results, { recursive: true })
    await page.screenshot({ path: join(results, `e2e-${label}-failure.png`), fullPage: true }).catch(() => {})
    if (error instanceof Error) error.message += `\nThe browser saw:\n${seen.join('\n') || '(nothing)'}`
    throw error
  }
}

const s3Available = (() => {
  try {
    new S3Storage({ bucketName: 'probe', endpointUrl: 'http://127.0.0.1:9', accessKey: 'probe', secretKey: 'probe' })
    return true
  } catch (error) {
    return !/not yet available/i.test(String(error))
  }
})()

describe.skipIf(browserCheck.skip !== undefined)('the example app in a real browser', () => {
  let browser: Browser
  const dir = mkdtempSync(join(tmpdir(), 'ns-e2e-'))
  beforeAll(async () => {
    checkPrerequisites()
    browser = await chromium.launch({ executablePath: browserCheck.executablePath!, headless: true, args: CHROMIUM_ARGS })
  })
  afterAll(async () => {
    await browser?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const name of APPS) {
    it(`${name}: uploads through the form and the direct button, and serves both through signed links (filesystem)`, async () => {
      const media = join(dir, `media-${name}`)
      const app = await startExample(name, { MEDIA_ROOT: media, MEDIA_SECRET: randomBytes(16).toString('hex') })
      try {
        const r = await uploadAndFollow(browser, app.base, `filesystem-${name}`, dir)
        expect(await r.page.locator('#backend').textContent()).toBe('filesystem')
        for (const [got, bytes, name] of [
          [r.form, r.formBytes, r.formName],
          [r.direct, r.directBytes, r.directName],
        ] as const) {
          expect(got.status).toBe(200)
          expect(got.body.equals(bytes)).toBe(true)
          expect(got.href).toMatch(new RegExp(`^${app.base}/media/uploads/${name.replace('.', '\\.')}\\?expires=\\d+&signature=`))
          expect(got.contentType).toMatch(/^text\/plain/)
        }
        // The form went through the app; the direct upload was a signed PUT to serveStorage.
        expect(r.uploads[0]).toBe(`POST ${app.base}/upload`)
        expect(r.uploads.some((u) => u.startsWith(`PUT ${app.base}/media/uploads/${r.directName}?expires=`))).toBe(true)
        // The files are on disk under MEDIA_ROOT, and private: a link without its signature fails.
        expect(readdirSync(join(media, 'uploads')).sort()).toEqual([r.directName, r.formName].sort())
        const unsigned = await r.page.goto(r.form.href.split('?')[0]!)
        expect(unsigned?.status()).toBe(403)
        const forged = await r.page.goto(r.form.href.replace(/signature=[^&]+/, 'signature=forged'))
        expect(forged?.status()).toBe(403)
        await r.page.close()
      } finally {
        await stopExample(app.child)
      }
    })
  }

  if (s3Available) {
    for (const name of APPS) {
      it(`${name}: uploads through the form and the direct button, and serves both through signed links (S3 on s3rver)`, async () => {
        const s3 = inject('s3')
        const location = `e2e-${randomBytes(4).toString('hex')}`
        const app = await startExample(name, {
          USE_S3_STORAGE: 'true',
          AWS_STORAGE_BUCKET_NAME: 'node-storages-test-2',
          AWS_LOCATION: location,
          // s3rver itself (it checks no signature): the example's direct upload on S3 is a presigned
          // POST, whose policy signature travels in form fields that the SigV4-verifying proxy does
          // not check. Signed GETs and PUTs are proven through the proxy in test/s3/.
          AWS_S3_ENDPOINT_URL: s3.endpoint,
          AWS_S3_REGION_NAME: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'S3RVER',
          AWS_SECRET_ACCESS_KEY: 'S3RVER',
        })
        try {
          const r = await uploadAndFollow(browser, app.base, `s3-${name}`, dir)
          expect(await r.page.locator('#backend').textContent()).toBe('s3')
          for (const [got, bytes, name] of [
            [r.form, r.formBytes, r.formName],
            [r.direct, r.directBytes, r.directName],
          ] as const) {
            expect(got.status, app.output()).toBe(200)
            expect(got.body.equals(bytes)).toBe(true)
            // A presigned URL to the bucket, not a path of the app.
            expect(got.href.startsWith(`${s3.endpoint}/node-storages-test-2/${location}/uploads/${name}?`)).toBe(true)
            expect(got.href).toMatch(/X-Amz-Signature=/)
            expect(got.contentType).toMatch(/^text\/plain/)
          }
          // The direct upload went from the browser to the bucket (a presigned POST), not via the app.
          expect(r.uploads[0]).toBe(`POST ${app.base}/upload`)
          expect(r.uploads).toContain(`POST ${s3.endpoint}/node-storages-test-2`)
          await r.page.close()
        } finally {
          await stopExample(app.child)
        }
      })
    }
  } else {
    // S3Storage is still the placeholder of src/backends/s3/index.ts: enable once it lands.
    it.todo('uploads through the form and the direct button on S3 (s3rver): waiting for the S3 backend')
  }
})

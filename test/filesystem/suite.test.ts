import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { describeStorage } from '../../src/testing/index.js'
import { FileSystemStorage } from '../../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'ns-fs-suite-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0

describeStorage(
  'FileSystemStorage',
  ({ fileOverwrite }) => new FileSystemStorage({ location: join(root, String(n++)), fileOverwrite, secret: 'suite-secret' }),
  { capabilities: { directories: true, path: true, times: true, signedUploads: true } },
)

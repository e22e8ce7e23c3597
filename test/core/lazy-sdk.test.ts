import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const dist = join(root, 'dist')

describe('the AWS SDK loads lazily', () => {
  it('the built package exists (npm test builds it first)', () => {
    expect(existsSync(join(dist, 'index.js')), 'run `npm run build` before the tests').toBe(true)
  })

  it('requiring node-storages and using the filesystem backend loads no @aws-sdk module', () => {
    const script = `
      const os = require('node:os'), path = require('node:path'), fs = require('node:fs');
      const ns = require(${JSON.stringify(join(dist, 'index.cjs'))});
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-lazy-'));
      const storage = ns.createStorage({ backend: 'filesystem', location: dir });
      (async () => {
        const name = await storage.save('a.txt', 'x');
        await storage.read(name); await storage.url(name); await storage.listdir('');
        fs.rmSync(dir, { recursive: true, force: true });
        const loaded = Object.keys(require.cache).filter((k) => k.includes('@aws-sdk') || k.includes('@smithy'));
        process.stdout.write(JSON.stringify(loaded));
      })().catch((e) => { console.error(e); process.exit(1) });`
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })
    expect(JSON.parse(out)).toEqual([])
  })

  it('the ESM entry reaches no static @aws-sdk import', () => {
    const seen = new Set<string>()
    const offenders: string[] = []
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const code = readFileSync(file, 'utf8')
      for (const m of code.matchAll(/^\s*import\s[^'"]*?from\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm)) {
        const spec = m[1] ?? m[2]!
        if (spec.startsWith('@aws-sdk/') || spec.startsWith('@smithy/')) offenders.push(`${file}: ${spec}`)
        else if (spec.startsWith('./')) visit(join(dirname(file), spec))
      }
    }
    visit(join(dist, 'index.js'))
    expect(seen.size).toBeGreaterThan(0)
    expect(offenders).toEqual([])
  })
})

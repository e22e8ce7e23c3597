// What `npm pack` (and so `npm publish`) ships: every file package.json names, the docs, and
// nothing from the repository that the package does not need.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { namedFiles, type Packed, pack, pkg, root } from './pack.js'

const REPOSITORY = 'https://github.com/node-storages/node-storages'

/**
 * Whether `path` (as the docs cite it: a file, a directory, or the start of file names such as
 * `test/adapters/behaviour-`) names something in this repository. Paths of a user's app in an
 * example (`src/routes/…` of a SvelteKit app) do not.
 */
function inRepository(path: string): boolean {
  const p = path.replace(/[.,]+$/, '')
  if (existsSync(join(root, p))) return true
  const dir = join(root, dirname(p))
  const base = p.endsWith('/') ? '' : p.slice(p.lastIndexOf('/') + 1)
  return base !== '' && existsSync(dir) && readdirSync(dir).some((n) => n.startsWith(base))
}

describe('the packed package', () => {
  let dir: string
  let packed: Packed
  let shipped: Set<string>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-pack-'))
    packed = await pack(dir)
    shipped = new Set(packed.files)
  }, 120_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('builds before packing (prepack), so a clean checkout never publishes a package without code', () => {
    expect(pkg.scripts.prepack).toBe('npm run build')
    expect(pkg.scripts.build).toMatch(/^tsup\b/)
  })

  it('holds every file that main, module, types, exports, typesVersions and bin name', () => {
    const named = namedFiles()
    expect(named).toContain('dist/cli.js')
    expect(named).toContain('dist/multer.d.cts')
    expect(named.filter((f) => !shipped.has(f))).toEqual([])
  })

  it('gives every entry point of the exports map an import and a require build with types', () => {
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath.endsWith('.json')) continue
      const t = target as { import: { types: string; default: string }; require: { types: string; default: string } }
      expect(t.import.types, subpath).toMatch(/\.d\.ts$/)
      expect(t.import.default, subpath).toMatch(/\.js$/)
      expect(t.require.types, subpath).toMatch(/\.d\.cts$/)
      expect(t.require.default, subpath).toMatch(/\.cjs$/)
      if (subpath !== '.') expect(pkg.typesVersions['*']![subpath.slice(2)], `typesVersions for ${subpath} (node10)`).toBeDefined()
    }
  })

  it('ships nothing from src/, test/, examples/ or bench/, and no source maps', () => {
    const stray = packed.files.filter((f) => /^(src|test|examples|bench|\.ci)\//.test(f) || f.endsWith('.map'))
    expect(stray).toEqual([])
    expect(packed.files.some((f) => f.startsWith('docs/'))).toBe(true)
  })

  it('resolves every relative import of the shipped code and declarations to a shipped file', () => {
    const missing: string[] = []
    for (const file of packed.files.filter((f) => /\.(c?js|d\.c?ts)$/.test(f))) {
      const code = readFileSync(join(root, file), 'utf8')
      for (const m of code.matchAll(/(?:from\s*|import\s*\(?\s*|require\(\s*)['"](\.\.?\/[^'"]+)['"]/g)) {
        const target = posix.join(dirname(file), m[1]!)
        const candidates = file.includes('.d.') ? [target.replace(/\.js$/, '.d.ts').replace(/\.cjs$/, '.d.cts')] : [target]
        if (!candidates.some((c) => shipped.has(c))) missing.push(`${file} → ${m[1]}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('links the shipped docs only to shipped docs or to the repository, never to unshipped paths', () => {
    const problems: string[] = []
    for (const file of packed.files.filter((f) => f.startsWith('docs/') && f.endsWith('.md'))) {
      const text = readFileSync(join(root, file), 'utf8')
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!
        if (!target || /^[a-z]+:/.test(target)) continue
        if (!shipped.has(posix.join(dirname(file), target))) problems.push(`${file}: link to ${m[1]}`)
      }
      const escaped = REPOSITORY.replaceAll('.', '\\.')
      const bare = text.replace(new RegExp(`\\[[^\\]]*\\]\\(${escaped}/(blob|tree)/HEAD/[^)]*\\)`, 'g'), '')
      for (const m of bare.matchAll(/(?<![\w./-])(src|test|examples|bench)\/[\w./-]*/g))
        if (inRepository(m[0])) problems.push(`${file}: unshipped path ${m[0]}`)
    }
    expect(problems).toEqual([])
  })

  it('names the repository in homepage, repository and bugs, consistently', () => {
    const p = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(p.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git` })
    expect(p.homepage).toBe(`${REPOSITORY}#readme`)
    expect(p.bugs).toEqual({ url: `${REPOSITORY}/issues` })
  })

  it('lists no AWS SDK package as a dependency: they are optional peers', () => {
    const p = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(Object.keys(p.dependencies).filter((d) => d.startsWith('@aws-sdk/'))).toEqual([])
    for (const sdk of ['@aws-sdk/client-s3', '@aws-sdk/s3-presigned-post']) {
      expect(p.peerDependencies[sdk], sdk).toBeDefined()
      expect(p.peerDependenciesMeta[sdk], sdk).toEqual({ optional: true })
      expect(p.devDependencies[sdk], `${sdk} stays a devDependency for the tests`).toBeDefined()
    }
  })
})

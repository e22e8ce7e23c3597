// Docs cannot rot: every ```ts / ```typescript block of docs/*.md is written to
// test-results/snippets/ and typechecked in one `tsc` run against the package's sources
// ('node-storages', 'node-storages/fetch', ... mapped to src/ with "paths"). Frameworks that are
// not installed here (Next.js, SvelteKit, React Router, Bun, Deno) come from test/docs/stubs.d.ts;
// a block may import the reader's own backend from './my-storage.js' (a stand-in with the
// constructor the docs show). A block marked ```ts nocompile is skipped.
import { execFile } from 'node:child_process'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..')
const out = join(repo, 'test-results/snippets')

interface Snippet {
  doc: string
  line: number
  file: string
  code: string
}

/** The code blocks of one Markdown file that claim to be TypeScript. */
function extractSnippets(doc: string, markdown: string): Snippet[] {
  const snippets: Snippet[] = []
  const fence = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    if (/\bnocompile\b/.test(m[2]!)) continue
    const line = markdown.slice(0, m.index).split('\n').length + 1
    const file = `${doc.replace(/\.md$/, '')}-${line}.ts`
    snippets.push({ doc, line, file, code: m[3]! })
  }
  return snippets
}

const SUBPATHS: Record<string, string> = {
  '': 'src/index.ts',
  '/http': 'src/adapters/http/index.ts',
  '/fetch': 'src/adapters/fetch/index.ts',
  '/fastify': 'src/adapters/fastify/index.ts',
  '/multer': 'src/adapters/multer/index.ts',
  '/testing': 'src/testing/index.ts',
  '/static': 'src/static/index.ts',
}

// The stand-in for "your backend" of docs/custom-backends.md and docs/testing.md.
const MY_STORAGE = "export { InMemoryStorage as MyStorage } from 'node-storages'\n"

function tsconfig(files: string[]): object {
  const paths: Record<string, string[]> = {}
  for (const [sub, target] of Object.entries(SUBPATHS)) {
    // Deno imports the package as npm:node-storages.
    for (const name of [`node-storages${sub}`, `npm:node-storages${sub}`]) paths[name] = [`../../${target}`]
  }
  return {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      types: ['node'],
      paths,
    },
    files: [...files, '../../test/docs/stubs.d.ts'],
  }
}

function tsc(project: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: repo }, (_error, stdout, stderr) =>
      resolve(stdout + stderr),
    )
  })
}

describe('docs snippets', () => {
  it('finds the blocks, skipping those marked nocompile', () => {
    const md = '# t\n\n```ts\nconst a = 1\n```\n\n```js\nx\n```\n\n```typescript title\nconst b = 2\n```\n\n```ts nocompile\nbroken(\n```\n'
    const found = extractSnippets('t.md', md)
    expect(found.map((s) => [s.line, s.code])).toEqual([
      [4, 'const a = 1\n'],
      [12, 'const b = 2\n'],
    ])
  })

  it('every TypeScript block in docs/ typechecks against the package', async () => {
    const docs = (await readdir(join(repo, 'docs'))).filter((f) => f.endsWith('.md')).sort()
    const snippets: Snippet[] = []
    for (const doc of docs) snippets.push(...extractSnippets(doc, await readFile(join(repo, 'docs', doc), 'utf8')))
    expect(snippets.length).toBeGreaterThan(20)
    await rm(out, { recursive: true, force: true })
    await mkdir(out, { recursive: true })
    for (const s of snippets) {
      // `export {}` makes each block a module: its names never clash with another block's.
      await writeFile(join(out, s.file), `${s.code}\nexport {}\n`)
    }
    await writeFile(join(out, 'my-storage.ts'), MY_STORAGE)
    await writeFile(join(out, 'tsconfig.json'), JSON.stringify(tsconfig([...snippets.map((s) => s.file), 'my-storage.ts']), null, 2))
    const output = await tsc(join(out, 'tsconfig.json'))
    // Errors name the doc and the line in it: `frameworks-120.ts(3,5)` is line 122 of docs/frameworks.md.
    const errors = output
      .split('\n')
      .filter((l) => /error TS\d+/.test(l))
      .map((l) => {
        const m = /([\w.-]+)-(\d+)\.ts\((\d+),(\d+)\): (.*)$/.exec(l)
        return m ? `docs/${m[1]}.md:${Number(m[2]) + Number(m[3]) - 1}: ${m[5]}` : l
      })
    expect(errors).toEqual([])
  }, 120_000)
})

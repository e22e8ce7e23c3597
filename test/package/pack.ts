/**
 * Helpers of the package tests: pack the package as `npm publish` would, read package.json's
 * entry points, and take the README's "Use" snippet.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const run = promisify(execFile)

/** The repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '../..')

/** package.json of the repository. */
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string
  version: string
  main: string
  module: string
  types: string
  bin: Record<string, string>
  exports: Record<string, unknown>
  typesVersions: Record<string, Record<string, string[]>>
  scripts: Record<string, string>
  files: string[]
}

/** A packed tarball and the paths it holds (relative to `package/`). */
export interface Packed {
  tarball: string
  files: string[]
  size: number
  unpackedSize: number
}

/**
 * Packs the repository into `dest` with `npm pack`. Lifecycle scripts are skipped (`prepack`
 * would build again; `npm test` has just built), so dist/ must exist.
 */
export async function pack(dest: string): Promise<Packed> {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) first')
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: root, maxBuffer: 1 << 24 })
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[]
  return { tarball: join(dest, info!.filename), files: info!.files.map((f) => f.path), size: info!.size, unpackedSize: info!.unpackedSize }
}

/** Every file path that package.json names: main, module, types, exports, typesVersions and bin. */
export function namedFiles(): string[] {
  const found = new Set<string>()
  const walk = (value: unknown) => {
    if (typeof value === 'string') found.add(value.replace(/^\.\//, ''))
    else if (Array.isArray(value)) value.forEach(walk)
    else if (value && typeof value === 'object') Object.values(value).forEach(walk)
  }
  walk([pkg.main, pkg.module, pkg.types, pkg.exports, pkg.bin, pkg.typesVersions])
  return [...found].sort()
}

/** The subpaths of the exports map that are modules (`.`, `./multer`, ...; not package.json). */
export function entryPoints(): string[] {
  return Object.keys(pkg.exports).filter((k) => !k.endsWith('.json'))
}

/** The code of the README's "Use" section (its first ```ts block). */
export function useSnippet(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split(/^## /m).find((s) => s.startsWith('Use\n'))
  const code = section && /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  if (!code) throw new Error('README.md has no "## Use" section with a ```ts block')
  return code
}

/** `code` as CommonJS: its ES imports become `require`s and the rest runs in an async function. */
export function asCommonJs(code: string): string {
  const imports: string[] = []
  const body = code.replace(/^import \{([^}]*)\} from '([^']+)'\n/gm, (_, names: string, from: string) => {
    imports.push(`const {${names}} = require('${from}')`)
    return ''
  })
  if (/^import /m.test(body)) throw new Error('the snippet has an import form asCommonJs does not handle')
  return `${imports.join('\n')}\n;(async () => {\n${body}})().catch((error) => {\n  console.error(error)\n  process.exit(1)\n})\n`
}

/** `code` (TypeScript) with its statements after the imports moved into an async `main()`. */
export function inMain(code: string): string {
  const lines = code.split('\n')
  const imports = lines.filter((l) => l.startsWith('import '))
  const rest = lines.filter((l) => !l.startsWith('import '))
  return `${imports.join('\n')}\n\nasync function main(): Promise<void> {\n${rest.join('\n')}}\n\nvoid main()\n`
}

/** An environment without the variables `createStorage()` reads, so the snippet uses ./media. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(AWS_|MEDIA_|STORAGE_|USE_S3_STORAGE$|NODE_ENV$|NODE_OPTIONS$|VITEST)/.test(k)),
  )
  return { ...env, ...extra }
}

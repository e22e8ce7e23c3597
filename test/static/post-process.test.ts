// Django's HashedFilesMixin cases, ported (read, not copied) to fixtures of our own. Every
// expected hashed name is computed here from the MD5 of the expected bytes, written out by hand:
// nothing below is an output copied from the implementation.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { postProcess, type PostProcessInput } from '../../src/static/post-process.js'
import { FileNotFoundError, StorageError } from '../../src/core/errors.js'

const h = (data: string | Buffer) => createHash('md5').update(data).digest('hex').slice(0, 12)
const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex')

/** The post-processing input of a tree: every file hashed, CSS/JS content kept. */
function tree(files: Record<string, string>): Map<string, PostProcessInput> {
  return new Map(
    Object.entries(files).map(([name, text]) => {
      const content = Buffer.from(text)
      return [name, { md5: md5(content), ...(/\.(css|js)$/.test(name) ? { content } : {}) }]
    }),
  )
}

function run(files: Record<string, string>, options = {}) {
  const out = postProcess(tree(files), options)
  const text = (name: string) => out.rewritten.get(name)?.toString()
  return { paths: Object.fromEntries(out.paths), text }
}

describe('a nested CSS fixture (relative, absolute, ../, query and fragment, @import, data URI)', () => {
  const binary = {
    'img/bg.png': 'PNG-bg',
    'img/logo.svg': '<svg/>',
    'fonts/f.eot': 'EOT',
    'fonts/f.woff2': 'WOFF2',
    'css/parts/icons/i.png': 'PNG-i',
    'css/base.css.map': '{"version":3}',
    'js/app.js.map': '{}',
  }
  const reset = `html { margin: 0 }\n.x { background: url(../img/bg.png) }\n`
  const fonts =
    `@font-face { src: url('../../fonts/f.eot?#iefix') format('embedded-opentype'), url("../../fonts/f.woff2") }\n` +
    `.i { background: url(icons/i.png?size=2#x) }\n`
  const base = [
    `@import "parts/fonts.css";`,
    `@import url(../vendor/reset.css);`,
    `body { background: url( ../img/bg.png ) }`,
    `.logo { background: url("/static/img/logo.svg#icon") }`,
    `.ext { background: url(https://cdn.example.com/x.png) }`,
    `.proto { background: url(//cdn.example.com/y.png) }`,
    `.other { background: url(/media/uploads/a.png) }`,
    `.inline { background: url('data:image/png;base64,iVBORw0KGgo=') }`,
    `.nested { background-image: url("data:image/svg+xml,url(%23b) url(%23c)") }`,
    `/* url(missing.png) @import "missing.css"; */`,
    `.text { content: "url(missing.png)" }`,
    `.vml { behavior: url(#default#VML) }`,
    `.empty { background: url() }`,
    `/*# sourceMappingURL=base.css.map */`,
    '',
  ].join('\n')
  const app = `console.log(1)\n//# sourceMappingURL=app.js.map\n`
  const files = { ...binary, 'vendor/reset.css': reset, 'css/parts/fonts.css': fonts, 'css/base.css': base, 'js/app.js': app }

  // Expected, bottom-up: leaves by their bytes, then each CSS/JS by its expected rewritten bytes.
  const hb = Object.fromEntries(Object.entries(binary).map(([n, t]) => [n, h(t)]))
  const resetOut = `html { margin: 0 }\n.x { background: url("../img/bg.${hb['img/bg.png']}.png") }\n`
  const fontsOut =
    `@font-face { src: url("../../fonts/f.${hb['fonts/f.eot']}.eot?#iefix") format('embedded-opentype'), ` +
    `url("../../fonts/f.${hb['fonts/f.woff2']}.woff2") }\n` +
    `.i { background: url("icons/i.${hb['css/parts/icons/i.png']}.png?size=2#x") }\n`
  const baseOut = base
    .replace(`@import "parts/fonts.css";`, `@import url("parts/fonts.${h(fontsOut)}.css");`)
    .replace(`@import url(../vendor/reset.css);`, `@import url("../vendor/reset.${h(resetOut)}.css");`)
    .replace(`url( ../img/bg.png )`, `url("../img/bg.${hb['img/bg.png']}.png")`)
    .replace(`url("/static/img/logo.svg#icon")`, `url("/static/img/logo.${hb['img/logo.svg']}.svg#icon")`)
    .replace(`/*# sourceMappingURL=base.css.map */`, `/*# sourceMappingURL=base.css.${hb['css/base.css.map']}.map */`)
  const appOut = `console.log(1)\n//# sourceMappingURL=app.js.${hb['js/app.js.map']}.map\n`

  it('hashes every file, CSS and JS from their rewritten bytes, references resolved deepest first', () => {
    const { paths, text } = run(files)
    expect(text('vendor/reset.css')).toBe(resetOut)
    expect(text('css/parts/fonts.css')).toBe(fontsOut)
    expect(text('css/base.css')).toBe(baseOut)
    expect(text('js/app.js')).toBe(appOut)
    expect(paths).toEqual({
      'css/base.css': `css/base.${h(baseOut)}.css`,
      'css/base.css.map': `css/base.css.${hb['css/base.css.map']}.map`,
      'css/parts/fonts.css': `css/parts/fonts.${h(fontsOut)}.css`,
      'css/parts/icons/i.png': `css/parts/icons/i.${hb['css/parts/icons/i.png']}.png`,
      'fonts/f.eot': `fonts/f.${hb['fonts/f.eot']}.eot`,
      'fonts/f.woff2': `fonts/f.${hb['fonts/f.woff2']}.woff2`,
      'img/bg.png': `img/bg.${hb['img/bg.png']}.png`,
      'img/logo.svg': `img/logo.${hb['img/logo.svg']}.svg`,
      'js/app.js': `js/app.${h(appOut)}.js`,
      'js/app.js.map': `js/app.js.${hb['js/app.js.map']}.map`,
      'vendor/reset.css': `vendor/reset.${h(resetOut)}.css`,
    })
  })

  it('a staticUrl other than /static/ makes /static/ URLs absolute ones, left alone', () => {
    const { text } = run({ ...files, 'img/logo.svg': '<svg/>' }, { staticUrl: '/assets/' })
    expect(text('css/base.css')).toContain(`url("/static/img/logo.svg#icon")`)
  })
})

describe("Django's cases", () => {
  it('@import and url() are matched in any case; the quotes become double quotes', () => {
    const { text } = run({ 'a.css': `@IMPORT 'b.css';\np { background: URL('i.png') }`, 'b.css': 'b', 'i.png': 'i' })
    expect(text('a.css')).toBe(`@import url("b.${h('b')}.css");\np { background: url("i.${h('i')}.png") }`)
  })

  it('source map comments: tabs and trailing spaces tolerated, the keyword case-sensitive', () => {
    const { text } = run({
      'a.css': `a{}\n/*#\tsourceMappingURL=a.css.map\t*/\n`,
      'b.css': `/*# sOuRcEMaPpInGURL=a.css.map */\n`,
      'a.js': `x\n//# sourceMappingURL=a.js.map\t \n`,
      'b.js': `//# sOuRcEMaPpInGURL=a.js.map\n`,
      'c.js': `//# sourceMappingURL=data:application/json;base64,e30=\n`,
      'a.css.map': '{}',
      'a.js.map': '{}',
    })
    expect(text('a.css')).toBe(`a{}\n/*# sourceMappingURL=a.css.${h('{}')}.map */\n`)
    expect(text('b.css')).toBe(`/*# sOuRcEMaPpInGURL=a.css.map */\n`)
    expect(text('a.js')).toBe(`x\n//# sourceMappingURL=a.js.${h('{}')}.map\n`)
    expect(text('b.js')).toBe(`//# sOuRcEMaPpInGURL=a.js.map\n`)
    expect(text('c.js')).toBe(`//# sourceMappingURL=data:application/json;base64,e30=\n`)
  })

  it('ignored URLs stay byte for byte: fragments only, schemes, protocol-relative, empty', () => {
    const css = ['#foobar', 'http:foobar', 'https:foobar', 'data:foobar', 'chrome:foobar', '//foobar', '']
      .map((u) => `a { background: url("${u}") }`)
      .join('\n')
    expect(run({ 'x.css': css }).text('x.css')).toBe(css)
  })

  it('percent-encoded names are decoded, as Django unquotes the URL it writes', () => {
    const { text } = run({ 'a.css': `p { background: url(my%20img.png) }`, 'my img.png': 'm' })
    expect(text('a.css')).toBe(`p { background: url("my img.${h('m')}.png") }`)
  })

  it('a reference to a missing file fails naming both files; strict: false leaves it and warns', () => {
    const files = { 'css/app.css': `p { background: url(../img/nope.png) }` }
    expect(() => run(files)).toThrow(FileNotFoundError)
    expect(() => run(files)).toThrow(/'css\/app.css' references '..\/img\/nope.png', which resolves to 'img\/nope.png'/)
    const warnings: string[] = []
    const { text } = run(files, { strict: false, onWarning: (m: string) => warnings.push(m) })
    expect(text('css/app.css')).toBe(files['css/app.css'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/css\/app.css.*img\/nope.png/)
    expect(() => run({ 'a.css': `p { background: url(../../up.png) }` })).toThrow(FileNotFoundError)
  })

  it('an import loop fails with "Max post-process passes exceeded"', () => {
    const loop = { 'a.css': `@import "b.css";`, 'b.css': `@import "a.css";` }
    expect(() => run(loop)).toThrow(StorageError)
    expect(() => run(loop)).toThrow(/Max post-process passes exceeded/)
  })

  it('directories are not hashed; non-UTF-8 CSS fails clearly', () => {
    expect(run({ 'a.css': `p { background: url(fonts/) }` }).text('a.css')).toBe(`p { background: url("fonts/") }`)
    const bad = new Map([['bad.css', { md5: 'x', content: Buffer.from([0xff, 0xfe, 0x00]) }]])
    expect(() => postProcess(bad)).toThrow(/'bad.css'.*not UTF-8/)
  })
})

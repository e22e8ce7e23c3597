// The pure name rules of static files, and staticfiles.json as Django writes it. The expected
// manifest bytes below were produced by Python's json module (json.dumps, as Django calls it),
// not by this library.
import { describe, expect, it } from 'vitest'
import { hashedName, looksHashed, normpath, segmentMatcher, splitext, unquote, DEFAULT_IGNORE_PATTERNS } from '../../src/static/names.js'
import { manifestHash, parseManifest, serializeManifest } from '../../src/static/manifest-file.js'
import { ImproperlyConfigured } from '../../src/core/errors.js'

describe('hashed names (Django hashed_name)', () => {
  it('puts 12 hex of the MD5 between the root and the last extension', () => {
    const md5 = '0123456789abcdef0123456789abcdef'
    expect(hashedName('css/app.css', md5)).toBe('css/app.0123456789ab.css')
    expect(hashedName('js/jquery.min.js', md5)).toBe('js/jquery.min.0123456789ab.js')
    expect(hashedName('dist/archive.tar.gz', md5)).toBe('dist/archive.tar.0123456789ab.gz')
    expect(hashedName('LICENSE', md5)).toBe('LICENSE.0123456789ab')
    expect(hashedName('conf/.htaccess', md5)).toBe('conf/.htaccess.0123456789ab')
  })

  it('splits extensions as os.path.splitext does', () => {
    expect(splitext('a.b.c')).toEqual(['a.b', '.c'])
    expect(splitext('.bashrc')).toEqual(['.bashrc', ''])
    expect(splitext('..foo')).toEqual(['..foo', ''])
    expect(splitext('..foo.x')).toEqual(['..foo', '.x'])
    expect(splitext('file.')).toEqual(['file', '.'])
  })

  it('normalises and unquotes as posixpath.normpath and urllib unquote do', () => {
    expect(normpath('css/../img/a.png')).toBe('img/a.png')
    expect(normpath('a/./b//c.png')).toBe('a/b/c.png')
    expect(normpath('../x.png')).toBe('../x.png')
    expect(unquote('my%20file%C3%A9.png')).toBe('my fileé.png')
    expect(unquote('100%zz')).toBe('100%zz')
    expect(unquote('%FF')).toBe('\ufffd')
  })
})

describe('looksHashed (immutable cache headers without a manifest)', () => {
  it.each([
    ['assets/app.3f2a9c1b.js', true],
    ['static/main-9f86d081884c7d65.css', true],
    ['css/styles.0123456789ab.css', true],
    ['report-20240101.pdf', false],
    ['app.settings.js', false],
    ['app.js', false],
    ['cafebabe.js', false],
    ['img/deadbeef12.png', false],
  ])('%s → %s', (name, expected) => {
    expect(looksHashed(name)).toBe(expected)
  })
})

describe('ignore patterns', () => {
  it("Django's defaults skip CVS, dotfiles and backups", () => {
    const ignored = segmentMatcher(DEFAULT_IGNORE_PATTERNS)
    for (const s of ['CVS', '.git', '.DS_Store', 'style.css~']) expect(ignored(s)).toBe(true)
    for (const s of ['style.css', 'cvs', 'a.b']) expect(ignored(s)).toBe(false)
    const custom = segmentMatcher(['*.scss', 'tmp?', '[!a]x'])
    expect([custom('a.scss'), custom('tmp1'), custom('bx'), custom('ax')]).toEqual([true, true, true, false])
  })
})

describe('staticfiles.json', () => {
  const paths = {
    'css/app.css': 'css/app.0123456789ab.css',
    'img/café "q".png': 'img/café "q".aaaaaaaaaaaa.png',
    'a/😀.txt': 'a/😀.bbbbbbbbbbbb.txt',
  }

  it('is byte for byte what Django writes (Python json.dumps, sorted paths, 12-hex hash)', () => {
    const python =
      '{"paths": {"a/\\ud83d\\ude00.txt": "a/\\ud83d\\ude00.bbbbbbbbbbbb.txt", "css/app.css": "css/app.0123456789ab.css", ' +
      '"img/caf\\u00e9 \\"q\\".png": "img/caf\\u00e9 \\"q\\".aaaaaaaaaaaa.png"}, "version": "1.1", "hash": "259aea7962e1"}'
    const { bytes, hash } = serializeManifest(paths)
    expect(hash).toBe('259aea7962e1')
    expect(manifestHash(new Map(Object.entries(paths)))).toBe('259aea7962e1')
    expect(bytes.toString('utf8')).toBe(python)
  })

  it('reads versions 1.0 and 1.1 and refuses others with ImproperlyConfigured', () => {
    expect(parseManifest(serializeManifest(paths).bytes.toString()).paths).toEqual(paths)
    expect(parseManifest('{"paths": {"a": "b"}, "version": "1.0"}')).toEqual({ paths: { a: 'b' }, hash: '' })
    expect(() => parseManifest('{"paths": {}, "version": "2"}')).toThrow(ImproperlyConfigured)
    expect(() => parseManifest('not json')).toThrow(/Couldn't load manifest 'staticfiles.json'/)
  })
})

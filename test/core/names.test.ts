import { describe, expect, it } from 'vitest'
import {
  cleanName,
  getAvailableOverwriteName,
  getValidFilename,
  safeJoin,
  SuspiciousFileOperation,
  validateFileName,
} from '../../src/index.js'
import { filepathToUri, formEncode } from '../../src/core/uri.js'
import { normpath, split, splitext, allSuffixes } from '../../src/core/posix.js'
import { guessType } from '../../src/core/mime.js'

describe('cleanName (django-storages clean_name)', () => {
  it('collapses .. and keeps a trailing slash', () => {
    expect(cleanName('path/to/../somewhere')).toBe('path/somewhere')
    expect(cleanName('path/to/somewhere/')).toBe('path/to/somewhere/')
  })
  it('turns backslashes into slashes after normalising', () => {
    expect(cleanName('path\\to\\somewhere')).toBe('path/to/somewhere')
    expect(cleanName('a\\..\\b')).toBe('a/../b')
  })
  it('empty and dot names, repeated slashes', () => {
    expect(cleanName('')).toBe('')
    expect(cleanName('.')).toBe('')
    expect(cleanName('//a//b//')).toBe('//a/b/')
    expect(cleanName('///a')).toBe('/a')
    expect(cleanName('a/../../x')).toBe('../x')
  })
})

describe('safeJoin (django-storages safe_join)', () => {
  it('joins and normalises several parts under an empty base', () => {
    expect(safeJoin('', 'path/to/somewhere', 'other', 'path/to/somewhere')).toBe('path/to/somewhere/other/path/to/somewhere')
    expect(safeJoin('', 'path/./somewhere/../other', '..', '.', 'to/./somewhere')).toBe('path/to/somewhere')
  })
  it('trailing slashes and empty parts', () => {
    expect(safeJoin('base_url/', 'path/to/', 'somewhere/')).toBe('base_url/path/to/somewhere/')
    expect(safeJoin('base_url', '')).toBe('base_url/')
    expect(safeJoin('base_url')).toBe('base_url/')
    expect(safeJoin('')).toBe('')
    expect(safeJoin('base_url', '.', 'path/to/', '.')).toBe('base_url/path/to/')
  })
  it('colons are left alone', () => {
    expect(safeJoin('base_url', '2017-05-19T14:45:37.123456')).toBe('base_url/2017-05-19T14:45:37.123456')
  })
  it('escaping a named base throws', () => {
    expect(() => safeJoin('base', '../../../../../../../etc/passwd')).toThrow(SuspiciousFileOperation)
    expect(() => safeJoin('base', '/etc/passwd')).toThrow(SuspiciousFileOperation)
  })
  it('escaping an empty base throws instead of clamping (deliberately unlike Django)', () => {
    expect(() => safeJoin('', '/etc/passwd')).toThrow(SuspiciousFileOperation)
    expect(() => safeJoin('', '../x')).toThrow(SuspiciousFileOperation)
    expect(() => safeJoin('', '..')).toThrow(SuspiciousFileOperation)
    expect(safeJoin('media', '../media/x')).toBe('media/x')
    expect(() => safeJoin('media', '../media2/x')).toThrow(SuspiciousFileOperation)
  })
})

describe('validateFileName (Django validate_file_name)', () => {
  it('rejects names that give no file name', () => {
    for (const name of ['', '.', '..', 'dir/', 'a/..']) expect(() => validateFileName(name, true)).toThrow(/Could not derive file name/)
  })
  it('rejects absolute and traversing names when relative paths are allowed', () => {
    expect(() => validateFileName('/abs.txt', true)).toThrow("Detected path traversal attempt in '/abs.txt'")
    expect(() => validateFileName('a/../b.txt', true)).toThrow(SuspiciousFileOperation)
    expect(() => validateFileName('..\\b.txt', true)).toThrow(SuspiciousFileOperation)
    expect(validateFileName('a/b.txt', true)).toBe('a/b.txt')
  })
  it('rejects any path element when relative paths are not allowed', () => {
    expect(() => validateFileName('a/b.txt')).toThrow("File name 'a/b.txt' includes path elements")
    expect(validateFileName('b.txt')).toBe('b.txt')
  })
})

describe('getValidFilename (Django get_valid_filename)', () => {
  it('strips what is not a letter, digit, _, - or .', () => {
    expect(getValidFilename("john's portrait in 2004.jpg")).toBe('johns_portrait_in_2004.jpg')
    expect(getValidFilename('ãlöhâ (1).jpg')).toBe('ãlöhâ_1.jpg')
    expect(getValidFilename('  spaced  ')).toBe('spaced')
  })
  it('throws when nothing is left', () => {
    expect(() => getValidFilename('???')).toThrow("Could not derive file name from '???'")
    expect(() => getValidFilename('$.$.$')).toThrow("Could not derive file name from '$.$.$'")
  })
})

describe('getAvailableOverwriteName (django-storages)', () => {
  it('keeps names that fit', () => {
    expect(getAvailableOverwriteName('superlong/file/with/path.txt', null)).toBe('superlong/file/with/path.txt')
    expect(getAvailableOverwriteName('parent/child.txt', 16)).toBe('parent/child.txt')
    expect(getAvailableOverwriteName('parent/child.txt', 17)).toBe('parent/child.txt')
    expect(getAvailableOverwriteName('parent/child.txt', 15)).toBe('parent/chil.txt')
    expect(getAvailableOverwriteName('parent/child.txt', 12)).toBe('parent/c.txt')
  })
  it('throws when the whole root would go', () => {
    expect(() => getAvailableOverwriteName('parent/child.txt', 11)).toThrow(
      'Storage tried to truncate away entire filename "parent/child.txt".',
    )
  })
  it('refuses a traversing directory', () => {
    expect(() => getAvailableOverwriteName('superlong/file/with/../path.txt', 50)).toThrow(
      "Detected path traversal attempt in 'superlong/file/with/..'",
    )
  })
  it('only the last extension is kept when truncating', () => {
    expect(getAvailableOverwriteName('file.tar.gz', 10)).toBe('file.ta.gz')
    expect(getAvailableOverwriteName('file.tar.gz', 8)).toBe('file..gz')
  })
  it('counts code points, not UTF-16 units', () => {
    expect(getAvailableOverwriteName('😀😀😀.txt', 7)).toBe('😀😀😀.txt')
    expect(getAvailableOverwriteName('😀😀😀.txt', 6)).toBe('😀😀.txt')
  })
})

describe('URL encoders', () => {
  it("filepathToUri keeps ~!*()' and encodes the rest as UTF-8", () => {
    expect(filepathToUri("~!*()'@#$%^&*abc`+ =.file")).toBe("~!*()'%40%23%24%25%5E%26*abc%60%2B%20%3D.file")
    expect(filepathToUri('a/b\\c.file')).toBe('a/b/c.file')
    expect(filepathToUri('ãlöhâ.jpg')).toBe('%C3%A3l%C3%B6h%C3%A2.jpg')
    expect(filepathToUri('a%20b.txt')).toBe('a%2520b.txt')
  })
  it('formEncode is Python urlencode', () => {
    expect(formEncode({ version: 10, 'a b': 'c&d' })).toBe('version=10&a+b=c%26d')
    expect(formEncode({ p: 'x/y~z' })).toBe('p=x%2Fy~z')
  })
})

describe('Python path helpers', () => {
  it('normpath, split and splitext behave as posixpath', () => {
    expect(normpath('//a//b')).toBe('//a/b')
    expect(normpath('a/./b/../../..')).toBe('..')
    expect(split('a/b/')).toEqual(['a/b', ''])
    expect(split('/x')).toEqual(['/', 'x'])
    expect(splitext('.hidden')).toEqual(['.hidden', ''])
    expect(splitext('a/b.tar.gz')).toEqual(['a/b.tar', '.gz'])
    expect(allSuffixes('a.tar.gz')).toBe('.tar.gz')
    expect(allSuffixes('.test')).toBe('')
    expect(allSuffixes('my.file.name.txt')).toBe('.file.name.txt')
  })
  it('guessType follows mimetypes for compression suffixes', () => {
    expect(guessType('x.css.gz')).toEqual({ type: 'text/css', encoding: 'gzip' })
    expect(guessType('x.tar.gz')).toEqual({ type: 'application/x-tar', encoding: 'gzip' })
    expect(guessType('x.tgz')).toEqual({ type: 'application/x-tar', encoding: 'gzip' })
    expect(guessType('x.svgz')).toEqual({ type: 'image/svg+xml', encoding: 'gzip' })
    expect(guessType('x.gz')).toEqual({ type: undefined, encoding: 'gzip' })
    expect(guessType('x.br')).toEqual({ type: undefined, encoding: 'br' })
    expect(guessType('x.JPG')).toEqual({ type: 'image/jpeg' })
    expect(guessType('test_file')).toEqual({ type: undefined })
  })
})

// manifestStorage(): url() through the manifest (Django's ManifestStaticFilesStorage.url and its
// manifest_strict), loaded once and reloadable; every other method the wrapped storage's own.
import { describe, expect, it } from 'vitest'
import { FileSystemStorage, ImproperlyConfigured, InMemoryStorage } from '../../src/index.js'
import { isSelfServing, signedUrlVerifierOf } from '../../src/core/capabilities.js'
import { manifestStorage, serializeManifest } from '../../src/static/index.js'

async function withManifest(paths: Record<string, string>, options: ConstructorParameters<typeof InMemoryStorage>[0] = {}) {
  const storage = new InMemoryStorage({ baseUrl: 'https://cdn.example.com/static/', ...options })
  await storage.save('staticfiles.json', serializeManifest(paths).bytes)
  return storage
}

describe('manifestStorage', () => {
  it('maps names to hashed names, keeps query and fragment, and the ?# font hack', async () => {
    const storage = await withManifest({ 'css/app.css': 'css/app.0123456789ab.css', 'fonts/f.eot': 'fonts/f.aaaaaaaaaaaa.eot' })
    const statics = manifestStorage(storage)
    expect(await statics.url('css/app.css')).toBe('https://cdn.example.com/static/css/app.0123456789ab.css')
    expect(await statics.url('css/app.css?v=1#top')).toBe('https://cdn.example.com/static/css/app.0123456789ab.css?v=1#top')
    expect(await statics.url('fonts/f.eot?#iefix')).toBe('https://cdn.example.com/static/fonts/f.aaaaaaaaaaaa.eot?#iefix')
    // a name that is already hashed maps to itself (so handlers can redirect requests for it)
    expect(await statics.url('css/app.0123456789ab.css')).toBe('https://cdn.example.com/static/css/app.0123456789ab.css')
  })

  it('strict: a missing entry throws ImproperlyConfigured naming it; strict: false gives the plain name', async () => {
    const storage = await withManifest({ 'a.css': 'a.0123456789ab.css' })
    const error = await manifestStorage(storage)
      .url('b.css')
      .catch((e) => e)
    expect(error).toBeInstanceOf(ImproperlyConfigured)
    expect(error.message).toMatch(/Missing staticfiles manifest entry for 'b.css' in 'staticfiles.json'/)
    expect(await manifestStorage(storage, { strict: false }).url('b.css')).toBe('https://cdn.example.com/static/b.css')
    const none = manifestStorage(new InMemoryStorage())
    await expect(none.url('a.css')).rejects.toThrow(/The manifest does not exist in the storage/)
  })

  it('reads the manifest once; reload() reads it again', async () => {
    const storage = await withManifest({ 'a.css': 'a.0123456789ab.css' })
    let reads = 0
    const counted = new Proxy(storage, {
      get(target, prop) {
        if (prop === 'read') return (...args: Parameters<InMemoryStorage['read']>) => (reads++, target.read(...args))
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const statics = manifestStorage(counted)
    await Promise.all([statics.url('a.css'), statics.url('a.css'), statics.url('a.css')])
    expect(reads).toBe(1)
    await storage.delete('staticfiles.json')
    await storage.save('staticfiles.json', serializeManifest({ 'a.css': 'a.bbbbbbbbbbbb.css' }).bytes)
    expect(await statics.url('a.css')).toMatch(/a\.0123456789ab\.css$/)
    await statics.reload()
    expect(await statics.url('a.css')).toMatch(/a\.bbbbbbbbbbbb\.css$/)
    expect(reads).toBe(2)
  })

  it('reads the manifest from manifestStorage when given; a bad manifest throws ImproperlyConfigured', async () => {
    const local = await withManifest({ 'a.css': 'a.0123456789ab.css' })
    const remote = new InMemoryStorage({ baseUrl: '/s/' })
    expect(await manifestStorage(remote, { manifestStorage: local }).url('a.css')).toBe('/s/a.0123456789ab.css')
    await remote.save('staticfiles.json', '{"version": "9"}')
    await expect(manifestStorage(remote).url('a.css')).rejects.toThrow(/Couldn't load manifest 'staticfiles.json' \(version 9/)
  })

  it("is a Storage: every other method is the wrapped storage's, capabilities included", async () => {
    const storage = new InMemoryStorage({ secret: 'x'.repeat(32) })
    const statics = manifestStorage(storage, { strict: false })
    expect(await statics.save('a.txt', 'hello')).toBe('a.txt')
    expect((await statics.read('a.txt')).toString()).toBe('hello')
    expect(await statics.exists('a.txt')).toBe(true)
    expect((await statics.stat('a.txt')).size).toBe(5)
    await statics.delete('a.txt')
    expect(await storage.exists('a.txt')).toBe(false)
    expect(signedUrlVerifierOf(statics)).toBe(signedUrlVerifierOf(storage))
    expect(isSelfServing(statics)).toBe(false)
    expect(() => manifestStorage(new FileSystemStorage({ location: '/tmp/x' })).path('a')).not.toThrow()
  })
})

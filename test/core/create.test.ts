import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createStorage,
  createStorages,
  backendFromEnv,
  FileSystemStorage,
  ImproperlyConfigured,
  InMemoryStorage,
  InvalidStorageError,
  S3Storage,
  Storage,
} from '../../src/index.js'

describe('createStorage() from the environment', () => {
  it('with no config and an empty environment: the filesystem at ./media, URLs under /media/', async () => {
    const storage = createStorage(undefined, {})
    expect(storage).toBeInstanceOf(FileSystemStorage)
    expect((storage as FileSystemStorage).location).toBe(resolve('media'))
    expect(await storage.url('a.txt')).toBe('/media/a.txt')
  })

  it('MEDIA_ROOT and MEDIA_URL set the location and the URL prefix', async () => {
    const storage = createStorage(undefined, { MEDIA_ROOT: '/tmp/ns-media', MEDIA_URL: '/uploads' }) as FileSystemStorage
    expect(storage.location).toBe('/tmp/ns-media')
    expect(await storage.url('a.txt')).toBe('/uploads/a.txt')
  })

  it('STORAGE_BACKEND wins over everything else', () => {
    expect(createStorage(undefined, { STORAGE_BACKEND: 'memory', USE_S3_STORAGE: 'true' })).toBeInstanceOf(InMemoryStorage)
    expect(backendFromEnv({ STORAGE_BACKEND: 'S3' })).toBe('s3')
  })

  it('a STORAGE_BACKEND that is not a backend throws ImproperlyConfigured naming the variable', () => {
    expect(() => createStorage(undefined, { STORAGE_BACKEND: 'ftp' })).toThrow(/STORAGE_BACKEND="ftp" is not a backend/)
  })

  it('USE_S3_STORAGE true in any spelling picks S3; false forces the filesystem', () => {
    for (const v of ['true', 'TRUE', '1', 'yes', 'On']) expect(backendFromEnv({ USE_S3_STORAGE: v })).toBe('s3')
    expect(backendFromEnv({ USE_S3_STORAGE: 'false', NODE_ENV: 'production', AWS_STORAGE_BUCKET_NAME: 'b' })).toBe('filesystem')
  })

  it('NODE_ENV=production with a bucket picks S3, without a bucket the filesystem', () => {
    expect(backendFromEnv({ NODE_ENV: 'production', AWS_STORAGE_BUCKET_NAME: 'b' })).toBe('s3')
    expect(backendFromEnv({ NODE_ENV: 'production' })).toBe('filesystem')
    expect(backendFromEnv({ NODE_ENV: 'development', AWS_STORAGE_BUCKET_NAME: 'b' })).toBe('filesystem')
  })

  it('a USE_S3_STORAGE that is not a boolean throws naming the variable', () => {
    expect(() => backendFromEnv({ USE_S3_STORAGE: 'maybe' })).toThrow(ImproperlyConfigured)
    expect(() => backendFromEnv({ USE_S3_STORAGE: 'maybe' })).toThrow(/USE_S3_STORAGE/)
  })
})

describe('createStorage() for S3 from the environment', () => {
  it('USE_S3_STORAGE=true builds an S3Storage from the django-storages AWS_* variables', async () => {
    const storage = createStorage(undefined, {
      USE_S3_STORAGE: 'true',
      AWS_STORAGE_BUCKET_NAME: 'my-app-media',
      AWS_LOCATION: 'media',
      AWS_S3_REGION_NAME: 'eu-west-3',
      AWS_QUERYSTRING_AUTH: 'false',
    }) as S3Storage
    expect(storage).toBeInstanceOf(S3Storage)
    expect(storage.bucketName).toBe('my-app-media')
    expect(storage.location).toBe('media')
    expect(await storage.url('a b.txt')).toBe('https://my-app-media.s3.eu-west-3.amazonaws.com/media/a%20b.txt')
  })

  it('S3 without a bucket throws ImproperlyConfigured that says how to set one', () => {
    expect(() => createStorage(undefined, { USE_S3_STORAGE: 'true' })).toThrow(ImproperlyConfigured)
    expect(() => createStorage(undefined, { USE_S3_STORAGE: 'true' })).toThrow(/AWS_STORAGE_BUCKET_NAME/)
  })
})

describe('createStorage() from a config', () => {
  it('builds each named backend with its options', async () => {
    const fs = createStorage({ backend: 'filesystem', location: '/tmp/x', baseUrl: '/files/' }, {})
    expect(fs).toBeInstanceOf(FileSystemStorage)
    expect(await fs.url('a')).toBe('/files/a')
    expect(createStorage({ backend: 'memory', fileOverwrite: true }).fileOverwrite).toBe(true)
  })

  it('an unknown option throws ImproperlyConfigured naming it', () => {
    expect(() => createStorage({ backend: 'memory', bogus: 1 } as never)).toThrow("Invalid setting 'bogus' for InMemoryStorage")
  })

  it('an unknown backend name throws InvalidStorageError', () => {
    expect(() => createStorage({ backend: 'ftp' } as never)).toThrow(InvalidStorageError)
  })

  it('accepts a Storage class or a factory as backend', () => {
    expect(createStorage({ backend: InMemoryStorage, fileOverwrite: true })).toBeInstanceOf(InMemoryStorage)
    const made = createStorage({ backend: (o: { tag: string }) => new InMemoryStorage({ baseUrl: `/${o.tag}/` }), tag: 't' })
    expect(made).toBeInstanceOf(Storage)
    expect(() => createStorage({ backend: () => ({}) as Storage })).toThrow(InvalidStorageError)
  })
})

describe('createStorages()', () => {
  it('builds each alias once, on first use', () => {
    let built = 0
    const registry = createStorages({
      default: { backend: 'memory' },
      counted: { backend: () => (built++, new InMemoryStorage()) },
    })
    expect(built).toBe(0)
    expect(registry.get('counted')).toBe(registry.get('counted'))
    expect(built).toBe(1)
    expect(registry.aliases).toEqual(['default', 'counted'])
    expect(registry.has('default')).toBe(true)
  })

  it('an unknown alias throws InvalidStorageError', () => {
    expect(() => createStorages({ default: { backend: 'memory' } }).get('media')).toThrow("Could not find config for 'media'")
  })

  it('a filesystem alias without a location falls back to MEDIA_ROOT', () => {
    const registry = createStorages({ default: { backend: 'filesystem' } }, { MEDIA_ROOT: join('/tmp', 'ns-root') })
    expect((registry.get('default') as FileSystemStorage).location).toBe('/tmp/ns-root')
  })
})

describe('createStorage() with a config and the environment', () => {
  it("the environment fills what a config leaves unset; the config's options win", async () => {
    const env = { MEDIA_ROOT: '/tmp/ns-env', MEDIA_URL: '/env/', STORAGE_SECRET: 's'.repeat(32) }
    const fs = createStorage({ backend: 'filesystem', baseUrl: '/given/', querystringAuth: true }, env) as FileSystemStorage
    expect(fs.location).toBe('/tmp/ns-env')
    expect(await fs.url('a')).toMatch(/^\/given\/a\?expires=/)
    expect(await createStorage({ backend: 'memory' }, env).url('a')).toBe('/env/a')
  })

  it('a Storage class or factory as backend gets the config only, never the environment', () => {
    let seen: unknown
    createStorage({ backend: (o: object) => ((seen = o), new InMemoryStorage()) }, { MEDIA_URL: '/env/' })
    expect(seen).toEqual({})
  })

  it('a bad variable throws naming it and the option it sets', () => {
    expect(() => createStorage({ backend: 's3', bucketName: 'b' }, { AWS_S3_USE_SSL: 'sometimes' })).toThrow(
      /AWS_S3_USE_SSL="sometimes" is not a boolean.*S3Storage option 'useSsl'/,
    )
  })
})

describe('the staticfiles alias from the environment', () => {
  const S3_ENV = {
    USE_S3_STORAGE: 'true',
    AWS_STORAGE_BUCKET_NAME: 'assets',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_DEFAULT_ACL: 'public-read',
    AWS_LOCATION: 'media',
  }

  it('is the filesystem at STATIC_ROOT under STATIC_URL when S3 is not selected', async () => {
    const registry = createStorages(undefined, { STATIC_ROOT: join('/tmp', 'ns-static'), STATIC_URL: '/assets/' })
    expect(registry.has('staticfiles')).toBe(true)
    expect(registry.aliases).toEqual(['default'])
    const storage = registry.get('staticfiles') as FileSystemStorage
    expect(storage).toBeInstanceOf(FileSystemStorage)
    expect(storage.location).toBe(resolve('/tmp/ns-static'))
    expect(await storage.url('css/app.css')).toBe('/assets/css/app.css')
  })

  it('is S3 under location static with unsigned URLs, and no ACL from the environment', async () => {
    const storage = createStorages({ default: { backend: 's3' } }, S3_ENV).get('staticfiles') as S3Storage
    expect(storage).toBeInstanceOf(S3Storage)
    expect(storage.location).toBe('static')
    expect(storage.defaultAcl).toBeUndefined()
    const url = await storage.url('css/app.css')
    expect(url).toContain('/static/css/app.css')
    expect(url).not.toContain('X-Amz-Signature')
  })

  it('takes AWS_STATIC_LOCATION, and a configured staticfiles alias wins', () => {
    const env = { ...S3_ENV, AWS_STATIC_LOCATION: 'assets/v2' }
    expect((createStorages({}, env).get('staticfiles') as S3Storage).location).toBe('assets/v2')
    const mine = createStorages({ staticfiles: { backend: 'memory' } }, env).get('staticfiles')
    expect(mine).toBeInstanceOf(InMemoryStorage)
  })
})

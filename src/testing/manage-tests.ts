/** Shared behaviour tests: deleting, listing, copying, moving and signed uploads. */
import { expect, it } from 'vitest'
import { FileExistsError, FileNotFoundError, StorageError } from '../core/errors.js'
import { allNames, type SuiteContext } from './context.js'

/** Registers the file-management tests. */
export function manageTests(ctx: SuiteContext): void {
  it('delete removes a file', async () => {
    await ctx.storage().save('doomed.txt', 'x')
    await ctx.storage().delete('doomed.txt')
    expect(await ctx.storage().exists('doomed.txt')).toBe(false)
  })

  it('deleting a missing file is not an error', async () => {
    await expect(ctx.storage().delete('never-was.txt')).resolves.toBeUndefined()
  })

  it('delete with an empty name throws', async () => {
    await expect(ctx.storage().delete('')).rejects.toThrow('The name must be given to delete().')
  })

  it('delete refuses names that resolve to the storage root and removes nothing', async () => {
    const storage = ctx.storage()
    await storage.save('kept.txt', 'x')
    for (const root of ['.', 'a/..', './']) {
      await expect(storage.delete(root), root).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
    }
    await expect(storage.deleteMany(['kept.txt', '.'])).rejects.toMatchObject({ code: 'E_INVALID_NAME' })
    expect(await storage.exists('kept.txt')).toBe(true)
    expect(await storage.save('after.txt', 'y')).toBe('after.txt')
  })

  it('deleteMany removes every name given and ignores missing ones', async () => {
    const storage = ctx.storage()
    await Promise.all(['m/1.txt', 'm/2.txt', 'm/3.txt', 'keep.txt'].map((n) => storage.save(n, n)))
    await storage.deleteMany(['m/1.txt', 'm/2.txt', 'm/3.txt', 'm/missing.txt'])
    expect(await allNames(storage)).toEqual(['keep.txt'])
  })

  it('deleteMany checks every name before deleting any', async () => {
    const storage = ctx.storage()
    await storage.save('safe.txt', 'x')
    await expect(storage.deleteMany(['safe.txt', '../evil'])).rejects.toThrow(/denied/)
    expect(await storage.exists('safe.txt')).toBe(true)
  })

  it('listdir returns the directories and files one level below a path', async () => {
    const storage = ctx.storage()
    await Promise.all(['top.txt', 'd1/a.txt', 'd1/sub/b.txt', 'd2/c.txt'].map((n) => storage.save(n, n)))
    const [dirs, files] = await storage.listdir('')
    expect([...dirs].sort()).toEqual(['d1', 'd2'])
    expect(files).toEqual(['top.txt'])
    const [subDirs, subFiles] = await storage.listdir('d1')
    expect(subDirs).toEqual(['sub'])
    expect(subFiles).toEqual(['a.txt'])
    expect(await storage.listdir('d1/')).toEqual([['sub'], ['a.txt']])
  })

  it('listdir of a missing directory is empty', async () => {
    expect(await ctx.storage().listdir('no/such/dir')).toEqual([[], []])
  })

  it('list yields the files of one level, or of every level with recursive', async () => {
    const storage = ctx.storage()
    await Promise.all(['l/a.txt', 'l/b.txt', 'l/sub/c.txt', 'other.txt'].map((n) => storage.save(n, 'abc')))
    const flat: string[] = []
    for await (const e of storage.list('l')) flat.push(e.name)
    expect(flat.sort()).toEqual(['l/a.txt', 'l/b.txt'])
    const deep: string[] = []
    for await (const e of storage.list('l', { recursive: true })) deep.push(e.name)
    expect(deep.sort()).toEqual(['l/a.txt', 'l/b.txt', 'l/sub/c.txt'])
  })

  it('list entries carry size and modification time', async () => {
    await ctx.storage().save('entry.txt', '12345')
    const entries = []
    for await (const e of ctx.storage().list('')) entries.push(e)
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ name: 'entry.txt', size: 5 })
    expect(entries[0]!.lastModified).toBeInstanceOf(Date)
  })

  it('copy duplicates a file and leaves the source', async () => {
    const storage = ctx.storage()
    await storage.save('orig.txt', 'original')
    await storage.copy('orig.txt', 'copies/dup.txt')
    expect((await storage.read('copies/dup.txt')).toString()).toBe('original')
    expect((await storage.read('orig.txt')).toString()).toBe('original')
  })

  it('copying onto an existing name without overwrite throws FileExistsError and keeps the target', async () => {
    const storage = ctx.storage()
    await storage.save('src.txt', 'source')
    await storage.save('dst.txt', 'target')
    await expect(storage.copy('src.txt', 'dst.txt')).rejects.toBeInstanceOf(FileExistsError)
    expect((await storage.read('dst.txt')).toString()).toBe('target')
  })

  it('copying with fileOverwrite replaces the target', async () => {
    const storage = await ctx.overwriting()
    await storage.save('src.txt', 'source')
    await storage.save('dst.txt', 'target')
    await storage.copy('src.txt', 'dst.txt')
    expect((await storage.read('dst.txt')).toString()).toBe('source')
  })

  it('copying a missing file throws FileNotFoundError and creates nothing', async () => {
    await expect(ctx.storage().copy('ghost.txt', 'copy.txt')).rejects.toBeInstanceOf(FileNotFoundError)
    expect(await allNames(ctx.storage())).toEqual([])
  })

  it('move renames a file', async () => {
    const storage = ctx.storage()
    await storage.save('before.txt', 'moving')
    await storage.move('before.txt', 'after/after.txt')
    expect(await storage.exists('before.txt')).toBe(false)
    expect((await storage.read('after/after.txt')).toString()).toBe('moving')
  })

  it('moving onto an existing name without overwrite throws FileExistsError and keeps both files', async () => {
    const storage = ctx.storage()
    await storage.save('a.txt', 'a')
    await storage.save('b.txt', 'b')
    await expect(storage.move('a.txt', 'b.txt')).rejects.toBeInstanceOf(FileExistsError)
    expect((await storage.read('a.txt')).toString()).toBe('a')
    expect((await storage.read('b.txt')).toString()).toBe('b')
  })

  it('moving a missing file throws FileNotFoundError', async () => {
    await expect(ctx.storage().move('ghost.txt', 'there.txt')).rejects.toBeInstanceOf(FileNotFoundError)
  })

  it('errors are StorageErrors with the name and the original as cause', async () => {
    const error = await ctx
      .storage()
      .read('missing/file.txt')
      .catch((e) => e)
    expect(error).toBeInstanceOf(StorageError)
    expect(error.key).toBe('missing/file.txt')
    expect(error.message).toContain('missing/file.txt')
  })

  it('signedUploadUrl picks an available name and says how to upload', async (t) => {
    if (!ctx.capabilities.signedUploads) return t.skip()
    const storage = ctx.storage()
    await storage.save('uploads/doc.pdf', 'existing')
    const upload = await storage.signedUploadUrl('uploads/doc.pdf', { contentType: 'application/pdf', maxSize: 1000 })
    expect(upload.name).toMatch(/^uploads\/doc_[A-Za-z0-9]{7}\.pdf$/)
    expect(upload.method).toBe('PUT')
    expect(upload.expiresAt.getTime()).toBeGreaterThan(Date.now())
    await expect(storage.signedUploadUrl('../x.pdf')).rejects.toThrow(/traversal/)
  })
}

/** Shared behaviour tests: cancellation with `{ signal }` and the HTTP status of errors. */
import { expect, it } from 'vitest'
import type { SuiteContext } from './context.js'

/** Registers the cancellation and error-status tests. */
export function signalTests(ctx: SuiteContext): void {
  it('every I/O method given an aborted signal rejects with the signal reason and changes nothing', async () => {
    const storage = ctx.storage()
    await storage.save('kept.txt', 'kept')
    const reason = new Error('the caller gave up')
    const signal = AbortSignal.abort(reason)
    const calls: [string, () => Promise<unknown>][] = [
      ['exists', () => storage.exists('kept.txt', { signal })],
      ['stat', () => storage.stat('kept.txt', { signal })],
      ['size', () => storage.size('kept.txt', { signal })],
      ['read', () => storage.read('kept.txt', { signal })],
      ['open', () => storage.open('kept.txt', { signal })],
      ['listdir', () => storage.listdir('', { signal })],
      ['delete', () => storage.delete('kept.txt', { signal })],
      ['deleteMany', () => storage.deleteMany(['kept.txt'], { signal })],
      ['copy', () => storage.copy('kept.txt', 'copied.txt', { signal })],
      ['move', () => storage.move('kept.txt', 'moved.txt', { signal })],
      ['save', () => storage.save('new.txt', 'x', { signal })],
      [
        'list',
        async () => {
          for await (const _ of storage.list('', { signal })) void _
        },
      ],
    ]
    for (const [method, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, method).toBe(reason)
    }
    expect(await storage.read('kept.txt')).toEqual(Buffer.from('kept'))
    for (const name of ['copied.txt', 'moved.txt', 'new.txt']) expect(await storage.exists(name), name).toBe(false)
  })

  it('errors carry the HTTP status and exposure a server should answer with', async () => {
    const storage = ctx.storage()
    await expect(storage.read('missing.txt')).rejects.toMatchObject({ status: 404, expose: true, code: 'ENOENT' })
    await expect(storage.save('../escape.txt', 'x')).rejects.toMatchObject({ status: 400, expose: true, code: 'E_SUSPICIOUS' })
    await expect(storage.open('x', { start: 5, end: 1 })).rejects.toMatchObject({ status: 416, expose: true })
    await storage.save('taken.txt', 'x')
    await storage.save('other.txt', 'y')
    await expect(storage.copy('other.txt', 'taken.txt')).rejects.toMatchObject({ status: 409, expose: true, code: 'EEXIST' })
  })
}

/**
 * Confinement of FileSystemStorage paths to `location`, through symlinks, without walking every
 * path component with `stat` on each call. `location`'s real path is resolved once; a directory
 * whose real path was found inside it (or that this storage created under such a directory) is
 * remembered for `TRUST_MS`, so a save into a known directory makes no confinement system call at
 * all. A directory replaced by a symlink meanwhile is noticed when its entry expires, or at once
 * when an operation in it fails (the entry is dropped). Every check here is asynchronous, except
 * `confineSync`, which only the synchronous `path()` uses.
 */
import { lstat, realpath } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import * as path from 'node:path'
import { builtin } from '../../core/builtins.js'
import { SuspiciousFileOperation } from '../../core/errors.js'

/** How long a verified directory is trusted (ms): the longest a swapped-in symlink goes unnoticed. */
export const TRUST_MS = 1000

/** Whether an error says the path (or a parent) does not exist. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

/** What `Confinement.dir()` found: the directory exists inside `location`, or does not exist yet. */
export type DirState = 'inside' | 'missing'

/** The confinement checks of one storage (one `location`). */
export class Confinement {
  /** The real path of `location`, once it exists (undefined until then). */
  private root: string | undefined
  private readonly trusted = new Map<string, number>()
  // url()'s own memory, by directory relative to location: checked (existing or not) in the last second.
  private readonly urlDirs = new Map<string, number>()

  /** Checks paths under `location` (absolute). */
  constructor(readonly location: string) {}

  /** The absolute path of a resolved name (`''` is `location`). */
  target(name: string): string {
    return name ? path.join(this.location, name) : this.location
  }

  /** The `SuspiciousFileOperation` every refused name gets. */
  denied(name: string): SuspiciousFileOperation {
    return new SuspiciousFileOperation(`Attempted access to '${name}' denied.`, { key: name })
  }

  /** Whether the directory (absolute) is trusted now: it exists and was found inside `location` in the last second. */
  isTrusted(dir: string): boolean {
    const at = this.trusted.get(dir)
    if (at === undefined) return false
    if (performance.now() - at < TRUST_MS) return true
    this.trusted.delete(dir)
    return false
  }

  /** Whether `url()` may answer for the resolved `name` at once: its directory was checked in the last second. */
  urlReady(name: string): boolean {
    const at = this.urlDirs.get(name.slice(0, Math.max(0, name.lastIndexOf('/'))))
    return at !== undefined && performance.now() - at < TRUST_MS
  }

  /** Checks the directory of the resolved `name` for `url()` (`dir()`'s refusals) and remembers it for a second. */
  async urlCheck(name: string): Promise<void> {
    const rel = name.slice(0, Math.max(0, name.lastIndexOf('/')))
    await this.dir(rel ? path.join(this.location, rel) : this.location, name)
    if (this.urlDirs.size > 10_000) this.urlDirs.clear()
    this.urlDirs.set(rel, performance.now())
  }

  /** Trusts `dir` (and every directory between it and `upTo`, inclusive): created or verified here. */
  trust(dir: string, upTo = dir): void {
    const now = performance.now()
    if (this.trusted.size > 10_000) this.trusted.clear() // bounded: a cache, not a registry
    for (let d = dir; ; d = path.dirname(d)) {
      this.trusted.set(d, now)
      if (d.length <= upTo.length || d === path.dirname(d)) break
    }
  }

  /** Forgets `dir` and everything under it (after a failure there, or a directory removed). */
  forget(dir: string): void {
    this.trusted.delete(dir)
    const prefix = dir + path.sep
    for (const key of this.trusted.keys()) if (key.startsWith(prefix)) this.trusted.delete(key)
    this.urlDirs.clear()
  }

  private inside(real: string): boolean {
    const root = this.root!
    return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)
  }

  private async realRoot(): Promise<string | undefined> {
    if (this.root === undefined) {
      try {
        this.root = await realpath(this.location)
      } catch (error) {
        if (isMissing(error)) return undefined
        throw error
      }
    }
    return this.root
  }

  /**
   * Checks that the directory `dir` (absolute, under `location`) really lives inside `location`:
   * `'inside'` when it exists there, `'missing'` when it does not exist yet and its deepest
   * existing ancestor is inside; throws `SuspiciousFileOperation` (for `name`) when it or that
   * ancestor resolves outside, or is a dangling link.
   */
  async dir(dir: string, name: string): Promise<DirState> {
    if (this.isTrusted(dir)) return 'inside'
    if ((await this.realRoot()) === undefined) return 'missing' // no root yet: nothing under it can be a link
    // A missing directory is about to be created under its deepest existing ancestor: that one is
    // always resolved (never taken from the trust cache), since mkdir would follow a swapped-in link.
    for (let probe = dir, first = true; ; probe = path.dirname(probe), first = false) {
      let real: string
      try {
        real = await realpath(probe)
      } catch (error) {
        if (!isMissing(error)) throw error
        if (await isLink(probe)) throw this.denied(name) // a dangling link: where it points is not ours
        if (probe === this.location || probe === path.dirname(probe)) return 'missing'
        continue
      }
      if (!this.inside(real)) throw this.denied(name)
      this.trust(probe)
      return first ? 'inside' : 'missing'
    }
  }

  /** Checks a directory just created (absolute) by its real path, and trusts it and the levels made with it. */
  async created(dir: string, first: string, name: string): Promise<void> {
    await this.realRoot()
    if (!this.inside(await realpath(dir))) throw this.denied(name)
    this.trust(dir, first)
  }

  /**
   * The full check of a name whose last component is read, listed or deleted: its directory
   * (`dir()`), then the entry itself when it is a symlink (refused when it points outside or
   * nowhere). Returns the entry's `lstat`, or undefined when it does not exist.
   */
  async entry(name: string): Promise<Stats | undefined> {
    const target = this.target(name)
    if (name) await this.dir(path.dirname(target), name)
    let st: Stats
    try {
      st = await lstat(target)
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
    if (st.isSymbolicLink()) await this.link(target, name)
    else if (!name) await this.realRoot()
    return st
  }

  /** Refuses a symlink (absolute path) that points outside `location` or nowhere. */
  async link(target: string, name: string): Promise<void> {
    let real: string
    try {
      real = await realpath(target)
    } catch (error) {
      if (isMissing(error)) throw this.denied(name)
      throw error
    }
    if ((await this.realRoot()) !== undefined && !this.inside(real)) throw this.denied(name)
  }

  /** Whether `name` passes `entry()` (listings leave out what every other method refuses). */
  async allows(name: string): Promise<boolean> {
    try {
      await this.entry(name)
      return true
    } catch (error) {
      if (error instanceof SuspiciousFileOperation) return false
      throw error
    }
  }

  /**
   * The synchronous check of `path()`, which must return a string: the target, or its deepest
   * existing ancestor, is resolved with `realpathSync.native` (one system call per level tried).
   */
  confineSync(name: string): string {
    const target = this.target(name)
    const { lstatSync, realpathSync } = builtin('node:fs')
    let root: string
    try {
      root = this.root ?? realpathSync.native(this.location)
    } catch {
      return target // no root yet: nothing under it can be a link
    }
    this.root = root
    for (let probe = target; ; probe = path.dirname(probe)) {
      try {
        if (!this.inside(realpathSync.native(probe))) break
        return target
      } catch (error) {
        if (!isMissing(error)) throw error
        let link = false
        try {
          link = lstatSync(probe).isSymbolicLink()
        } catch {}
        if (link) break
        if (probe === this.location) return target
      }
    }
    throw this.denied(name)
  }
}

async function isLink(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isSymbolicLink()
  } catch {
    return false
  }
}

/**
 * `node-storages policy`: prints the least-privilege IAM policy of a storage that states one
 * (the `PolicyProvider` capability; S3Storage builds it in src/backends/s3/policy.ts), or one
 * policy covering several aliases (`policy --all --config FILE`), their statements merged.
 */
import { isPolicyProvider } from '../core/capabilities.js'
import { ImproperlyConfigured } from '../core/errors.js'
import type { Storage } from '../core/storage.js'

/** Options of `policyFor`. */
export interface PolicyCommandOptions {
  /** Add the bucket-setting reads `node-storages doctor` makes (`policy --doctor`). */
  doctor?: boolean
}

/** A statement of an IAM policy, as `iamPolicy()` returns them. */
export interface PolicyStatement {
  Sid?: string
  Effect: string
  Action: string | string[]
  Resource: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: string
  Statement: PolicyStatement[]
}

/**
 * The IAM policy `storage` needs (its `iamPolicy()`); throws `ImproperlyConfigured` for a storage
 * that has none, which today means any storage but S3.
 */
export function policyFor(storage: Storage, options: PolicyCommandOptions = {}): PolicyDocument {
  if (!isPolicyProvider(storage)) {
    throw new ImproperlyConfigured(
      `\`policy\` is for S3 storages (and others that state an IAM policy), not ${String(storage)}: ` +
        'set USE_S3_STORAGE=true and AWS_STORAGE_BUCKET_NAME.',
    )
  }
  return storage.iamPolicy(options.doctor ? { doctor: true } : {}) as PolicyDocument
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v])
const union = (a: string[], b: string[]) => [...new Set([...a, ...b])]
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x))

/** Merges statements that `same` pairs, with `merge`; keeps the first one's place and Sid. */
function fold(
  statements: PolicyStatement[],
  same: (a: PolicyStatement, b: PolicyStatement) => boolean,
  merge: (a: PolicyStatement, b: PolicyStatement) => PolicyStatement,
) {
  const out: PolicyStatement[] = []
  for (const s of statements) {
    const i = out.findIndex((o) => same(o, s))
    if (i === -1) out.push(s)
    else out[i] = merge(out[i]!, s)
  }
  return out
}

/** The only condition of a statement when it is `StringLike` on `s3:prefix`: its prefixes. */
function prefixes(s: PolicyStatement): string[] | undefined {
  const c = s.Condition
  if (!c) return undefined
  const keys = Object.keys(c)
  if (keys.length !== 1 || keys[0] !== 'StringLike' || Object.keys(c.StringLike!).join() !== 's3:prefix') return undefined
  return list(c.StringLike!['s3:prefix']!)
}

/**
 * One policy granting what each of `policies` grants: statements on the same resource and
 * condition share their actions, listings of one bucket share their `s3:prefix` values (a
 * listing of the whole bucket wins), statements with the same actions share their resources.
 * Sids are kept, numbered when two statements would share one.
 */
export function mergePolicies(policies: readonly PolicyDocument[]): PolicyDocument {
  let statements: PolicyStatement[] = policies.flatMap((p) =>
    p.Statement.map((s) => ({ ...s, Action: list(s.Action), Resource: list(s.Resource) })),
  )
  const key = (s: PolicyStatement) => JSON.stringify([s.Effect, [...list(s.Resource)].sort(), s.Condition ?? null])
  statements = fold(
    statements,
    (a, b) => key(a) === key(b),
    (a, b) => ({ ...a, Action: union(list(a.Action), list(b.Action)) }),
  )
  statements = fold(
    statements,
    (a, b) =>
      a.Effect === b.Effect &&
      sameSet(list(a.Action), list(b.Action)) &&
      sameSet(list(a.Resource), list(b.Resource)) &&
      (a.Condition === undefined || prefixes(a) !== undefined) &&
      (b.Condition === undefined || prefixes(b) !== undefined),
    (a, b) => {
      const [pa, pb] = [prefixes(a), prefixes(b)]
      const { Condition: _dropped, ...rest } = a
      return pa && pb ? { ...a, Condition: { StringLike: { 's3:prefix': union(pa, pb) } } } : rest
    },
  )
  const shape = (s: PolicyStatement) => JSON.stringify([s.Effect, [...list(s.Action)].sort(), s.Condition ?? null])
  statements = fold(
    statements,
    (a, b) => shape(a) === shape(b),
    (a, b) => ({ ...a, Resource: union(list(a.Resource), list(b.Resource)) }),
  )
  const seen = new Map<string, number>()
  const Statement = statements.map((s) => {
    const Resource = list(s.Resource).length === 1 ? list(s.Resource)[0]! : list(s.Resource)
    if (!s.Sid) return { ...s, Resource }
    const n = (seen.get(s.Sid) ?? 0) + 1
    seen.set(s.Sid, n)
    return { ...s, Sid: n === 1 ? s.Sid : `${s.Sid}${n}`, Resource }
  })
  return { Version: policies[0]?.Version ?? '2012-10-17', Statement }
}

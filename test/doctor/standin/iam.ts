// The IAM evaluator of the AWS stand-in: identity policies as AWS writes them (Allow/Deny,
// wildcards in Action and Resource, StringLike/StringEquals conditions), evaluated the way IAM
// does: an explicit Deny wins, else an Allow is needed, else the request is implicitly denied.

import type { PolicyDocument, PolicyStatement } from '../../../src/cli/policy.js'

export type { PolicyDocument, PolicyStatement }

export const ADMIN_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }

/** What one request asks IAM: an action on a resource, with its condition keys (`s3:prefix`, `kms:ViaService`). */
export interface Authorization {
  action: string
  resource: string
  context?: Record<string, string | undefined>
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v])

/** IAM's wildcard match: `*` any run of characters, `?` one; case-insensitive for actions only. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(value)
}

function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string | undefined>): boolean {
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const actual = context[key]
      if (actual === undefined) return false // a missing key never satisfies a String* condition
      const values = list(expected)
      if (operator === 'StringLike' && !values.some((p) => wildcard(p, actual))) return false
      if (operator === 'StringEquals' && !values.includes(actual)) return false
      if (operator !== 'StringLike' && operator !== 'StringEquals') return false
    }
  }
  return true
}

function matches(statement: PolicyStatement, request: Authorization): boolean {
  return (
    list(statement.Action).some((a) => wildcard(a, request.action, true)) &&
    list(statement.Resource).some((r) => wildcard(r, request.resource)) &&
    conditionHolds(statement.Condition, request.context ?? {})
  )
}

/** `allow`, `explicit-deny` or `implicit-deny` for one request under `policy`. */
export function evaluate(policy: PolicyDocument, request: Authorization): 'allow' | 'explicit-deny' | 'implicit-deny' {
  const hits = policy.Statement.filter((s) => matches(s, request))
  if (hits.some((s) => s.Effect === 'Deny')) return 'explicit-deny'
  return hits.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny'
}

/** `policy` without `action` in any statement (a statement left with no action is dropped). */
export function withoutAction(policy: PolicyDocument, action: string): PolicyDocument {
  const Statement = policy.Statement.map((s) => ({ ...s, Action: list(s.Action).filter((a) => a !== action) })).filter(
    (s) => s.Action.length > 0,
  )
  return { ...policy, Statement }
}

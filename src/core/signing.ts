/**
 * HMAC-signed URLs for backends that `serveStorage` serves (filesystem, memory): what is signed,
 * how, and the constant-time check. Signatures are HMAC-SHA256 over a canonical string holding
 * the method, the name, the expiry and the upload limits, encoded base64url.
 */
import { builtin } from './builtins.js'

/** What a local signed URL grants. */
export interface LocalGrant {
  /** `GET` (download) or `PUT` (direct upload). */
  method: string
  /** The name relative to the storage's location. */
  name: string
  /** Expiry, seconds since the epoch. */
  expires: number
  /** Content type an upload must carry. */
  contentType?: string
  /** Largest accepted upload in bytes. */
  maxSize?: number
}

function canonical(grant: LocalGrant): string {
  return [
    'node-storages-v1',
    grant.method.toUpperCase(),
    grant.name,
    String(grant.expires),
    grant.contentType ?? '',
    grant.maxSize === undefined ? '' : String(grant.maxSize),
  ].join('\n')
}

/** The signature of a grant under `secret` (base64url HMAC-SHA256). */
export function signGrant(secret: string | Buffer, grant: LocalGrant): string {
  return builtin('node:crypto').createHmac('sha256', secret).update(canonical(grant)).digest('base64url')
}

/** Why a signature check failed, or `ok`. */
export type GrantCheck = 'ok' | 'expired' | 'bad-signature'

/**
 * Checks `signature` for `grant` in constant time, then the expiry against `now` (ms). A signature
 * of the wrong length fails without comparing bytes; one of the right length is compared with
 * `timingSafeEqual`, so timing never tells how much of it matched.
 */
export function verifyGrant(secret: string | Buffer, grant: LocalGrant, signature: string, now = Date.now()): GrantCheck {
  const expected = Buffer.from(signGrant(secret, grant))
  const given = Buffer.from(String(signature))
  const same = given.length === expected.length && builtin('node:crypto').timingSafeEqual(given, expected)
  if (!same) return 'bad-signature'
  if (!Number.isFinite(grant.expires) || grant.expires * 1000 <= now) return 'expired'
  return 'ok'
}

/**
 * The two hashing steps of a SigV4 signature, done with as few `node:crypto` calls and
 * allocations as possible: the SHA-256 of the canonical request, and the HMAC-SHA256 of the
 * string to sign under the day's signing key.
 */
import type * as Crypto from 'node:crypto'
import { builtin } from '../../../core/builtins.js'

// node:crypto loads on the first hash (src/core/builtins.ts), then stays in these two variables:
// no lookup per signature.
let lib: typeof Crypto | undefined
/** `crypto.hash` (Node >= 20.12): a one-shot digest without a Hash object. Set by `load()`. */
let oneShot = false

/** node:crypto, loaded on the first call. */
function load(): typeof Crypto {
  if (lib === undefined) {
    lib = builtin('node:crypto')
    oneShot = typeof lib.hash === 'function'
  }
  return lib
}

/** Hex SHA-256 of a string (UTF-8). */
export function sha256Hex(data: string): string {
  const c = lib ?? load()
  return oneShot ? c.hash('sha256', data, 'hex') : c.createHash('sha256').update(data).digest('hex')
}

/** Raw HMAC-SHA256. */
export function hmac(key: Crypto.BinaryLike, data: string): Buffer {
  return (lib ?? load()).createHmac('sha256', key).update(data).digest()
}

const ASCII = /^[\x00-\x7f]*$/

/**
 * Signs SigV4 strings to sign under one signing key and one credential scope:
 * `AWS4-HMAC-SHA256\n<longDate>\n<scope>\n<hex SHA-256 of the canonical request>`.
 *
 * The HMAC is built from two one-shot hashes over preallocated pads (RFC 2104) rather than a
 * `createHmac` object per call: the inner pad is followed by the string to sign, written once
 * per date, so each signature writes only the 64 hex digits of the request hash, hashes the
 * inner buffer into the outer one and hashes that. Output is the same as `createHmac`.
 */
export class StringToSignSigner {
  readonly #key: Buffer
  readonly #scope: string
  /** Inner pad + string to sign (its date line rewritten when the date changes); undefined without `crypto.hash`. */
  readonly #inner?: Buffer
  readonly #outer?: Buffer
  /** Offset of the request hash in `#inner`. */
  readonly #hashAt: number = 0
  #longDate = ''

  /** `key`: the 32-byte SigV4 signing key; `scope`: `<yyyymmdd>/<region>/<service>/aws4_request`. */
  constructor(key: Buffer, scope: string) {
    this.#key = key
    this.#scope = scope
    load()
    if (!oneShot || !ASCII.test(scope) || key.length > 64) return
    // 64 pad bytes, `AWS4-HMAC-SHA256\n` (17), the date (16), `\n<scope>\n`, then the hash.
    const start = 64 + 17 + 16 + 1 + scope.length + 1
    const inner = Buffer.alloc(start + 64, 0x36)
    const outer = Buffer.alloc(64 + 32, 0x5c)
    for (let i = 0; i < key.length; i++) {
      inner[i] ^= key[i]
      outer[i] ^= key[i]
    }
    inner.write('AWS4-HMAC-SHA256\n', 64, 'latin1')
    inner.write('\n' + scope + '\n', 64 + 17 + 16, 'latin1')
    this.#inner = inner
    this.#outer = outer
    this.#hashAt = start
  }

  /** Hex HMAC-SHA256 of the string to sign for `longDate` (`yyyymmddThhmmssZ`) and `requestHash` (64 hex digits). */
  sign(longDate: string, requestHash: string): string {
    const inner = this.#inner
    const outer = this.#outer
    if (inner === undefined || outer === undefined || longDate.length !== 16 || requestHash.length !== 64) {
      const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${this.#scope}\n${requestHash}`
      return load().createHmac('sha256', this.#key).update(stringToSign).digest('hex')
    }
    if (longDate !== this.#longDate) {
      inner.write(longDate, 64 + 17, 'latin1')
      this.#longDate = longDate
    }
    inner.write(requestHash, this.#hashAt, 'latin1')
    // 'binary' (latin1): the 32 digest bytes as a 32-character string, no Buffer allocated.
    // Loaded by the constructor (`#inner` is set only then).
    const c = lib as typeof Crypto
    outer.write(c.hash('sha256', inner, 'binary'), 64, 'binary')
    return c.hash('sha256', outer, 'hex')
  }
}

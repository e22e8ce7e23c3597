/**
 * Optional capabilities a storage declares as values, so that the HTTP handlers, the CLI and
 * third-party code test for them instead of guessing from a class name or the shape of options
 * (OpenDAL's `Capability`, flysystem's capability interfaces). A third-party backend opts in by
 * providing the same members. Every guard checks shape, not class, so two loaded copies of the
 * package (ESM and CommonJS side by side) still recognise each other's storages.
 */
import type { Check, DiagnoseOptions } from './diagnostics.js'
import type { GrantCheck, LocalGrant } from './signing.js'

/**
 * Checks the signed URLs a storage hands out, for the HTTP handlers that serve it
 * (`serveStorage`, `storageHandler`, the Fastify plugin). FileSystemStorage and InMemoryStorage
 * provide one; a third-party backend sets `signedUrlVerifier` to its own.
 */
export interface SignedUrlVerifier {
  /** Whether plain (unsigned) GETs are refused: the storage signs its URLs (`querystringAuth`). */
  readonly requireSignature: boolean
  /** Checks `signature` for `grant` in constant time, then the expiry against `now` (ms). */
  verify(grant: LocalGrant, signature: string, now?: number): GrantCheck
}

/** A storage whose files an HTTP handler serves, checking its signed URLs. */
export interface HasSignedUrlVerifier {
  readonly signedUrlVerifier: SignedUrlVerifier
}

/** A storage whose files are fetched from its own URLs (S3): handlers redirect GET/HEAD there. */
export interface SelfServing {
  readonly servesItself: true
}

/** A storage that adds its own checks to `node-storages doctor` (S3: credentials, bucket, ACLs, CORS). */
export interface Diagnosable {
  diagnose(options?: DiagnoseOptions): AsyncIterable<Check>
}

/** Options of `PolicyProvider.iamPolicy()`. */
export interface IamPolicyOptions {
  /** Add the read permissions `node-storages doctor` needs for its bucket checks. */
  doctor?: boolean
}

/** A storage that can state the least-privilege IAM policy it needs (`node-storages policy`). */
export interface PolicyProvider {
  /** The IAM policy statements this storage needs, as JSON-ready objects. */
  iamPolicy(options?: IamPolicyOptions): { Version: string; Statement: object[] }
}

/** The verifier of a storage's signed URLs, when it has one. */
export function signedUrlVerifierOf(storage: object): SignedUrlVerifier | undefined {
  const v = (storage as Partial<HasSignedUrlVerifier>).signedUrlVerifier
  return v && typeof v.verify === 'function' && typeof v.requireSignature === 'boolean' ? v : undefined
}

/** Whether GET/HEAD for this storage's files should be redirected to its `url()`. */
export function isSelfServing(storage: object): storage is SelfServing {
  return (storage as Partial<SelfServing>).servesItself === true
}

/** Whether the storage adds its own `doctor` checks. */
export function isDiagnosable(storage: object): storage is Diagnosable {
  return typeof (storage as Partial<Diagnosable>).diagnose === 'function'
}

/** Whether the storage can state the IAM policy it needs. */
export function isPolicyProvider(storage: object): storage is PolicyProvider {
  return typeof (storage as Partial<PolicyProvider>).iamPolicy === 'function'
}

/**
 * The S3 client of one `S3Storage`, built on first use: `@aws-sdk/client-s3` is imported lazily,
 * so importing node-storages (or building a storage, or making unsigned URLs) never loads it.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3'
import { builtin } from '../../core/builtins.js'
import type { ResolvedS3Options } from './options.js'
import { defaultEndpointUrl } from './endpoint.js'
import { type ClientS3Module, loadClientS3 } from './sdk.js'
import type { AwsCredentials, CredentialProvider } from './signing/sigv4.js'
import { handlerSettings } from './timeouts.js'

/** The SDK module, loaded once per process. */
export type S3Sdk = ClientS3Module

/** Imports `@aws-sdk/client-s3` (once); a missing SDK throws `ImproperlyConfigured` naming the `npm i` line. */
export function loadSdk(): Promise<S3Sdk> {
  return loadClientS3()
}

/** Whether the bucket goes in the path: `path`, or `auto` with a custom endpoint. */
export function forcePathStyle(options: Pick<ResolvedS3Options, 'addressingStyle' | 'endpointUrl'>): boolean {
  if (options.addressingStyle === 'path') return true
  if (options.addressingStyle === 'virtual') return false
  return options.endpointUrl !== undefined
}

/** The `S3Client` configuration the options describe (no secrets are logged from it). */
export function clientConfig(options: ResolvedS3Options): S3ClientConfig {
  const config: S3ClientConfig = {
    region: options.regionName ?? 'us-east-1',
    forcePathStyle: forcePathStyle(options),
  }
  if (options.endpointUrl) config.endpoint = options.endpointUrl
  else if (!options.useSsl) config.endpoint = defaultEndpointUrl(config.region as string, false)
  if (options.credentials) config.credentials = { ...options.credentials }
  if (options.sessionProfile) config.profile = options.sessionProfile
  if (options.requestChecksumCalculation) config.requestChecksumCalculation = options.requestChecksumCalculation
  if (options.responseChecksumValidation) config.responseChecksumValidation = options.responseChecksumValidation
  const agent: Record<string, unknown> = {}
  if (options.verify !== undefined) {
    // node:https (with tls, net and http behind it) loads here, not when the package is imported.
    const { Agent: HttpsAgent } = builtin('node:https')
    agent.httpsAgent = new HttpsAgent(
      options.verify === false ? { keepAlive: true, rejectUnauthorized: false } : { keepAlive: true, ca: options.verify },
    )
  }
  // connectTimeout/readTimeout (timeouts.ts) go under a plain `clientConfig.requestHandler` object;
  // a handler instance given there is used as it is.
  const given = options.clientConfig.requestHandler
  const plain =
    given === undefined || (typeof given === 'object' && given !== null && typeof (given as { handle?: unknown }).handle !== 'function')
  config.requestHandler = (plain ? handlerSettings(options, { ...agent, ...(given as object | undefined) }) : given) as never
  const rest: S3ClientConfig = { ...options.clientConfig }
  delete rest.requestHandler
  return { ...config, ...rest }
}

/** The two checksum settings of a client. */
export interface ChecksumSettings {
  request: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
  response: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'
}

/** The checksum settings the client built from `options` has (the SDK's default: WHEN_SUPPORTED). */
export function configuredChecksums(options: ResolvedS3Options): ChecksumSettings {
  const merged = clientConfig(options)
  const pick = (v: unknown) =>
    (v === 'WHEN_REQUIRED' || v === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED') as ChecksumSettings['request']
  return { request: pick(merged.requestChecksumCalculation), response: pick(merged.responseChecksumValidation) }
}

/** Lazily built client and credentials of one storage. */
export class S3ClientHolder {
  readonly #options: ResolvedS3Options
  #client?: Promise<{ sdk: S3Sdk; client: S3Client }>

  constructor(options: ResolvedS3Options) {
    this.#options = options
  }

  /** The SDK module and the client, built on the first call. */
  get(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    return (this.#client ??= loadSdk().then((sdk) => ({
      sdk,
      client: this.#options.client ?? new sdk.S3Client(clientConfig(this.#options)),
    })))
  }

  /**
   * Credentials for presigning URLs: the explicit keys without loading the SDK, else the
   * client's provider chain (loaded on first use, refreshed by the presigner before expiry).
   */
  credentialProvider(): CredentialProvider {
    const explicit = this.#options.client ? undefined : this.#options.credentials
    if (explicit) {
      const fixed: AwsCredentials = { ...explicit }
      return async () => fixed
    }
    return async () => {
      const { client } = await this.get()
      return (await client.config.credentials()) as AwsCredentials
    }
  }

  /** The region the client signs for (from the options, else asked of a given client). */
  async region(): Promise<string> {
    if (this.#options.regionName) return this.#options.regionName
    const { client } = await this.get()
    return client.config.region()
  }

  /** The client's checksum settings, for presigned URLs that match what the SDK would produce. */
  async checksums(): Promise<ChecksumSettings> {
    if (!this.#options.client) return configuredChecksums(this.#options)
    const { client } = await this.get()
    return { request: await client.config.requestChecksumCalculation(), response: await client.config.responseChecksumValidation() }
  }

  /** Closes the client's sockets (only a client this holder built). */
  destroy(): void {
    if (!this.#client || this.#options.client) return
    void this.#client.then(
      ({ client }) => client.destroy(),
      () => undefined,
    )
  }
}

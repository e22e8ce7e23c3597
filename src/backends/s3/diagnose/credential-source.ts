/**
 * Where the credentials of a storage came from, for doctor's `credentials` line: the environment
 * (which variable), keys written in code, a profile, or a provider of the SDK's chain (SSO, web
 * identity, an instance or task role). Keys given as options are matched against the environment
 * the storage was configured from: a value found there came from it (`accessKey:
 * process.env.MY_KEY` included); one found nowhere was written in code.
 */
import type { S3DiagnoseHost } from './index.js'

/** Where the credentials came from. */
export interface CredentialSource {
  /** E.g. `the environment (AWS_ACCESS_KEY_ID)`. */
  text: string
  /** The keys are literals in the code (options found in no environment variable). */
  inCode: boolean
  /** The variable holding the access key id, when known. */
  variable?: string
  /** The variable holding the secret key, when known. */
  secretVariable?: string
}

/** The variables `fromEnv()` reads keys from, each with its secret's. */
const KEY_VARIABLES: readonly [string, string][] = [
  ['AWS_S3_ACCESS_KEY_ID', 'AWS_S3_SECRET_ACCESS_KEY'],
  ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
]

/** Where the SDK's provider chain found credentials, from the features it tags them with. */
const SOURCES: [RegExp, string][] = [
  [/WEB_ID/, 'a web identity token (EKS IRSA / OIDC)'],
  [/SSO/, 'AWS IAM Identity Center (SSO)'],
  [/PROFILE/, 'a profile of ~/.aws/config'],
  [/ENV_VARS/, 'the environment (AWS_ACCESS_KEY_ID)'],
  [/IMDS/, 'the EC2 instance profile'],
  [/HTTP/, 'the container credentials endpoint (ECS task role)'],
  [/ASSUME_ROLE|STS/, 'an assumed role (STS)'],
  [/PROCESS/, 'a credential_process'],
]

/** Where `creds` (as the client resolved them) came from, given the storage's options and the environment it was built from. */
export function credentialSource(
  creds: { accessKeyId: string; $source?: object },
  options: S3DiagnoseHost['options'],
  env: Record<string, string | undefined> | undefined,
): CredentialSource {
  const given = options.client ? undefined : options.credentials
  if (given) {
    if (!env) return { text: 'accessKey/secretKey (options, or AWS_S3_ACCESS_KEY_ID / AWS_ACCESS_KEY_ID)', inCode: false }
    const standard = KEY_VARIABLES.find(([id]) => env[id] === given.accessKeyId)
    if (standard) return { text: `the environment (${standard[0]})`, inCode: false, variable: standard[0], secretVariable: standard[1] }
    const holding = (value: string) => Object.keys(env).find((name) => env[name] === value)
    const variable = holding(given.accessKeyId)
    if (variable) {
      const secret = holding(given.secretAccessKey)
      return {
        text: `the environment variable ${variable}, passed in code as accessKey`,
        inCode: false,
        variable,
        ...(secret ? { secretVariable: secret } : {}),
      }
    }
    return { text: 'the accessKey/secretKey options', inCode: true }
  }
  if (!options.client && options.sessionProfile) return { text: `the profile '${options.sessionProfile}'`, inCode: false }
  const features = Object.keys(creds.$source ?? {}).join(' ')
  const found = SOURCES.find(([re]) => re.test(features))?.[1]
  if (found?.includes('AWS_ACCESS_KEY_ID'))
    return { text: found, inCode: false, variable: 'AWS_ACCESS_KEY_ID', secretVariable: 'AWS_SECRET_ACCESS_KEY' }
  return { text: found ?? (options.client ? 'the S3Client given as `client`' : "the AWS SDK's provider chain"), inCode: false }
}

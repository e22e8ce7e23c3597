/**
 * Option tables. Each backend declares its options once, as `{ option, env, parse, default, doc }`
 * entries; from its table come the allowed names (`Invalid setting 'bogus' for …`), the
 * environment fallback of `fromEnv()` (optionsFromEnv), the checks and defaults of the
 * constructor (resolveOptions), messages that name the option and its variables, the rule of
 * docs/configuration.md (what the environment may give an alias other than `default`) and the
 * option table of the backend's docs page (renderOptionTable). Option kinds are in option-kinds.ts.
 */
import { ImproperlyConfigured } from './errors.js'
import { envValue, type Env } from './env.js'
import { booleanOption, optionKind, secondsOption } from './option-kinds.js'

/** How one option is read from an environment string and checked when given in code. */
export interface OptionParser<T> {
  /** The value of the environment string `raw` of `variable`; a bad one throws naming `variable` and `option`. */
  fromEnv(raw: string, variable: string, option: string): unknown
  /** Checks (and normalises) a value; `label` names the option and its variables, for messages. */
  check(value: unknown, label: string): T
  /** Whether a given value counts as not set, so the environment, then the default, apply (default: undefined or null). */
  isUnset?(value: unknown): boolean
}

/** How an environment value that widens access is narrowed for an alias other than `default`. */
export interface AccessNarrowing<T> {
  /** The part of `value` another alias may take (undefined: none), given every option the alias would get. */
  narrow(value: T, options: Readonly<Record<string, unknown>>): T | undefined
  /** What the docs say about it, e.g. "`false`: `default` alias only". */
  doc: string
}

/** One option of a backend; `K` is the option's name. */
export interface OptionEntry<T = unknown, K extends string = string> {
  /** The option name, camelCase. */
  option: K
  /** Environment variables `fromEnv()` reads when the option is not given, in priority order (empty values skipped). */
  env?: readonly string[]
  /** A note after the variables in the docs, e.g. `(JSON)`. */
  envDoc?: string
  /** Environment parsing and value check. */
  parse: OptionParser<T>
  /** The value when neither the options nor the environment set it. */
  default?: T
  /** A default that depends on the other options (after checks), when `default` is not enough. */
  defaultOf?: (values: Readonly<Record<string, unknown>>) => T | undefined
  /** The default as the docs show it, when formatting `default` would not say it. */
  defaultDoc?: string
  /** Meaning and example, Markdown: the docs page's table cell. */
  doc: string
  /**
   * An environment value of this option widens access (a public ACL, unsigned URLs, a shared
   * prefix): in `createStorages()` it applies to the `default` alias only (`true`), or only the
   * part `narrow` keeps (docs/configuration.md). Options given in an alias's config always apply.
   */
  widensAccess?: true | AccessNarrowing<T>
}

/** The options of one backend, whose options type is `O` (so a misspelt entry does not compile). */
export interface OptionTable<O extends object = Record<string, unknown>> {
  /** The class name used in messages, e.g. `S3Storage`. */
  readonly backend: string
  /** The options, in the order of the docs table. */
  readonly entries: readonly OptionEntry<unknown, keyof O & string>[]
}

/** Where `fromEnv()` is called from. */
export interface EnvContext {
  /**
   * The alias of `createStorages()` being built. An alias other than `default` takes no
   * environment value that widens access (see `OptionEntry.widensAccess`).
   */
  alias?: string
}

/** The option names of a table. */
export function optionNames(table: OptionTable): string[] {
  return table.entries.map((e) => e.option)
}

/** Throws `ImproperlyConfigured("Invalid setting 'x' for <Backend>. Valid settings: …")` for an unknown option. */
export function checkOptionNames(table: OptionTable, options: object): void {
  const allowed = optionNames(table)
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ImproperlyConfigured(`Invalid setting '${key}' for ${table.backend}. Valid settings: ${allowed.join(', ')}.`)
    }
  }
}

/** `S3Storage option 'regionName' (env AWS_S3_REGION_NAME or AWS_REGION)`: how messages name an option. */
export function optionLabel(table: OptionTable, entry: OptionEntry<unknown>): string {
  const env = entry.env?.length ? ` (env ${entry.env.join(' or ')})` : ''
  return `${table.backend} option '${entry.option}'${env}`
}

function isUnset(entry: OptionEntry<unknown>, value: unknown): boolean {
  return entry.parse.isUnset ? entry.parse.isUnset(value) : value === undefined || value === null
}

/**
 * Checks `options` against the table and applies the defaults: an unknown name or a bad value
 * throws `ImproperlyConfigured` naming the option and its variables. Reads no environment.
 * With `others: 'ignore'`, names outside the table are left alone (a table of shared entries).
 */
export function resolveOptions<R extends object = Record<string, unknown>>(
  table: OptionTable,
  options: object,
  others: 'reject' | 'ignore' = 'reject',
): R {
  if (others === 'reject') checkOptionNames(table, options)
  const given = options as Record<string, unknown>
  const values: Record<string, unknown> = {}
  for (const entry of table.entries) {
    const value = given[entry.option]
    if (!isUnset(entry, value)) values[entry.option] = entry.parse.check(value, optionLabel(table, entry))
  }
  for (const entry of table.entries) {
    if (values[entry.option] !== undefined) continue
    const value = entry.defaultOf ? entry.defaultOf(values) : entry.default
    if (value !== undefined) values[entry.option] = value
  }
  return values as R
}

/**
 * `overrides` with every option they leave unset taken from `env` (the entry's variables in
 * order, empty values skipped), parsed; a value that does not parse throws naming the variable
 * and the option. For an alias other than `default`, environment values that widen access are
 * left out or narrowed. The result still goes through the constructor's checks.
 */
export function optionsFromEnv<O extends object>(table: OptionTable<O>, env: Env, overrides: NoInfer<O>, context: EnvContext = {}): O {
  const t = table as unknown as OptionTable
  checkOptionNames(t, overrides)
  const merged: Record<string, unknown> = { ...(overrides as Record<string, unknown>) }
  const fromEnv: OptionEntry<unknown>[] = []
  for (const entry of t.entries) {
    if (!entry.env || !isUnset(entry, merged[entry.option])) continue
    for (const variable of entry.env) {
      const raw = envValue(env, variable)
      if (raw === undefined) continue
      merged[entry.option] = entry.parse.fromEnv(raw, variable, `${table.backend} option '${entry.option}'`)
      fromEnv.push(entry)
      break
    }
  }
  if (context.alias !== undefined && context.alias !== 'default') {
    for (const entry of fromEnv) {
      if (!entry.widensAccess) continue
      const narrowed = entry.widensAccess === true ? undefined : entry.widensAccess.narrow(merged[entry.option], merged)
      if (narrowed === undefined) delete merged[entry.option]
      else merged[entry.option] = narrowed
    }
  }
  return merged as O
}

/** The entries whose environment values widen access: withheld from (or narrowed for) aliases other than `default`. */
export function accessWideningEntries(table: OptionTable): OptionEntry<unknown>[] {
  return table.entries.filter((e) => e.widensAccess && e.env?.length)
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function formatDefault(entry: OptionEntry<unknown>): string {
  if (entry.defaultDoc !== undefined) return entry.defaultDoc
  const value = entry.default
  if (value === undefined) return 'none'
  if (typeof value === 'string') return `\`'${value}'\``
  return `\`${JSON.stringify(value)}\``
}

function formatEnv(entry: OptionEntry<unknown>): string {
  if (!entry.env?.length) return '—'
  const [first, ...rest] = entry.env.map((v) => `\`${v}\``)
  let text = rest.length ? `${first}, then ${rest.join(', ')}` : first!
  if (entry.envDoc) text += ` ${entry.envDoc}`
  if (entry.widensAccess) text += entry.widensAccess === true ? ' (`default` alias only)' : ` (${entry.widensAccess.doc})`
  return text
}

/** The Markdown table of the variables that widen access, and what an alias other than `default` takes of them (docs/configuration.md). */
export function renderAccessTable(tables: readonly OptionTable[]): string {
  const rows = tables.flatMap((table) =>
    accessWideningEntries(table).map((e) => {
      const rule = e.widensAccess === true ? '`default` alias only' : e.widensAccess!.doc
      return `| ${e.env!.map((v) => `\`${v}\``).join(', ')} | \`${e.option}\` (${table.backend}) | ${cell(rule)} |`
    }),
  )
  return ['| variable | option | applies to |', '|---|---|---|', ...rows].join('\n') + '\n'
}

/** The Markdown table of a backend's options (docs/<backend>.md, between `<!-- options:<name> -->` markers). */
export function renderOptionTable(table: OptionTable): string {
  const rows = table.entries.map((e) => `| \`${e.option}\` | ${cell(formatEnv(e))} | ${cell(formatDefault(e))} | ${cell(e.doc)} |`)
  return ['| option | env | default | meaning and example |', '|---|---|---|---|', ...rows].join('\n') + '\n'
}

// ---------------------------------------------------------------- entries several backends share

/** `fileOverwrite`, every backend's; a backend adds its variable and its own notes. */
export const FILE_OVERWRITE: OptionEntry<boolean, 'fileOverwrite'> = {
  option: 'fileOverwrite',
  parse: booleanOption,
  default: false,
  doc: 'Replace a file saved under a taken name instead of keeping both (the new one then gets a `_<7 random chars>` suffix). `{ fileOverwrite: true }`',
}

/** `querystringExpire`: seconds signed URLs stay valid, a whole number >= 0. */
export const QUERYSTRING_EXPIRE: OptionEntry<number, 'querystringExpire'> = {
  option: 'querystringExpire',
  parse: secondsOption,
  default: 3600,
  doc: 'Seconds a signed URL stays valid; `url(name, { expire })` overrides it. `{ querystringExpire: 600 }`',
}

/** The bytes a signing secret from the environment must have at least. */
export const MIN_SECRET_BYTES = 32

const GENERATE_SECRET = `node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"`

/** `baseUrl` of the local backends: a URL prefix (a trailing `/` added), or `null` for no URLs. */
export const BASE_URL: OptionEntry<string | null, 'baseUrl'> = {
  option: 'baseUrl',
  env: ['MEDIA_URL'],
  parse: optionKind(
    (value, label) => {
      if (value === null) return null
      if (typeof value !== 'string') throw new ImproperlyConfigured(`${label} must be a URL prefix such as '/media/', or null for no URLs.`)
      return value.endsWith('/') ? value : value + '/'
    },
    undefined,
    (v) => v === undefined,
  ),
  default: '/media/',
  doc: "Prefix of `url()`; a trailing `/` is added. `null` makes `url()` throw (files not served). `{ baseUrl: 'https://static.example.com/media/' }`",
}

/** `querystringAuth` of the local backends: HMAC-signed URLs (default false). */
export const LOCAL_QUERYSTRING_AUTH: OptionEntry<boolean, 'querystringAuth'> = {
  option: 'querystringAuth',
  parse: booleanOption,
  default: false,
  doc: 'Sign `url()`s: `?expires=<epoch>&signature=<hmac>`, checked by `serveStorage`. Needs `secret`. `{ querystringAuth: true }`',
}

/** `secret` of the local backends: the HMAC key; from `STORAGE_SECRET` only when at least 32 bytes long. */
export const SECRET: OptionEntry<string | Buffer, 'secret'> = {
  option: 'secret',
  env: ['STORAGE_SECRET'],
  parse: optionKind(
    (value, label) => {
      if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw new ImproperlyConfigured(`${label} must be a string or a Buffer.`)
      return value
    },
    (raw, variable) => {
      if (Buffer.byteLength(raw) < MIN_SECRET_BYTES) {
        throw new ImproperlyConfigured(
          `Environment variable ${variable} is ${Buffer.byteLength(raw)} bytes long: a signing secret needs at least ${MIN_SECRET_BYTES} random bytes. Generate one with: ${GENERATE_SECRET}`,
        )
      }
      return raw
    },
    (v) => v === undefined || v === null || v === '',
  ),
  defaultDoc: '—',
  doc: `HMAC-SHA256 key of signed URLs and signed uploads; it never appears in messages or \`toString()\`. From the environment it must be at least ${MIN_SECRET_BYTES} bytes: \`${GENERATE_SECRET}\` makes one.`,
}

/** The URL options of the local backends (core/local-urls.ts reads them). */
export const LOCAL_URL_OPTIONS = [BASE_URL, LOCAL_QUERYSTRING_AUTH, QUERYSTRING_EXPIRE, SECRET] as const

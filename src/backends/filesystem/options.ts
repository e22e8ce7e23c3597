/**
 * The options of `FileSystemStorage`, declared once: the constructor checks them, `fromEnv()`
 * fills them from `MEDIA_ROOT`, `MEDIA_URL` and `STORAGE_SECRET`, and docs/filesystem.md's
 * option table is rendered from this table (test/core/option-tables.test.ts).
 */
import { ImproperlyConfigured } from '../../core/errors.js'
import { optionKind, stringOption } from '../../core/option-kinds.js'
import { BASE_URL, FILE_OVERWRITE, LOCAL_QUERYSTRING_AUTH, QUERYSTRING_EXPIRE, SECRET, type OptionTable } from '../../core/options.js'
import type { FileSystemStorageOptions } from './storage.js'

/** A permission mode: a number, or an octal string such as `'0o640'` / `'640'`. */
const modeOption = optionKind<number>(
  (value, label) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseInt(value.replace(/^0o/i, ''), 8) : Number.NaN
    if (!Number.isInteger(n) || n < 0 || n > 0o7777) {
      throw new ImproperlyConfigured(`${label} must be a permission mode such as 0o644, got ${String(value)}.`)
    }
    return n
  },
  (raw) => raw,
)

/** Every option of `FileSystemStorage`, in the order of its docs table. */
export const FILESYSTEM_OPTIONS: OptionTable<FileSystemStorageOptions> = {
  backend: 'FileSystemStorage',
  entries: [
    {
      option: 'location',
      env: ['MEDIA_ROOT'],
      parse: stringOption,
      default: './media',
      doc: "Directory the files live in, made absolute; `''` is the working directory. `{ location: '/srv/app/media' }`",
    },
    BASE_URL,
    FILE_OVERWRITE,
    {
      option: 'filePermissionsMode',
      parse: modeOption,
      defaultDoc: '0o666 less the umask',
      doc: 'Mode of new files, a number or an octal string; applied exactly (the umask does not reduce it). `{ filePermissionsMode: 0o640 }`',
    },
    {
      option: 'directoryPermissionsMode',
      parse: modeOption,
      defaultDoc: '0o777 less the umask',
      doc: "Mode of every directory `save()` creates. `{ directoryPermissionsMode: '750' }`",
    },
    LOCAL_QUERYSTRING_AUTH,
    QUERYSTRING_EXPIRE,
    SECRET,
  ],
}

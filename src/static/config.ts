/**
 * The `staticfiles` storage configured from the environment (Django's `STATIC_ROOT` and
 * `STATIC_URL`, django-storages' static location): defined beside `createStorages()`, which
 * knows the alias, and re-exported here for `node-storages/static` users.
 */
export { staticfilesConfigFromEnv } from '../create.js'

/**
 * The API explorer as HTTP answers, for the HTTP server adapters: given the adapters' options, the
 * answer to a `GET` of the explorer's path (the page, or its script or stylesheet, asked for as
 * `?explorer.js` and `?explorer.css` so that only the one path is taken), or `undefined` for any
 * other path, which the adapter then serves as it always did.
 *
 * The page and its files are constants (./assets.ts): the answers are made once, when the adapter
 * is, and a `GET` costs a path comparison. Every answer forbids what the page does not need
 * (Content-Security-Policy: its own script, stylesheet and endpoint, nothing inline, nothing of
 * another origin, no framing) and content sniffing; the `Host` allowlist is the endpoint's.
 *
 * @internal
 */
import type { Options } from '../../../fetch/rules.js'
import { isAllowedHost, pathOf } from '../hosts.js'
import { forbidden, type HttpAnswer } from '../rules.js'
import { css, html, script } from './assets.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The answer to a `GET` of a request target (`/`, `/?explorer.js`), or `undefined` when it is not the explorer's. */
export type Page = (target: string, host: string | null | undefined) => HttpAnswer | undefined

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The path the explorer is served on: its own `path`, or else the endpoint's (`/` when the adapter
 * serves every path). Throws a `TypeError` for a path that does not start with `/`.
 */
export const pathOfExplorer = (options: Options): string | undefined => {
  const explorer = options.explorer
  if (explorer === undefined || explorer === false) return undefined
  const path = (explorer === true ? undefined : explorer.path) ?? options.path ?? '/'
  if (typeof path !== 'string' || !path.startsWith('/')) throw new TypeError(`explorer.path must start with /, got ${JSON.stringify(path)}`)
  return path
}

/**
 * The explorer's answers under `options`, or `undefined` when `explorer` is off. Throws as
 * {@link pathOfExplorer} does.
 */
export const make = (options: Options): Page | undefined => {
  const path = pathOfExplorer(options)
  if (path === undefined) return undefined
  const hostAllowed = options.allowedHosts === undefined || options.allowedHosts === false ? undefined : isAllowedHost(options.allowedHosts)
  const endpoint = options.path === undefined ? '' : relativeUrl(path, options.path)
  const page = answer('text/html; charset=utf-8', html.replace('{{endpoint}}', escapeAttribute(endpoint)))
  const scriptAnswer = answer('text/javascript; charset=utf-8', script)
  const cssAnswer = answer('text/css; charset=utf-8', css)
  return (target, host) => {
    const query = target.indexOf('?')
    if (pathOf(target) !== path) return undefined
    if (hostAllowed !== undefined && !hostAllowed(host)) return forbidden
    const asked = query === -1 ? '' : target.slice(query + 1)
    return asked === 'explorer.js' ? scriptAnswer : asked === 'explorer.css' ? cssAnswer : page
  }
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * The endpoint's URL relative to the page's (`/` to `/rpc` gives `./rpc`), so that the page finds
 * its endpoint under whatever prefix a framework mounted both at; `''` when they are one path.
 */
export const relativeUrl = (from: string, to: string): string => {
  if (from === to) return ''
  const fromDirs = from.split('/').slice(1, -1)
  const toParts = to.split('/').slice(1)
  let common = 0
  while (common < fromDirs.length && common < toParts.length - 1 && fromDirs[common] === toParts[common]) common++
  const up = fromDirs.length - common
  return (up === 0 ? './' : '../'.repeat(up)) + toParts.slice(common).join('/')
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

/** What the page may do: load its own script and stylesheet and POST to its own origin; nothing else. */
export const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const answer = (contentType: string, body: string): HttpAnswer => ({
  status: 200,
  headers: {
    'content-type': contentType,
    'content-security-policy': contentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  },
  body,
})

const escapeAttribute = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

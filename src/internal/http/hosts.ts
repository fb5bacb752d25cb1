/**
 * Where a request comes from and where it is going, as HTTP and WebSocket servers read it: the path
 * of a request target, `Host` values, loopback names and addresses, and origins as browsers
 * serialize them. Pure string work, no runtime object, so the Fetch handler, the node:http listener
 * and the WebSocket server read them alike.
 *
 * @internal
 */

// -------------------------------------------------------------------------------------
// paths
// -------------------------------------------------------------------------------------

/** The path of a request target (`/rpc?x=1` gives `/rpc`), an absolute URL's included. */
export const pathOf = (target: string): string => {
  if (!target.startsWith('/')) {
    try {
      return new URL(target).pathname
    } catch {
      return target
    }
  }
  // What nearly every request has: no query and no fragment, told without a regex.
  if (target.indexOf('?') === -1 && target.indexOf('#') === -1) return target
  const end = target.search(/[?#]/)
  return target.slice(0, end)
}

// -------------------------------------------------------------------------------------
// hosts
// -------------------------------------------------------------------------------------

// `host:port` split at the port, `[v6]:port` included; the host lower-cased, the port '' when none.
const splitHost = (value: string): { readonly name: string; readonly port: string } => {
  const v = value.trim().toLowerCase()
  const colon = v.lastIndexOf(':')
  if (colon === -1 || (v.startsWith('[') && colon < v.indexOf(']'))) return { name: v, port: '' }
  return { name: v.slice(0, colon), port: v.slice(colon + 1) }
}

/**
 * Whether a `Host` header value is one of `allowed`: an entry with a port matches that host and
 * port, an entry without one that host at any port; case is ignored.
 */
export const isAllowedHost = (allowed: ReadonlyArray<string>): ((host: string | null | undefined) => boolean) => {
  // Split once, not on every request.
  const wanted = allowed.map(splitHost)
  // An entry with a port, as clients send it (lower case, no spaces), is found without splitting.
  const exact = wanted.filter((w) => w.port !== '').map((w) => `${w.name}:${w.port}`)
  // Looked for with ===, not in a Set: a Host value is a fresh string per request, and hashing it
  // for Set.has measured about twice the cost of comparing it with a few entries (80 vs 180 ns, Node
  // 20); serve's default has three. A long list gets the Set.
  const exactSet = exact.length > 8 ? new Set(exact) : undefined
  const isExact = exactSet === undefined ? (host: string): boolean => exact.includes(host) : (host: string): boolean => exactSet.has(host)
  return (host) => {
    if (host === null || host === undefined || host === '') return false
    if (isExact(host)) return true
    const sent = splitHost(host)
    return wanted.some((w) => w.name === sent.name && (w.port === '' || w.port === sent.port))
  }
}

/**
 * The `Host` values a server bound to a loopback address serves by default: `localhost`,
 * `127.0.0.1` and `[::1]` with its port (and without one, for port 80).
 */
export const loopbackHosts = (port: number): ReadonlyArray<string> =>
  ['localhost', '127.0.0.1', '[::1]'].flatMap((name) => (port === 80 ? [`${name}:80`, name] : [`${name}:${port}`]))

/**
 * Whether an address (as given to `listen`, or a socket's local address) is a loopback one:
 * `localhost`, `127.x.x.x`, `::1` or `::ffff:127.x.x.x`.
 */
export const isLoopback = (address: string): boolean => {
  const a = address.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  return a === 'localhost' || a === '::1' || /^127(\.\d{1,3}){3}$/.test(a) || /^::ffff:127(\.\d{1,3}){3}$/.test(a)
}

/** Whether a URL's hostname names this machine: `localhost` (or a name under it), `[::1]`, `127.x.x.x`. */
export const isLoopbackName = (hostname: string): boolean =>
  hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)

// -------------------------------------------------------------------------------------
// origins
// -------------------------------------------------------------------------------------

/** An origin as browsers serialize it (`scheme://host[:port]`, lower case, default port dropped). */
export const serializeOrigin = (origin: string): string => {
  try {
    const serialized = new URL(origin).origin
    return serialized === 'null' ? origin : serialized
  } catch {
    return origin
  }
}

/**
 * Whether `origin` is of the host the request was sent to (its `Host` header), read as an authority
 * of the origin's scheme so that default ports compare equal. Over a loopback connection the origin
 * must also name this machine, so that a page whose name was rebound to 127.0.0.1 (DNS rebinding)
 * is refused.
 */
export const isSameHostOrigin = (origin: string, host: string | undefined, overLoopback: boolean): boolean => {
  if (host === undefined) return false
  let url: URL
  try {
    url = new URL(origin)
    if (url.origin === 'null') return false
    if (new URL(`${url.protocol}//${host}`).host !== url.host) return false
  } catch {
    return false
  }
  return !overLoopback || isLoopbackName(url.hostname)
}

// -------------------------------------------------------------------------------------
// endpoints
// -------------------------------------------------------------------------------------

/**
 * The URL a request reached, as `control.endpoint` gives it to handlers: the scheme of its
 * connection, its `Host` header and the path of its target (the query left out), normalised by the
 * URL parser; `undefined` when there is no `Host` or it does not make a URL with that host.
 */
export const endpointOf = (scheme: 'http' | 'https' | 'ws' | 'wss', host: string | undefined, target: string): { readonly url: string } | undefined => {
  if (host === undefined || host === '' || /[\s/?#@\\]/.test(host)) return undefined
  try {
    const path = pathOf(target)
    // Joined as text, not resolved against a base: a path of `//other/x` stays a path.
    return { url: new URL(`${scheme}://${host}${path.startsWith('/') ? path : `/${path}`}`).href }
  } catch {
    return undefined
  }
}

/**
 * The command line: call a JSON-RPC method over HTTP or WebSocket and print what came back, or ask a
 * server what it offers (`rpc.discover`).
 *
 * ```
 * fp-jsonrpc call <url> <method> [params-json] [--notify] [--timeout <ms>] [--header <name:value>]...
 * fp-jsonrpc discover <url> [--timeout <ms>] [--header <name:value>]...
 * fp-jsonrpc list <url> [--timeout <ms>] [--header <name:value>]...
 * ```
 *
 * The URL's scheme picks the transport: `http://` and `https://` send each message as one `POST`;
 * `ws://` and `wss://` open one WebSocket (with the `ws` package, an optional peer dependency, loaded
 * only then) and close it as soon as the answer is in.
 *
 * The result is printed as JSON on stdout (exit 0). An error response is printed on stderr as
 * `error <code>: <message>` with its data (exit 1); a transport failure or an invalid response is
 * one line on stderr (exit 1); a usage mistake gives the usage (exit 2). Nothing prints a stack.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import * as Client from './Client.js'
import * as Method from './Method.js'
import * as OpenRpc from './OpenRpc.js'
import * as Line from './internal/cli/line.js'
import { lines } from './internal/cli/listing.js'
import { printable } from './internal/cli/printable.js'

const usage = `usage: fp-jsonrpc call <url> <method> [params-json] [--notify] [--timeout <ms>] [--header <name:value>]...
       fp-jsonrpc discover <url> [--timeout <ms>] [--header <name:value>]...
       fp-jsonrpc list <url> [--timeout <ms>] [--header <name:value>]...

  call          call a method and print its result as JSON
  discover      print the server's OpenRPC document (its answer to rpc.discover)
  list          print each method of the server on one line: name(params) -> result

  url           http:// or https:// (one POST per message), or ws:// or wss:// (one WebSocket,
                closed after the answer; needs the ws package)
  params-json   a JSON array (by position) or object (by name); left out, the request has no params
  --notify      send a notification: no id, no answer expected
  --timeout     milliseconds to wait for the answer, and for the WebSocket handshake (default 30000)
  --header      an HTTP header for the request (or the WebSocket upgrade); may be repeated

example: fp-jsonrpc call http://127.0.0.1:8080/ subtract '[42, 23]'`

type Params = Array<unknown> | { [key: string]: unknown } | undefined

type Invocation =
  | {
      readonly command: 'call'
      readonly target: Line.Target
      readonly method: string
      readonly params: Params
      readonly notify: boolean
    }
  | { readonly command: 'discover' | 'list'; readonly target: Line.Target }

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

const checkUrl = (url: string): E.Either<string, string> => {
  if (!/^(https?|wss?):\/\//i.test(url)) return E.left(`the url must start with http://, https://, ws:// or wss://, got ${url}`)
  try {
    new URL(url)
    return E.right(url)
  } catch {
    return E.left(`not a valid url: ${url}`)
  }
}

/**
 * Reads the arguments (after `node cli.js`), or says what is wrong with them.
 *
 * @category utils
 * @since 0.1.0
 */
export const parseArgs = (argv: ReadonlyArray<string>): E.Either<string, Invocation> => {
  const positional: Array<string> = []
  const headers: Record<string, string> = {}
  let notify = false
  let timeoutMs = 30_000
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--notify') notify = true
    else if (arg === '--timeout') {
      timeoutMs = Number(argv[++i])
      if (!(timeoutMs >= 0)) return E.left('--timeout takes a number of milliseconds')
    } else if (arg === '--header') {
      const header = argv[++i] ?? ''
      const colon = header.indexOf(':')
      if (colon <= 0) return E.left('--header takes name:value')
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim()
    } else if (arg === '--help' || arg === '-h') return E.left('')
    else positional.push(arg)
  }
  const [command, url, ...rest] = positional
  if (url === undefined) return E.left('')
  const checked = checkUrl(url)
  if (command === 'discover' || command === 'list') {
    if (rest.length > 0) return E.left('')
    if (notify) return E.left('--notify is for call only')
    return pipe(
      checked,
      E.map((url) => ({ command, target: { url, timeoutMs, headers } })),
    )
  }
  const [method, paramsText, ...extra] = rest
  if (command !== 'call' || method === undefined || extra.length > 0) return E.left('')
  if (E.isLeft(checked)) return checked
  let params: Params
  if (paramsText !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(paramsText)
    } catch {
      return E.left('params-json is not JSON')
    }
    if (typeof parsed !== 'object' || parsed === null) return E.left('params-json must be a JSON array or object')
    params = parsed as Params
  }
  return E.right({ command, target: { url, timeoutMs, headers }, method, params, notify })
}

const MAX_ISSUES = 5

// The readable lines of a codec's verdict, the first few of them.
const issuesText = (heading: string, issues: ReadonlyArray<string>): string => {
  const more = issues.length - MAX_ISSUES
  return `${heading}:\n  ${issues.slice(0, MAX_ISSUES).join('\n  ')}${more > 0 ? `\n  (and ${more} more)` : ''}`
}

const describeFailure = (e: Line.Failure): string => {
  switch (e._tag) {
    case 'Answered':
      return `error ${e.error.code}: ${e.error.message}${e.error.data === undefined ? '' : `\n${JSON.stringify(e.error.data, null, 2)}`}`
    case 'BadResult':
      return issuesText('the result does not match its contract', e.issues)
    case 'Failed':
      return e.message
  }
}

// What rpc.discover's failures mean to someone asking for the document.
const describeDiscoverFailure = (e: Line.Failure): string =>
  e._tag === 'Answered' && e.error.code === -32601
    ? 'this server does not offer rpc.discover (it answered -32601 Method not found)'
    : e._tag === 'BadResult'
      ? issuesText('the answer to rpc.discover is not an OpenRPC document', e.issues)
      : describeFailure(e)

/**
 * Runs one invocation; resolves to the exit code. Never rejects. What it prints has its control
 * characters (but line feeds and tabs) written as `\uXXXX`, so a server's text cannot drive the
 * terminal; JSON stays JSON.
 *
 * @category utils
 * @since 0.1.0
 */
export const run = async (
  argv: ReadonlyArray<string>,
  out: (text: string) => void = (text) => process.stdout.write(text + '\n'),
  err: (text: string) => void = (text) => process.stderr.write(text + '\n'),
): Promise<number> => {
  // What a server sent reaches the terminal without its control characters (see printable.ts).
  const say = (text: string): void => out(printable(text))
  const warn = (text: string): void => err(printable(text))
  const parsed = parseArgs(argv)
  if (E.isLeft(parsed)) {
    warn(parsed.left === '' ? usage : `${parsed.left}\n\n${usage}`)
    return 2
  }
  const invocation = parsed.right
  const opened = await Line.open(invocation.target)
  if (E.isLeft(opened)) {
    warn(describeFailure(opened.left))
    return 1
  }
  const line = opened.right
  try {
    switch (invocation.command) {
      case 'call':
        return await call(line, invocation, say, warn)
      case 'discover':
        return await discover(line, say, warn)
      case 'list':
        return await list(line, say, warn)
    }
  } finally {
    await line.close()
  }
}

// The command line knows no contract: params go as given and the result comes back as JSON.
const call = async (
  line: Line.Line,
  { method, params, notify }: { readonly method: string; readonly params: Params; readonly notify: boolean },
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> => {
  const contract = Method.make({ name: method, params: t.union([t.undefined, t.UnknownArray, t.UnknownRecord]), result: t.unknown })
  const answer = notify ? await line.run(Client.notify(contract, params)) : await line.run(Client.call(contract, params))
  if (E.isLeft(answer)) {
    err(describeFailure(answer.left))
    return 1
  }
  if (!notify) out(JSON.stringify(answer.right, null, 2))
  return 0
}

// The document as the server wrote it (extensions and all), once it reads as an OpenRPC document.
const RawDocument = new t.Type<unknown>(
  'OpenRpcDocument',
  (u): u is unknown => OpenRpc.Document.is(u),
  (u) =>
    pipe(
      OpenRpc.Document.validate(u, t.getDefaultContext(OpenRpc.Document)),
      E.map(() => u),
    ),
  (a) => a,
)

const DiscoverRaw = Method.make({ name: OpenRpc.Discover.name, result: RawDocument })

const discover = async (line: Line.Line, out: (text: string) => void, err: (text: string) => void): Promise<number> => {
  const answer = await line.run(Client.call(DiscoverRaw))
  if (E.isLeft(answer)) {
    err(describeDiscoverFailure(answer.left))
    return 1
  }
  out(JSON.stringify(answer.right, null, 2))
  return 0
}

const list = async (line: Line.Line, out: (text: string) => void, err: (text: string) => void): Promise<number> => {
  const answer = await line.run(Client.discover())
  if (E.isLeft(answer)) {
    err(describeDiscoverFailure(answer.left))
    return 1
  }
  out(lines(answer.right).join('\n'))
  return 0
}

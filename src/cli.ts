/**
 * The command line: call a JSON-RPC method over HTTP and print what came back.
 *
 * ```
 * fp-jsonrpc call <url> <method> [params-json] [--notify] [--timeout <ms>] [--header <name:value>]...
 * ```
 *
 * The result is printed as JSON on stdout (exit 0). An error response is printed on stderr as
 * `error <code>: <message>` with its data (exit 1); a transport failure or an invalid response too
 * (exit 1); a usage mistake gives the usage (exit 2).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import * as Client from './Client.js'
import * as ClientError from './ClientError.js'
import { formatError, transport, type HttpError } from './fetch/transport.js'
import * as Method from './Method.js'

const usage = `usage: fp-jsonrpc call <url> <method> [params-json] [--notify] [--timeout <ms>] [--header <name:value>]...

  params-json   a JSON array (by position) or object (by name); left out, the request has no params
  --notify      send a notification: no id, no answer expected
  --timeout     milliseconds to wait for the answer (default 30000)
  --header      an HTTP header for the request; may be repeated

example: fp-jsonrpc call http://127.0.0.1:8080/ subtract '[42, 23]'`

interface Invocation {
  readonly url: string
  readonly method: string
  readonly params: Array<unknown> | { [key: string]: unknown } | undefined
  readonly notify: boolean
  readonly timeoutMs: number
  readonly headers: Readonly<Record<string, string>>
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
  const [command, url, method, paramsText, ...rest] = positional
  if (command !== 'call' || url === undefined || method === undefined || rest.length > 0) return E.left('')
  if (!/^https?:\/\//.test(url)) return E.left(`the url must start with http:// or https://, got ${url}`)
  let params: Invocation['params']
  if (paramsText !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(paramsText)
    } catch {
      return E.left('params-json is not JSON')
    }
    if (typeof parsed !== 'object' || parsed === null) return E.left('params-json must be a JSON array or object')
    params = parsed as Invocation['params']
  }
  return E.right({ url, method, params, notify, timeoutMs, headers })
}

const describeError = (e: ClientError.ClientError<never, HttpError>): string =>
  e._tag === 'RpcError'
    ? `error ${e.error.code}: ${e.error.message}${e.error.data === undefined ? '' : `\n${JSON.stringify(e.error.data, null, 2)}`}`
    : e._tag === 'TransportError'
      ? formatError(e.error)
      : ClientError.format(e)

/**
 * Runs one invocation; resolves to the exit code.
 *
 * @category utils
 * @since 0.1.0
 */
export const run = async (
  argv: ReadonlyArray<string>,
  out: (text: string) => void = (text) => process.stdout.write(text + '\n'),
  err: (text: string) => void = (text) => process.stderr.write(text + '\n'),
): Promise<number> => {
  const parsed = parseArgs(argv)
  if (E.isLeft(parsed)) {
    err(parsed.left === '' ? usage : `${parsed.left}\n\n${usage}`)
    return 2
  }
  const { url, method, params, notify, timeoutMs, headers } = parsed.right
  // The command line knows no contract: params go as given and the result comes back as JSON.
  const contract = Method.make({ name: method, params: t.union([t.undefined, t.UnknownArray, t.UnknownRecord]), result: t.unknown })
  const client = Client.make(transport({ url, headers, timeoutMs }))
  if (notify) {
    const sent = await pipe(client, Client.notify(contract, params))()
    if (E.isLeft(sent)) {
      err(describeError(sent.left))
      return 1
    }
    return 0
  }
  const answer = await pipe(client, Client.call(contract, params))()
  if (E.isLeft(answer)) {
    err(describeError(answer.left))
    return 1
  }
  out(JSON.stringify(answer.right, null, 2))
  return 0
}

/**
 * The command line's connection to a server: one exchange over HTTP (`http://`, `https://`) or one
 * WebSocket (`ws://`, `wss://`), opened for one command and closed once it has its answer.
 *
 * Every failure comes out as a {@link Failure}: the server's error object, or one line of text that
 * says what went wrong in words (never an exception's stack, nor a file path). The WebSocket client
 * is loaded only for a WebSocket URL, so that `ws`, an optional peer dependency, is needed only then.
 *
 * @internal
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as Client from '../../Client.js'
import * as ClientError from '../../ClientError.js'
import * as Dispatch from '../../Dispatch.js'
import { formatError, transport, type HttpError } from '../../fetch/transport.js'
import type * as Peer from '../../Peer.js'
import * as Registry from '../../Registry.js'
import type * as RpcError from '../../RpcError.js'
import type { CloseInfo } from '../../ws/socket.js'
import type { ConnectError } from '../../ws/client.js'
import { isRecord } from '../object.js'
import { MAX_TIMER_MS } from '../timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** Where to send, and how: the URL's scheme picks the transport. */
export interface Target {
  readonly url: string
  /** How long to wait for the answer, in ms; over WebSocket, for the opening handshake too (each). */
  readonly timeoutMs: number
  /** HTTP headers of each request, or of the WebSocket upgrade. */
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Why a command has no answer: the server's error object, a result its contract's codec refused (why,
 * in readable lines), or what went wrong, in words.
 */
export type Failure =
  | { readonly _tag: 'Answered'; readonly error: RpcError.RpcError }
  | { readonly _tag: 'BadResult'; readonly issues: ReadonlyArray<string> }
  | { readonly _tag: 'Failed'; readonly message: string }

/** What a command does with the client: a call, a notification, `rpc.discover`. */
export type Use<A> = (client: Client.Client<unknown>) => TaskEither<ClientError.ClientError<unknown, unknown>, A>

/** An open connection: run one exchange on it, then close it. */
export interface Line {
  readonly run: <A>(use: Use<A>) => Promise<Either<Failure, A>>
  readonly close: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** Whether the URL is one the command line can talk to. */
export const isWebSocketUrl = (url: string): boolean => /^wss?:\/\//i.test(url)

/** Opens a line to the target: nothing to open over HTTP, the WebSocket over `ws://`. Never rejects. */
export const open = (target: Target): Promise<Either<Failure, Line>> =>
  isWebSocketUrl(target.url) ? openWebSocket(target) : Promise.resolve(E.right(openHttp(target)))

// -------------------------------------------------------------------------------------
// HTTP
// -------------------------------------------------------------------------------------

const openHttp = (target: Target): Line => {
  const client = Client.make(transport({ url: target.url, headers: target.headers, timeoutMs: target.timeoutMs }))
  return {
    run: async (use) =>
      E.mapLeft((e: ClientError.ClientError<unknown, unknown>) => failure(e, (error) => formatError(error as HttpError)))(await use(client)()),
    close: () => Promise.resolve(),
  }
}

// -------------------------------------------------------------------------------------
// WebSocket
// -------------------------------------------------------------------------------------

const failed = (message: string): Failure => ({ _tag: 'Failed', message })

/** What is shown of a message the server sent: its start, on one line. */
const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, ' ')
  return line.length > ClientError.maxBodyLength ? `${line.slice(0, ClientError.maxBodyLength - 3)}...` : line
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const connectFailure = (url: string, e: ConnectError): Failure =>
  e._tag === 'UpgradeRefused' ? failed(`the server refused the WebSocket upgrade: HTTP ${e.status}`) : failed(`cannot connect to ${url}: ${messageOf(e.cause)}`)

// A request or notification from the server (or a batch of them): the server may call the client
// while it works; the command line answers Method not found and waits on.
const isCallMessage = (u: unknown): boolean =>
  Array.isArray(u) ? u.length > 0 && u.every((m) => isRecord(m) && typeof m['method'] === 'string') : isRecord(u) && typeof u['method'] === 'string'

const peerFailure = (e: Peer.PeerError, closed: CloseInfo | undefined): string => {
  switch (e._tag) {
    case 'Closed':
      return closed === undefined
        ? 'the connection closed before the answer came'
        : `the server closed the connection before the answer came (close code ${closed.code}${closed.reason === '' ? '' : `: ${excerpt(closed.reason)}`})`
    case 'Timeout':
      return `no answer within ${e.ms} ms`
    case 'WriteFailed':
      return `could not send the request: ${messageOf(e.cause)}`
    case 'DuplicateId':
      return `the request id ${JSON.stringify(e.id)} is already in use`
    case 'Aborted':
      return `aborted: ${messageOf(e.reason)}`
  }
}

// The `ws` package is an optional peer dependency: loaded here, and only for a WebSocket URL.
const loadWebSocketClient = async (): Promise<Either<Failure, typeof import('../../ws/client.js')>> => {
  try {
    return E.right(await import('../../ws/client.js'))
  } catch (e) {
    const code = (e as { readonly code?: unknown }).code
    return E.left(
      failed(
        code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
          ? 'ws:// and wss:// URLs need the ws package, which is not installed: npm install ws'
          : 'the WebSocket client could not be loaded (the ws package: npm install ws)',
      ),
    )
  }
}

// How long close() may wait for the server's closing handshake before the command line moves on.
const CLOSE_WAIT_MS = 1_000

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref())

const openWebSocket = async (target: Target): Promise<Either<Failure, Line>> => {
  const loaded = await loadWebSocketClient()
  if (E.isLeft(loaded)) return loaded
  // Something the server sent that answers nothing and is not a call (not JSON, a response to no
  // request): the answer will not come, so the exchange ends at once instead of at its timeout.
  let strayed: (message: string) => void = () => undefined
  const stray = new Promise<string>((resolve) => (strayed = resolve))
  const base = Dispatch.make(Registry.empty)
  const watch = (u: unknown): void => {
    if (!isCallMessage(u)) strayed(`the server sent a message that is not a JSON-RPC response: ${excerpt(JSON.stringify(u) ?? String(u))}`)
  }
  const dispatcher: Dispatch.Dispatcher<unknown> = {
    ...base,
    dispatch: (input) => {
      strayed(`the server sent a message that is not JSON: ${excerpt(input)}`)
      return base.dispatch(input)
    },
    dispatchValue: (message) => {
      watch(message)
      return base.dispatchValue(message)
    },
    dispatchCancellable: (message, signal) => {
      watch(message)
      return base.dispatchCancellable(message, signal)
    },
  }
  const finite = target.timeoutMs <= MAX_TIMER_MS
  const connected = await loaded.right.connect(target.url, {
    dispatcher,
    headers: target.headers,
    ...(finite ? { handshakeTimeoutMs: Math.max(1, target.timeoutMs), timeoutMs: target.timeoutMs } : { timeoutMs: Infinity }),
    onUnmatched: (message) => strayed(`the server sent a response that answers no request: ${excerpt(JSON.stringify(message) ?? '')}`),
  })()
  if (E.isLeft(connected)) return E.left(connectFailure(target.url, connected.left))
  const connection = connected.right
  let closeInfo: CloseInfo | undefined
  void connection.closed.then((info) => (closeInfo = info))
  const close = () => Promise.race([connection.close(), delay(CLOSE_WAIT_MS)])
  return E.right({
    run: (use) => {
      const answered = use(connection.client)().then(async (outcome) => {
        if (E.isRight(outcome)) return outcome
        const e = outcome.left
        // A socket the server closed: its close code says more than `Closed` alone.
        if (e._tag === 'TransportError' && (e.error as Peer.PeerError)._tag === 'Closed') await Promise.race([connection.closed, delay(CLOSE_WAIT_MS)])
        return E.left(failure(e, (error) => peerFailure(error as Peer.PeerError, closeInfo)))
      })
      return Promise.race([answered, stray.then((message) => E.left(failed(message)))])
    },
    close,
  })
}

// -------------------------------------------------------------------------------------
// errors
// -------------------------------------------------------------------------------------

const failure = (e: ClientError.ClientError<unknown, unknown>, transportText: (error: unknown) => string): Failure => {
  switch (e._tag) {
    case 'RpcError':
      return { _tag: 'Answered', error: e.error }
    case 'TransportError':
      return failed(transportText(e.error))
    case 'ResultDecodeError':
      return { _tag: 'BadResult', issues: e.issues }
    case 'InvalidResponse':
      return failed(`the answer is not a JSON-RPC response (${e.reason}): ${excerpt(e.body)}`)
    default:
      return failed(ClientError.format(e))
  }
}

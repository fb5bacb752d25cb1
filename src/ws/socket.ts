/**
 * One WebSocket, one peer: the framing both ends of the WebSocket transport share. A frame carries
 * one message; this module turns frames into the text a {@link Peer.Peer} reads, and gives the peer a
 * way to write. Everything else (matching answers to calls, timeouts, failing calls on close) is the
 * peer's.
 *
 * Internal to `fp-jsonrpc/ws`: only {@link CloseCode} and {@link CloseInfo} are exported from there.
 *
 * @since 0.1.0
 */
import { isUtf8 } from 'node:buffer'
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type * as Dispatch from '../Dispatch.js'
import type { Endpoint } from '../Handler.js'
import * as Peer from '../Peer.js'
import { decodeUtf8 } from '../internal/utf8.js'
import { PARSE_ERROR_TEXT } from '../internal/json.js'
import { corkTick, type Corkable } from '../internal/corkTick.js'
import { safely } from '../internal/hooks.js'
import { isTimerMs } from '../internal/timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The WebSocket close codes this transport sends (RFC 6455, section 7.4.1).
 *
 * - `Normal` (1000): `close()` of a client connection.
 * - `GoingAway` (1001): `close()` of a server, for each connection it still holds.
 * - `InvalidPayload` (1007): a text frame that is not UTF-8 (`ws` sends it too, unless its UTF-8
 *   check was turned off; this module checks again then).
 * - `PolicyViolation` (1008): a server `attach`ed to a WebSocketServer refused the connection's
 *   `Origin` (see `allowedOrigins`).
 * - `MessageTooBig` (1009): a message over `maxPayload` (`ws` sends it, or this module when the
 *   WebSocketServer's own limit is larger).
 * - `InternalError` (1011): the server's `context` function threw for a new connection.
 *
 * A connection dropped for missing its heartbeat is cut off without a close frame: it closes with
 * 1006 on this side.
 *
 * @category constants
 * @since 0.1.0
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
} as const

/**
 * The largest message taken by default, in bytes, both ends: 1 MiB.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024

/**
 * How a socket closed: the code and reason of its close frame (1005 and `''` when the frame had
 * none, 1006 when the connection dropped without one).
 *
 * @category model
 * @since 0.1.0
 */
export interface CloseInfo {
  readonly code: number
  readonly reason: string
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

/**
 * What a peer on a socket is made with; the socket provides `write`.
 *
 * @internal
 * @since 0.1.0
 */
export interface PeerOptions<B> extends Peer.Settings {
  readonly dispatcher?: Dispatch.Dispatcher<B>
  readonly context?: B
  /** Where the connection was made (the server's URL as the client reached it), for `control.endpoint`. */
  readonly endpoint?: Endpoint
  /** A message larger than this closes with 1009 (0 or `Infinity`: no limit). */
  readonly maxPayload?: number
  /** Ping every this many ms and cut off a socket whose pong did not come in time (0 or `Infinity`: never). */
  readonly heartbeatMs?: number
  /** Check text frames as UTF-8: `ws` does unless made with `skipUTF8Validation`. */
  readonly checkText?: boolean
}

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data))

/**
 * The text of one frame, or `undefined` when its bytes are not UTF-8: only valid UTF-8 becomes text,
 * never a replacement character in place of a bad byte. A binary frame is read as UTF-8, as JSON
 * text is UTF-8 (RFC 8259), by the decoder every transport uses (a byte order mark is kept, so it
 * is a Parse error, as in a text frame). A text frame was checked by `ws` already (it closes with
 * 1007 otherwise), unless the WebSocketServer was made with `skipUTF8Validation`: `checkText`
 * checks it then.
 *
 * @internal
 * @since 0.1.0
 */
export const readText = (data: RawData, isBinary: boolean, checkText = true): string | undefined => {
  const buffer = toBuffer(data)
  if (!isBinary) return !checkText || isUtf8(buffer) ? buffer.toString('utf8') : undefined
  return decodeUtf8(buffer)
}

const byteLength = (data: RawData): number =>
  Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength

/**
 * Pings the socket every `ms` and terminates it when the pong of the previous ping has not come:
 * a peer that vanished (a pulled cable, a suspended laptop, a NAT that forgot the mapping) is cut
 * off within two intervals instead of holding its socket for ever. Any pong counts (`ws` and
 * browsers answer pings by themselves).
 *
 * @internal
 * @since 0.1.0
 */
export const heartbeat = (socket: WebSocket, ms: number | undefined): void => {
  if (!isTimerMs(ms)) return
  let alive = true
  socket.on('pong', () => {
    alive = true
  })
  const timer = setInterval(() => {
    if (socket.readyState !== WebSocket.OPEN) return
    if (!alive) return void socket.terminate()
    alive = false
    socket.ping()
  }, ms)
  // A heartbeat alone must not keep the process alive.
  timer.unref()
  socket.once('close', () => clearInterval(timer))
}

/**
 * Calls a user hook, which must never break the connection it reports on.
 *
 * @internal
 * @since 0.1.0
 */
export const report = (hook: ((error: unknown) => void) | undefined, error: unknown): void => safely(hook, error)

/**
 * A peer on a socket, and the transport to the other side through it.
 *
 * @internal
 * @since 0.1.0
 */
export interface Bound {
  readonly peer: Peer.Peer
  /**
   * The peer's transport, except that a call made once the socket has begun to close (a close frame
   * came, but the socket has not closed yet) fails with `Closed`, as it would a moment later.
   */
  readonly transport: Peer.PeerTransport
}

const CLOSED: Either<Peer.PeerError, never> = E.left({ _tag: 'Closed' })

/**
 * Makes the peer of an open socket and feeds it every frame. When the socket closes, the peer closes:
 * every pending call fails with `Closed`, and later ones at once.
 *
 * @internal
 * @since 0.1.0
 */
export const bind = <B>(socket: WebSocket, options: PeerOptions<B>, onError: ((error: unknown) => void) | undefined, raw: Corkable | undefined): Bound => {
  const { maxPayload: givenMaxPayload, heartbeatMs, checkText: givenCheckText, ...peerOptions } = options
  // The frames sent in one tick leave in one system call (the TCP socket under the WebSocket corked
  // for the tick): a system call per frame was 80% of the samples of bench:transports.
  const cork = raw === undefined ? undefined : corkTick(raw)
  const peer = Peer.make<B>({
    ...peerOptions,
    write: (text) => {
      // ws drops a frame sent after the close started without a word; say so, so the call fails now.
      if (socket.readyState !== WebSocket.OPEN) throw new Error('the WebSocket is not open')
      cork?.()
      socket.send(text)
    },
    // While the peer's places are all taken, ws stops reading the socket: TCP's flow control then
    // holds the other side (the frames ws had read already still come, and wait in the peer).
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  })
  const maxPayload = givenMaxPayload !== undefined && givenMaxPayload > 0 ? givenMaxPayload : Infinity
  const checkText = givenCheckText ?? false
  socket.on('message', (data, isBinary) => {
    // ws enforces its own maxPayload before buffering; this catches a WebSocketServer of the
    // caller's whose limit is larger than ours.
    if (byteLength(data) > maxPayload) return void socket.close(CloseCode.MessageTooBig)
    const text = readText(data, isBinary, checkText)
    if (text === undefined) {
      if (!isBinary) return void socket.close(CloseCode.InvalidPayload)
      if (socket.readyState === WebSocket.OPEN) socket.send(PARSE_ERROR_TEXT)
      return
    }
    peer.receive(text)
  })
  // Without a listener, an 'error' event (a bad frame, a reset) would be thrown and end the process;
  // ws closes the socket after it, so the 'close' listener below does the rest.
  socket.on('error', (e) => report(onError, e))
  socket.on('close', () => peer.close())
  heartbeat(socket, heartbeatMs)
  const open =
    <A>(run: () => Promise<Either<Peer.PeerError, A>>) =>
    (): Promise<Either<Peer.PeerError, A>> =>
      socket.readyState === WebSocket.OPEN ? run() : Promise.resolve(CLOSED)
  const transport: Peer.PeerTransport = {
    send: (body, expected) => open(peer.transport.send(body, expected)),
    sendParsed: (body, expected) => open(peer.transport.sendParsed(body, expected)),
  }
  return { peer, transport }
}

/**
 * The close event's code and reason, the reason as text.
 *
 * @internal
 * @since 0.1.0
 */
export const closeInfo = (code: number, reason: Buffer): CloseInfo => ({ code, reason: reason.toString('utf8') })

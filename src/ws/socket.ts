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
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import { WebSocket } from 'ws'
import type { RawData } from 'ws'
import type * as Dispatch from '../Dispatch.js'
import * as Peer from '../Peer.js'
import * as RpcError from '../RpcError.js'
import * as RpcResponse from '../RpcResponse.js'
import type { Transport } from '../Transport.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The WebSocket close codes this transport sends (RFC 6455, section 7.4.1).
 *
 * - `Normal` (1000): `close()` of a client connection.
 * - `GoingAway` (1001): `close()` of a server, for each connection it still holds.
 * - `InternalError` (1011): the server's `context` function threw for a new connection.
 *
 * @category constants
 * @since 0.1.0
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  InternalError: 1011,
} as const

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
 * @category internal
 * @since 0.1.0
 */
export interface PeerOptions<B> {
  readonly dispatcher?: Dispatch.Dispatcher<B>
  readonly context?: B
  readonly timeoutMs?: number
}

const PARSE_ERROR = JSON.stringify(RpcResponse.failure(RpcError.parseError(), null))

const utf8 = new TextDecoder('utf-8', { fatal: true })

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)

/**
 * The text of one frame. A text frame's payload was checked as UTF-8 by `ws` already (it closes with
 * 1007 otherwise). A binary frame is read as UTF-8 too, as JSON text is UTF-8 (RFC 8259); bytes that
 * are not UTF-8 give `undefined`, which is answered Parse error.
 *
 * @category internal
 * @since 0.1.0
 */
export const readText = (data: RawData, isBinary: boolean): string | undefined => {
  const buffer = toBuffer(data)
  if (!isBinary) return buffer.toString('utf8')
  try {
    return utf8.decode(buffer)
  } catch {
    return undefined
  }
}

/**
 * Calls a user hook, which must never break the connection it reports on.
 *
 * @category internal
 * @since 0.1.0
 */
export const report = (hook: ((error: unknown) => void) | undefined, error: unknown): void => {
  if (hook === undefined) return
  try {
    hook(error)
  } catch {
    // A failing logger must not take the connection down.
  }
}

/**
 * A peer on a socket, and the transport to the other side through it.
 *
 * @category internal
 * @since 0.1.0
 */
export interface Bound {
  readonly peer: Peer.Peer
  /**
   * The peer's transport, except that a call made once the socket has begun to close (a close frame
   * came, but the socket has not closed yet) fails with `Closed`, as it would a moment later.
   */
  readonly transport: Transport<Peer.PeerError>
}

const CLOSED: Either<Peer.PeerError, never> = E.left({ _tag: 'Closed' })

/**
 * Makes the peer of an open socket and feeds it every frame. When the socket closes, the peer closes:
 * every pending call fails with `Closed`, and later ones at once.
 *
 * @category internal
 * @since 0.1.0
 */
export const bind = <B>(socket: WebSocket, options: PeerOptions<B>, onError: ((error: unknown) => void) | undefined): Bound => {
  const peerOptions: Peer.Options<B> = {
    write: (text) => {
      // ws drops a frame sent after the close started without a word; say so, so the call fails now.
      if (socket.readyState !== WebSocket.OPEN) throw new Error('the WebSocket is not open')
      socket.send(text)
    },
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  }
  const peer = Peer.make(peerOptions)
  socket.on('message', (data, isBinary) => {
    const text = readText(data, isBinary)
    if (text === undefined) {
      if (socket.readyState === WebSocket.OPEN) socket.send(PARSE_ERROR)
      return
    }
    peer.receive(text).catch((e: unknown) => report(onError, e))
  })
  // Without a listener, an 'error' event (a bad frame, a reset) would be thrown and end the process;
  // ws closes the socket after it, so the 'close' listener below does the rest.
  socket.on('error', (e) => report(onError, e))
  socket.on('close', () => peer.close())
  const transport: Transport<Peer.PeerError> = {
    send: (body, expected) => {
      const send = peer.transport.send(body, expected)
      return () => (socket.readyState === WebSocket.OPEN ? send() : Promise.resolve(CLOSED))
    },
  }
  return { peer, transport }
}

/**
 * The close event's code and reason, the reason as text.
 *
 * @category internal
 * @since 0.1.0
 */
export const closeInfo = (code: number, reason: Buffer): CloseInfo => ({ code, reason: reason.toString('utf8') })

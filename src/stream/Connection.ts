/// <reference types="node" preserve="true" />
/**
 * A connection: JSON-RPC both ways over a pair of Node streams, one read and one written (a TCP
 * socket twice, a process's stdin and stdout, a child's stdout and stdin). Either side may call the
 * other on the same connection.
 *
 * The boundary: this module is the thin adapter between bytes and a {@link Peer.Peer}, which does
 * everything else (dispatching what the other side sends, matching answers to this side's calls,
 * timeouts). Bytes read go through the framing's decoder into `peer.receive`; what the peer writes
 * goes through the framing's encoder into the writable stream. The TCP and stdio adapters
 * (`listen`, `connect`, `serveStdio`, `spawn`) only open streams and hand them to {@link attach}.
 *
 * Lifecycle:
 * - The other side ends its stream: the last bytes are decoded, this side's pending calls fail with
 *   `Closed` at once (no answer can come any more, so a handler awaiting one finishes now), the
 *   answers to every message received are written, and the writable stream is ended.
 * - {@link Connection.close}: the same, started from this side. Messages that arrive after it are
 *   not read. It resolves once this side has ended its stream and the other side has ended its own
 *   (or one second later at most: the read side is then destroyed).
 * - {@link Connection.destroy}, a stream error, or the read side closing before it ended: at once,
 *   pending calls fail with `Closed`, nothing more is written, and both streams are destroyed.
 * - The write side closing first (a child that exited) does not stop reading: answers already on
 *   their way are still read, and the connection closes when the read side ends.
 *
 * Flow control: while the peer has `maxInFlight` asynchronous messages at work, the readable
 * stream is paused, so the other side is held by the pipe's or the socket's own flow control and
 * nothing is dropped (see `Peer`). A frame that has begun must be complete within `frameTimeoutMs`,
 * so a peer that drips bytes cannot hold a connection and its buffer for ever. Writes are buffered
 * by the writable stream, and the writes made in one tick are sent together (`cork`), so that many
 * calls in flight cost few system calls.
 *
 * @since 0.1.0
 */
import { Buffer } from 'node:buffer'
import { finished } from 'node:stream'
import type { Readable, Writable } from 'node:stream'
import * as Client from '../Client.js'
import type * as Dispatch from '../Dispatch.js'
import * as Peer from '../Peer.js'
import type * as Framing from './Framing.js'
import { PARSE_ERROR_TEXT } from '../internal/json.js'
import { corkTick } from '../internal/corkTick.js'
import { safely } from '../internal/hooks.js'
import * as Timers from '../internal/stream/Timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link attach} takes besides the streams.
 *
 * @category model
 * @since 0.1.0
 */
export interface AttachOptions<B> extends Peer.Settings {
  /** How messages are cut out of the bytes and written into them: `Framing.ndjson` or `Framing.contentLength`. */
  readonly framing: Framing.Framing
  /** Answers what the other side calls. Without one, every request is answered Method not found. */
  readonly dispatcher?: Dispatch.Dispatcher<B>
  /**
   * Makes the context the other side's messages are dispatched with, once, as the connection opens.
   * It gets the connection's own client, so that handlers can call back the side that called them.
   */
  readonly context?: (link: Link) => B
  /**
   * Sees the bytes the decoder cannot frame, with the connection they came on. They are not
   * answered: with no frame there is no message to answer, and answering garbage could make two
   * mismatched peers answer each other for ever. Ignored by default; the connection carries on (see
   * `Framing` for what is skipped). The exceptions: a whole frame that is not UTF-8 (`InvalidUtf8`)
   * is also answered Parse error, and a frame past its deadline (`Stalled`) closes the connection.
   */
  readonly onFramingError?: (error: Framing.FramingError, connection: Connection) => void
  /**
   * How long a frame may take to arrive once its first byte has, in milliseconds: 30 000 by default;
   * `Infinity` or `0` for no limit. Past it the connection reports a `Stalled` framing error and
   * closes gracefully, so a peer that sends a frame a byte at a time (which no idle timeout notices)
   * cannot hold the connection and its buffer for ever. Needs a decoder that tells how many bytes it
   * holds (those of `Framing` do).
   */
  readonly frameTimeoutMs?: number
  /**
   * The largest message read, in bytes: a line of `ndjson`, a `Content-Length` body. 1 MiB by
   * default; `Infinity` for none. A larger one is a `TooLarge` framing error, and its bytes are
   * dropped as they come, never held (see `Framing`); the connection carries on.
   */
  readonly maxMessageBytes?: number
  /** The largest `Content-Length` header block read, in bytes. 8 KiB by default; `Infinity` for none. */
  readonly maxHeaderBytes?: number
  /**
   * Closes the connection gracefully (as {@link Connection.close}) once no byte has been read or
   * written for this long, in milliseconds, while no call of this side awaits an answer and no
   * answer of this side is being computed. `Infinity` (the default here) or `0` never does; `listen`
   * sets 5 minutes for the connections it accepts.
   */
  readonly idleTimeoutMs?: number
}

/**
 * What a connection offers the {@link AttachOptions.context} function as it opens.
 *
 * @category model
 * @since 0.1.0
 */
export interface Link {
  /** Calls the other side, on this same connection: the connection's {@link Connection.client}. */
  readonly client: Client.Client<Peer.PeerError>
}

/**
 * One open connection.
 *
 * @category model
 * @since 0.1.0
 */
export interface Connection {
  /** The peer behind the connection. */
  readonly peer: Peer.Peer
  /** How many calls of this side await an answer (as on every two-way connection). */
  readonly pending: () => number
  /** Calls the other side: give it to `Client.call`, `Client.notify`, `Client.batch`. */
  readonly client: Client.Client<Peer.PeerError>
  /**
   * Closes gracefully: stops reading, fails this side's pending calls with `Closed` at once, lets
   * the answers to the messages received be written, ends the stream. Idempotent; resolves with
   * {@link Connection.closed}.
   */
  readonly close: () => Promise<void>
  /** Closes at once: pending calls fail with `Closed`, answers in flight are dropped. Idempotent. */
  readonly destroy: () => void
  /** Resolves once the connection is closed, whichever side closed it and however. */
  readonly closed: Promise<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

// How long a closing connection waits for the other side to end its stream after ending its own.
const CLOSE_GRACE_MS = 1000

const DEFAULT_FRAME_TIMEOUT_MS = 30_000

const noop = (): void => undefined

const decoderOf = <B>(options: AttachOptions<B>): Framing.Decoder =>
  options.framing.makeDecoder({
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    ...(options.maxHeaderBytes === undefined ? {} : { maxHeaderBytes: options.maxHeaderBytes }),
  })

// The client is made before the peer, so that the context (which may hold it) can be given to the
// peer. Its transport forwards to the peer's, looked up when a task runs: by then it exists. Once
// the peer exists (from the end of `attach` on), its own tasks are handed out as they are.
const makePeer = <B>(
  options: AttachOptions<B>,
  io: Pick<Peer.Options<B>, 'write' | 'pause' | 'resume'>,
): { readonly peer: Peer.Peer; readonly client: Client.Client<Peer.PeerError> } => {
  const made: { peer?: Peer.Peer } = {}
  const transport: Peer.PeerTransport = {
    send: (body, expected) =>
      made.peer === undefined ? () => (made.peer as Peer.Peer).transport.send(body, expected)() : made.peer.transport.send(body, expected),
    sendParsed: (body, expected) =>
      made.peer === undefined ? () => (made.peer as Peer.Peer).transport.sendParsed(body, expected)() : made.peer.transport.sendParsed(body, expected),
  }
  const client = Client.make(transport)
  const context = options.context?.({ client })
  const dispatcher = options.dispatcher
  const peer = Peer.make<B>({
    ...Peer.settingsOf(options),
    ...io,
    ...(dispatcher === undefined ? {} : { dispatcher }),
    ...(context === undefined ? {} : { context }),
  })
  made.peer = peer
  return { peer, client }
}

// Messages go to the peer; framing errors to the observer. A whole frame whose bytes are not UTF-8
// is a message that cannot be read: it is answered Parse error, as the specification asks, and
// never dispatched as mangled text. The answer is a response, which a peer never answers, so no two
// peers can loop on it. Other framing errors have no frame to answer.
const handle = (peer: Peer.Peer, events: ReadonlyArray<Framing.Event>, report: (e: Framing.FramingError) => void, write: (text: string) => void): void => {
  for (const event of events) {
    if (event._tag === 'Message') peer.receive(event.text)
    else {
      report(event.error)
      if (event.error._tag === 'InvalidUtf8') {
        try {
          write(PARSE_ERROR_TEXT)
        } catch {
          // The write side has closed: there is no one to answer.
        }
      }
    }
  }
}

// A separate write side that errs or closes (a child that exited) is gone: nothing more is written.
const whenGone = (writable: Writable, gone: () => void): void => {
  writable.on('error', gone)
  writable.once('close', gone)
}

// Ends `writable` and waits until it has finished (or failed).
const endWritable = (writable: Writable): Promise<void> =>
  new Promise<void>((resolve) => {
    finished(writable, { readable: false }, () => resolve())
    writable.end()
  })

// Resolves once the read side has ended or closed, or after the close grace.
const readSideDone = (readable: Readable, readEnded: boolean): Promise<void> =>
  readEnded || readable.destroyed
    ? Promise.resolve()
    : new Promise((resolve) => {
        const timer = setTimeout(resolve, CLOSE_GRACE_MS)
        const done = (): void => {
          clearTimeout(timer)
          resolve()
        }
        readable.once('end', done)
        readable.once('close', done)
        readable.once('error', done)
      })

/**
 * Runs JSON-RPC over `readable` and `writable` (they may be the same duplex stream, a socket).
 * Reading starts at once.
 *
 * @example
 * import { PassThrough } from 'node:stream'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Client, Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import { Framing, attach } from 'fp-jsonrpc/stream'
 *
 * const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
 * const aToB = new PassThrough()
 * const bToA = new PassThrough()
 * const a = attach(bToA, aToB, { framing: Framing.ndjson })
 * attach(aToB, bToA, { framing: Framing.ndjson, dispatcher: Dispatch.make(pipe(Registry.empty, Registry.add(Echo, ({ text }) => text))) })
 *
 * await pipe(a.client, Client.call(Echo, { text: 'hi' }))() // E.right('hi')
 *
 * @category constructors
 * @since 0.1.0
 */
export const attach = <B>(readable: Readable, writable: Writable, options: AttachOptions<B>): Connection => {
  // One duplex stream (a socket) or two.
  const duplex = (readable as unknown) === writable
  const decoder = decoderOf(options)
  // A string the stream encodes as it copies it out saves a Buffer per message (see Framing).
  const encode: (text: string) => string | Uint8Array = options.framing.encodeText ?? options.framing.encode
  const onFramingError = options.onFramingError
  let state: 'open' | 'closing' | 'closed' = 'open'
  let readEnded = false
  let writeGone = false
  let resolveClosed: () => void = noop
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  const cork = corkTick(writable)
  // Its callbacks run from timers, once `attach` has returned.
  const timers = Timers.start({
    idleMs: options.idleTimeoutMs ?? Infinity,
    frameMs: options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS,
    buffered: decoder.buffered,
    busy: () => peer.incoming() > 0 || peer.pending() > 0,
    onIdle: () => void shutdown(),
    onStalled: (ms, received) => {
      report({ _tag: 'Stalled', ms, received })
      void shutdown()
    },
  })

  const write = (text: string): void => {
    if (writeGone || writable.writableEnded || writable.destroyed) throw new Error('the stream is closed')
    cork()
    writable.write(encode(text))
    Timers.active(timers)
  }
  // The peer asks to stop reading while its places are all taken (see `Peer`); the stream's own
  // flow control then holds the other side. Once closing, reading is left to the close.
  const pause = (): void => {
    readable.pause()
  }
  const resume = (): void => {
    if (state === 'open') readable.resume()
  }
  const { peer, client } = makePeer(options, { write, pause, resume })
  const report = (e: Framing.FramingError): void => safely(onFramingError, e, connection)

  const onData = (chunk: Uint8Array | string): void => {
    if (state !== 'open') return
    Timers.active(timers)
    const events = decoder.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)
    handle(peer, events, report, write)
    Timers.watchFrame(timers, events.length > 0)
  }

  const destroy = (): void => {
    if (state === 'closed') return
    state = 'closed'
    Timers.stop(timers)
    peer.close()
    readable.off('data', onData)
    readable.destroy()
    if (!duplex) writable.destroy()
    resolveClosed()
  }

  const shutdown = (): Promise<void> => {
    if (state !== 'open') return closed
    state = 'closing'
    Timers.stop(timers)
    // No answer can come to this side's calls any more (the other side has ended, or this side is
    // closing): they fail now, so that handlers awaiting them finish and their answers are written.
    peer.close()
    // What still arrives is not read (onData ignores it), but the stream must flow to reach its end.
    readable.resume()
    void (async () => {
      await peer.drained()
      if (!writeGone && !writable.writableEnded && !writable.destroyed) await endWritable(writable)
      await readSideDone(readable, readEnded)
      destroy()
    })()
    return closed
  }

  readable.on('data', onData)
  readable.once('end', () => {
    readEnded = true
    if (state === 'open') handle(peer, decoder.end(), report, write)
    void shutdown()
  })
  // Listeners for 'error' stay for good: an error emitted with none would crash the process.
  readable.on('error', destroy)
  readable.once('close', () => {
    if (!readEnded) destroy()
  })
  if (!duplex) whenGone(writable, () => void (writeGone = true))

  const connection: Connection = { peer, pending: peer.pending, client, close: shutdown, destroy, closed }
  return connection
}

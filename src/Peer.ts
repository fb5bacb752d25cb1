/**
 * A peer: one end of a two-way JSON-RPC connection (a WebSocket, a TCP socket, a child process's
 * stdio), where either side may call the other. Incoming requests and notifications go to a
 * dispatcher; incoming responses settle the calls this side made. Transports that carry messages
 * both ways are thin adapters over a peer: they feed it what they read, give it a way to write, and
 * stop reading when it asks them to.
 *
 * The boundary: a peer knows messages, not bytes. Framing (newline-delimited, Content-Length, one
 * message per WebSocket frame) stays in the transport. A peer owns the pending calls (their
 * matching by id, their timeouts, their cancellation, failing them all when the connection closes)
 * and the incoming work (how much runs at once, and what waits).
 *
 * Flow control. A message whose dispatch answers synchronously is answered at once and takes no
 * place. One whose dispatch is asynchronous takes one of {@link Settings.maxInFlight} places until
 * it is answered. When every place is taken, the peer asks its transport to stop reading
 * ({@link Options.pause}) and to read again once a place is free ({@link Options.resume}); messages
 * the transport had read already wait in order, and none is dropped or refused. The sender is then
 * held by the transport's own flow control (TCP's window, a pipe's buffer), so memory stays bounded
 * by what one read brings. `overload: 'refuse'` fails fast instead (see {@link Settings.overload}).
 *
 * Cancellation. Aborting one of this side's calls (its `signal`, or its timeout) sends the other side
 * the notification `$/cancelRequest` with the call's id, as vscode-jsonrpc and the Language Server
 * Protocol do; receiving `$/cancelRequest` for a request being worked on aborts its handler's
 * `control.signal` and answers it at once with `-32800 Request cancelled`: one answer per id, the
 * handler's later one is dropped.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import * as Dispatch from './Dispatch.js'
import type { AbortSignalLike } from './Handler.js'
import * as Deadlines from './internal/Deadlines.js'
import { IdTable } from './internal/IdTable.js'
import { decodeUtf8 } from './internal/utf8.js'
import * as Registry from './Registry.js'
import * as RpcError from './RpcError.js'
import * as RpcRequest from './RpcRequest.js'
import * as RpcResponse from './RpcResponse.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { Expected, Parsed, Transport } from './Transport.js'
import { idText, PARSE_ERROR_TEXT } from './internal/json.js'
import { MAX_TIMER_MS } from './internal/timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why a call made through a peer failed before any answer came.
 *
 * @category model
 * @since 0.1.0
 */
export type PeerError =
  | { readonly _tag: 'Closed' }
  | { readonly _tag: 'Timeout'; readonly ms: number }
  | { readonly _tag: 'WriteFailed'; readonly cause: unknown }
  | { readonly _tag: 'DuplicateId'; readonly id: string | number }
  | { readonly _tag: 'Aborted'; readonly reason: unknown }

/**
 * How a peer behaves, whatever the transport: every two-way transport (`fp-jsonrpc/ws`,
 * `fp-jsonrpc/stream`) takes these same options and hands them to its peers.
 *
 * @category model
 * @since 0.2.0
 */
export interface Settings {
  /**
   * How long a call waits for its answer, in milliseconds (30 000 by default; `Infinity` for ever).
   * A call's own `timeoutMs` (see `Transport.CallOptions`) replaces it; a call's `signal` ends the
   * wait with `Aborted`. Either way the pending entry is removed, `$/cancelRequest` is sent (see
   * {@link cancellation}), and a late answer is unmatched.
   */
  readonly timeoutMs?: number
  /** Sees responses that match no pending call (late, unknown or duplicated ids). Ignored by default. */
  readonly onUnmatched?: (message: unknown) => void
  /**
   * How many incoming messages whose dispatch is asynchronous are worked on at once: 64 by default.
   * A message answered synchronously takes no place.
   */
  readonly maxInFlight?: number
  /**
   * What happens to incoming messages while every place is taken:
   *
   * - `'pause'` (the default): messages wait in order; once {@link maxQueued} wait, the transport
   *   stops reading, and reads again when half of them have found a place. Nothing is dropped or
   *   refused, and the sender is slowed down by the transport's flow control. Until the queue is
   *   full, `$/cancelRequest` and the answers to this side's calls are still read, so a full
   *   dispatcher can still be cancelled and can still finish work that waits on the other side.
   * - `'refuse'`: fail fast. Up to {@link maxQueued} messages wait; past that, each request of a
   *   message is answered {@link busyError} at once and its notifications are dropped. Reading never
   *   stops, so a flooding peer cannot slow this side's own calls, at the price of lost
   *   notifications and refused requests under a burst.
   */
  readonly overload?: 'pause' | 'refuse'
  /**
   * How many incoming messages may wait for a place: 256 by default. Past it, the transport stops
   * reading (`overload: 'pause'`) or requests are refused (`'refuse'`). Messages a transport had read
   * before it stopped still wait (a stream's chunk may hold many), so the queue can briefly be longer.
   */
  readonly maxQueued?: number
  /** The error a refused request gets: `RpcError.serverBusy()` (`-32004`) by default. */
  readonly busyError?: RpcError.RpcError
  /**
   * Cancellation on the wire, on by default: an aborted or timed-out call of this side sends
   * `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":<id>}}`, and `$/cancelRequest` from the
   * other side cancels that request (its handler's `control.signal` aborts, and it is answered
   * {@link cancelledError} at once). With `false`, neither: `$/cancelRequest` then goes to the
   * dispatcher like any notification. Only single requests are cancellable, not batch elements.
   */
  readonly cancellation?: boolean
  /** The answer to a cancelled request: `RpcError.requestCancelled()` (`-32800`) by default. */
  readonly cancelledError?: RpcError.RpcError
}

/**
 * What {@link make} takes: the {@link Settings}, and what the transport provides.
 *
 * @category model
 * @since 0.1.0
 */
export interface Options<B> extends Settings {
  /** Sends one message to the other side. May throw; the call it was for then fails with `WriteFailed`. */
  readonly write: (text: string) => void
  /** Answers what the other side calls. Without one, every request is answered Method not found. */
  readonly dispatcher?: Dispatch.Dispatcher<B>
  /** The context each incoming message is dispatched with. */
  readonly context?: B
  /** Stop reading: every place is taken and the queue is full (see {@link Settings.overload}). */
  readonly pause?: () => void
  /** Read again: the queue has room. Called once after each `pause`. */
  readonly resume?: () => void
}

/**
 * A peer's client transport: it has parsed every answer to tell it from a call, so it always hands
 * the client the parsed value too (`sendParsed`).
 *
 * @category model
 * @since 0.2.0
 */
export interface PeerTransport extends Transport<PeerError> {
  readonly sendParsed: (body: string, expected: Expected) => TaskEither<PeerError, Parsed | undefined>
}

/**
 * @category model
 * @since 0.1.0
 */
export interface Peer {
  /** The client transport of this side: give it to `Client.make` to call the other side. */
  readonly transport: PeerTransport
  /** Hands one incoming message (its text) to the peer. Never throws; an answer owed is written when ready. */
  readonly receive: (text: string) => void
  /**
   * Hands one incoming message as bytes: read as UTF-8 strictly, as every transport does. Bytes that
   * are not UTF-8 are answered Parse error; a leading byte order mark is kept, so it is one too.
   */
  readonly receiveBytes: (bytes: Uint8Array) => void
  /**
   * Fails every pending call with `Closed` and refuses new ones, at once. Idempotent. Incoming
   * messages received before it are still worked on and answered (see {@link drained}).
   */
  readonly close: () => void
  /** How many calls of this side await an answer. */
  readonly pending: () => number
  /** How many incoming messages are being worked on or wait for a place. */
  readonly incoming: () => number
  /**
   * Settles once no incoming message is being worked on or waiting, every answer owed written: what
   * a graceful close waits for before closing the connection.
   */
  readonly drained: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const SETTINGS: ReadonlyArray<keyof Settings> = [
  'timeoutMs',
  'onUnmatched',
  'maxInFlight',
  'overload',
  'maxQueued',
  'busyError',
  'cancellation',
  'cancelledError',
]

/**
 * The {@link Settings} among a transport's options (those given), for the peers it makes.
 *
 * @category utils
 * @since 0.2.0
 */
export const settingsOf = (options: Settings): Settings => {
  const out: Record<string, unknown> = {}
  for (const key of SETTINGS) if (options[key] !== undefined) out[key] = options[key]
  return out as Settings
}

const noMethods = Dispatch.make(Registry.empty)


const CANCEL_METHOD = '$/cancelRequest'

const hasOwn = Object.prototype.hasOwnProperty

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u)

const isNullIdError = (r: unknown): boolean => (r as { id?: unknown }).id === null && hasOwn.call(r, 'error') && !hasOwn.call(r, 'result')

const isId = (u: unknown): u is string | number => typeof u === 'string' || typeof u === 'number'

// The id of a single request that may be cancelled; `undefined` for anything else.
const requestId = (u: unknown): string | number | undefined => {
  if (!isObject(u) || typeof u['method'] !== 'string') return undefined
  const id = u['id']
  return isId(id) ? id : undefined
}

// The id a `$/cancelRequest` notification names, or `undefined` when the message is not one.
const cancelledId = (u: unknown): string | number | undefined => {
  if (!isObject(u) || u['method'] !== CANCEL_METHOD || hasOwn.call(u, 'id')) return undefined
  const params = u['params']
  return isObject(params) && isId(params['id']) ? params['id'] : undefined
}


const cancelText = (id: string | number): string => `{"jsonrpc":"2.0","method":"${CANCEL_METHOD}","params":{"id":${idText(id)}}}`

/**
 * The signal one incoming request is dispatched with: a plain object rather than an
 * `AbortController`, which costs microseconds to make, for every request, where this costs nothing
 * until a handler reads its `control.signal` (the dispatcher then links a real one to it).
 */
class Cancel implements AbortSignalLike {
  declare aborted: boolean
  declare reason: unknown
  declare listeners: Array<() => void> | undefined
  constructor() {
    this.aborted = false
    this.reason = undefined
    this.listeners = undefined
  }
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return
    if (this.listeners === undefined) this.listeners = [listener]
    else this.listeners.push(listener)
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1
    if (i !== -1) this.listeners?.splice(i, 1)
  }
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners !== undefined) for (const listener of listeners) listener()
  }
}

/** An incoming message read and waiting for a place. */
interface Queued {
  readonly text: string
  /** The parsed message, or `NOT_JSON`. */
  readonly value: unknown
  /** Cancelled by the other side before it started: answered without being dispatched. */
  cancelled: boolean
}

const NOT_JSON: unique symbol = Symbol('not JSON')

const WRITTEN: unique symbol = Symbol('written')

type Answer = Either<PeerError, Parsed | undefined>

/** One call of this side awaiting its answer: a plain object, with no closure unless it has a signal. */
class Waiter implements Deadlines.Timed {
  declare readonly ids: ReadonlyArray<string | number>
  /** Replaced by a no-op once called: see `finish`. */
  declare resolve: (answer: Answer) => void
  /** Its deadline in the peer's queue (the peer's own timeout; see internal/Deadlines)... */
  declare deadline: number
  declare timed: boolean
  /** ... or its own timer (a call's `timeoutMs`). */
  declare timer: ReturnType<typeof setTimeout> | undefined
  declare signal: AbortSignalLike | undefined
  declare onAbort: (() => void) | undefined
  constructor(ids: ReadonlyArray<string | number>, resolve: (answer: Answer) => void) {
    this.ids = ids
    this.resolve = resolve
    this.deadline = 0
    this.timed = false
    this.timer = undefined
    this.signal = undefined
    this.onAbort = undefined
  }
}

// What a finished waiter's `resolve` becomes.
const settled = (_answer: Answer): void => undefined

const textOf = (answer: Answer): Either<PeerError, string | undefined> =>
  answer._tag === 'Left' ? answer : E.right(answer.right?.text)

const atLeast = (name: string, n: number, min: number): number => {
  if (!(n >= min)) throw new RangeError(`${name} must be at least ${min}, got ${n}`)
  return n
}

/**
 * Makes a peer. It holds mutable state (the pending calls, the incoming work), so each connection
 * makes its own.
 *
 * @example
 * import { Client, Dispatch, Peer, Registry } from 'fp-jsonrpc'
 *
 * // Two peers wired back to back, as a socket would connect them:
 * const a: Peer.Peer = Peer.make({ write: (text) => b.receive(text) })
 * const b: Peer.Peer = Peer.make({ write: (text) => a.receive(text), dispatcher: Dispatch.make(Registry.empty) })
 * const client = Client.make(a.transport)
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <B>(options: Options<B>): Peer => {
  const dispatcher = (options.dispatcher ?? noMethods) as Dispatch.Dispatcher<B>
  const context = options.context as B
  const timeoutMs = options.timeoutMs ?? 30_000
  const maxInFlight = atLeast('maxInFlight', options.maxInFlight ?? 64, 1)
  const refuse = options.overload === 'refuse'
  const maxQueued = atLeast('maxQueued', options.maxQueued ?? 256, 0)
  const busyError = options.busyError ?? RpcError.serverBusy()
  const cancellation = options.cancellation !== false
  const cancelledError = options.cancelledError ?? RpcError.requestCancelled()
  const onUnmatched = options.onUnmatched
  const pauseHook = options.pause
  const resumeHook = options.resume

  // --- writing ------------------------------------------------------------------------------------

  // Writes one message: `WRITTEN`, or what the transport threw (no allocation when it did not).
  const write = (text: string): unknown => {
    try {
      options.write(text)
      return WRITTEN
    } catch (cause) {
      return cause
    }
  }

  // An answer to the other side: when it cannot be written (the connection is gone), there is no one
  // to tell.
  const answer = (text: string): void => {
    write(text)
  }

  // --- this side's calls ----------------------------------------------------------------------------

  const waiting = new IdTable<Waiter>()
  let closed = false

  // An answer to a call: no `method`, and a `result` or an `error`; or, with neither, the id of a
  // pending call (a malformed answer to that call, which the client reports as `InvalidResponse`, as
  // over HTTP). Without either it is no answer, and the dispatcher answers it Invalid Request.
  const isResponseObject = (u: unknown): boolean =>
    isObject(u) &&
    !hasOwn.call(u, 'method') &&
    (hasOwn.call(u, 'result') || hasOwn.call(u, 'error') || (isId(u['id']) && waiting.has(u['id'])))

  // A message is for this side's pending calls when it is a response or a non-empty array of them;
  // anything else (requests, notifications, and garbage, which the dispatcher answers) is for the
  // dispatcher.
  const isResponseMessage = (u: unknown): boolean => (Array.isArray(u) ? u.length > 0 && u.every(isResponseObject) : isResponseObject(u))

  const release = (waiter: Waiter): void => {
    const ids = waiter.ids
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string | number
      if (waiting.get(id) === waiter) waiting.delete(id)
    }
  }

  const settleResponses = (u: unknown, text: string): void => {
    let waiter: Waiter | undefined
    if (Array.isArray(u)) {
      for (const r of u) {
        const id = (r as { id?: unknown }).id
        waiter = isId(id) ? waiting.get(id) : undefined
        if (waiter !== undefined) break
      }
    } else {
      const id = (u as { id?: unknown }).id
      waiter = isId(id) ? waiting.get(id) : undefined
    }
    // An error answering a message the other side could not read carries id null; with exactly
    // one call pending it can only be that call's. Only errors: a success always names its id.
    if (waiter === undefined && waiting.size > 0 && (Array.isArray(u) ? u : [u]).every(isNullIdError)) {
      const distinct = new Set(waiting.values())
      if (distinct.size === 1) waiter = distinct.values().next().value
    }
    if (waiter === undefined) {
      try {
        onUnmatched?.(u)
      } catch {
        // An observer's failure must not break the connection.
      }
      return
    }
    release(waiter)
    finish(waiter, E.right({ text, value: u }))
  }

  // The other side is told of a call given up, so it can stop working on it. Best effort: a write
  // that fails means the connection is going, and the other side's work with it.
  const giveUp = (ids: ReadonlyArray<string | number>): void => {
    if (!cancellation || closed) return
    for (const id of ids) write(cancelText(id))
  }

  // The peer's own timeout is the same for every call: one queue of deadlines, one timer. A call
  // with a `timeoutMs` of its own gets a timer of its own.
  const deadlines =
    timeoutMs > MAX_TIMER_MS
      ? undefined
      : Deadlines.make<Waiter>(timeoutMs, (waiter) => {
          release(waiter)
          finish(waiter, E.left({ _tag: 'Timeout', ms: timeoutMs }))
          giveUp(waiter.ids)
        })

  // A finished waiter lets go of its Promise (and so of the answer, its text and its parsed value):
  // whatever still reaches a finished waiter (the deadline queue holds it until its place is
  // dropped) then keeps nothing big alive. Measured with `waiting` still a Map (see
  // internal/IdTable), bench:transports' TCP client alone, `--trace-gc-nvp`: 1.7 MB promoted at every
  // scavenge when a waiter kept its Promise, 0.55 MB when it let go of it.
  const finish = (waiter: Waiter, answer: Answer): void => {
    if (waiter.timed) deadlines?.done(waiter)
    if (waiter.timer !== undefined) clearTimeout(waiter.timer)
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    const resolve = waiter.resolve
    waiter.resolve = settled
    waiter.signal = undefined
    waiter.onAbort = undefined
    resolve(answer)
  }

  const exchange = (body: string, expected: Expected): Promise<Answer> =>
    new Promise((resolve) => {
      if (closed) return resolve(E.left({ _tag: 'Closed' }))
      const signal = expected.signal
      if (signal?.aborted === true) return resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
      const ids = expected.ids
      if (ids.length === 0) {
        const written = write(body)
        return resolve(written === WRITTEN ? E.right(undefined) : E.left({ _tag: 'WriteFailed', cause: written }))
      }
      for (let i = 0; i < ids.length; i++) if (waiting.has(ids[i] as string | number)) return resolve(E.left({ _tag: 'DuplicateId', id: ids[i] as string | number }))
      const waiter = new Waiter(ids, resolve)
      for (let i = 0; i < ids.length; i++) waiting.set(ids[i] as string | number, waiter)
      if (expected.timeoutMs === undefined) {
        deadlines?.add(waiter)
      } else {
        // A call's own timeout replaces the peer's; below 0 (or NaN) it counts as 0.
        const ms = Math.max(0, expected.timeoutMs || 0)
        if (ms <= MAX_TIMER_MS) {
          waiter.timer = setTimeout(() => {
            release(waiter)
            finish(waiter, E.left({ _tag: 'Timeout', ms }))
            giveUp(ids)
          }, ms)
        }
      }
      if (signal !== undefined) {
        waiter.signal = signal
        waiter.onAbort = () => {
          release(waiter)
          finish(waiter, E.left({ _tag: 'Aborted', reason: signal.reason }))
          giveUp(ids)
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      const written = write(body)
      if (written !== WRITTEN) {
        release(waiter)
        finish(waiter, E.left({ _tag: 'WriteFailed', cause: written }))
      }
    })

  const transport: PeerTransport = {
    send: (body, expected) => () => exchange(body, expected).then(textOf),
    sendParsed: (body, expected) => () => exchange(body, expected),
  }

  const close = (): void => {
    if (closed) return
    closed = true
    const waiters = new Set(waiting.values())
    waiting.clear()
    for (const waiter of waiters) finish(waiter, E.left({ _tag: 'Closed' }))
  }

  // --- the other side's calls -----------------------------------------------------------------------

  let running = 0
  const queue: Array<Queued> = []
  let queueHead = 0
  let paused = false
  // The requests being worked on that the other side may cancel, by id. A second request with an id
  // already here is not tracked (its cancellation could not be told from the first's).
  const cancellable = new IdTable<Cancel>()
  let onDrained: Array<() => void> = []

  const queued = (): number => queue.length - queueHead

  const drained = (): Promise<void> =>
    running === 0 && queued() === 0 ? Promise.resolve() : new Promise((resolve) => onDrained.push(resolve))

  const answerCancelled = (id: string | number): void => answer(JSON.stringify(RpcResponse.failure(cancelledError, id)))

  const busy = (u: unknown): string | undefined => {
    const answers = (Array.isArray(u) ? u : [u])
      .filter((r) => isObject(r) && hasOwn.call(r, 'id'))
      .map((r) => RpcResponse.failure(busyError, RpcRequest.detectId(r)))
    if (answers.length === 0) return undefined
    return JSON.stringify(Array.isArray(u) ? answers : answers[0])
  }

  // Reading stops once every place is taken and `maxQueued` messages wait, and starts again once
  // half of those have found a place (or all, with no queue): the queue's slack is what lets
  // `$/cancelRequest` and answers to this side's calls still be read while the dispatcher is full.
  const flow = (): void => {
    if (refuse) return
    const waits = queued()
    if (running >= maxInFlight && waits >= maxQueued) setPaused(true)
    else if (paused && (waits < maxQueued / 2 || (waits === 0 && running < maxInFlight))) setPaused(false)
  }

  const setPaused = (now: boolean): void => {
    if (paused === now) return
    paused = now
    try {
      ;(now ? pauseHook : resumeHook)?.()
    } catch {
      // A transport's failure to pause or resume must not lose the message at hand.
    }
  }

  // One message, dispatched now. A synchronous answer is written at once; an asynchronous one takes a
  // place until it is written.
  const start = (text: string, u: unknown): void => {
    const args = [context] as Dispatch.ContextArg<B>
    let id: string | number | undefined
    let cancel: Cancel | undefined
    let out: Dispatch.Awaitable<string | undefined>
    if (u === NOT_JSON) out = dispatcher.dispatch(text, ...args)
    else if (cancellation && (id = requestId(u)) !== undefined && !cancellable.has(id)) {
      cancel = new Cancel()
      out = dispatcher.dispatchCancellable(u, cancel, ...args)
    } else out = dispatcher.dispatchValue(u, ...args)
    if (!(out instanceof Promise)) {
      if (out !== undefined) answer(out)
      return
    }
    running++
    if (cancel !== undefined) cancellable.set(id as string | number, cancel)
    if (running >= maxInFlight) flow()
    void out.then((reply) => {
      running--
      if (cancel !== undefined) {
        if (cancellable.get(id as string | number) === cancel) cancellable.delete(id as string | number)
        // Cancelled: answered already, and only once.
        if (cancel.aborted) return next()
      }
      if (reply !== undefined) answer(reply)
      next()
    })
  }

  // Starts what waits, in order, while there is room; then reads again, or says all is done.
  const next = (): void => {
    while (running < maxInFlight && queueHead < queue.length) {
      const entry = queue[queueHead] as Queued
      queue[queueHead++] = undefined as unknown as Queued
      if (queueHead === queue.length) {
        queue.length = 0
        queueHead = 0
      }
      if (entry.cancelled) answerCancelled(requestId(entry.value) as string | number)
      else start(entry.text, entry.value)
    }
    if (paused) flow()
    if (running === 0 && queued() === 0 && onDrained.length > 0) {
      const resolved = onDrained
      onDrained = []
      for (const resolve of resolved) resolve()
    }
  }

  const cancelIncoming = (id: string | number): void => {
    const cancel = cancellable.get(id)
    if (cancel !== undefined) {
      cancellable.delete(id)
      cancel.abort(new Error('the caller cancelled the request'))
      answerCancelled(id)
      return
    }
    // Not started yet: answered when its turn comes, without running.
    for (let i = queueHead; i < queue.length; i++) {
      const entry = queue[i] as Queued
      if (!entry.cancelled && requestId(entry.value) === id) return void (entry.cancelled = true)
    }
    // Answered already, or unknown: nothing to do (a notification gets no answer).
  }

  const receive = (text: string): void => {
    let u: unknown
    try {
      u = JSON.parse(text)
    } catch {
      // Not JSON: the dispatcher gives the Parse error answer.
      u = NOT_JSON
    }
    if (u !== NOT_JSON) {
      if (isResponseMessage(u)) return settleResponses(u, text)
      if (cancellation) {
        const id = cancelledId(u)
        if (id !== undefined) return cancelIncoming(id)
      }
    }
    if (running < maxInFlight && queued() === 0) return start(text, u)
    if (refuse && queued() >= maxQueued) {
      const refused = u === NOT_JSON ? undefined : busy(u)
      if (refused !== undefined) answer(refused)
      return
    }
    queue.push({ text, value: u, cancelled: false })
    flow()
  }

  const receiveBytes = (bytes: Uint8Array): void => {
    const text = decodeUtf8(bytes)
    if (text === undefined) answer(PARSE_ERROR_TEXT)
    else receive(text)
  }

  return {
    transport,
    receive,
    receiveBytes,
    close,
    pending: () => new Set(waiting.values()).size,
    incoming: () => running + queued(),
    drained,
  }
}

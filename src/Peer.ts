/**
 * A peer: one end of a two-way JSON-RPC connection (a WebSocket, a TCP socket, a child process's
 * stdio), where either side may call the other. Incoming requests and notifications go to a
 * dispatcher; incoming responses settle the calls this side made. Transports that carry messages
 * both ways are thin adapters over a peer: they feed it what they read and give it a way to write.
 *
 * The boundary: a peer knows messages, not bytes. Framing (newline-delimited, Content-Length, one
 * message per WebSocket frame) stays in the transport. A peer owns the pending calls: their
 * matching by id, their timeouts, and failing them all when the connection closes.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as Dispatch from './Dispatch.js'
import * as Registry from './Registry.js'
import * as RpcError from './RpcError.js'
import * as RpcRequest from './RpcRequest.js'
import * as RpcResponse from './RpcResponse.js'
import type { Expected, Transport } from './Transport.js'

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
 * @category model
 * @since 0.1.0
 */
export interface Options<B> {
  /** Sends one message to the other side. May throw; the call it was for then fails with `WriteFailed`. */
  readonly write: (text: string) => void
  /** Answers what the other side calls. Without one, every request is answered Method not found. */
  readonly dispatcher?: Dispatch.Dispatcher<B>
  /** The context each incoming message is dispatched with. */
  readonly context?: B
  /**
   * How long a call waits for its answer, in milliseconds (30 000 by default; `Infinity` for ever).
   * A call's own `timeoutMs` (see `Transport.CallOptions`) replaces it; a call's `signal` ends the
   * wait with `Aborted`. Either way the pending entry is removed, and a late answer is unmatched.
   */
  readonly timeoutMs?: number
  /** Sees responses that match no pending call (late, unknown or duplicated ids). Ignored by default. */
  readonly onUnmatched?: (message: unknown) => void
  /**
   * How many incoming messages the dispatcher works on at once: 64 by default. Further ones wait in
   * a queue of {@link maxQueued}; past that, each request of a message is answered `-32002 Server
   * busy` at once (its notifications are dropped), so a flooding peer cannot make this side hold
   * unbounded work.
   */
  readonly maxInFlight?: number
  /** How many incoming messages may wait for a place: 256 by default. */
  readonly maxQueued?: number
}

/**
 * @category model
 * @since 0.1.0
 */
export interface Peer {
  /** The client transport of this side: give it to `Client.make` to call the other side. */
  readonly transport: Transport<PeerError>
  /** Hands one incoming message (its text) to the peer. Settles once any answer it owes is written. */
  readonly receive: (text: string) => Promise<void>
  /** Fails every pending call with `Closed` and refuses new ones. Idempotent. */
  readonly close: () => void
  /** How many calls await an answer. */
  readonly pending: () => number
  /**
   * Settles once no incoming message is being worked on or waiting, every answer owed written: what
   * a graceful close waits for before closing the connection.
   */
  readonly drained: () => Promise<void>
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const noMethods = Dispatch.make(Registry.empty)

const SERVER_BUSY = RpcError.serverBusy()

const hasOwn = Object.prototype.hasOwnProperty

const isResponseObject = (u: unknown): boolean =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && !hasOwn.call(u, 'method') && (hasOwn.call(u, 'result') || hasOwn.call(u, 'error'))

// A message is for this side's pending calls when it is a response or a non-empty array of them;
// anything else (requests, notifications, and garbage, which the dispatcher answers) is for the
// dispatcher.
const isResponseMessage = (u: unknown): boolean =>
  Array.isArray(u) ? u.length > 0 && u.every(isResponseObject) : isResponseObject(u)

const isNullIdError = (r: unknown): boolean => (r as { id?: unknown }).id === null && hasOwn.call(r, 'error') && !hasOwn.call(r, 'result')

const idsOf = (u: unknown): ReadonlyArray<unknown> =>
  (Array.isArray(u) ? u : [u]).map((r) => (r as { id?: unknown }).id)

interface Waiter {
  readonly ids: ReadonlyArray<string | number>
  readonly settle: (answer: Either<PeerError, string | undefined>) => void
}

/**
 * Makes a peer. It holds mutable state (the pending calls), so each connection makes its own.
 *
 * @example
 * import { Client, Dispatch, Peer, Registry } from 'fp-jsonrpc'
 *
 * // Two peers wired back to back, as a socket would connect them:
 * const a: Peer.Peer = Peer.make({ write: (text) => void b.receive(text) })
 * const b: Peer.Peer = Peer.make({ write: (text) => void a.receive(text), dispatcher: Dispatch.make(Registry.empty) })
 * const client = Client.make(a.transport)
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <B>(options: Options<B>): Peer => {
  const dispatcher = (options.dispatcher ?? noMethods) as Dispatch.Dispatcher<B>
  const context = options.context as B
  const timeoutMs = options.timeoutMs ?? 30_000
  const maxInFlight = options.maxInFlight ?? 64
  const maxQueued = options.maxQueued ?? 256
  if (!(maxInFlight >= 1)) throw new RangeError(`maxInFlight must be at least 1, got ${maxInFlight}`)
  if (!(maxQueued >= 0)) throw new RangeError(`maxQueued must be 0 or more, got ${maxQueued}`)
  const waiting = new Map<string | number, Waiter>()
  let closed = false

  const release = (waiter: Waiter): void => {
    for (const id of waiter.ids) if (waiting.get(id) === waiter) waiting.delete(id)
  }

  const write = (text: string): Either<unknown, void> => {
    try {
      options.write(text)
      return E.right(undefined)
    } catch (cause) {
      return E.left(cause)
    }
  }

  const settleResponses = (u: unknown, text: string): void => {
    const ids = idsOf(u)
    let waiter: Waiter | undefined
    for (const id of ids) {
      waiter = (typeof id === 'string' || typeof id === 'number') ? waiting.get(id) : undefined
      if (waiter !== undefined) break
    }
    // An error answering a message the other side could not read carries id null; with exactly
    // one call pending it can only be that call's. Only errors: a success always names its id.
    if (waiter === undefined && waiting.size > 0 && (Array.isArray(u) ? u : [u]).every(isNullIdError)) {
      const distinct = new Set(waiting.values())
      if (distinct.size === 1) waiter = distinct.values().next().value
    }
    if (waiter === undefined) {
      try {
        options.onUnmatched?.(u)
      } catch {
        // An observer's failure must not break the connection.
      }
      return
    }
    release(waiter)
    waiter.settle(E.right(text))
  }

  // Incoming messages at work, and those waiting for a place.
  let running = 0
  const waitingForPlace: Array<() => void> = []
  let onDrained: Array<() => void> = []
  const drained = (): Promise<void> =>
    running === 0 && waitingForPlace.length === 0 ? Promise.resolve() : new Promise((resolve) => onDrained.push(resolve))

  const busy = (u: unknown): string | undefined => {
    const answers = (Array.isArray(u) ? u : [u])
      .filter((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && hasOwn.call(r, 'id'))
      .map((r) => RpcResponse.failure(SERVER_BUSY, RpcRequest.detectId(r)))
    if (answers.length === 0) return undefined
    return JSON.stringify(Array.isArray(u) ? answers : answers[0])
  }

  const receive = async (text: string): Promise<void> => {
    let u: unknown
    let parsed = true
    try {
      u = JSON.parse(text)
    } catch {
      parsed = false
    }
    if (parsed && isResponseMessage(u)) return settleResponses(u, text)
    if (running >= maxInFlight) {
      if (waitingForPlace.length >= maxQueued) {
        const answer = parsed ? busy(u) : undefined
        if (answer !== undefined && !closed) write(answer)
        return
      }
      await new Promise<void>((resolve) => waitingForPlace.push(resolve))
    }
    running++
    try {
      // Not JSON: the dispatcher gives the Parse error answer.
      const args = [context] as Dispatch.ContextArg<B>
      const answer = await (parsed ? dispatcher.dispatchValue(u, ...args) : dispatcher.dispatch(text, ...args))
      if (answer !== undefined && !closed) write(answer)
    } finally {
      running--
      waitingForPlace.shift()?.()
      if (running === 0 && waitingForPlace.length === 0 && onDrained.length > 0) {
        const waiting = onDrained
        onDrained = []
        for (const resolve of waiting) resolve()
      }
    }
  }

  const send =
    (body: string, expected: Expected): TaskEither<PeerError, string | undefined> =>
    () =>
      new Promise((resolve) => {
        if (closed) return resolve(E.left({ _tag: 'Closed' }))
        const signal = expected.signal
        if (signal?.aborted === true) return resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
        if (expected.ids.length === 0) {
          const written = write(body)
          return resolve(E.isLeft(written) ? E.left({ _tag: 'WriteFailed', cause: written.left }) : E.right(undefined))
        }
        for (const id of expected.ids) if (waiting.has(id)) return resolve(E.left({ _tag: 'DuplicateId', id }))
        let timer: ReturnType<typeof setTimeout> | undefined
        const onAbort = (): void => {
          release(waiter)
          waiter.settle(E.left({ _tag: 'Aborted', reason: signal?.reason }))
        }
        const waiter: Waiter = {
          ids: expected.ids,
          settle: (answer) => {
            if (timer !== undefined) clearTimeout(timer)
            signal?.removeEventListener('abort', onAbort)
            resolve(answer)
          },
        }
        for (const id of expected.ids) waiting.set(id, waiter)
        // A call's own timeout replaces the peer's; below 0 (or NaN) it counts as 0.
        const ms = expected.timeoutMs === undefined ? timeoutMs : Math.max(0, expected.timeoutMs || 0)
        // setTimeout fires at once for delays beyond 2^31 - 1 ms, so longer ones set no timer.
        if (ms <= 2_147_483_647) {
          timer = setTimeout(() => {
            release(waiter)
            waiter.settle(E.left({ _tag: 'Timeout', ms }))
          }, ms)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        const written = write(body)
        if (E.isLeft(written)) {
          release(waiter)
          waiter.settle(E.left({ _tag: 'WriteFailed', cause: written.left }))
        }
      })

  const close = (): void => {
    if (closed) return
    closed = true
    const waiters = new Set(waiting.values())
    waiting.clear()
    for (const waiter of waiters) waiter.settle(E.left({ _tag: 'Closed' }))
  }

  return {
    transport: { send },
    receive,
    close,
    pending: () => new Set(waiting.values()).size,
    drained,
  }
}

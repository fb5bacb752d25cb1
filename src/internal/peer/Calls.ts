/**
 * This side's calls on a two-way connection: each awaits its answer by id, until the answer comes,
 * its timeout passes, its signal aborts, its write fails, or the connection closes. What gives up
 * on a call (a timeout, an abort) tells the other side with `$/cancelRequest`.
 *
 * The state is a plain object ({@link Calls}) and the module's functions work on it: no closure is
 * made per call except the abort listener of a call that has a signal, and a timer's callback for a
 * call with a `timeoutMs` of its own.
 *
 * @internal
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { AbortSignalLike } from '../../Handler.js'
import type { PeerError } from '../../Peer.js'
import type { Expected, Parsed } from '../../Transport.js'
import * as Deadlines from '../Deadlines.js'
import { safely } from '../hooks.js'
import { IdTable } from '../IdTable.js'
import { hasOwn, isRecord } from '../object.js'
import { MAX_TIMER_MS } from '../timers.js'
import { cancelText, isId } from './messages.js'

/** Why a call failed before any answer came (the public `Peer.PeerError`). */
export type CallError = PeerError

/** How a call ends: its answer (the text and its parsed value; none for notifications), or why not. */
export type Answer = Either<CallError, Parsed | undefined>

/** What `write` gives when the transport took the text; anything else is what it threw. */
export const WRITTEN: unique symbol = Symbol('written')

/** One call of this side awaiting its answer: a plain object, with no closure unless it has a signal. */
export class Waiter implements Deadlines.Timed {
  declare readonly ids: ReadonlyArray<string | number>
  /** Replaced by a no-op once called: see `finish`. */
  declare resolve: (answer: Answer) => void
  /** Its deadline in the calls' queue (the peer's own timeout; see internal/Deadlines)... */
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

/** The pending calls of one connection. */
export interface Calls {
  readonly waiting: IdTable<Waiter>
  closed: boolean
  /** Writes one message: {@link WRITTEN}, or what the transport threw. */
  readonly write: (text: string) => unknown
  /** Whether a call given up is told to the other side. */
  readonly cancellation: boolean
  readonly onUnmatched: ((message: unknown) => void) | undefined
  /** The peer's own timeout, the same for every call: one queue, one timer. None when it is infinite. */
  deadlines: Deadlines.Deadlines<Waiter> | undefined
}

export interface CallsOptions {
  readonly write: (text: string) => unknown
  /** Milliseconds; beyond 2^31 - 1 (`Infinity`) calls wait for ever. */
  readonly timeoutMs: number
  readonly cancellation: boolean
  readonly onUnmatched: ((message: unknown) => void) | undefined
}

/** Makes the (empty) pending calls of a connection. */
export const make = (options: CallsOptions): Calls => {
  const calls: Calls = {
    waiting: new IdTable<Waiter>(),
    closed: false,
    write: options.write,
    cancellation: options.cancellation,
    onUnmatched: options.onUnmatched,
    deadlines: undefined,
  }
  const ms = options.timeoutMs
  if (!(ms > MAX_TIMER_MS)) calls.deadlines = Deadlines.make<Waiter>(ms, (waiter) => giveUp(calls, waiter, { _tag: 'Timeout', ms }))
  return calls
}

// What a finished waiter's `resolve` becomes.
const settled = (_answer: Answer): void => undefined

const release = (calls: Calls, waiter: Waiter): void => {
  const ids = waiter.ids
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]
    if (calls.waiting.get(id) === waiter) calls.waiting.delete(id)
  }
}

// A finished waiter lets go of its Promise (and so of the answer, its text and its parsed value):
// whatever still reaches a finished waiter (the deadline queue holds it until its place is
// dropped) then keeps nothing big alive. Measured with `waiting` still a Map (see
// internal/IdTable), bench:transports' TCP client alone, `--trace-gc-nvp`: 1.7 MB promoted at every
// scavenge when a waiter kept its Promise, 0.55 MB when it let go of it.
const finish = (calls: Calls, waiter: Waiter, answer: Answer): void => {
  if (waiter.timed) calls.deadlines?.done(waiter)
  if (waiter.timer !== undefined) clearTimeout(waiter.timer)
  if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
  const resolve = waiter.resolve
  waiter.resolve = settled
  waiter.signal = undefined
  waiter.onAbort = undefined
  resolve(answer)
}

// A call given up by this side (timeout, abort): it ends with `error`, and the other side is told,
// so it can stop working on it. Best effort: a write that fails means the connection is going, and
// the other side's work with it.
const giveUp = (calls: Calls, waiter: Waiter, error: CallError): void => {
  release(calls, waiter)
  finish(calls, waiter, E.left(error))
  if (!calls.cancellation || calls.closed) return
  const ids = waiter.ids
  for (let i = 0; i < ids.length; i++) calls.write(cancelText(ids[i]))
}

/**
 * Writes `body` and awaits the answer to the ids `expected` names (none: a notification, done once
 * written). Never rejects.
 */
export const exchange = (calls: Calls, body: string, expected: Expected): Promise<Answer> =>
  new Promise((resolve) => {
    if (calls.closed) return resolve(E.left({ _tag: 'Closed' }))
    const signal = expected.signal
    if (signal?.aborted === true) return resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
    const ids = expected.ids
    if (ids.length === 0) {
      const written = calls.write(body)
      return resolve(written === WRITTEN ? E.right(undefined) : E.left({ _tag: 'WriteFailed', cause: written }))
    }
    const waiting = calls.waiting
    for (let i = 0; i < ids.length; i++) if (waiting.has(ids[i])) return resolve(E.left({ _tag: 'DuplicateId', id: ids[i] }))
    const waiter = new Waiter(ids, resolve)
    for (let i = 0; i < ids.length; i++) waiting.set(ids[i], waiter)
    if (expected.timeoutMs === undefined) {
      calls.deadlines?.add(waiter)
    } else {
      // A call's own timeout replaces the peer's; below 0 (or NaN) it counts as 0.
      const ms = Math.max(0, expected.timeoutMs || 0)
      if (ms <= MAX_TIMER_MS) waiter.timer = setTimeout(() => giveUp(calls, waiter, { _tag: 'Timeout', ms }), ms)
    }
    if (signal !== undefined) {
      waiter.signal = signal
      waiter.onAbort = () => giveUp(calls, waiter, { _tag: 'Aborted', reason: signal.reason })
      signal.addEventListener('abort', waiter.onAbort, { once: true })
    }
    const written = calls.write(body)
    if (written !== WRITTEN) {
      release(calls, waiter)
      finish(calls, waiter, E.left({ _tag: 'WriteFailed', cause: written }))
    }
  })

// An answer to a call: no `method`, and a `result` or an `error`; or, with neither, the id of a
// pending call (a malformed answer to that call, which the client reports as `InvalidResponse`, as
// over HTTP). Without either it is no answer, and the dispatcher answers it Invalid Request.
const isResponseObject = (calls: Calls, u: unknown): boolean =>
  isRecord(u) && !hasOwn(u, 'method') && (hasOwn(u, 'result') || hasOwn(u, 'error') || (isId(u['id']) && calls.waiting.has(u['id'])))

/**
 * Whether a parsed message is for this side's pending calls: a response or a non-empty array of
 * them. Anything else (requests, notifications, and garbage, which the dispatcher answers) is for
 * the dispatcher.
 */
export const isResponseMessage = (calls: Calls, u: unknown): boolean => {
  if (!Array.isArray(u)) return isResponseObject(calls, u)
  if (u.length === 0) return false
  for (let i = 0; i < u.length; i++) if (!isResponseObject(calls, u[i])) return false
  return true
}

const isNullIdError = (r: unknown): boolean => (r as { id?: unknown }).id === null && hasOwn(r as object, 'error') && !hasOwn(r as object, 'result')

/**
 * Settles the call a response message (see {@link isResponseMessage}) answers, with its text and
 * parsed value; one that answers no call goes to `onUnmatched`.
 */
export const settle = (calls: Calls, u: unknown, text: string): void => {
  const waiting = calls.waiting
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
  if (waiter === undefined) return safely(calls.onUnmatched, u)
  release(calls, waiter)
  finish(calls, waiter, E.right({ text, value: u }))
}

/** Fails every pending call with `Closed`, and every later one. Idempotent. */
export const close = (calls: Calls): void => {
  if (calls.closed) return
  calls.closed = true
  const waiters = new Set(calls.waiting.values())
  calls.waiting.clear()
  for (const waiter of waiters) finish(calls, waiter, E.left({ _tag: 'Closed' }))
}

/** How many calls await an answer (a batch is one call). */
export const pending = (calls: Calls): number => new Set(calls.waiting.values()).size

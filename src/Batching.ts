/**
 * Batching on the client side: a wrapper around any client {@link Transport.Transport} that sends the
 * messages handed to it close together as one JSON-RPC batch, and gives each caller its own answer.
 *
 * The calls a program makes in the same tick (`Promise.all` of many `Client.call`s, or calls started
 * from several places before the event loop turns) are collected, or those within `windowMs` of the
 * first one, and sent in one message of at most `maxBatchLength` elements: a larger burst goes as
 * several batches of that size. Each caller then gets the part of the answer that carries its ids, so
 * the client matches and decodes it as it would a lone answer: every call keeps its own typed result.
 *
 * What each caller gets:
 * - the response carrying its id. None: the client's `MissingResponse` (with what answered no call as
 *   its `unmatched`), never a hang; several: `DuplicateResponse`.
 * - a failure of the whole message, as it came: the inner transport's `Left` (the server down, a
 *   timeout), a lone error object with id `null` (the server refused the whole batch, as a server does
 *   for one longer than its `maxBatchLength`), a body that is not JSON-RPC.
 * - for a notification: nothing, as when sent alone.
 *
 * Each message keeps its own `signal` and `timeoutMs`: one that aborts or times out fails with
 * {@link Stopped} at once and leaves the batch, unsent if the batch has not gone yet; the others wait on.
 * Once every message of a batch in flight has left, the inner exchange is aborted.
 *
 * The boundary: this module groups and splits text; building requests and judging answers stay the
 * client's. A message that is already a batch (`Client.batch`) goes as it is, at once, alone: the
 * caller chose its grouping. A lone message (nothing else came within the window) goes as it is, not
 * wrapped in an array.
 *
 * @since 0.2.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { Expected, Transport } from './Transport.js'
import { isRecord } from './internal/object.js'
import { MAX_TIMER_MS } from './internal/timers.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link make} takes.
 *
 * @category model
 * @since 0.2.0
 */
export interface Options {
  /**
   * How long a batch stays open after its first message, in milliseconds: 0 by default, which sends
   * the messages of the same tick (everything started before the event loop turns, microtasks
   * included). A longer window gathers more calls at the price of that much latency for the first.
   */
  readonly windowMs?: number
  /**
   * The most elements one batch holds: 100 by default, the default `maxBatchLength` of the
   * dispatcher (`Dispatch.make`). Set it to the server's limit, which answers a longer batch with one
   * error for all. When a batch is full it is sent at once and the next message opens another.
   */
  readonly maxBatchLength?: number
}

/**
 * Why a caller stopped waiting, given by the wrapper itself: its `signal` aborted (`reason` is the
 * signal's), or its `timeoutMs` passed (`ms`). The shapes are those of the fetch transport's
 * `Aborted` and `Timeout`, so one `switch` on `_tag` reads both.
 *
 * @category model
 * @since 0.2.0
 */
export type Stopped = { readonly _tag: 'Aborted'; readonly reason: unknown } | { readonly _tag: 'Timeout'; readonly ms: number }

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The default {@link Options.maxBatchLength}: 100, as the dispatcher's.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultMaxBatchLength = 100

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Makes a batching wrapper: apply it to a transport to get one that batches, as the module comment
 * says. Each application has its own open batch (state), so clients that share the wrapped transport
 * share its batches.
 *
 * Ids: the ids of one batch must differ, and clients sharing the transport number their calls each
 * from its own counter. A call whose id is already in the open batch is sent under a fresh id of the
 * wrapper's (a string such as `"b7"`), and its answer is handed back under its own id: the caller
 * never sees the difference. Give each client a generator of its own kind (`Id.makeUuid()`) to spare
 * the rewrite.
 *
 * The message sent is `idempotent` only when every message in it is, so a `Retry.transport` inside
 * (`Batching.make()(Retry.transport(...)(inner))`) retries a batch only when that is safe. The inner
 * exchange gets its own signal (aborted once no caller waits) and, when every message has a
 * `timeoutMs`, the longest time left of them.
 *
 * Throws a `RangeError` for a `windowMs` that is negative or `NaN`, or a `maxBatchLength` below 1 or
 * not an integer.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Batching, Client, Method } from 'fp-jsonrpc'
 * import { transport } from 'fp-jsonrpc/fetch'
 *
 * const Square = Method.make({ name: 'square', params: t.type({ n: t.number }), result: t.number })
 * const client = Client.make(pipe(transport({ url: 'http://127.0.0.1:8080/' }), Batching.make({ maxBatchLength: 100 })))
 *
 * // One POST carrying ten calls; each gets its own Either.
 * const squares = () => Promise.all([...Array(10).keys()].map((n) => pipe(client, Client.call(Square, { n }))()))
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: Options = {}): (<E>(inner: Transport<E>) => Transport<E | Stopped>) => {
  const windowMs = options.windowMs ?? 0
  if (!(windowMs >= 0)) throw new RangeError(`windowMs must be 0 or more, got ${windowMs}`)
  const max = options.maxBatchLength ?? defaultMaxBatchLength
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxBatchLength must be an integer of 1 or more, got ${max}`)
  return <E>(inner: Transport<E>): Transport<E | Stopped> => {
    const batcher = makeBatcher(inner, windowMs, max)
    return { send: (body, expected) => () => batcher.send(body, expected) }
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

type Id = string | number

type Answer<E> = Either<E | Stopped, string | undefined>

/** One waiting message: a lone call or notification. */
interface Member<E> {
  /** The text sent: the caller's, or with its id rewritten. */
  body: string
  /** The caller's id (a call), or `undefined` (a notification). */
  readonly id: Id | undefined
  /** The id on the wire: `id`, or the wrapper's when `id` was taken. */
  wire: Id | undefined
  readonly expected: Expected
  /** When the caller's timeout passes (`Date.now()` scale), or `undefined` for none of the wrapper's. */
  readonly deadline: number | undefined
  /** Settles the caller once; later answers are dropped. */
  readonly settle: (answer: Answer<E>) => void
  /** Rejects the caller, for an inner transport that broke its law and rejected. */
  readonly reject: (cause: unknown) => void
  /** The batch in flight it went in, once sent. */
  flight: Flight | undefined
  waiting: boolean
}

interface Flight {
  readonly controller: AbortController
  waiting: number
}

interface Open<E> {
  readonly members: Array<Member<E>>
  /** The wire ids of the calls in it. */
  readonly wire: Map<Id, Member<E>>
  timer: ReturnType<typeof setTimeout> | undefined
  scheduled: boolean
}

const emptyOpen = <E>(): Open<E> => ({ members: [], wire: new Map(), timer: undefined, scheduled: false })

const isBatchText = (body: string): boolean => body.trimStart().startsWith('[')

/** After the current tick: everything started before the event loop turns, microtasks included. */
// `setImmediate` is read off `globalThis` because the package's types leave Node's out (browsers and
// workers have none: `setTimeout(0)` there).
const afterTick: (f: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (f) => (globalThis as unknown as { setImmediate: (f: () => void) => void }).setImmediate(f)
    : (f) => void setTimeout(f, 0)

/** The state of one wrapped transport: the open batch and how messages join and leave it. */
const makeBatcher = <E>(inner: Transport<E>, windowMs: number, max: number) => {
  let open = emptyOpen<E>()
  let fresh = 0

  const flush = (): void => {
    const batch = open
    open = emptyOpen<E>()
    if (batch.timer !== undefined) clearTimeout(batch.timer)
    const members = batch.members
    if (members.length === 0) return
    const flight: Flight = { controller: new AbortController(), waiting: members.length }
    const ids: Array<Id> = []
    let idempotent = true
    let latest: number | undefined = 0
    for (const m of members) {
      m.flight = flight
      if (m.wire !== undefined) ids.push(m.wire)
      if (m.expected.idempotent !== true) idempotent = false
      latest = latest === undefined || m.deadline === undefined ? undefined : Math.max(latest, m.deadline)
    }
    const body = members.length === 1 ? members[0].body : `[${members.map((m) => m.body).join(',')}]`
    const base =
      latest === undefined ? { ids, signal: flight.controller.signal } : { ids, signal: flight.controller.signal, timeoutMs: Math.max(0, latest - Date.now()) }
    const expected: Expected = idempotent ? { ...base, idempotent } : base
    let exchange: Promise<Either<E, string | undefined>>
    try {
      exchange = inner.send(body, expected)()
    } catch (cause) {
      exchange = Promise.reject(cause instanceof Error ? cause : new Error('the inner transport threw', { cause }))
    }
    void exchange.then(
      (answer) => {
        if (E.isLeft(answer) || (members.length === 1 && members[0].wire === members[0].id)) {
          for (const m of members) m.settle(answer)
          return
        }
        const replies = route(answer.right, members)
        members.forEach((m, i) => m.settle(E.right(replies[i])))
      },
      // The inner transport broke its law (its task rejected): every caller learns it, none hangs.
      (cause: unknown) => {
        for (const m of members) m.reject(cause)
      },
    )
  }

  const schedule = (): void => {
    if (open.scheduled) return
    open.scheduled = true
    const batch = open
    if (windowMs > 0) batch.timer = setTimeout(() => batch === open && flush(), Math.min(windowMs, MAX_TIMER_MS))
    else afterTick(() => batch === open && flush())
  }

  /** Gives `m` a wire id not in the open batch: its own, or the wrapper's with its body rewritten. */
  const place = (m: Member<E>): boolean => {
    if (m.id === undefined || !open.wire.has(m.id)) return true
    let value: unknown
    try {
      value = JSON.parse(m.body)
    } catch {
      return false
    }
    if (!isRecord(value) || value['id'] !== m.id) return false
    let wire: string
    do wire = `b${++fresh}`
    while (open.wire.has(wire))
    m.wire = wire
    m.body = JSON.stringify({ ...value, id: wire })
    return true
  }

  const leave = (m: Member<E>, why: Stopped): void => {
    if (!m.waiting) return
    const flight = m.flight
    if (flight === undefined) {
      // Not sent yet: out of the open batch, as if it had never come.
      const i = open.members.indexOf(m)
      if (i >= 0) open.members.splice(i, 1)
      if (m.wire !== undefined && open.wire.get(m.wire) === m) open.wire.delete(m.wire)
    }
    m.settle(E.left(why))
    if (flight !== undefined && flight.waiting === 0) flight.controller.abort()
  }

  const send = (body: string, expected: Expected): Promise<Answer<E>> => {
    const signal = expected.signal
    if (signal?.aborted === true) return Promise.resolve(E.left({ _tag: 'Aborted', reason: signal.reason }))
    // Already a batch: the caller's grouping is kept, and the inner transport honours its options.
    if (isBatchText(body) || expected.ids.length > 1) return inner.send(body, expected)()
    return new Promise<Answer<E>>((resolve, reject) => {
      const ms = expected.timeoutMs
      const timeout = ms === undefined ? undefined : ms > 0 ? ms : 0
      let timer: ReturnType<typeof setTimeout> | undefined
      const onAbort = (): void => leave(m, { _tag: 'Aborted', reason: signal?.reason })
      const done = (): boolean => {
        if (!m.waiting) return false
        m.waiting = false
        if (m.flight !== undefined) m.flight.waiting--
        if (timer !== undefined) clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        return true
      }
      const m: Member<E> = {
        body,
        id: expected.ids[0],
        wire: expected.ids[0],
        expected,
        deadline: timeout === undefined || timeout > MAX_TIMER_MS ? undefined : Date.now() + timeout,
        flight: undefined,
        waiting: true,
        settle: (answer) => done() && resolve(answer),
        reject: (cause) => done() && reject(cause instanceof Error ? cause : new Error('the inner transport rejected', { cause })),
      }
      if (!place(m)) flush()
      open.members.push(m)
      if (m.wire !== undefined) open.wire.set(m.wire, m)
      if (m.deadline !== undefined && timeout !== undefined) timer = setTimeout(() => leave(m, { _tag: 'Timeout', ms: timeout }), timeout)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (open.members.length >= max) flush()
      else schedule()
    })
  }

  return { send }
}

/**
 * Splits the answer to a batch of `members` into the answer each would have had alone: the
 * responses carrying its wire id (given back under its own id); or, when none does, the elements that
 * answer nobody, as an array (the client reads `MissingResponse` with them as `unmatched`); nothing
 * for a notification. An answer that is not an array of responses (a lone error with id `null`, a
 * body that is not JSON) is everyone's, as it came.
 */
const route = <E>(reply: string | undefined, members: ReadonlyArray<Member<E>>): ReadonlyArray<string | undefined> => {
  const all = (): ReadonlyArray<string | undefined> => members.map(() => reply)
  if (reply === undefined || reply.trim() === '') return members.map(() => undefined)
  let value: unknown
  try {
    value = JSON.parse(reply)
  } catch {
    return all()
  }
  const byWire = new Map<Id, Member<E>>()
  for (const m of members) if (m.wire !== undefined) byWire.set(m.wire, m)
  const readable = (u: unknown): Member<E> | undefined => {
    if (!isRecord(u) || !Object.hasOwn(u, 'id')) return undefined
    const id = u['id']
    return typeof id === 'string' || typeof id === 'number' ? byWire.get(id) : undefined
  }
  // A lone object: an answer to one call of the batch is read as an array of one; anything else
  // (an error with id null, an invalid answer) concerns the whole message.
  if (!Array.isArray(value)) {
    if (readable(value) === undefined) return all()
    value = [value]
  }
  const own = new Map<Member<E>, Array<unknown>>()
  const nobody: Array<unknown> = []
  for (const element of value as ReadonlyArray<unknown>) {
    const m = readable(element)
    if (m === undefined) nobody.push(element)
    else {
      const back = m.wire === m.id ? element : { ...(element as Record<string, unknown>), id: m.id }
      const list = own.get(m)
      if (list === undefined) own.set(m, [back])
      else list.push(back)
    }
  }
  return members.map((m) => {
    if (m.id === undefined) return undefined
    const list = own.get(m)
    return JSON.stringify(list === undefined ? nobody : list.length === 1 ? list[0] : list)
  })
}

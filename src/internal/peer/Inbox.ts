/**
 * The other side's work on a two-way connection: the requests and notifications it sent, how many
 * are worked on at once, the queue of those that wait, the transport's reading paused and resumed
 * around it, and their cancellation by `$/cancelRequest`.
 *
 * Flow control: a message whose dispatch answers synchronously is answered at once and takes no
 * place; one whose dispatch is asynchronous takes one of `maxInFlight` places until it is answered.
 * Past that, messages wait in order. With `refuse`, past `maxQueued` waiting each request is
 * answered the busy error and notifications are dropped; otherwise reading stops once `maxQueued`
 * wait, and starts again once half of them have found a place (see {@link flow}).
 *
 * The state is a plain object ({@link Inbox}) and the module's functions work on it.
 *
 * @internal
 */
import type * as Dispatch from '../../Dispatch.js'
import type { Endpoint } from '../../Handler.js'
import type * as RpcError from '../../RpcError.js'
import * as RpcRequest from '../../RpcRequest.js'
import * as RpcResponse from '../../RpcResponse.js'
import { safely } from '../hooks.js'
import { IdTable } from '../IdTable.js'
import { hasOwn, isRecord } from '../object.js'
import { Cancel } from './Cancel.js'
import { NOT_JSON, requestId } from './messages.js'

/** An incoming message read and waiting for a place. */
interface Queued {
  readonly text: string
  /** The parsed message, or `NOT_JSON`. */
  readonly value: unknown
  /** Cancelled by the other side before it started: answered without being dispatched. */
  cancelled: boolean
}

export interface InboxOptions<B> {
  readonly dispatcher: Dispatch.Dispatcher<B>
  readonly context: B
  /** Where the connection was made (`control.endpoint`), when the transport knows. */
  readonly endpoint?: Endpoint | undefined
  /** Writes an answer; when it cannot be written (the connection is gone), there is no one to tell. */
  readonly answer: (text: string) => void
  readonly maxInFlight: number
  readonly refuse: boolean
  readonly maxQueued: number
  readonly busyError: RpcError.RpcError
  /** Whether single requests are cancellable by the other side. */
  readonly cancellation: boolean
  readonly cancelledError: RpcError.RpcError
  readonly pause: (() => void) | undefined
  readonly resume: (() => void) | undefined
}

/** The incoming work of one connection. */
export interface Inbox<B> extends InboxOptions<B> {
  /** The context, as the dispatcher's rest argument (made once). */
  readonly args: Dispatch.ContextArg<B>
  /** What the dispatcher is given with each message that cannot be cancelled: the endpoint (made once). */
  readonly given: Dispatch.Given | undefined
  /** Messages dispatched asynchronously and not yet answered. */
  running: number
  /** What waits for a place, from `queueHead` on. */
  readonly queue: Array<Queued>
  queueHead: number
  paused: boolean
  /**
   * The requests being worked on that the other side may cancel, by id. A second request with an
   * id already here is not tracked (its cancellation could not be told from the first's).
   */
  readonly cancellable: IdTable<Cancel>
  onDrained: Array<() => void>
}

/** Makes the (empty) incoming work of a connection. */
export const make = <B>(options: InboxOptions<B>): Inbox<B> => ({
  ...options,
  args: [options.context] as Dispatch.ContextArg<B>,
  given: options.endpoint === undefined ? undefined : { endpoint: options.endpoint },
  running: 0,
  queue: [],
  queueHead: 0,
  paused: false,
  cancellable: new IdTable<Cancel>(),
  onDrained: [],
})

const queued = <B>(inbox: Inbox<B>): number => inbox.queue.length - inbox.queueHead

/** How many messages are being worked on or wait for a place. */
export const size = <B>(inbox: Inbox<B>): number => inbox.running + queued(inbox)

/** Settles once no message is being worked on or waiting, every answer owed written. */
export const drained = <B>(inbox: Inbox<B>): Promise<void> => (size(inbox) === 0 ? Promise.resolve() : new Promise((resolve) => inbox.onDrained.push(resolve)))

/**
 * Takes one message for the dispatcher (`u` its parsed value, or `NOT_JSON`): it starts now when
 * there is room and nothing waits, else it waits its turn (or, refusing, is answered busy).
 */
export const take = <B>(inbox: Inbox<B>, text: string, u: unknown): void => {
  if (inbox.running < inbox.maxInFlight && queued(inbox) === 0) return start(inbox, text, u)
  if (inbox.refuse && queued(inbox) >= inbox.maxQueued) {
    const refused = u === NOT_JSON ? undefined : busy(inbox.busyError, u)
    if (refused !== undefined) inbox.answer(refused)
    return
  }
  inbox.queue.push({ text, value: u, cancelled: false })
  flow(inbox)
}

/**
 * `$/cancelRequest` for `id`: a request at work is aborted and answered the cancelled error at
 * once; one still waiting is answered so when its turn comes, without running.
 */
export const cancel = <B>(inbox: Inbox<B>, id: string | number): void => {
  const cancel = inbox.cancellable.get(id)
  if (cancel !== undefined) {
    inbox.cancellable.delete(id)
    cancel.abort(new Error('the caller cancelled the request'))
    answerCancelled(inbox, id)
    return
  }
  const queue = inbox.queue
  for (let i = inbox.queueHead; i < queue.length; i++) {
    const entry = queue[i]
    if (!entry.cancelled && requestId(entry.value) === id) return void (entry.cancelled = true)
  }
  // Answered already, or unknown: nothing to do (a notification gets no answer).
}

const answerCancelled = <B>(inbox: Inbox<B>, id: string | number): void => inbox.answer(JSON.stringify(RpcResponse.failure(inbox.cancelledError, id)))

// The answer to a message refused for being one too many: the busy error for each of its requests.
const busy = (busyError: RpcError.RpcError, u: unknown): string | undefined => {
  const answers = (Array.isArray(u) ? u : [u]).filter((r) => isRecord(r) && hasOwn(r, 'id')).map((r) => RpcResponse.failure(busyError, RpcRequest.detectId(r)))
  if (answers.length === 0) return undefined
  return JSON.stringify(Array.isArray(u) ? answers : answers[0])
}

// Reading stops once every place is taken and `maxQueued` messages wait, and starts again once
// half of those have found a place (or all, with no queue): the queue's slack is what lets
// `$/cancelRequest` and answers to this side's calls still be read while the dispatcher is full.
const flow = <B>(inbox: Inbox<B>): void => {
  if (inbox.refuse) return
  const waits = queued(inbox)
  if (inbox.running >= inbox.maxInFlight && waits >= inbox.maxQueued) setPaused(inbox, true)
  else if (inbox.paused && (waits < inbox.maxQueued / 2 || (waits === 0 && inbox.running < inbox.maxInFlight))) setPaused(inbox, false)
}

// A transport's failure to pause or resume must not lose the message at hand.
const setPaused = <B>(inbox: Inbox<B>, now: boolean): void => {
  if (inbox.paused === now) return
  inbox.paused = now
  safely(now ? inbox.pause : inbox.resume)
}

// One message, dispatched now. A synchronous answer is written at once; an asynchronous one takes a
// place until it is written.
const start = <B>(inbox: Inbox<B>, text: string, u: unknown): void => {
  const dispatcher = inbox.dispatcher
  let id: string | number | undefined
  let cancel: Cancel | undefined
  let out: Dispatch.Awaitable<string | undefined>
  if (u === NOT_JSON) out = dispatcher.dispatch(text, ...inbox.args)
  else if (inbox.cancellation && (id = requestId(u)) !== undefined && !inbox.cancellable.has(id)) {
    cancel = new Cancel()
    out =
      inbox.endpoint === undefined
        ? dispatcher.dispatchCancellable(u, cancel, ...inbox.args)
        : dispatcher.dispatchValueWith(u, { signal: cancel, endpoint: inbox.endpoint }, ...inbox.args)
  } else out = inbox.given === undefined ? dispatcher.dispatchValue(u, ...inbox.args) : dispatcher.dispatchValueWith(u, inbox.given, ...inbox.args)
  if (!(out instanceof Promise)) {
    if (out !== undefined) inbox.answer(out)
    return
  }
  inbox.running++
  if (cancel !== undefined) inbox.cancellable.set(id as string | number, cancel)
  if (inbox.running >= inbox.maxInFlight) flow(inbox)
  void out.then((reply) => {
    inbox.running--
    if (cancel !== undefined) {
      if (inbox.cancellable.get(id as string | number) === cancel) inbox.cancellable.delete(id as string | number)
      // Cancelled: answered already, and only once.
      if (cancel.aborted) return next(inbox)
    }
    if (reply !== undefined) inbox.answer(reply)
    next(inbox)
  })
}

// Starts what waits, in order, while there is room; then reads again, or says all is done.
const next = <B>(inbox: Inbox<B>): void => {
  const queue = inbox.queue
  while (inbox.running < inbox.maxInFlight && inbox.queueHead < queue.length) {
    const entry = queue[inbox.queueHead]
    queue[inbox.queueHead++] = undefined as unknown as Queued
    if (inbox.queueHead === queue.length) {
      queue.length = 0
      inbox.queueHead = 0
    }
    if (entry.cancelled) answerCancelled(inbox, requestId(entry.value) as string | number)
    else start(inbox, entry.text, entry.value)
  }
  if (inbox.paused) flow(inbox)
  if (size(inbox) === 0 && inbox.onDrained.length > 0) {
    const resolved = inbox.onDrained
    inbox.onDrained = []
    for (const resolve of resolved) resolve()
  }
}

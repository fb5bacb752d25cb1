/**
 * The NATS server: serves a dispatcher on a subject, in a queue group, over a connection the caller
 * made with `@nats-io/transport-node`. Every worker that serves the same subject in the same queue
 * group takes a share of the messages (NATS gives each message to one member of the group), so
 * workers are added and removed while callers go on sending to one subject.
 *
 * Each message is one JSON-RPC message: its payload goes through the dispatcher's byte entry point
 * (`dispatchBytes`), as on every transport: strict UTF-8 (bytes that are not UTF-8 are answered Parse
 * error), a byte limit, the same answers. The answer goes to the message's reply subject: a request
 * whose answer is nothing (notifications only) gets an empty reply, so its caller does not wait out
 * its timeout; a message without a reply subject is dispatched and answered with nothing. An answer
 * larger than the connection's max payload becomes an error that fits (per id, in a batch).
 *
 * The boundary: the connection is the caller's to make (servers, credentials, reconnection); this
 * module subscribes on it and, when stopping, drains and closes it unless told to keep it.
 *
 * @since 0.2.0
 */
import type { Task } from 'fp-ts/lib/Task.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import type { Awaitable, Dispatcher, Given } from '../Dispatch.js'
import type { RequestHeaders } from '../Handler.js'
import { decodeUtf8 } from '../internal/utf8.js'
import { safely } from '../internal/hooks.js'
import * as Answers from '../internal/nats/answers.js'
import type * as Connection_ from '../internal/nats/connection.js'
import type { Connection } from '../internal/nats/connection.js'
import * as Gate from '../internal/nats/Gate.js'
import * as Stats from '../internal/nats/Stats.js'
import * as Micro from './micro.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A message's headers, as nats.js gives them (`MsgHdrs`): the part this package's users read.
 *
 * @category model
 * @since 0.2.0
 */
export type NatsHeaders = Connection_.NatsHeaders

/**
 * A NATS message, as nats.js gives it (`Msg` of `@nats-io/transport-node`): the part this module
 * reads, and the context function sees.
 *
 * @category model
 * @since 0.2.0
 */
export type NatsMessage = Connection_.NatsMessage

/**
 * A subscription, as nats.js gives it: the part this module uses.
 *
 * @category model
 * @since 0.2.0
 */
export type NatsSubscription = Connection_.NatsSubscription

/**
 * The `context` option: made for each message from the NATS message (its `subject`, its `headers`:
 * an auth token, a trace id), it is the base value the message is dispatched with. Required when the
 * dispatcher needs a context. One that throws answers the message Internal error (id null), its
 * cause to `onError` only.
 *
 * @category model
 * @since 0.2.0
 */
export type ContextOption<B> = unknown extends B ? { readonly context?: (message: NatsMessage) => B } : { readonly context: (message: NatsMessage) => B }

/**
 * What {@link serve} takes besides the connection and the dispatcher.
 *
 * @category model
 * @since 0.2.0
 */
export type ServeOptions<B> = ContextOption<B> & {
  /** The subject served, such as `rpc.billing`. Callers send requests to it. */
  readonly subject: string
  /**
   * The queue group: the workers of one group share the messages, each message going to one of them.
   * `q` by default, the NATS micro-service frameworks' own default, so a worker of one of them on the
   * same subject shares the load too. `''` for no group: every worker then gets every message, and a
   * caller the first answer.
   */
  readonly queue?: string
  /**
   * How many messages this worker answers at once: 64 by default. Beyond it, messages wait in the
   * order they came, none dropped (NATS holds nothing back: they wait in this process). A message
   * whose dispatch answers synchronously takes no place.
   */
  readonly maxConcurrency?: number
  /**
   * The largest message taken, in bytes: 1 MiB by default (nats-server's own default max payload),
   * `Infinity` for none. A larger one is answered Invalid Request, id null, and not dispatched.
   */
  readonly maxMessageBytes?: number
  /** Answer the NATS micro-service protocol (`$SRV.PING`, `$SRV.INFO`, `$SRV.STATS`) as this service. */
  readonly service?: Micro.ServiceConfig
  /**
   * Whether {@link Server.stop} drains and closes the connection once every answer is sent: `true` by
   * default (a worker process owns its connection); `false` keeps it open for the caller's other work.
   */
  readonly closeConnection?: boolean
  /**
   * Sees what goes wrong that no caller is told about: a `context` function that threw, an answer
   * that could not be sent, an answer too large for the connection (replaced by an error), a
   * subscription error. Nothing of it is sent to the caller.
   */
  readonly onError?: (error: unknown) => void
  /**
   * Hands each message's NATS headers to the handlers, as `control.headers` (names in lower case):
   * what the tracing middleware of `fp-jsonrpc/otel` reads the caller's trace context from. Off by
   * default, and then a message costs nothing more; on, the headers are read only when a handler
   * asks for them.
   */
  readonly requestHeaders?: boolean
}

/**
 * Why {@link serve} could not subscribe (a closed connection, an invalid subject or queue);
 * `cause` is what the NATS client reported.
 *
 * @category model
 * @since 0.2.0
 */
export interface ServeError {
  readonly _tag: 'ServeError'
  readonly cause: unknown
}

/**
 * A dispatcher served on a subject.
 *
 * @category model
 * @since 0.2.0
 */
export interface Server {
  readonly subject: string
  readonly queue: string
  /** Who this instance is to NATS tooling, when it answers the micro-service protocol. */
  readonly service: Micro.Identity | undefined
  /** How many messages are being answered now. */
  readonly active: () => number
  /** How many messages wait for a place (see {@link ServeOptions.maxConcurrency}). */
  readonly waiting: () => number
  /** The endpoint's counters, as `$SRV.STATS` reports them (whether or not the protocol is answered). */
  readonly stats: () => Micro.EndpointStats
  /**
   * Stops gracefully, losing nothing: unsubscribes (a drain: every message the connection already
   * received is still answered, and NATS gives new ones to the other workers of the queue group),
   * waits until every message is answered (handlers are bounded by the dispatcher's `timeoutMs`),
   * flushes the replies to the server, then drains and closes the connection (see
   * {@link ServeOptions.closeConnection}). Calling it again gives the same Promise; it never rejects
   * (what goes wrong goes to `onError`).
   */
  readonly stop: Task<void>
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The defaults of {@link ServeOptions}.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaults = { queue: 'q', maxConcurrency: 64, maxMessageBytes: 1024 * 1024 } as const

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

const INTERNAL_ERROR_NULL = '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}'

const tooLongText = (maxBytes: number): string =>
  `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"a message holds at most ${maxBytes} bytes"},"id":null}`

// What a message gives the dispatcher under `requestHeaders`: its headers, names in lower case,
// made from nats.js's `MsgHdrs` when a handler first asks (once: a batch's elements share them).
class Received implements Given {
  declare readonly msg: NatsMessage
  declare read: RequestHeaders | undefined
  constructor(msg: NatsMessage) {
    this.msg = msg
    this.read = undefined
  }
  get headers(): RequestHeaders | undefined {
    if (this.read !== undefined) return this.read
    const headers = this.msg.headers
    if (headers === undefined) return undefined
    const read: Record<string, string | ReadonlyArray<string>> = {}
    for (const key of headers.keys()) {
      const values = headers.values(key)
      const name = key.toLowerCase()
      const before = read[name]
      const all = before === undefined ? values : [...(typeof before === 'string' ? [before] : before), ...values]
      read[name] = all.length === 1 ? all[0] : all
    }
    return (this.read = read)
  }
}

const isThenable = (u: unknown): u is PromiseLike<string | undefined> => typeof (u as { readonly then?: unknown } | undefined)?.then === 'function'

const decoder = new TextDecoder()

/** Reads and checks the options that are numbers; a `RangeError` for one out of range. */
const limitsOf = (options: ServeOptions<never>): { readonly maxConcurrency: number; readonly maxMessageBytes: number } => {
  const maxConcurrency = options.maxConcurrency ?? defaults.maxConcurrency
  if (!(maxConcurrency >= 1)) throw new RangeError(`maxConcurrency must be at least 1, got ${maxConcurrency}`)
  const maxMessageBytes = options.maxMessageBytes ?? defaults.maxMessageBytes
  if (!(maxMessageBytes >= 1)) throw new RangeError(`maxMessageBytes must be at least 1 (Infinity for none), got ${maxMessageBytes}`)
  return { maxConcurrency, maxMessageBytes }
}

/**
 * Serves `dispatcher` on `options.subject` over `nc`, in the queue group `options.queue` (`q` by
 * default), when the task runs. `Right` once the NATS server has the subscription (a request sent
 * after it reaches this worker); `ServeError` when the client cannot subscribe. Nothing starts until
 * the task is run. Throws a `RangeError` for a limit out of range and a `TypeError` for a `service`
 * whose name, id or version the protocol refuses.
 *
 * @example
 * import { connect } from '@nats-io/transport-node'
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import * as Nats from 'fp-jsonrpc/nats'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 * const dispatcher = Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend))))
 *
 * export const worker = async () => {
 *   const nc = await connect({ servers: 'nats://127.0.0.1:4222' })
 *   const served = await Nats.serve(nc, dispatcher, { subject: 'rpc.math', service: { name: 'math', version: '1.0.0' } })()
 *   if (E.isLeft(served)) throw new Error('could not subscribe')
 *   process.once('SIGTERM', () => void served.right.stop())
 * }
 *
 * @category constructors
 * @since 0.2.0
 */
export const serve = <B>(nc: Connection, dispatcher: Dispatcher<B>, options: ServeOptions<B>): TaskEither<ServeError, Server> => {
  const { maxConcurrency, maxMessageBytes } = limitsOf(options as ServeOptions<never>)
  const configured = options.service === undefined ? undefined : Micro.makeService(options.service)
  const subject = options.subject
  const queue = options.queue ?? defaults.queue
  const closeConnection = options.closeConnection ?? true
  const onError = (e: unknown): void => safely(options.onError, e)
  const context = (options as { readonly context?: (message: NatsMessage) => B }).context
  // The byte entry point with its base value as an optional argument: undefined when none is needed.
  const dispatchBytes = dispatcher.dispatchBytes as (input: Uint8Array, base?: B) => Awaitable<string | undefined>
  const tooLong = tooLongText(maxMessageBytes)
  // With `requestHeaders`, the text entry point with what the message gives (decoded as dispatchBytes
  // does; bytes that are not UTF-8 go to dispatchBytes, which answers them Parse error). Chosen once:
  // without it, a message is dispatched as it always was.
  const dispatchWith = dispatcher.dispatchWith as (input: string, given: Given, base?: B) => Awaitable<string | undefined>
  const dispatchReceived = (msg: NatsMessage, base?: B): Awaitable<string | undefined> => {
    const text = decodeUtf8(msg.data)
    return text === undefined ? dispatchBytes(msg.data, base) : dispatchWith(text, new Received(msg), base)
  }
  const withHeaders = options.requestHeaders === true

  return async () => {
    // The protocol's `started` is when this instance starts serving: now, not when `serve` was called.
    const service = configured === undefined ? undefined : { ...configured, started: new Date().toISOString() }
    const endpoint: Micro.Endpoint = { subject, queue, stats: Stats.make() }
    const gate = Gate.make(maxConcurrency)

    // --- one message: its answer, sent to its reply subject ---------------------------------------

    const answerOf = (msg: NatsMessage): Awaitable<string | undefined> => {
      if (msg.data.length > maxMessageBytes) return tooLong
      if (withHeaders) return context === undefined ? dispatchReceived(msg) : dispatchReceived(msg, context(msg))
      return context === undefined ? dispatchBytes(msg.data) : dispatchBytes(msg.data, context(msg))
    }

    const send = (msg: NatsMessage, answer: string | undefined): string | undefined => {
      let error = answer === undefined ? undefined : Answers.errorOf(answer)
      const reply = msg.reply
      if (reply === undefined || reply === '') return error
      try {
        if (answer === undefined) {
          msg.respond()
          return error
        }
        const maxPayload = nc.info?.max_payload ?? Infinity
        const fitted = Answers.fit(answer, maxPayload)
        if (fitted.replaced) {
          onError(new RangeError(`an answer of ${Answers.encode(answer).length} bytes is over the connection's max payload (${maxPayload} bytes)`))
          error = Answers.errorOf(decoder.decode(fitted.payload))
        }
        msg.respond(fitted.payload)
      } catch (e) {
        // A connection closed under the worker: the caller gets no answer, and times out.
        onError(e)
        error = 'the answer could not be sent'
      }
      return error
    }

    const handle = (msg: NatsMessage): Promise<void> | undefined => {
      const start = Stats.now()
      let answer: Awaitable<string | undefined>
      try {
        answer = answerOf(msg)
      } catch (e) {
        // A context function that threw, or a dispatcher that is not total (ours is).
        onError(e)
        answer = INTERNAL_ERROR_NULL
      }
      if (!isThenable(answer)) {
        Stats.record(endpoint.stats, start, send(msg, answer))
        return undefined
      }
      return Promise.resolve(answer).then(
        (a) => Stats.record(endpoint.stats, start, send(msg, a)),
        (e: unknown) => {
          onError(e)
          Stats.record(endpoint.stats, start, send(msg, INTERNAL_ERROR_NULL))
        },
      )
    }

    // --- the subscriptions --------------------------------------------------------------------------

    let subscription: NatsSubscription
    let control: ReadonlyArray<NatsSubscription> = []
    try {
      subscription = nc.subscribe(subject, {
        ...(queue === '' ? {} : { queue }),
        callback: (err, msg) => (err !== null ? onError(err) : gate.offer(() => handle(msg))),
      })
    } catch (cause) {
      return { _tag: 'Left', left: { _tag: 'ServeError', cause } }
    }
    try {
      if (service !== undefined) control = Micro.subscribe(nc, service, endpoint, onError)
      // Once the server answers the flush, it has every subscription above.
      await nc.flush()
    } catch (cause) {
      for (const s of [subscription, ...control]) {
        try {
          s.unsubscribe()
        } catch {
          // the connection is closed: so is the subscription
        }
      }
      return { _tag: 'Left', left: { _tag: 'ServeError', cause } }
    }

    let stopping: Promise<void> | undefined
    const stopNow = async (): Promise<void> => {
      // Tooling stops seeing this instance, and the queue group stops giving it messages; those the
      // connection already received still go through the gate.
      await Promise.allSettled([subscription, ...control].map((s) => Promise.resolve().then(() => s.drain())))
      await gate.idle()
      try {
        if (nc.isClosed()) return
        if (closeConnection) {
          if (!nc.isDraining()) await nc.drain()
        } else await nc.flush()
      } catch (e) {
        onError(e)
      }
    }

    const server: Server = {
      subject,
      queue,
      service: service?.identity,
      active: gate.active,
      waiting: gate.waiting,
      stats: () => Micro.endpointStats(service?.endpoint ?? Micro.DEFAULT_ENDPOINT, endpoint),
      stop: () => (stopping ??= stopNow()),
    }
    return { _tag: 'Right', right: server }
  }
}

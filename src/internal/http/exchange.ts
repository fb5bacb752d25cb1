/**
 * One HTTP exchange of JSON-RPC, whole, written once for every HTTP server adapter: the head
 * checked (`refuse`), the caller authenticated, the context made, the body read (up to the limit)
 * and dispatched, the reply turned into an answer, CORS added. The node:http listener (on every
 * path: a body it reads, a body a framework parsed, with `authenticate` or without) and the Fetch
 * handler each fill in an {@link Adapter} (how to read the body, make the context, authenticate) and
 * write the {@link HttpAnswer} it hands to `done`.
 *
 * Callback style, so the fast case is fast: when the body is read by callback and the dispatcher
 * answers synchronously, `done` is called before {@link make}'s exchange returns, with no Promise
 * made on the way. An asynchronous `authenticate` or dispatcher is waited for, and only then.
 *
 * It never throws to its adapter and calls `done` exactly once: a `context` or `authenticate` that
 * throws (or rejects) answers `500`, a body that cannot be read `400`, and the cause goes to
 * `onError`; nothing of it reaches the peer.
 *
 * @internal
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Either } from 'fp-ts/lib/Either.js'
import type { Dispatcher, Given } from '../../Dispatch.js'
import type { Endpoint, RequestHeaders } from '../../Handler.js'
import type { Options, Refusal } from '../../fetch/rules.js'
import { safely } from '../hooks.js'
import { decodeUtf8 } from '../utf8.js'
import {
  badRequest,
  EMPTY_OK,
  fromRefusal,
  type HttpAnswer,
  internalServerError,
  limitOf,
  parseError,
  payloadTooLarge,
  refuse,
  replyAnswer,
  type RequestHead,
  withCors,
} from './rules.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * A request body as an adapter has it: text to dispatch; the raw bytes, which are decoded as UTF-8
 * (strictly: bytes that are not UTF-8 are the Parse error); a value a framework already parsed from
 * JSON (express's `req.body`), dispatched as it is; `TooLarge`, when the adapter stopped reading at
 * the `maxBytes` it was given; or `Unreadable`, when the body could not be read (the client went
 * away), with what the runtime said.
 */
export type Body =
  | { readonly _tag: 'Text'; readonly text: string }
  | { readonly _tag: 'Bytes'; readonly bytes: Uint8Array }
  | { readonly _tag: 'Value'; readonly value: unknown }
  | { readonly _tag: 'TooLarge' }
  | { readonly _tag: 'Unreadable'; readonly cause: unknown }

/** `authenticate`'s answer, at once or later. */
export type Decision<P> = Either<Refusal, P> | PromiseLike<Either<Refusal, P>>

/**
 * What an adapter fills in, for its request type `Req`: how to read the body (calling `done` once,
 * with at most `maxBytes` bytes kept), what it knows of the request for the handlers (`given`: where
 * it was received), and where the dispatcher's base value comes from, `context` or `authenticate`
 * (whose principal is then the base value), not both.
 */
export interface Adapter<Req, B> {
  readonly read: (req: Req, maxBytes: number, done: (body: Body) => void) => void
  readonly given?: ((req: Req) => Given) | undefined
  /** The request's headers, names in lower case: read only under `requestHeaders`, and then only when a handler asks. */
  readonly headers?: ((req: Req) => RequestHeaders) | undefined
  readonly context?: ((req: Req) => B) | undefined
  readonly authenticate?: ((req: Req) => Decision<B>) | undefined
}

/** One exchange: the request, its head, and where its answer goes (called once). */
export type Exchange<Req> = (req: Req, head: RequestHead, done: (answer: HttpAnswer) => void) => void

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Checks what the adapters' options must satisfy, as {@link make} does, so that a server can refuse
 * them before it has a request to serve: a `RangeError` for a negative or `NaN` body limit, a
 * `TypeError` for `context` and `authenticate` given together.
 */
export const validate = (options: Options & { readonly context?: unknown; readonly authenticate?: unknown }): void => {
  limitOf(options)
  if (options.context !== undefined && options.authenticate !== undefined) {
    throw new TypeError('give context or authenticate, not both: the principal is the base value')
  }
}

const isThenable = <A>(u: A | PromiseLike<A>): u is PromiseLike<A> =>
  typeof u === 'object' && u !== null && typeof (u as { readonly then?: unknown }).then === 'function'

/**
 * The exchange of `dispatcher` under `options`, for an adapter. Throws as {@link validate} does.
 */
export const make = <Req, B>(dispatcher: Dispatcher<B>, options: Options, adapter: Adapter<Req, B>): Exchange<Req> => {
  validate({ ...options, context: adapter.context, authenticate: adapter.authenticate })
  const check = refuse(options)
  const maxBodyBytes = limitOf(options)
  const answerOf = replyAnswer(options)
  const cors = options.cors === undefined ? undefined : withCors(options.cors)
  const { read, context, authenticate } = adapter
  const given = givenOf(adapter, options.requestHeaders === true)
  const reply = replyOf(dispatcher, options, maxBodyBytes, answerOf)
  const failed = (cause: unknown): HttpAnswer => {
    safely(options.onError, cause)
    return internalServerError
  }

  // The principal admitted (or the context made): the body, then the dispatcher.
  const readAndDispatch = (req: Req, base: B | undefined, finish: (answer: HttpAnswer) => void): void =>
    read(req, maxBodyBytes, (body) => reply(body, base, finish, given?.(req)))

  const admit = (req: Req, decided: Either<Refusal, B>, finish: (answer: HttpAnswer) => void): void =>
    E.isLeft(decided) ? finish(fromRefusal(decided.left)) : readAndDispatch(req, decided.right, finish)

  const authenticated = (req: Req, finish: (answer: HttpAnswer) => void, authenticate: (req: Req) => Decision<B>): void => {
    let decided: Decision<B>
    try {
      decided = authenticate(req)
    } catch (cause) {
      return finish(failed(cause))
    }
    if (!isThenable(decided)) return admit(req, decided, finish)
    decided.then(
      (d) => admit(req, d, finish),
      (cause: unknown) => finish(failed(cause)),
    )
  }

  return (req, head, done) => {
    const finish = cors === undefined ? done : (answer: HttpAnswer): void => done(cors(answer, head.origin))
    const refusal = check(head)
    if (refusal !== undefined) return finish(refusal)
    if (authenticate !== undefined) return authenticated(req, finish, authenticate)
    let base: B | undefined
    if (context !== undefined) {
      try {
        base = context(req)
      } catch (cause) {
        return finish(failed(cause))
      }
    }
    readAndDispatch(req, base, finish)
  }
}

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

// What the dispatcher is given of a request, chosen once: the adapter's own (where the request was
// received, under a Host allowlist) or nothing, as before; with `requestHeaders`, an object that
// also gives the headers, read from the request when a handler first asks.
const givenOf = <Req, B>(adapter: Adapter<Req, B>, requestHeaders: boolean): ((req: Req) => Given) | undefined => {
  const { given, headers } = adapter
  if (!requestHeaders || headers === undefined) return given
  return (req) => new WithHeaders(req, given, headers)
}

class WithHeaders<Req> implements Given {
  declare readonly req: Req
  declare readonly givenOf: ((req: Req) => Given) | undefined
  declare readonly headersOf: (req: Req) => RequestHeaders
  declare read: RequestHeaders | undefined
  constructor(req: Req, givenOf: ((req: Req) => Given) | undefined, headersOf: (req: Req) => RequestHeaders) {
    this.req = req
    this.givenOf = givenOf
    this.headersOf = headersOf
    this.read = undefined
  }
  get endpoint(): Endpoint | undefined {
    return this.givenOf?.(this.req).endpoint
  }
  // Read once: the elements of a batch share one request.
  get headers(): RequestHeaders {
    return (this.read ??= this.headersOf(this.req))
  }
}

type Reply = string | undefined | PromiseLike<string | undefined>

const isPending = (u: HttpAnswer | PromiseLike<string | undefined>): u is PromiseLike<string | undefined> =>
  typeof (u as { readonly then?: unknown }).then === 'function'

// A body, read, to its answer: the limit, the strict decoding, the dispatcher, and a guard against a
// dispatcher that is not total (it is; a custom one may not be).
const replyOf = <B>(dispatcher: Dispatcher<B>, options: Options, maxBodyBytes: number, answerOfReply: (reply: string | undefined) => HttpAnswer) => {
  // The entry points with the base value as an optional argument: undefined when the handlers need none.
  // A dispatcher that takes JSON-RPC 1.0 as well is served through its version-aware entry points,
  // whose '' (nothing to answer a 1.0 message) is a 200 with an empty body: jsonrpclib's client fails
  // on 204. Chosen here, once: a 2.0-only dispatcher is served as it was.
  const aware = dispatcher.versionAware as
    | {
        readonly dispatchWith: (input: string, given: Given | undefined, base?: B) => Reply
        readonly dispatchValueWith: (message: unknown, given: Given | undefined, base?: B) => Reply
      }
    | undefined
  const dispatch =
    aware === undefined ? (dispatcher.dispatch as (input: string, base?: B) => Reply) : (input: string, base?: B) => aware.dispatchWith(input, undefined, base)
  const dispatchValue =
    aware === undefined
      ? (dispatcher.dispatchValue as (message: unknown, base?: B) => Reply)
      : (message: unknown, base?: B) => aware.dispatchValueWith(message, undefined, base)
  const dispatchWith = aware === undefined ? (dispatcher.dispatchWith as (input: string, given: Given, base?: B) => Reply) : aware.dispatchWith
  const dispatchValueWith =
    aware === undefined ? (dispatcher.dispatchValueWith as (message: unknown, given: Given, base?: B) => Reply) : aware.dispatchValueWith
  const answerOf = aware === undefined ? answerOfReply : (reply: string | undefined): HttpAnswer => (reply === '' ? EMPTY_OK : answerOfReply(reply))
  const failed = (cause: unknown): HttpAnswer => {
    safely(options.onError, cause)
    return internalServerError
  }
  // `finish` is called outside the `try`, so an adapter's `done` that throws is never called twice.
  const replyTo = (body: Body, base: B | undefined, given: Given | undefined): Reply | HttpAnswer => {
    try {
      switch (body._tag) {
        case 'TooLarge':
          return payloadTooLarge
        case 'Unreadable':
          safely(options.onError, body.cause)
          return badRequest
        case 'Value':
          return given === undefined ? dispatchValue(body.value, base) : dispatchValueWith(body.value, given, base)
        case 'Text':
          return given === undefined ? dispatch(body.text, base) : dispatchWith(body.text, given, base)
        case 'Bytes': {
          if (body.bytes.byteLength > maxBodyBytes) return payloadTooLarge
          const text = decodeUtf8(body.bytes)
          return text === undefined ? parseError : given === undefined ? dispatch(text, base) : dispatchWith(text, given, base)
        }
      }
    } catch (cause) {
      return failed(cause)
    }
  }
  return (body: Body, base: B | undefined, finish: (answer: HttpAnswer) => void, given: Given | undefined): void => {
    const reply = replyTo(body, base, given)
    if (typeof reply !== 'object') return finish(answerOf(reply))
    if (!isPending(reply)) return finish(reply)
    reply.then(
      (r) => finish(answerOf(r)),
      (cause: unknown) => finish(failed(cause)),
    )
  }
}

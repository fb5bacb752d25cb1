/**
 * The in-memory transport: a client talking to a dispatcher in the same process, with no network in
 * between. For tests, for examples, and for code that calls its own methods through their contracts.
 *
 * The message still travels as text, exactly as a network transport would carry it: the dispatcher
 * reads the request from a string and writes its answer to one, so a client and server tested
 * together here behave as they do over HTTP or a socket.
 *
 * @since 0.1.0
 */
import * as TE from 'fp-ts/lib/TaskEither.js'
import type { ContextArg, Dispatcher } from './Dispatch.js'
import type { Transport } from './Transport.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A transport that hands each message to `dispatcher.dispatch`, with `context` as the per-message
 * value a network transport would take from the connection.
 *
 * A dispatcher never throws or rejects; should one given here do so anyway, the cause becomes the
 * transport's `Left`, so a call still settles.
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Client, Dispatch, InMemory, Method, Registry } from 'fp-jsonrpc'
 *
 * const Echo = Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
 * const server = Dispatch.make(pipe(Registry.empty, Registry.add(Echo, ({ text }) => E.right(text))))
 * const client = Client.make(InMemory.fromDispatcher(server))
 *
 * await pipe(client, Client.call(Echo, { text: 'hi' }))() // E.right('hi')
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromDispatcher = <B>(dispatcher: Dispatcher<B>, ...context: ContextArg<B>): Transport<unknown> => ({
  send: (body) =>
    TE.tryCatch(
      async () => dispatcher.dispatch(body, ...(context as [B])),
      (cause) => cause,
    ),
})

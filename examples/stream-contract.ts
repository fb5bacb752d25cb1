/**
 * The contract the stream examples share: declared once, read by both ends. `greet` is answered
 * with help from the caller: the side that serves it first asks the side that called it for its
 * `name`, over the same connection.
 */
import * as t from 'io-ts'
import { Method } from 'fp-jsonrpc'

/** Served by the server. */
export const Subtract = Method.make({
  name: 'subtract',
  params: t.type({ minuend: t.number, subtrahend: t.number }),
  result: t.number,
  description: 'minuend - subtrahend',
})

/** Served by the server, which calls back the caller's `name` to answer it. */
export const Greet = Method.make({ name: 'greet', result: t.string, description: 'Hello, <your name>!' })

/** Served by the client: the server calls it. */
export const Name = Method.make({ name: 'name', result: t.string })

/** A notification the server sends the client. */
export const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })

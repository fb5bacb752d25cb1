/// <reference types="node" preserve="true" />
/**
 * Reading a request body on Node, for the adapters over node:http (the listener, Koa, Fastify): the
 * stream read to its end up to a limit, or what a body parser in front left. Written once, so that
 * the limit and what a parsed body means are the same on every one of them.
 *
 * @internal
 */
import { Buffer } from 'node:buffer'
import type { Readable } from 'node:stream'
import type { Body } from './exchange.js'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * A body stream read to its end, up to `maxBytes`. Past it, reading stops (the stream is paused and
 * nothing more is kept) and the body is `TooLarge`; the adapter's answer must then end the
 * connection. `done` is called once.
 */
export const readStream = (stream: Readable, maxBytes: number, done: (body: Body) => void): void => {
  let chunks: Array<Buffer> | undefined = []
  let size = 0
  const finish = (body: Body): void => {
    if (chunks === undefined) return
    chunks = undefined
    done(body)
  }
  const onData = (chunk: Buffer | string): void => {
    if (chunks === undefined) return
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buffer.byteLength
    if (size > maxBytes) {
      // Stop here: the answer (413, Connection: close) ends the connection, unread rest and all.
      stream.off('data', onData)
      stream.pause()
      return finish(TOO_LARGE)
    }
    chunks.push(buffer)
  }
  stream.on('data', onData)
  stream.on('end', () => {
    if (chunks !== undefined) finish({ _tag: 'Bytes', bytes: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) })
  })
  // Stays attached after TooLarge, so a reset of the connection later is not an unhandled error. A
  // client gone before the end of its body emits 'error' (aborted), which settles the body; a
  // 'close' listener is not needed, as the 'error' comes first.
  stream.on('error', (cause) => finish({ _tag: 'Unreadable', cause }))
}

/**
 * What a body parser in front left, once it read the stream: nothing (or anything, for an empty
 * body: a parser that read nothing of `Content-Length: 0` may still leave `{}`) is the empty text, a
 * string (a text parser's) is text, bytes (a raw parser's) are bytes, and anything else is a value
 * parsed from JSON, dispatched as it is.
 */
export const parsedBody = (parsed: unknown, contentLength: string | undefined, maxBytes: number): Body => {
  if (parsed === undefined || contentLength === '0') return EMPTY
  if (typeof parsed === 'string') return Buffer.byteLength(parsed) > maxBytes ? TOO_LARGE : { _tag: 'Text', text: parsed }
  if (parsed instanceof Uint8Array) return { _tag: 'Bytes', bytes: parsed }
  return { _tag: 'Value', value: parsed }
}

const TOO_LARGE: Body = { _tag: 'TooLarge' }

const EMPTY: Body = { _tag: 'Text', text: '' }

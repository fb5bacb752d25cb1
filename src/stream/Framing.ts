/// <reference types="node" preserve="true" />
/**
 * Framing: how whole messages are cut out of a byte stream, and how a message is written into one.
 * Two framings are provided, newline-delimited JSON ({@link ndjson}) and the Language Server
 * Protocol's `Content-Length` headers ({@link contentLength}).
 *
 * The boundary: this module is pure byte work, with no I/O. An encoder turns a message's text into
 * the bytes to write; a decoder takes chunks of bytes as they arrive, cut anywhere (in the middle of
 * a header, of a multi-byte character), and gives back events: each complete message's text, in
 * order, or a {@link FramingError} for bytes it cannot frame. A decoder never throws, whatever bytes
 * it is given. Judging the text (is it JSON, is it JSON-RPC) is the dispatcher's and the client's
 * work, not this module's.
 *
 * The law: for any messages `ms` that a framing can carry, encoding each, joining the bytes and
 * cutting them into chunks at any boundaries, then decoding those chunks gives `ms` back.
 *
 * @since 0.1.0
 */
import { Buffer, isUtf8 } from 'node:buffer'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * Why some bytes could not be read as a message. Errors are data; {@link format} turns one into text.
 *
 * - `InvalidHeader`: a `Content-Length` header line that is not `Name: value` (`line` holds its
 *   first 100 characters).
 * - `MissingContentLength`: a header block that ends without a `Content-Length` header.
 * - `InvalidContentLength`: a `Content-Length` value that is not a decimal number of bytes (of at
 *   most 15 digits), or two headers that disagree (`value` is then both, as `"5, 7"`).
 * - `InvalidUtf8`: a complete frame whose bytes are not UTF-8 (JSON text must be, RFC 8259).
 * - `Truncated`: the stream ended inside a frame; `expected` is the declared length when known.
 *
 * @category model
 * @since 0.1.0
 */
export type FramingError =
  | { readonly _tag: 'InvalidHeader'; readonly line: string }
  | { readonly _tag: 'MissingContentLength' }
  | { readonly _tag: 'InvalidContentLength'; readonly value: string }
  | { readonly _tag: 'InvalidUtf8'; readonly length: number }
  | { readonly _tag: 'Truncated'; readonly expected: number | undefined; readonly received: number }

/**
 * What a decoder gives back: one complete message's text, or a framing error.
 *
 * @category model
 * @since 0.1.0
 */
export type Event = { readonly _tag: 'Message'; readonly text: string } | { readonly _tag: 'Error'; readonly error: FramingError }

/**
 * An incremental decoder. It holds the bytes of an incomplete frame between calls, so each stream
 * makes its own (see {@link Framing.makeDecoder}).
 *
 * The decoder keeps a reference to a chunk until its bytes are consumed: do not change a chunk
 * after pushing it (Node's streams never do).
 *
 * @category model
 * @since 0.1.0
 */
export interface Decoder {
  /** Takes the next chunk of bytes; gives the events of every frame it completes, in order. */
  readonly push: (chunk: Uint8Array) => ReadonlyArray<Event>
  /** The stream has ended: gives what the remaining bytes make, and makes the decoder as new. */
  readonly end: () => ReadonlyArray<Event>
}

/**
 * A framing: a name, an encoder and a way to make decoders. A framing of one's own is this same
 * plain value.
 *
 * @category model
 * @since 0.1.0
 */
export interface Framing {
  readonly name: string
  /** The bytes to write for one message. */
  readonly encode: (text: string) => Uint8Array
  /** A fresh decoder, one per stream. */
  readonly makeDecoder: () => Decoder
}

// -------------------------------------------------------------------------------------
// internal: the byte queue and the decoding loop shared by both framings
// -------------------------------------------------------------------------------------

/** The bytes received and not yet consumed, as the chunks they came in (no copy until needed). */
interface Queue {
  readonly size: () => number
  readonly push: (chunk: Buffer) => void
  /** Position of `byte` at or after `from`, relative to the first unconsumed byte; -1 if absent. */
  readonly indexOf: (byte: number, from: number) => number
  /** Consumes the first `n` bytes and gives them (a view when they lie in one chunk, a copy otherwise). */
  readonly take: (n: number) => Buffer
  /** Puts bytes back at the front. */
  readonly unshift: (chunk: Buffer) => void
  readonly clear: () => void
}

const makeQueue = (): Queue => {
  let chunks: Array<Buffer> = []
  let offset = 0 // into chunks[0]
  let size = 0
  const take = (n: number): Buffer => {
    const first = chunks[0]
    if (first === undefined || n === 0) return Buffer.alloc(0)
    if (first.length - offset >= n) {
      const out = first.subarray(offset, offset + n)
      offset += n
      if (offset === first.length) {
        chunks.shift()
        offset = 0
      }
      size -= n
      return out
    }
    const out = Buffer.allocUnsafe(n)
    let filled = 0
    while (filled < n) {
      const chunk = chunks[0] as Buffer
      const k = Math.min(chunk.length - offset, n - filled)
      chunk.copy(out, filled, offset, offset + k)
      filled += k
      offset += k
      if (offset === chunk.length) {
        chunks.shift()
        offset = 0
      }
    }
    size -= n
    return out
  }
  return {
    size: () => size,
    push: (chunk) => {
      if (chunk.length === 0) return
      chunks.push(chunk)
      size += chunk.length
    },
    indexOf: (byte, from) => {
      let base = 0
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i] as Buffer
        const start = i === 0 ? offset : 0
        const n = chunk.length - start
        if (from < base + n) {
          const j = chunk.indexOf(byte, start + Math.max(0, from - base))
          if (j !== -1) return base + j - start
        }
        base += n
      }
      return -1
    },
    take,
    unshift: (chunk) => {
      if (chunk.length === 0) return
      if (offset > 0) {
        chunks[0] = (chunks[0] as Buffer).subarray(offset)
        offset = 0
      }
      chunks.unshift(chunk)
      size += chunk.length
    },
    clear: () => {
      chunks = []
      offset = 0
      size = 0
    },
  }
}

/**
 * A framing's decoding logic: `step` consumes what it can from the queue (at most one frame or one
 * header line) and says whether to call it again; `end` reads what is left when the stream ends.
 */
interface Scanner {
  readonly step: (queue: Queue, out: Array<Event>) => boolean
  readonly end: (queue: Queue, out: Array<Event>) => void
}

const error = (e: FramingError): Event => ({ _tag: 'Error', error: e })

/** The one place a frame's bytes become a message: every framing's frames go through here. */
const frame = (bytes: Buffer): Event =>
  isUtf8(bytes) ? { _tag: 'Message', text: bytes.toString('utf8') } : error({ _tag: 'InvalidUtf8', length: bytes.length })

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

// The decoding loop. Size limits (a later issue) belong here: after the loop, `queue.size()` is
// every byte held for a frame not yet complete, whatever the framing, and `frame` sees every
// complete one.
const makeDecoderWith = (makeScanner: () => Scanner) => (): Decoder => {
  const queue = makeQueue()
  let scanner = makeScanner()
  return {
    push: (chunk) => {
      const out: Array<Event> = []
      queue.push(asBuffer(chunk))
      while (scanner.step(queue, out));
      return out
    },
    end: () => {
      const out: Array<Event> = []
      while (scanner.step(queue, out));
      scanner.end(queue, out)
      queue.clear()
      scanner = makeScanner()
      return out
    },
  }
}

// -------------------------------------------------------------------------------------
// internal: newline-delimited JSON
// -------------------------------------------------------------------------------------

const LF = 0x0a
const CR = 0x0d

const isBlank = (bytes: Buffer, end: number): boolean => {
  for (let i = 0; i < end; i++) {
    const b = bytes[i]
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false
  }
  return true
}

const ndjsonLine = (line: Buffer, out: Array<Event>): void => {
  const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length
  if (!isBlank(line, end)) out.push(frame(end === line.length ? line : line.subarray(0, end)))
}

const ndjsonScanner = (): Scanner => {
  let scanned = 0 // bytes at the front of the queue known to hold no newline
  return {
    step: (queue, out) => {
      const lf = queue.indexOf(LF, scanned)
      if (lf === -1) {
        scanned = queue.size()
        return false
      }
      scanned = 0
      ndjsonLine(queue.take(lf + 1).subarray(0, lf), out)
      return true
    },
    // A last line without its newline is still a message.
    end: (queue, out) => ndjsonLine(queue.take(queue.size()), out),
  }
}

const LINE_BREAK = /[\r\n]/
const LINE_BREAKS = /[\r\n]/g

// -------------------------------------------------------------------------------------
// internal: Content-Length
// -------------------------------------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DIGITS = /^[0-9]{1,15}$/
const CONTENT_LENGTH = 'content-length:'

const clip = (line: string): string => (line.length > 100 ? line.slice(0, 100) : line)

type Mode =
  | { readonly _tag: 'Header'; readonly lines: number; readonly length: number | undefined }
  | { readonly _tag: 'Body'; readonly length: number }
  // After an error: discarding bytes up to the next `Content-Length:`, searching from `from`.
  | { readonly _tag: 'Resync'; readonly from: number }

const HEADER: Mode = { _tag: 'Header', lines: 0, length: undefined }

const contentLengthScanner = (): Scanner => {
  let mode: Mode = HEADER
  let scanned = 0

  const fail = (e: FramingError, from: number, out: Array<Event>): boolean => {
    out.push(error(e))
    mode = { _tag: 'Resync', from }
    return true
  }

  const resync = (queue: Queue, from: number): boolean => {
    const bytes = queue.take(queue.size())
    const at = bytes.toString('latin1').toLowerCase().indexOf(CONTENT_LENGTH, from)
    if (at !== -1) {
      queue.push(bytes.subarray(at))
      mode = HEADER
      return true
    }
    // Keep a tail that may be the start of `Content-Length:` split across chunks.
    const keep = Math.max(from, bytes.length - (CONTENT_LENGTH.length - 1))
    queue.push(bytes.subarray(keep))
    mode = { _tag: 'Resync', from: 0 }
    return false
  }

  const header = (queue: Queue, lines: number, length: number | undefined, out: Array<Event>): boolean => {
    const lf = queue.indexOf(LF, scanned)
    if (lf === -1) {
      scanned = queue.size()
      return false
    }
    scanned = 0
    const raw = queue.take(lf + 1)
    const line = raw.toString('latin1', 0, lf > 0 && raw[lf - 1] === CR ? lf - 1 : lf)
    if (line === '') {
      if (lines === 0) return true // blank lines between messages are tolerated
      if (length === undefined) return fail({ _tag: 'MissingContentLength' }, 0, out)
      mode = { _tag: 'Body', length }
      return true
    }
    const colon = line.indexOf(':')
    const name = colon > 0 ? line.slice(0, colon) : ''
    if (!TOKEN.test(name)) {
      // The search for the next header starts inside this line: a previous message that declared
      // too few bytes leaves its tail in front of the next `Content-Length:`.
      queue.unshift(raw)
      return fail({ _tag: 'InvalidHeader', line: clip(line) }, 1, out)
    }
    if (name.toLowerCase() !== 'content-length') {
      mode = { _tag: 'Header', lines: lines + 1, length }
      return true
    }
    const value = line.slice(colon + 1).trim()
    if (!DIGITS.test(value)) return fail({ _tag: 'InvalidContentLength', value: clip(value) }, 0, out)
    const n = Number(value)
    if (length !== undefined && length !== n) return fail({ _tag: 'InvalidContentLength', value: `${length}, ${n}` }, 0, out)
    mode = { _tag: 'Header', lines: lines + 1, length: n }
    return true
  }

  return {
    step: (queue, out) => {
      switch (mode._tag) {
        case 'Header':
          return header(queue, mode.lines, mode.length, out)
        case 'Body':
          if (queue.size() < mode.length) return false
          out.push(frame(queue.take(mode.length)))
          mode = HEADER
          return true
        case 'Resync':
          return resync(queue, mode.from)
      }
    },
    end: (queue, out) => {
      const received = queue.size()
      if (mode._tag === 'Body') out.push(error({ _tag: 'Truncated', expected: mode.length, received }))
      else if (mode._tag === 'Header' && (mode.lines > 0 || !isBlank(queue.take(received), received))) {
        out.push(error({ _tag: 'Truncated', expected: undefined, received }))
      }
    },
  }
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Newline-delimited JSON: one message per line, each line ended by `\n`.
 *
 * - Decoding: a line may end with `\r\n`; empty lines (and lines of spaces and tabs) are skipped; a
 *   last line without its newline is a message when the stream ends. A line that is not JSON is
 *   still a message: the dispatcher answers it Parse error. A line that is not UTF-8 is an
 *   `InvalidUtf8` error, and decoding goes on with the next line.
 * - Encoding: the text and `\n`. Any `\r` or `\n` in the text becomes a space first. In JSON text
 *   a line break can only be whitespace between tokens (strings cannot hold one unescaped), so
 *   this keeps the message's meaning, and `JSON.stringify` never writes one anyway.
 *
 * It carries every text that has no line break and is not blank, unchanged.
 *
 * @example
 * import { Framing } from 'fp-jsonrpc/stream'
 *
 * Framing.ndjson.encode('{"jsonrpc":"2.0","method":"ping"}') // the bytes of '{"jsonrpc":"2.0","method":"ping"}\n'
 * Framing.ndjson.makeDecoder().push(Buffer.from('{"a":1}\r\n\n{"b"'))
 * // [{ _tag: 'Message', text: '{"a":1}' }] (and '{"b"' waits for the rest of its line)
 *
 * @category constructors
 * @since 0.1.0
 */
export const ndjson: Framing = {
  name: 'ndjson',
  encode: (text) => Buffer.from((LINE_BREAK.test(text) ? text.replace(LINE_BREAKS, ' ') : text) + '\n', 'utf8'),
  makeDecoder: makeDecoderWith(ndjsonScanner),
}

/**
 * `Content-Length` framing, as in the Language Server Protocol: header lines
 * `Content-Length: N\r\n` (and optionally `Content-Type: ...\r\n`), a blank line, then exactly `N`
 * bytes of UTF-8 (bytes, not characters).
 *
 * - Decoding: header names are read in any case, lines may end with a bare `\n`, headers other than
 *   `Content-Length` are ignored (`Content-Type` included: the body is read as UTF-8 whatever it
 *   says), and blank lines between messages are skipped. A body of 0 bytes is an empty message.
 * - Errors, and recovery: a malformed header line, a missing `Content-Length` or one that is not a
 *   number is reported once; the decoder then discards bytes up to the next `Content-Length:` (in
 *   any case) and reads a new header block from there. The message whose header was bad is lost
 *   (its body's length is unknown), and the next well-framed one is read, also when the bad
 *   message's body lies in between or a previous message declared too few bytes. A body that is
 *   not UTF-8 is an `InvalidUtf8` error; its length was known, so nothing else is lost.
 * - Encoding: `Content-Length: N\r\n\r\n` and the text's UTF-8 bytes.
 *
 * It carries every text, unchanged.
 *
 * @example
 * import { Framing } from 'fp-jsonrpc/stream'
 *
 * Framing.contentLength.encode('{"x":"é"}') // the bytes of 'Content-Length: 10\r\n\r\n{"x":"é"}'
 *
 * @category constructors
 * @since 0.1.0
 */
export const contentLength: Framing = {
  name: 'content-length',
  encode: (text) => Buffer.from(`Content-Length: ${Buffer.byteLength(text, 'utf8')}\r\n\r\n${text}`, 'utf8'),
  makeDecoder: makeDecoderWith(contentLengthScanner),
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Decodes a whole stream given as its chunks: every event, those of the end of the stream included.
 *
 * @example
 * import { pipe } from 'fp-ts/lib/function.js'
 * import { Framing } from 'fp-jsonrpc/stream'
 *
 * pipe([Buffer.from('Content-Length: 2\r\n\r\n{'), Buffer.from('}')], Framing.decodeAll(Framing.contentLength))
 * // [{ _tag: 'Message', text: '{}' }]
 *
 * @category utils
 * @since 0.1.0
 */
export const decodeAll =
  (framing: Framing) =>
  (chunks: Iterable<Uint8Array>): ReadonlyArray<Event> => {
    const decoder = framing.makeDecoder()
    const out: Array<Event> = []
    for (const chunk of chunks) out.push(...decoder.push(chunk))
    out.push(...decoder.end())
    return out
  }

/**
 * A framing error as one line of text, for logs.
 *
 * @category utils
 * @since 0.1.0
 */
export const format = (e: FramingError): string => {
  switch (e._tag) {
    case 'InvalidHeader':
      return `malformed header line ${JSON.stringify(e.line)} (expected "Name: value")`
    case 'MissingContentLength':
      return 'header block without a Content-Length header'
    case 'InvalidContentLength':
      return `invalid Content-Length ${JSON.stringify(e.value)} (expected a number of bytes)`
    case 'InvalidUtf8':
      return `a message of ${e.length} bytes is not valid UTF-8`
    case 'Truncated':
      return e.expected === undefined
        ? `the stream ended inside a header (${e.received} bytes unread)`
        : `the stream ended inside a message (${e.received} of ${e.expected} bytes)`
  }
}

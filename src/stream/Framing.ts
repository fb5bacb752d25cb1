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
 * it is given, and never holds more bytes than its {@link Limits} (1 MiB messages, 8 KiB header
 * blocks by default). Judging the text (is it JSON, is it JSON-RPC) is the dispatcher's and the client's
 * work, not this module's.
 *
 * The law: for any messages `ms` that a framing can carry, encoding each, joining the bytes and
 * cutting them into chunks at any boundaries, then decoding those chunks gives `ms` back.
 *
 * @since 0.1.0
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { decimalText } from '../internal/json.js'

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
 * - `TooLarge`: a message (`part: 'message'`: a line, or a declared `Content-Length`) or a header
 *   block (`part: 'header'`) over its {@link Limits limit}. `length` is the declared length, or a
 *   whole line's; `undefined` when the line was cut off before its end came (it was not kept to
 *   measure it). Its bytes were never buffered beyond the limit.
 * - `Stalled`: a frame begun `ms` milliseconds ago is still incomplete (`received` bytes of it held).
 *   Never given by a decoder, which knows no time: a stream connection reports it (see its
 *   `frameTimeoutMs`) and closes.
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
  | { readonly _tag: 'TooLarge'; readonly part: 'message' | 'header'; readonly limit: number; readonly length: number | undefined }
  | { readonly _tag: 'Stalled'; readonly ms: number; readonly received: number }

/**
 * How many bytes a decoder holds at most. A limit of `Infinity` is no limit.
 *
 * - `maxMessageBytes`: the largest message, in bytes of UTF-8: a line of newline-delimited JSON
 *   (its line end aside), or a `Content-Length` body. 1 MiB by default.
 * - `maxHeaderBytes`: the largest `Content-Length` header block, line ends included. 8 KiB by
 *   default.
 *
 * Whatever bytes it is given, a decoder of this module never holds more than the larger of the two
 * (and at most 15 bytes more: a line's `\r`, the start of a `Content-Length:` split across chunks)
 * once `push` returns; during `push` it may refer to the chunk being pushed, never copy it whole.
 *
 * @category model
 * @since 0.1.0
 */
export interface Limits {
  readonly maxMessageBytes: number
  readonly maxHeaderBytes: number
}

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
  /** How many bytes it holds, for a frame not yet complete (the decoders of this module tell). */
  readonly buffered?: () => number
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
  /**
   * Optional: the same bytes as {@link encode}, as the string whose UTF-8 they are. A stream
   * connection writes it as it is (the stream encodes it as it copies it out), which saves a Buffer
   * per message. Law: `Buffer.from(encodeText(t), 'utf8')` equals `encode(t)`.
   */
  readonly encodeText?: (text: string) => string
  /** A fresh decoder, one per stream, with the given limits ({@link defaultLimits} for those not given). */
  readonly makeDecoder: (limits?: Partial<Limits>) => Decoder
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The limits a decoder has unless told otherwise: messages of 1 MiB, header blocks of 8 KiB.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultLimits: Limits = { maxMessageBytes: 1024 * 1024, maxHeaderBytes: 8 * 1024 }

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
  /** The byte at `i` when it lies in the first chunk, -1 otherwise (a peek that makes nothing). */
  readonly byteAt: (i: number) => number
  /** Consumes the first `n` bytes, which lie in the first chunk (see `byteAt`), making nothing. */
  readonly skip: (n: number) => void
  /** Position of the last `byte`, relative to the first unconsumed byte; -1 if absent. */
  readonly lastIndexOf: (byte: number) => number
  /** Puts bytes back at the front. */
  readonly unshift: (chunk: Buffer) => void
  readonly clear: () => void
  /** Copies the bytes held out of the chunks they came in, when those chunks are mostly consumed. */
  readonly compact: () => void
}

// How many consumed bytes the chunks held may keep alive before the bytes held are copied out.
const COMPACT_SLACK = 64 * 1024

// Where `byte` is at or after `from` in the bytes held (`chunks`, the first from `offset` on),
// relative to the first of them; -1 if absent.
const indexIn = (chunks: ReadonlyArray<Buffer>, offset: number, byte: number, from: number): number => {
  let base = 0
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]
    const start = i === 0 ? offset : 0
    const n = chunk.length - start
    if (from < base + n) {
      const j = chunk.indexOf(byte, start + Math.max(0, from - base))
      if (j !== -1) return base + j - start
    }
    base += n
  }
  return -1
}

// Where the last `byte` is in the `size` bytes held, relative to the first of them; -1 if absent.
const lastIndexIn = (chunks: ReadonlyArray<Buffer>, offset: number, size: number, byte: number): number => {
  let base = size
  for (let i = chunks.length - 1; i >= 0; i--) {
    const chunk = chunks[i]
    const start = i === 0 ? offset : 0
    base -= chunk.length - start
    const j = chunk.lastIndexOf(byte)
    if (j >= start) return base + j - start
  }
  return -1
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
      const chunk = chunks[0]
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
    byteAt: (i) => {
      const first = chunks[0]
      return first !== undefined && offset + i < first.length ? first[offset + i] : -1
    },
    skip: (n) => {
      offset += n
      size -= n
      if (offset === chunks[0].length) {
        chunks.shift()
        offset = 0
      }
    },
    push: (chunk) => {
      if (chunk.length === 0) return
      chunks.push(chunk)
      size += chunk.length
    },
    indexOf: (byte, from) => indexIn(chunks, offset, byte, from),
    take,
    lastIndexOf: (byte) => lastIndexIn(chunks, offset, size, byte),
    unshift: (chunk) => {
      if (chunk.length === 0) return
      if (offset > 0) {
        chunks[0] = chunks[0].subarray(offset)
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
    // A chunk is kept whole while any byte of it is unconsumed: a line's last bytes at the end of a
    // large chunk would keep the whole chunk alive.
    compact: () => {
      let retained = 0
      for (const chunk of chunks) retained += chunk.length
      if (retained - size <= COMPACT_SLACK) return
      const held = Buffer.from(take(size))
      chunks = held.length === 0 ? [] : [held]
      offset = 0
      size = held.length
    },
  }
}

/**
 * A framing's decoding logic: `step` consumes what it can from the queue (at most one frame or one
 * header line) and says whether to call it again; `end` reads what is left when the stream ends.
 * `room` is how many bytes the scanner may hold in its present state while it waits for more (the
 * rest of a line, of a header block, of a body); `overflow` is called when the queue holds more:
 * it reports the error and drops the bytes, so that the queue holds at most `room` again.
 */
interface Scanner {
  readonly step: (queue: Queue, out: Array<Event>) => boolean
  readonly end: (queue: Queue, out: Array<Event>) => void
  readonly room: () => number
  readonly overflow: (queue: Queue, out: Array<Event>) => void
}

const error = (e: FramingError): Event => ({ _tag: 'Error', error: e })

const tooLarge = (part: 'message' | 'header', limit: number, length: number | undefined): Event => error({ _tag: 'TooLarge', part, limit, length })

/**
 * The one place a frame's bytes become a message: every framing's frames go through here. Only
 * valid UTF-8 becomes text (never a replacement character in place of a bad byte).
 */
const frame = (bytes: Buffer, limits: Limits): Event =>
  bytes.length > limits.maxMessageBytes
    ? tooLarge('message', limits.maxMessageBytes, bytes.length)
    : isUtf8(bytes)
      ? { _tag: 'Message', text: bytes.toString('utf8') }
      : error({ _tag: 'InvalidUtf8', length: bytes.length })

const asBuffer = (chunk: Uint8Array): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))

const limit = (n: number | undefined, byDefault: number): number => (n === undefined || Number.isNaN(n) ? byDefault : Math.max(0, n))

// The decoding loop, and where the size limits hold: after the loop, `queue.size()` is every byte
// held for a frame not yet complete, whatever the framing, and it never stays above what the
// scanner has room for; `frame` sees every complete one.
const makeDecoderWith =
  (makeScanner: (limits: Limits) => Scanner) =>
  (given?: Partial<Limits>): Decoder => {
    const limits: Limits = {
      maxMessageBytes: limit(given?.maxMessageBytes, defaultLimits.maxMessageBytes),
      maxHeaderBytes: limit(given?.maxHeaderBytes, defaultLimits.maxHeaderBytes),
    }
    const queue = makeQueue()
    let scanner = makeScanner(limits)
    const run = (out: Array<Event>): void => {
      for (;;) {
        while (scanner.step(queue, out));
        if (queue.size() <= scanner.room()) return
        scanner.overflow(queue, out)
      }
    }
    return {
      push: (chunk) => {
        const out: Array<Event> = []
        queue.push(asBuffer(chunk))
        run(out)
        queue.compact()
        return out
      },
      end: () => {
        const out: Array<Event> = []
        run(out)
        scanner.end(queue, out)
        queue.clear()
        scanner = makeScanner(limits)
        return out
      },
      buffered: queue.size,
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

const ndjsonLine = (line: Buffer, limits: Limits, out: Array<Event>): void => {
  const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length
  if (!isBlank(line, end)) out.push(frame(end === line.length ? line : line.subarray(0, end), limits))
}

// The same rules as `ndjsonLine`, on a line already read as text: a `\r` before the line end is not
// part of it, and a blank line is no message.
const ndjsonLineText = (line: string, out: Array<Event>): void => {
  const end = line.length > 0 && line.charCodeAt(line.length - 1) === CR ? line.length - 1 : line.length
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== CR) {
      out.push({ _tag: 'Message', text: end === line.length ? line : line.slice(0, end) })
      return
    }
  }
}

/**
 * Every complete line the queue holds at once, when they can be read as one text: all the bytes up
 * to the last newline are UTF-8 and, together, within the message limit (so each line is). They are
 * then decoded with one call and cut into lines in the text, instead of a view, a UTF-8 check and a
 * decode per line. Gives -1 when it took them; otherwise nothing is taken, and it gives how many
 * bytes, up to the last newline, are to be read line by line (each byte is looked at by this check
 * once: the lines it refused are not offered to it again).
 */
const ndjsonLines = (queue: Queue, limits: Limits, out: Array<Event>): number => {
  const last = queue.lastIndexOf(LF)
  if (last === -1) return 0
  if (last > limits.maxMessageBytes) return last + 1
  const bytes = queue.take(last + 1)
  if (!isUtf8(bytes)) {
    queue.unshift(bytes)
    return last + 1
  }
  const text = bytes.toString('utf8')
  let start = 0
  for (let lf = text.indexOf('\n'); lf !== -1; lf = text.indexOf('\n', start)) {
    ndjsonLineText(text.slice(start, lf), out)
    start = lf + 1
  }
  return -1
}

const ndjsonScanner = (limits: Limits): Scanner => {
  let scanned = 0 // bytes at the front of the queue known to hold no newline
  // Inside a line over the limit, already reported: its bytes are dropped up to its newline.
  let skipping = false
  // Bytes at the front of the queue to read line by line (see ndjsonLines).
  let slow = 0
  return {
    step: (queue, out) => {
      // At the start of a line, every complete line at once when it can be; else the next one alone.
      if (!skipping && scanned === 0 && slow === 0) {
        const lines = ndjsonLines(queue, limits, out)
        if (lines === -1) return true
        slow = lines
      }
      const lf = queue.indexOf(LF, scanned)
      if (lf === -1) {
        if (skipping) queue.clear()
        scanned = queue.size()
        return false
      }
      scanned = 0
      slow = Math.max(0, slow - (lf + 1))
      const line = queue.take(lf + 1)
      if (skipping) skipping = false
      else ndjsonLine(line.subarray(0, lf), limits, out)
      return true
    },
    // A last line without its newline is still a message.
    end: (queue, out) => {
      if (!skipping) ndjsonLine(queue.take(queue.size()), limits, out)
    },
    // A line may end with `\r\n`: its `\r` is not counted.
    room: () => (skipping ? 0 : limits.maxMessageBytes + 1),
    overflow: (queue, out) => {
      out.push(tooLarge('message', limits.maxMessageBytes, undefined))
      queue.clear()
      scanned = 0
      slow = 0
      skipping = true
    },
  }
}

const LINE_BREAKS = /[\r\n]/g

// -------------------------------------------------------------------------------------
// internal: Content-Length
// -------------------------------------------------------------------------------------

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const DIGITS = /^[0-9]{1,15}$/
const CONTENT_LENGTH = 'content-length:'
const QUICK_PREFIX = Buffer.from('Content-Length: ', 'latin1')

const clip = (line: string): string => (line.length > 100 ? line.slice(0, 100) : line)

type Mode =
  // `bytes`: the header block's bytes read so far, line ends included.
  | { readonly _tag: 'Header'; readonly lines: number; readonly bytes: number; readonly length: number | undefined }
  | { readonly _tag: 'Body'; readonly length: number }
  // A body over the limit, already reported: its bytes are dropped as they come, none kept.
  | { readonly _tag: 'Skip'; readonly remaining: number }
  // After an error: discarding bytes up to the next `Content-Length:`, searching from `from`.
  | { readonly _tag: 'Resync'; readonly from: number }

const HEADER: Mode = { _tag: 'Header', lines: 0, bytes: 0, length: undefined }

// The scanner's state: the mode, and how many bytes at the front of the queue are known to hold no
// line end (so each byte of a header line is searched once). The functions below work on it.
interface ContentLength {
  readonly limits: Limits
  mode: Mode
  scanned: number
}

const contentLengthScanner = (limits: Limits): Scanner => {
  const state: ContentLength = { limits, mode: HEADER, scanned: 0 }
  return {
    step: (queue, out) => clStep(state, queue, out),
    end: (queue, out) => clEnd(state, queue, out),
    room: () => clRoom(state),
    // Only a header line can outgrow its room (a body waits for exactly its length): the block is
    // too large, and the search for the next `Content-Length:` starts inside the line.
    overflow: (_queue, out) => {
      out.push(tooLarge('header', limits.maxHeaderBytes, undefined))
      state.scanned = 0
      state.mode = { _tag: 'Resync', from: 1 }
    },
  }
}

const clStep = (state: ContentLength, queue: Queue, out: Array<Event>): boolean => {
  const mode = state.mode
  switch (mode._tag) {
    case 'Header':
      return clHeader(state, queue, mode.lines, mode.bytes, mode.length, out)
    case 'Body':
      if (queue.size() < mode.length) return false
      out.push(frame(queue.take(mode.length), state.limits))
      state.mode = HEADER
      return true
    case 'Skip': {
      const n = Math.min(queue.size(), mode.remaining)
      queue.take(n)
      if (n < mode.remaining) {
        state.mode = { _tag: 'Skip', remaining: mode.remaining - n }
        return false
      }
      state.mode = HEADER
      return true
    }
    case 'Resync':
      return clResync(state, queue, mode.from)
  }
}

const clEnd = (state: ContentLength, queue: Queue, out: Array<Event>): void => {
  const mode = state.mode
  const received = queue.size()
  if (mode._tag === 'Body') out.push(error({ _tag: 'Truncated', expected: mode.length, received }))
  else if (mode._tag === 'Header' && (mode.lines > 0 || !isBlank(queue.take(received), received))) {
    out.push(error({ _tag: 'Truncated', expected: undefined, received }))
  }
  // A skipped body was reported as TooLarge already.
}

const clRoom = (state: ContentLength): number => {
  const mode = state.mode
  switch (mode._tag) {
    case 'Header':
      return state.limits.maxHeaderBytes - mode.bytes
    case 'Body':
      return mode.length
    case 'Skip':
      return 0
    case 'Resync':
      return CONTENT_LENGTH.length - 1
  }
}

const clFail = (state: ContentLength, e: FramingError, from: number, out: Array<Event>): boolean => {
  out.push(error(e))
  state.mode = { _tag: 'Resync', from }
  return true
}

const clResync = (state: ContentLength, queue: Queue, from: number): boolean => {
  const bytes = queue.take(queue.size())
  const at = bytes.toString('latin1').toLowerCase().indexOf(CONTENT_LENGTH, from)
  if (at !== -1) {
    queue.push(bytes.subarray(at))
    state.mode = HEADER
    return true
  }
  // Keep a tail that may be the start of `Content-Length:` split across chunks.
  const keep = Math.max(from, bytes.length - (CONTENT_LENGTH.length - 1))
  queue.push(bytes.subarray(keep))
  state.mode = { _tag: 'Resync', from: 0 }
  return false
}

// The header block as peers write it, exactly `Content-Length: N\r\n\r\n` at the front of the
// first chunk, read in place: no view, no string, no regular expression. Anything else (another
// case, other headers, a block split across chunks, a length over the limits) goes the general
// way below, which reads this block the same (a property test holds the two together). In the
// profile of bench:transports' Content-Length pair, the general way took 6% of the CPU time.
const clQuickHeader = (state: ContentLength, queue: Queue): boolean => {
  for (let i = 0; i < QUICK_PREFIX.length; i++) if (queue.byteAt(i) !== QUICK_PREFIX[i]) return false
  let i = QUICK_PREFIX.length
  let n = 0
  for (let b = queue.byteAt(i); b >= 0x30 && b <= 0x39; b = queue.byteAt(++i)) n = n * 10 + (b - 0x30)
  const digits = i - QUICK_PREFIX.length
  const limits = state.limits
  if (digits === 0 || digits > 15 || n > limits.maxMessageBytes || i + 4 > limits.maxHeaderBytes) return false
  if (queue.byteAt(i) !== CR || queue.byteAt(i + 1) !== LF || queue.byteAt(i + 2) !== CR || queue.byteAt(i + 3) !== LF) return false
  queue.skip(i + 4)
  state.mode = { _tag: 'Body', length: n }
  return true
}

// One line of the header block (the general way): `lines` read before it, `bytes` of them, and the
// length they declared.
const clHeader = (state: ContentLength, queue: Queue, lines: number, bytes: number, length: number | undefined, out: Array<Event>): boolean => {
  if (lines === 0 && state.scanned === 0 && clQuickHeader(state, queue)) return true
  const lf = queue.indexOf(LF, state.scanned)
  if (lf === -1) {
    state.scanned = queue.size()
    return false
  }
  state.scanned = 0
  const raw = queue.take(lf + 1)
  const line = raw.toString('latin1', 0, lf > 0 && raw[lf - 1] === CR ? lf - 1 : lf)
  // The blank line ends the block and counts in it, as it does when the block comes in pieces (the
  // room left for it is then what the limit leaves).
  const total = bytes + lf + 1
  if (line === '' && lines === 0) return true // blank lines between messages are tolerated
  if (total > state.limits.maxHeaderBytes) {
    out.push(tooLarge('header', state.limits.maxHeaderBytes, undefined))
    state.mode = { _tag: 'Resync', from: 0 }
    return true
  }
  if (line === '') return clHeaderEnd(state, length, out)
  return clHeaderField(state, queue, raw, line, lines + 1, total, length, out)
}

// The blank line after the header block: the body follows.
const clHeaderEnd = (state: ContentLength, length: number | undefined, out: Array<Event>): boolean => {
  if (length === undefined) return clFail(state, { _tag: 'MissingContentLength' }, 0, out)
  // Reported with its header: the body is skipped, so the next message is read where it starts.
  state.mode = length > state.limits.maxMessageBytes ? { _tag: 'Skip', remaining: length } : { _tag: 'Body', length }
  return true
}

// A header field line (`raw` its bytes, `line` its text): `lines` and `bytes` count it.
const clHeaderField = (
  state: ContentLength,
  queue: Queue,
  raw: Buffer,
  line: string,
  lines: number,
  bytes: number,
  length: number | undefined,
  out: Array<Event>,
): boolean => {
  const colon = line.indexOf(':')
  const name = colon > 0 ? line.slice(0, colon) : ''
  if (!TOKEN.test(name)) {
    // The search for the next header starts inside this line: a previous message that declared
    // too few bytes leaves its tail in front of the next `Content-Length:`.
    queue.unshift(raw)
    return clFail(state, { _tag: 'InvalidHeader', line: clip(line) }, 1, out)
  }
  if (name.toLowerCase() !== 'content-length') {
    state.mode = { _tag: 'Header', lines, bytes, length }
    return true
  }
  const value = line.slice(colon + 1).trim()
  if (!DIGITS.test(value)) return clFail(state, { _tag: 'InvalidContentLength', value: clip(value) }, 0, out)
  const n = Number(value)
  if (length !== undefined && length !== n) return clFail(state, { _tag: 'InvalidContentLength', value: `${length}, ${n}` }, 0, out)
  // Refused on its header, before a byte of it is held.
  if (length === undefined && n > state.limits.maxMessageBytes) out.push(tooLarge('message', state.limits.maxMessageBytes, n))
  state.mode = { _tag: 'Header', lines, bytes, length: n }
  return true
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

// Two indexOf scans cost a fraction of the regular expression's test on every message (the profile
// of bench:transports had the test at 1.8% of a TCP call); the text JSON.stringify writes has no
// line break, so the replace is the rare case.
const ndjsonText = (text: string): string => (text.indexOf('\n') === -1 && text.indexOf('\r') === -1 ? text : text.replace(LINE_BREAKS, ' ')) + '\n'

/**
 * Newline-delimited JSON: one message per line, each line ended by `\n`.
 *
 * - Decoding: a line may end with `\r\n`; empty lines (and lines of spaces and tabs) are skipped; a
 *   last line without its newline is a message when the stream ends. A line that is not JSON is
 *   still a message: the dispatcher answers it Parse error. A line that is not UTF-8 is an
 *   `InvalidUtf8` error, and decoding goes on with the next line.
 * - Limits: a line longer than `maxMessageBytes` (its line end aside) is a `TooLarge` error, reported
 *   as soon as the bytes held pass the limit; the rest of the line is dropped as it comes, never
 *   held, and decoding goes on with the next line.
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
  encode: (text) => Buffer.from(ndjsonText(text), 'utf8'),
  encodeText: ndjsonText,
  makeDecoder: makeDecoderWith(ndjsonScanner),
}

// The length's text by decimalText, not by concatenating the number (see internal/json).
const contentLengthText = (text: string): string => 'Content-Length: ' + decimalText(Buffer.byteLength(text, 'utf8')) + '\r\n\r\n' + text

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
 * - Limits: a `Content-Length` over `maxMessageBytes` is a `TooLarge` error as soon as its header
 *   line is read; its body is then skipped as it comes (no byte of it is held, and it is not
 *   allocated), and the next message is read where it starts. A header block longer than
 *   `maxHeaderBytes` (or one line longer than that, with no end in sight) is a `TooLarge` error
 *   with `part: 'header'`; the decoder then discards bytes up to the next `Content-Length:`, as
 *   for a malformed header.
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
  encode: (text) => Buffer.from(contentLengthText(text), 'utf8'),
  encodeText: contentLengthText,
  makeDecoder: makeDecoderWith(contentLengthScanner),
}

// -------------------------------------------------------------------------------------
// utils
// -------------------------------------------------------------------------------------

/**
 * Decodes a whole stream given as its chunks: every event, those of the end of the stream included,
 * with the given limits ({@link defaultLimits} for those not given).
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
  (framing: Framing, limits?: Partial<Limits>) =>
  (chunks: Iterable<Uint8Array>): ReadonlyArray<Event> => {
    const decoder = framing.makeDecoder(limits)
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
    case 'Stalled':
      return `a frame still incomplete ${e.ms} ms after it began (${e.received} bytes held)`
    case 'TooLarge':
      return e.part === 'header'
        ? `a header block over the limit of ${e.limit} bytes`
        : e.length === undefined
          ? `a message over the limit of ${e.limit} bytes`
          : `a message of ${e.length} bytes, over the limit of ${e.limit} bytes`
  }
}

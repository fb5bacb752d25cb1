/**
 * What the NATS server does with a dispatcher's answer text before it is sent: make it fit the
 * connection's max payload ({@link fit}), and tell whether it counts as an error for the service
 * statistics ({@link errorOf}); and the bytes of a message, for both ends ({@link encode}).
 *
 * Both read the text only where they must: an answer that fits is sent as its bytes, and a single
 * success (the common case) is known by its first bytes, as the dispatcher writes it. Errors,
 * batches and answers written another way (a `postProcess` hook, a custom dispatcher) are parsed.
 *
 * @internal
 */
import { hasOwn, isRecord } from '../object.js'

/**
 * The bytes of `text` as UTF-8: what a worker answers, and what the client transport sends (the
 * one encoder of both). `Buffer.from`, not `TextEncoder`'s `encode`: a short text's bytes are a
 * slice of Node's shared 8 KiB pool instead of an ArrayBuffer of their own, which V8 makes outside
 * its heap and its collector must sweep. A 100-byte text: about 130 ns against about 3 us in a loop
 * of encodes; in-process, a worker's `echo` message 3.06 -> 2.65 us, and a client call over a
 * connection that answers at once 6.2 -> 3.9 us (Node 20; see the notes of #11). The same bytes:
 * both write a lone surrogate as U+FFFD.
 */
export const encode = (text: string): Uint8Array => Buffer.from(text, 'utf8')

// How the dispatcher writes every success (see Dispatch's Writer): the envelope, then `result`.
const SUCCESS_HEAD = '{"jsonrpc":"2.0","result":'

/** The text of an answer's error, as the statistics show it: `-32601 Method not found`. */
const describe = (error: unknown): string => {
  if (!isRecord(error)) return 'error'
  const code = typeof error['code'] === 'number' ? String(error['code']) : '?'
  const message = typeof error['message'] === 'string' ? error['message'] : ''
  return message === '' ? code : `${code} ${message}`
}

/**
 * Whether an answer counts as an error: `undefined` when it holds a success (one response, or any
 * response of a batch), else the text of its last error. An answer that is not JSON (only a custom
 * dispatcher could write one) is an error too.
 */
export const errorOf = (answer: string): string | undefined => {
  if (answer.startsWith(SUCCESS_HEAD)) return undefined
  let u: unknown
  try {
    u = JSON.parse(answer)
  } catch {
    return 'the answer is not JSON'
  }
  const responses: ReadonlyArray<unknown> = Array.isArray(u) ? u : [u]
  let last: string | undefined
  for (const response of responses) {
    if (!isRecord(response)) continue
    if (hasOwn(response, 'result')) return undefined
    if (hasOwn(response, 'error')) last = describe(response['error'])
  }
  return last
}

/** The answer to a response that does not fit: Internal error, its `data` saying why, for `id`. */
export const tooLargeText = (id: string, maxBytes: number): string =>
  `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"the response is larger than the ${maxBytes} bytes a NATS message may carry here"},"id":${id}}`

const INTERNAL_ERROR_NULL = '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}'

// The id of a parsed response, as JSON text; null when it has none that JSON-RPC allows.
const idTextOf = (response: unknown): string => {
  if (!isRecord(response)) return 'null'
  const id = response['id']
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? JSON.stringify(id) : 'null'
}

/** What {@link fit} gives: the bytes to send, and whether a response had to be replaced. */
export interface Fitted {
  readonly payload: Uint8Array
  readonly replaced: boolean
}

// The last resort, when not even one error for the message fits: the shortest answer, or nothing.
const lastResort = (maxBytes: number): Fitted => {
  const bytes = encode(INTERNAL_ERROR_NULL)
  return { payload: bytes.length <= maxBytes ? bytes : new Uint8Array(0), replaced: true }
}

// A batch that does not fit: its largest responses are replaced, one by one, by the error for their
// id, until the batch fits; the others are kept, so each caller of the batch learns what it can.
const fitBatch = (responses: ReadonlyArray<unknown>, maxBytes: number): Fitted => {
  const texts = responses.map((r) => JSON.stringify(r))
  const sizes = texts.map((t) => encode(t).length)
  // Brackets, and a comma between two responses.
  let total = 2 + Math.max(0, texts.length - 1) + sizes.reduce((a, b) => a + b, 0)
  const largestFirst = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a])
  for (const i of largestFirst) {
    if (total <= maxBytes) break
    const replacement = tooLargeText(idTextOf(responses[i]), maxBytes)
    const size = encode(replacement).length
    if (size >= sizes[i]) continue
    total += size - sizes[i]
    texts[i] = replacement
    sizes[i] = size
  }
  if (total <= maxBytes) return { payload: encode('[' + texts.join(',') + ']'), replaced: true }
  const whole = encode(tooLargeText('null', maxBytes))
  return whole.length <= maxBytes ? { payload: whole, replaced: true } : lastResort(maxBytes)
}

/**
 * The bytes of `answer`, made to fit in `maxBytes`: as they are when they fit; else a single
 * response becomes the error for its id, and a batch loses its largest responses to the error for
 * their ids until it fits (a batch that cannot fit even so is answered with one error, id null).
 */
export const fit = (answer: string, maxBytes: number): Fitted => {
  // Encoded here, once, whether or not it fits: the NATS client would encode a string it is given
  // with a TextEncoder (see `encode`).
  const bytes = encode(answer)
  if (bytes.length <= maxBytes) return { payload: bytes, replaced: false }
  let u: unknown
  try {
    u = JSON.parse(answer)
  } catch {
    return lastResort(maxBytes)
  }
  if (Array.isArray(u)) return fitBatch(u, maxBytes)
  const error = encode(tooLargeText(idTextOf(u), maxBytes))
  return error.length <= maxBytes ? { payload: error, replaced: true } : lastResort(maxBytes)
}

/**
 * Raw clients for the hostile tests, written from scratch so that a test can send any bytes: a
 * WebSocket (text or binary frames, with the `ws` package) and a byte-stream pair (a TCP socket, a
 * child's stdio) in either framing. Each collects every message it receives and every close, and
 * waits for a given message with a deadline, so nothing hangs.
 */
import { Buffer } from 'node:buffer'
import type { Readable, Writable } from 'node:stream'
import { WebSocket } from 'ws'

/** What a raw client has seen so far. */
export interface Inbox {
  /** Every message received, in order. */
  readonly messages: Array<string>
  /** The close code, once the connection has closed (1006 when it dropped without a close frame). */
  closed: number | undefined
}

export interface RawClient {
  readonly inbox: Inbox
  /** Sends one message: its bytes as given (framed, for a stream). `binary` picks the WebSocket frame type. */
  readonly send: (message: string | Buffer, binary?: boolean) => void
  /** Waits until `done` holds for the inbox, or throws after `ms`. */
  readonly until: (done: (inbox: Inbox) => boolean, ms?: number, what?: string) => Promise<void>
  readonly close: () => Promise<void>
}

/** Every message seen by every raw client of a test file, for the "nothing leaks" checks. */
export const everything: Array<string> = []

/** How a raw peer waits for what its inbox gets: `notify` on each arrival, `until` a condition holds. */
export const waiter = (inbox: Inbox) => {
  const waiters = new Set<() => void>()
  const notify = (): void => {
    for (const w of [...waiters]) w()
  }
  const until = (done: (inbox: Inbox) => boolean, ms = 5_000, what = 'a message'): Promise<void> =>
    new Promise((resolve, reject) => {
      if (done(inbox)) return resolve()
      const check = (): void => {
        if (!done(inbox)) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`waited ${ms} ms for ${what}; got ${JSON.stringify(inbox.messages.map((m) => m.slice(0, 200)))}, closed ${String(inbox.closed)}`))
      }, ms)
      waiters.add(check)
    })
  return { notify, until }
}

/** Opens a raw WebSocket client to `url`. */
export const openWebSocket = (url: string, headers: Record<string, string> = {}): Promise<RawClient> =>
  new Promise((resolve, reject) => {
    const inbox: Inbox = { messages: [], closed: undefined }
    const { notify, until } = waiter(inbox)
    const socket = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 })
    socket.on('message', (data, isBinary) => {
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Array.isArray(data)
          ? Buffer.concat(data).toString('utf8')
          : Buffer.from(data).toString('utf8')
      everything.push(text)
      inbox.messages.push(isBinary ? `binary:${text}` : text)
      notify()
    })
    socket.on('error', (e) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(e)
    })
    socket.on('close', (code) => {
      inbox.closed = code
      notify()
    })
    socket.once('open', () =>
      resolve({
        inbox,
        send: (message, binary = false) => socket.send(message, { binary }),
        until,
        close: () =>
          new Promise<void>((done) => {
            if (socket.readyState === WebSocket.CLOSED) return done()
            socket.once('close', () => done())
            socket.close()
          }),
      }),
    )
  })

export type FramingName = 'ndjson' | 'content-length'

/** Frames one message's bytes. */
export const frame = (framing: FramingName, message: string | Buffer): Buffer => {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message
  return framing === 'ndjson' ? Buffer.concat([bytes, Buffer.from('\n')]) : Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes])
}

/** Cuts the messages out of the bytes read so far; gives them and the bytes left over. */
const unframe = (framing: FramingName, held: Buffer): { readonly messages: Array<string>; readonly rest: Buffer } => {
  const messages: Array<string> = []
  let at = 0
  for (;;) {
    if (framing === 'ndjson') {
      const lf = held.indexOf(0x0a, at)
      if (lf === -1) break
      const line = held.subarray(at, lf).toString('utf8').replace(/\r$/, '')
      if (line.trim() !== '') messages.push(line)
      at = lf + 1
    } else {
      const end = held.indexOf('\r\n\r\n', at)
      if (end === -1) break
      const header = /content-length:\s*(\d+)/i.exec(held.subarray(at, end).toString('latin1'))
      if (header === null) throw new Error(`a frame without Content-Length: ${held.subarray(at, end).toString('latin1')}`)
      const length = Number(header[1])
      if (held.length < end + 4 + length) break
      messages.push(held.subarray(end + 4, end + 4 + length).toString('utf8'))
      at = end + 4 + length
    }
  }
  return { messages, rest: held.subarray(at) }
}

/** A raw client over a pair of streams (a TCP socket twice, a child's stdin and stdout). */
export const overStreams = (framing: FramingName, readable: Readable, writable: Writable, end: () => Promise<void>): RawClient => {
  const inbox: Inbox = { messages: [], closed: undefined }
  const { notify, until } = waiter(inbox)
  let held = Buffer.alloc(0)
  readable.on('data', (chunk: Buffer) => {
    const { messages, rest } = unframe(framing, Buffer.concat([held, chunk]))
    held = Buffer.from(rest)
    for (const m of messages) {
      everything.push(m)
      inbox.messages.push(m)
    }
    if (messages.length > 0) notify()
  })
  readable.on('error', () => undefined)
  writable.on('error', () => undefined)
  readable.once('close', () => {
    inbox.closed = 1006
    notify()
  })
  return {
    inbox,
    send: (message) => void writable.write(frame(framing, message)),
    until,
    close: end,
  }
}

/**
 * A connection to NATS as this package uses it, declared structurally: a `NatsConnection` of
 * nats.js 3 (`@nats-io/transport-node`, or any other nats.js 3 transport) is one. The types are the
 * package's own so that its declarations load whatever module resolution the application uses (the
 * CommonJS build's `Node10` resolution cannot read the NATS client's subpath exports). The server
 * (`serve`), the client transport and the gateway all take this one type.
 *
 * @internal
 */

/** A message's headers, as nats.js gives them (`MsgHdrs`): the part this package's users read. */
export interface NatsHeaders {
  /** The first value of a header, `''` when it is absent. */
  get(key: string): string
  has(key: string): boolean
  values(key: string): Array<string>
  keys(): Array<string>
}

/** A NATS message, as nats.js gives it (`Msg`): the part the server reads, and the context function sees. */
export interface NatsMessage {
  readonly subject: string
  /** Where the answer goes; absent (or empty) for a message published without one. */
  readonly reply?: string | undefined
  readonly data: Uint8Array
  readonly headers?: NatsHeaders | undefined
  respond(payload?: string | Uint8Array): boolean
}

/** A subscription, as nats.js gives it: the part the server uses. */
export interface NatsSubscription {
  drain(): Promise<void>
  unsubscribe(max?: number): void
}

/**
 * The NATS client's `MsgHdrs`, declared structurally (only `set` is used here, but a connection's
 * `request` takes the whole of it). `match` is its `Match` enum.
 */
export interface MessageHeaders extends Iterable<[string, Array<string>]> {
  hasError: boolean
  status: string
  code: number
  description: string
  get(k: string, match?: unknown): string
  set(k: string, v: string, match?: unknown): void
  append(k: string, v: string, match?: unknown): void
  has(k: string, match?: unknown): boolean
  keys(): Array<string>
  values(k: string, match?: unknown): Array<string>
  delete(k: string, match?: unknown): void
  last(k: string, match?: unknown): string
}

/** The connection: what the server, the client transport and the gateway use of it. */
export interface Connection {
  /** The server's information; `max_payload` bounds every message, replies included. */
  readonly info?: { readonly max_payload: number } | undefined
  isClosed(): boolean
  isDraining(): boolean
  subscribe(subject: string, options: { readonly queue?: string; readonly callback: (err: Error | null, msg: NatsMessage) => void }): NatsSubscription
  request(subject: string, payload: Uint8Array, options: { timeout: number; headers?: MessageHeaders }): Promise<{ readonly data: Uint8Array }>
  publish(subject: string, payload: Uint8Array, options?: { headers?: MessageHeaders }): void
  flush(): Promise<void>
  drain(): Promise<void>
}

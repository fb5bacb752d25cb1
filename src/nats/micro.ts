/**
 * The NATS micro-service protocol, as a JSON-RPC worker answers it: the discovery and monitoring
 * requests on `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS` that standard NATS tooling sends (`nats micro
 * list`, `nats micro info`, `nats micro stats`, the services clients of the NATS libraries).
 *
 * Each verb is answered on three subjects: `$SRV.<VERB>` (every service), `$SRV.<VERB>.<name>`
 * (every instance of one service) and `$SRV.<VERB>.<name>.<id>` (one instance). These are plain
 * subscriptions, in no queue group, so every instance answers for itself. The answers are JSON
 * objects typed by their `type` member ({@link ResponseType}); times are in nanoseconds and the start
 * is an ISO 8601 date, as the protocol says.
 *
 * The boundary: this module has the protocol's data and its subjects. The server (`serve`) answers
 * it when given a `service` ({@link ServiceConfig}); the package never loads `@nats-io/services`.
 *
 * @since 0.2.0
 */
import * as Stats from '../internal/nats/Stats.js'
import type { Connection } from '../internal/nats/connection.js'
import type { NatsMessage, NatsSubscription } from './server.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How a JSON-RPC worker presents itself to NATS tooling: the `service` option of
 * `serve`. Every instance of a service has the same name and version and an `id`
 * of its own.
 *
 * @category model
 * @since 0.2.0
 */
export interface ServiceConfig {
  /** The service's name: letters, digits, `-` and `_` only (it is a subject token). */
  readonly name: string
  /** Its version, a semantic version (`1.2.3`, `2.0.0-rc.1`). */
  readonly version: string
  /** A sentence for people reading `nats micro info`. Empty by default. */
  readonly description?: string
  /** Anything else to show, as string pairs. */
  readonly metadata?: Readonly<Record<string, string>>
  /**
   * This instance's id: letters, digits, `-` and `_` only. A random 22-character one by default
   * (as NATS's own libraries make them); give one only if it is unique among the instances.
   */
  readonly id?: string
  /** The name of the JSON-RPC endpoint in INFO and STATS answers: `jsonrpc` by default. */
  readonly endpoint?: string
  /** The endpoint's own metadata, shown with it. */
  readonly endpointMetadata?: Readonly<Record<string, string>>
}

/**
 * The three requests of the protocol.
 *
 * @category model
 * @since 0.2.0
 */
export type Verb = 'PING' | 'INFO' | 'STATS'

/**
 * What every answer starts with: which service instance answers.
 *
 * @category model
 * @since 0.2.0
 */
export interface Identity {
  readonly name: string
  readonly id: string
  readonly version: string
  /** The service's metadata; `{}` when it has none. */
  readonly metadata: Readonly<Record<string, string>>
}

/**
 * The answer to `$SRV.PING`.
 *
 * @category model
 * @since 0.2.0
 */
export interface PingResponse extends Identity {
  readonly type: typeof ResponseType.Ping
}

/**
 * An endpoint as `$SRV.INFO` describes it.
 *
 * @category model
 * @since 0.2.0
 */
export interface EndpointInfo {
  readonly name: string
  readonly subject: string
  readonly queue_group: string
  /** Present when the endpoint has metadata. */
  readonly metadata?: Readonly<Record<string, string>>
}

/**
 * The answer to `$SRV.INFO`.
 *
 * @category model
 * @since 0.2.0
 */
export interface InfoResponse extends Identity {
  readonly type: typeof ResponseType.Info
  readonly description: string
  readonly endpoints: ReadonlyArray<EndpointInfo>
}

/**
 * An endpoint's counters as `$SRV.STATS` reports them. A request is every message taken on the
 * endpoint's subject; an error is a message answered with JSON-RPC errors only (see
 * docs/transports-nats.md).
 *
 * @category model
 * @since 0.2.0
 */
export interface EndpointStats {
  readonly name: string
  readonly subject: string
  readonly queue_group: string
  readonly num_requests: number
  readonly num_errors: number
  /** The last error, `-32601 Method not found`; empty before the first. */
  readonly last_error: string
  /** Nanoseconds spent answering, summed over every message. */
  readonly processing_time: number
  /** `processing_time / num_requests`, in whole nanoseconds. */
  readonly average_processing_time: number
}

/**
 * The answer to `$SRV.STATS`.
 *
 * @category model
 * @since 0.2.0
 */
export interface StatsResponse extends Identity {
  readonly type: typeof ResponseType.Stats
  /** When this instance started serving, as an ISO 8601 date in UTC. */
  readonly started: string
  readonly endpoints: ReadonlyArray<EndpointStats>
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The `type` member of each answer, as the protocol names them.
 *
 * @category constants
 * @since 0.2.0
 */
export const ResponseType = {
  Ping: 'io.nats.micro.v1.ping_response',
  Info: 'io.nats.micro.v1.info_response',
  Stats: 'io.nats.micro.v1.stats_response',
} as const

/**
 * The prefix of the protocol's subjects.
 *
 * @category constants
 * @since 0.2.0
 */
export const API_PREFIX = '$SRV'

/**
 * The endpoint name used when {@link ServiceConfig.endpoint} is not given.
 *
 * @category constants
 * @since 0.2.0
 */
export const DEFAULT_ENDPOINT = 'jsonrpc'

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The subject of a request of the protocol: to every service (no name), every instance of one
 * (a name) or one instance (a name and an id).
 *
 * @example
 * import * as Nats from 'fp-jsonrpc/nats'
 *
 * Nats.controlSubject('PING') // '$SRV.PING'
 * Nats.controlSubject('STATS', 'billing') // '$SRV.STATS.billing'
 *
 * @category constructors
 * @since 0.2.0
 */
export const controlSubject = (verb: Verb, name?: string, id?: string): string =>
  name === undefined ? `${API_PREFIX}.${verb}` : id === undefined ? `${API_PREFIX}.${verb}.${name}` : `${API_PREFIX}.${verb}.${name}.${id}`

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const TOKEN = /^[-\w]+$/
// The regular expression semver.org gives for a version.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** A random id of 22 letters and digits (about 131 bits). */
const randomId = (): string => {
  const bytes = new Uint8Array(22)
  globalThis.crypto.getRandomValues(bytes)
  let id = ''
  // 256 is not a multiple of 62: the slight bias does not matter for an instance id.
  for (const b of bytes) id += ID_ALPHABET[b % ID_ALPHABET.length]
  return id
}

const checkStrings = (what: string, record: Readonly<Record<string, string>> | undefined): void => {
  if (record === undefined) return
  for (const [k, v] of Object.entries(record)) {
    if (typeof v !== 'string') throw new TypeError(`${what} must map strings to strings; ${JSON.stringify(k)} is not a string`)
  }
}

/**
 * A service as a server answers for it: the configuration checked (a `TypeError` for a bad name,
 * id or version), the id drawn, the start time taken.
 *
 * @internal
 * @since 0.2.0
 */
export interface Service {
  readonly identity: Identity
  readonly description: string
  readonly endpoint: string
  readonly endpointMetadata: Readonly<Record<string, string>> | undefined
  readonly started: string
}

/**
 * Checks a configuration and makes the {@link Service} of one instance.
 *
 * @internal
 * @since 0.2.0
 */
export const makeService = (config: ServiceConfig): Service => {
  if (typeof config.name !== 'string' || !TOKEN.test(config.name)) {
    throw new TypeError(`the service name must be letters, digits, - and _ only, got ${JSON.stringify(config.name)}`)
  }
  if (typeof config.version !== 'string' || !SEMVER.test(config.version)) {
    throw new TypeError(`the service version must be a semantic version (1.2.3), got ${JSON.stringify(config.version)}`)
  }
  if (config.id !== undefined && !TOKEN.test(config.id)) {
    throw new TypeError(`the service id must be letters, digits, - and _ only, got ${JSON.stringify(config.id)}`)
  }
  const endpoint = config.endpoint ?? DEFAULT_ENDPOINT
  if (!TOKEN.test(endpoint)) throw new TypeError(`the endpoint name must be letters, digits, - and _ only, got ${JSON.stringify(endpoint)}`)
  checkStrings('metadata', config.metadata)
  checkStrings('endpointMetadata', config.endpointMetadata)
  return {
    identity: { name: config.name, id: config.id ?? randomId(), version: config.version, metadata: { ...config.metadata } },
    description: config.description ?? '',
    endpoint,
    endpointMetadata: config.endpointMetadata === undefined ? undefined : { ...config.endpointMetadata },
    started: new Date().toISOString(),
  }
}

/**
 * The one endpoint a server has, as the protocol's answers need it.
 *
 * @internal
 * @since 0.2.0
 */
export interface Endpoint {
  readonly subject: string
  readonly queue: string
  readonly stats: Stats.Stats
}

const endpointInfo = (service: Service, endpoint: Endpoint): EndpointInfo => ({
  name: service.endpoint,
  subject: endpoint.subject,
  queue_group: endpoint.queue,
  ...(service.endpointMetadata === undefined ? {} : { metadata: service.endpointMetadata }),
})

/**
 * An endpoint's counters now, under the name `name`.
 *
 * @internal
 * @since 0.2.0
 */
export const endpointStats = (name: string, endpoint: Endpoint): EndpointStats => {
  const s = endpoint.stats
  return {
    name,
    subject: endpoint.subject,
    queue_group: endpoint.queue,
    num_requests: s.num_requests,
    num_errors: s.num_errors,
    last_error: s.last_error,
    processing_time: s.processing_time,
    average_processing_time: Stats.average(s),
  }
}

/**
 * The answer to `verb`, now.
 *
 * @internal
 * @since 0.2.0
 */
export const answer = (verb: Verb, service: Service, endpoint: Endpoint): PingResponse | InfoResponse | StatsResponse => {
  const { name, id, version, metadata } = service.identity
  switch (verb) {
    case 'PING':
      return { type: ResponseType.Ping, name, id, version, metadata }
    case 'INFO':
      return { type: ResponseType.Info, name, id, version, metadata, description: service.description, endpoints: [endpointInfo(service, endpoint)] }
    case 'STATS':
      return { type: ResponseType.Stats, name, id, version, metadata, started: service.started, endpoints: [endpointStats(service.endpoint, endpoint)] }
  }
}

const VERBS: ReadonlyArray<Verb> = ['PING', 'INFO', 'STATS']

/**
 * Subscribes to the protocol's nine subjects on `nc` (no queue group: each instance answers) and
 * answers each request; the subscriptions are returned, for the server to drain when it stops.
 * Throws what `nc.subscribe` throws (a closed connection).
 *
 * @internal
 * @since 0.2.0
 */
export const subscribe = (nc: Connection, service: Service, endpoint: Endpoint, onError: (error: unknown) => void): ReadonlyArray<NatsSubscription> => {
  const { name, id } = service.identity
  const subscriptions: Array<NatsSubscription> = []
  for (const verb of VERBS) {
    const callback = (err: Error | null, msg: NatsMessage): void => {
      if (err !== null) return onError(err)
      if (msg.reply === undefined || msg.reply === '') return
      try {
        msg.respond(JSON.stringify(answer(verb, service, endpoint)))
      } catch (e) {
        onError(e)
      }
    }
    for (const subject of [controlSubject(verb), controlSubject(verb, name), controlSubject(verb, name, id)]) {
      subscriptions.push(nc.subscribe(subject, { callback }))
    }
  }
  return subscriptions
}

/// <reference types="node" preserve="true" />
/**
 * The worker's side of a cluster: {@link worker} runs a start function (an HTTP `serve`, a WebSocket
 * server on it, a NATS worker, anything that gives back a graceful `close`), tells the primary it is
 * ready, and stops gracefully when asked: by the primary, by its own `SIGTERM` or `SIGINT`, or when
 * the primary is gone (the IPC channel disconnects). Then it exits with code 0, or 1 when its stop
 * failed or overran its deadline.
 *
 * @since 0.2.0
 */
import type { Task } from 'fp-ts/lib/Task.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as Messages from '../internal/cluster/messages.js'
import { cluster } from '../internal/cluster/node.js'
import { safely } from '../internal/hooks.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What a worker's start function gives: something running that stops gracefully. `close` stops
 * taking new work, lets the work in flight finish (every call answered), releases what it holds, and
 * then settles. An HTTP `Server` (`fp-jsonrpc/http`'s `serve`) and a WebSocket `Server`
 * (`fp-jsonrpc/ws`) are both `Running` as they are.
 *
 * @category model
 * @since 0.2.0
 */
export interface Running {
  readonly close: () => Promise<void>
}

/**
 * What {@link worker} takes besides the start function.
 *
 * @category model
 * @since 0.2.0
 */
export interface WorkerOptions {
  /**
   * How long a graceful stop may take, in milliseconds, before the worker exits with code 1 anyway:
   * 30 000 by default. The primary has a deadline of its own (it kills a worker that overruns it);
   * this one is for the stops no primary watches over (the worker's own signal, or the primary gone).
   */
  readonly stopTimeoutMs?: number
  /**
   * Called with what the start function failed with (its `Left`'s value, or what it threw), before the
   * worker exits with code 1. By default one line is written to stderr, naming the worker's pid and
   * the error's `_tag` (or `name`) and `message`, and nothing of a stack.
   */
  readonly onStartError?: (error: unknown) => void
  /** Called with what `close` threw or rejected with, before the worker exits with code 1. */
  readonly onStopError?: (error: unknown) => void
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The default of {@link WorkerOptions}' and the primary's `stopTimeoutMs`, in milliseconds.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultStopTimeoutMs = 30_000

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Runs `start` in this process as a cluster worker, when the task runs. Once `start` gives its
 * `Right`, the primary is told the worker is ready, and the task settles with the running value.
 * From then on (or at once, if a stop was asked for while `start` ran) the worker stops gracefully,
 * calling the value's `close`, and exits the process when:
 *
 * - the primary asks it to (the primary is stopping);
 * - the process gets `SIGTERM` or `SIGINT` (listeners are installed for both, so neither kills it
 *   outright);
 * - the IPC channel to the primary disconnects (the primary died): a worker does not outlive its
 *   primary, and finishes the calls it has before it goes.
 *
 * It exits with code 0 once `close` has settled, and with code 1 when `close` throws or rejects, or
 * has not settled within `stopTimeoutMs`. When `start` fails (a `Left`, or a throw) the worker exits
 * with code 1 at once, and the task never settles; the primary restarts it, within its bounds.
 *
 * Outside a cluster (no primary: the process was not forked by one) it runs the same way, stopping
 * on `SIGTERM` or `SIGINT`, which is handy to run a worker alone while developing.
 *
 * @example
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { worker } from 'fp-jsonrpc/cluster'
 * import { serve } from 'fp-jsonrpc/http'
 *
 * // In the file a primary forks (see `primary`'s `exec`): serve, and stop gracefully when asked.
 * export const main = worker(serve({ dispatcher: Dispatch.make(Registry.empty), port: 8080 }))
 *
 * @category constructors
 * @since 0.2.0
 */
export const worker =
  <E, A extends Running>(start: TaskEither<E, A>, options: WorkerOptions = {}): Task<A> =>
  () => {
    const stopTimeoutMs = options.stopTimeoutMs ?? defaultStopTimeoutMs
    if (!(stopTimeoutMs > 0)) throw new RangeError(`stopTimeoutMs must be more than 0, got ${stopTimeoutMs}`)

    let running: A | undefined
    let stopAsked = false
    let stopping = false

    const stop = (): void => {
      stopAsked = true
      if (running === undefined || stopping) return
      stopping = true
      // Not unref'd: a close that never settles still ends in an exit, with code 1.
      const deadline = setTimeout(() => process.exit(1), stopTimeoutMs)
      const exit = (code: number): void => {
        clearTimeout(deadline)
        process.exit(code)
      }
      const value = running
      // A close that throws rejects this Promise.
      new Promise<void>((settle) => settle(value.close())).then(
        () => exit(0),
        (error: unknown) => {
          safely(options.onStopError, error)
          exit(1)
        },
      )
    }
    const onMessage = (message: unknown): void => {
      if (Messages.is(message, Messages.stop)) stop()
    }
    // Listening before start runs: a stop asked for while it runs is kept, and done after it.
    process.on('message', onMessage)
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    if (process.send !== undefined) process.once('disconnect', stop)
    // node:cluster makes a worker whose channel disconnects unexpectedly exit at once, cutting the
    // calls in flight, unless this flag of its own is set: the disconnect listener above stops it instead.
    if (cluster.worker !== undefined) cluster.worker.exitedAfterDisconnect = true

    const failed = (error: unknown): never => {
      safely(options.onStartError ?? reportStartError, error)
      process.exit(1)
    }
    return new Promise<A>((resolve) => {
      // A start that throws, at once or later, rejects this Promise.
      new Promise<Awaited<ReturnType<typeof start>>>((settle) => settle(start())).then((result) => {
        if (result._tag === 'Left') return failed(result.left)
        const value = result.right
        running = value
        if (process.send !== undefined && process.connected) {
          // The primary may be gone by now; then the disconnect listener stops this worker.
          process.send(Messages.ready, undefined, undefined, () => undefined)
        }
        resolve(value)
        if (stopAsked) stop()
      }, failed)
    })
  }

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const reportStartError = (error: unknown): void => {
  process.stderr.write(`fp-jsonrpc/cluster: worker ${process.pid} could not start: ${describe(error)}\n`)
}

// An error's kind and message, on one line, without its stack (or any cause's).
const describe = (error: unknown): string => {
  if (typeof error !== 'object' || error === null) return String(error)
  const e = error as { readonly _tag?: unknown; readonly name?: unknown; readonly message?: unknown; readonly cause?: unknown }
  const kind = typeof e._tag === 'string' ? e._tag : typeof e.name === 'string' ? e.name : 'error'
  const message =
    typeof e.message === 'string'
      ? e.message
      : typeof e.cause === 'object' && e.cause !== null && typeof (e.cause as Error).message === 'string'
        ? (e.cause as Error).message
        : ''
  return (message === '' ? kind : `${kind}: ${message}`).replace(/\s+/g, ' ')
}

/// <reference types="node" preserve="true" />
/**
 * One script for both roles: {@link run} is the primary in the process started by hand, and a worker
 * in each process the primary forks (node:cluster runs the same script in both).
 *
 * @since 0.2.0
 */
import type { Task } from 'fp-ts/lib/Task.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import { cluster } from '../internal/cluster/node.js'
import { type Primary, primary, type PrimaryOptions } from './primary.js'
import { type Running, worker, type WorkerOptions } from './worker.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link run} takes: the start function every worker runs, and the options of both roles
 * (`stopTimeoutMs` applies to both).
 *
 * @category model
 * @since 0.2.0
 */
export type RunOptions<E, A extends Running> = { readonly start: TaskEither<E, A> } & Omit<PrimaryOptions, 'exec' | 'args' | 'execArgv'> & WorkerOptions

/**
 * Which role {@link run} took in this process, with its handle.
 *
 * @category model
 * @since 0.2.0
 */
export type Role<A> = { readonly _tag: 'Primary'; readonly primary: Primary } | { readonly _tag: 'Worker'; readonly running: A }

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Runs a cluster from one script, when the task runs: in the process started by hand it is the
 * {@link primary}, which forks `workers` copies of the same script; in each of those it is a
 * {@link worker} running `start`. `start` is only a description until a worker runs it (an HTTP
 * `serve`, say, listens in the workers only), so the primary may build it too.
 *
 * @example
 * import { Dispatch, Registry } from 'fp-jsonrpc'
 * import { run } from 'fp-jsonrpc/cluster'
 * import { serve } from 'fp-jsonrpc/http'
 *
 * // node server.js: 4 processes answer on port 8080; SIGTERM or Ctrl-C stops them gracefully.
 * export const main = run({ workers: 4, start: serve({ dispatcher: Dispatch.make(Registry.empty), port: 8080 }) })
 *
 * @category constructors
 * @since 0.2.0
 */
export const run =
  <E, A extends Running>(options: RunOptions<E, A>): Task<Role<A>> =>
  () => {
    if (cluster.isPrimary) {
      const { start: _start, stopTimeoutMs, onStartError: _onStartError, onStopError: _onStopError, ...rest } = options
      return primary({ ...rest, ...(stopTimeoutMs === undefined ? {} : { stopTimeoutMs }) })().then((handle) => ({ _tag: 'Primary', primary: handle }))
    }
    const { start, stopTimeoutMs, onStartError, onStopError } = options
    return worker(start, {
      ...(stopTimeoutMs === undefined ? {} : { stopTimeoutMs }),
      ...(onStartError === undefined ? {} : { onStartError }),
      ...(onStopError === undefined ? {} : { onStopError }),
    })().then((running) => ({ _tag: 'Worker', running }))
  }

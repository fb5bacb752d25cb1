/// <reference types="node" preserve="true" />
/**
 * Many processes on one machine, with node:cluster: `import * as Cluster from 'fp-jsonrpc/cluster'`.
 *
 * - {@link primary} forks `n` workers (one per core by default), which share the ports they listen
 *   on; restarts a worker that exits unexpectedly (with a backoff, and a bound against crash loops);
 *   and, on `SIGTERM` or `SIGINT`, asks every worker to stop gracefully and exits once all have
 *   (killing those that overrun a deadline, 30 s by default).
 * - {@link worker} runs a start function, anything that gives back a graceful `close` ({@link Running}):
 *   `fp-jsonrpc/http`'s `serve`, a WebSocket server on it, or a worker that takes no port at all. It
 *   stops gracefully when the primary asks, on its own `SIGTERM`, or when the primary is gone.
 * - {@link run} is both, for one script: the primary where it was started, a worker where forked.
 *
 * The dispatcher is stateless text in, text out, so any worker may answer any call; what a process
 * keeps in memory (a rate limiter's counts, say) is its own. A worker that dies loses the calls it was
 * answering. See docs/scaling.md.
 *
 * @since 0.2.0
 */
export { defaultRestart, defaultSignals, primary } from './primary.js'
export type { Event, Primary, PrimaryOptions, RestartOptions, Stopped, StopReason, WorkerInfo } from './primary.js'
export { run } from './run.js'
export type { Role, RunOptions } from './run.js'
export { defaultStopTimeoutMs, worker } from './worker.js'
export type { Running, WorkerOptions } from './worker.js'

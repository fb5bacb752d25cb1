/// <reference types="node" preserve="true" />
/**
 * The primary's side of a cluster: {@link primary} forks `n` worker processes (node:cluster), which
 * share the ports they listen on, keeps `n` of them running by forking again a worker that exits when
 * it should not (after a backoff, and within a bound, so that a worker that cannot start is not
 * forked forever), and stops them all gracefully on `SIGTERM` or `SIGINT`, or when asked.
 *
 * What it observes goes to one hook, `onEvent`, as plain data ({@link Event}); it writes nothing
 * itself.
 *
 * @since 0.2.0
 */
import type { Worker as ClusterWorker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import type { Task } from 'fp-ts/lib/Task.js'
import * as Messages from '../internal/cluster/messages.js'
import { cluster } from '../internal/cluster/node.js'
import * as Restarts from '../internal/cluster/restarts.js'
import { safely } from '../internal/hooks.js'
import { defaultStopTimeoutMs } from './worker.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * How the primary restarts a worker that exited when it should not have (a crash, a kill, an exit
 * nobody asked for). Each is optional; see {@link defaultRestart} for the defaults.
 *
 * - `delayMs`, `maxDelayMs`: the worker of a slot is forked again after `delayMs`, doubled for each
 *   restart of that slot still within `windowMs`, up to `maxDelayMs`.
 * - `maxRestarts`, `windowMs`: when the cluster has already restarted `maxRestarts` workers within the
 *   last `windowMs`, the primary gives up: it reports `GaveUp`, stops the workers left and ends with
 *   reason `'crash-loop'`. `maxRestarts` is 3 per worker by default.
 *
 * @category model
 * @since 0.2.0
 */
export interface RestartOptions {
  readonly delayMs?: number
  readonly maxDelayMs?: number
  readonly maxRestarts?: number
  readonly windowMs?: number
}

/**
 * What {@link primary} takes.
 *
 * @category model
 * @since 0.2.0
 */
export interface PrimaryOptions {
  /** How many workers to keep running: the machine's available parallelism (`os.availableParallelism()`) by default. */
  readonly workers?: number
  /** How workers that exit unexpectedly are restarted, and when the primary gives up. */
  readonly restart?: RestartOptions
  /**
   * How long the workers have to stop gracefully, in milliseconds, once asked: 30 000 by default.
   * A worker still running then is killed (`SIGKILL`, reported as `Killed`), and the calls it was
   * answering are lost.
   */
  readonly stopTimeoutMs?: number
  /**
   * The signals on which the primary stops gracefully: `['SIGTERM', 'SIGINT']` by default. With them,
   * the primary owns the process: once stopped by one of them, or after giving up on a crash loop, it
   * exits, with code 0 when every worker exited with code 0 and 1 otherwise; a second signal while
   * stopping kills the workers at once. `false` installs no listener and never exits the process:
   * call `stop` and read `stopped` yourself.
   */
  readonly signals?: ReadonlyArray<NodeJS.Signals> | false
  /**
   * The script the workers run, its arguments and Node's options for it, as node:cluster's
   * `setupPrimary` takes them (settings of node:cluster, which every later fork in this process
   * shares). By default a worker runs the primary's own script (`process.argv[1]`) with the same
   * arguments and Node options (`--import tsx`, say), and the script tells the roles apart (see `run`).
   */
  readonly exec?: string
  readonly args?: ReadonlyArray<string>
  readonly execArgv?: ReadonlyArray<string>
  /** Extra environment variables for the workers. Each also gets `FP_JSONRPC_CLUSTER_SLOT`, its slot (`0` to `workers - 1`). */
  readonly env?: Readonly<Record<string, string>>
  /** Called with each {@link Event}, in order. What it throws is ignored. */
  readonly onEvent?: (event: Event) => void
}

/**
 * What the primary observes, in order. `slot` is the worker's place, `0` to `workers - 1`, kept by
 * the worker that replaces it; `pid` its process id.
 *
 * - `Forked`: a worker process was started.
 * - `Ready`: its start function succeeded (an HTTP server listens, say).
 * - `Exited`: it exited, with its `code` or the `signal` that ended it; `expected` when the primary
 *   had asked it to stop.
 * - `Restarting`: the worker of `slot` that exited unexpectedly is forked again after `delayMs`;
 *   `restarts` counts the restarts within the window, this one included.
 * - `GaveUp`: a worker exited unexpectedly when `restarts` restarts were already made within
 *   `windowMs`: a crash loop. The primary stops.
 * - `Stopping`: the primary asks every worker to stop, for `reason` (and `signal`, when it was one).
 * - `Killed`: a worker was still running at the deadline, and was sent `SIGKILL`.
 * - `Stopped`: every worker has exited; the same value as `stopped`.
 *
 * @category model
 * @since 0.2.0
 */
export type Event =
  | { readonly _tag: 'Forked'; readonly slot: number; readonly pid: number }
  | { readonly _tag: 'Ready'; readonly slot: number; readonly pid: number }
  | {
      readonly _tag: 'Exited'
      readonly slot: number
      readonly pid: number
      readonly code: number | null
      readonly signal: string | null
      readonly expected: boolean
    }
  | { readonly _tag: 'Restarting'; readonly slot: number; readonly delayMs: number; readonly restarts: number }
  | { readonly _tag: 'GaveUp'; readonly restarts: number; readonly windowMs: number }
  | { readonly _tag: 'Stopping'; readonly reason: StopReason; readonly signal?: NodeJS.Signals }
  | { readonly _tag: 'Killed'; readonly slot: number; readonly pid: number }
  | ({ readonly _tag: 'Stopped' } & Stopped)

/**
 * Why the primary stopped: `stop` was called, a signal came, or a crash loop made it give up.
 *
 * @category model
 * @since 0.2.0
 */
export type StopReason = 'stop' | 'signal' | 'crash-loop'

/**
 * How the primary's workers ended. `ok` when the reason was not a crash loop and every worker asked
 * to stop exited with code 0 (none was killed or failed to stop).
 *
 * @category model
 * @since 0.2.0
 */
export interface Stopped {
  readonly reason: StopReason
  readonly ok: boolean
  /** The pids of the workers killed at the deadline. */
  readonly killed: ReadonlyArray<number>
  /** The pids of the workers asked to stop that exited with another code than 0 (and were not killed). */
  readonly failed: ReadonlyArray<number>
}

/**
 * A worker of a running primary, as {@link Primary.workers} lists it.
 *
 * @category model
 * @since 0.2.0
 */
export interface WorkerInfo {
  readonly slot: number
  readonly pid: number
  /** Whether its start function has succeeded. */
  readonly ready: boolean
}

/**
 * A running primary.
 *
 * @category model
 * @since 0.2.0
 */
export interface Primary {
  /**
   * Settles once every slot has had a worker ready, with `true`; with `false` if the primary stopped
   * before that (a crash loop, say). Never rejects.
   */
  readonly ready: Promise<boolean>
  /** The workers running now, by slot (a slot waiting for its restart is missing). */
  readonly workers: () => ReadonlyArray<WorkerInfo>
  /**
   * Asks every worker to stop gracefully, and settles once all have exited (killing those still
   * running after `stopTimeoutMs`). Calling it again, or after a signal, gives the same Promise.
   * Never rejects.
   */
  readonly stop: () => Promise<Stopped>
  /** Settles once the primary has stopped, however it came to: the same Promise as `stop` gives. */
  readonly stopped: Promise<Stopped>
}

// -------------------------------------------------------------------------------------
// constants
// -------------------------------------------------------------------------------------

/**
 * The defaults of {@link RestartOptions}, in milliseconds; `maxRestarts` is 3 times the number of
 * workers.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultRestart = { delayMs: 100, maxDelayMs: 5_000, windowMs: 60_000, restartsPerWorker: 3 } as const

/**
 * The signals a primary stops on by default.
 *
 * @category constants
 * @since 0.2.0
 */
export const defaultSignals: ReadonlyArray<NodeJS.Signals> = ['SIGTERM', 'SIGINT']

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Starts a cluster's primary in this process when the task runs: forks the workers, and gives back
 * its handle at once (`ready` tells when the workers are). Throws a `RangeError` for a count or a
 * duration that is not positive, and an `Error` when this process is itself a cluster worker.
 *
 * A worker that exits when it was not asked to (it crashed, was killed, or stopped on a signal of its
 * own) is forked again in its slot, after the backoff of {@link RestartOptions}. Calls it was
 * answering are lost: their connections close without an answer (a client sees a reset socket or a
 * closed connection). The other workers go on serving meanwhile.
 *
 * Stopping (on a signal, `stop`, or a crash loop) asks each worker to stop gracefully (see `worker`):
 * it stops taking connections, answers every call in flight, closes idle keep-alive connections, and
 * exits. Pending restarts are dropped; a worker still starting is asked again once it is ready.
 *
 * @example
 * import { primary } from 'fp-jsonrpc/cluster'
 *
 * // Forks 4 workers running worker.js, which calls `worker` (see its example).
 * export const main = primary({ workers: 4, exec: 'worker.js', onEvent: (event) => console.log(event._tag) })
 *
 * @category constructors
 * @since 0.2.0
 */
export const primary =
  (options: PrimaryOptions = {}): Task<Primary> =>
  () => {
    const count = options.workers ?? availableParallelism()
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`workers must be a whole number more than 0, got ${count}`)
    const policy: Restarts.Policy = {
      delayMs: positive('restart.delayMs', options.restart?.delayMs ?? defaultRestart.delayMs),
      maxDelayMs: positive('restart.maxDelayMs', options.restart?.maxDelayMs ?? defaultRestart.maxDelayMs),
      maxRestarts: positive('restart.maxRestarts', options.restart?.maxRestarts ?? defaultRestart.restartsPerWorker * count),
      windowMs: positive('restart.windowMs', options.restart?.windowMs ?? defaultRestart.windowMs),
    }
    const stopTimeoutMs = positive('stopTimeoutMs', options.stopTimeoutMs ?? defaultStopTimeoutMs)
    if (!cluster.isPrimary) throw new Error('primary: this process is a cluster worker')
    const decide = Restarts.decide(policy)
    const signals = options.signals === false ? [] : (options.signals ?? defaultSignals)
    const emit = (event: Event): void => safely(options.onEvent, event)

    if (options.exec !== undefined || options.args !== undefined || options.execArgv !== undefined) {
      cluster.setupPrimary({
        ...(options.exec === undefined ? {} : { exec: options.exec }),
        ...(options.args === undefined ? {} : { args: [...options.args] }),
        ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
      })
    }

    // One entry per slot: its live worker, or the timer of its restart.
    interface Slot {
      worker: ClusterWorker | undefined
      pid: number
      ready: boolean
      readyOnce: boolean
      restart: ReturnType<typeof setTimeout> | undefined
    }
    const slots: Array<Slot> = Array.from({ length: count }, () => ({ worker: undefined, pid: 0, ready: false, readyOnce: false, restart: undefined }))
    let history = Restarts.empty
    let stopping: { readonly reason: StopReason; readonly signal?: NodeJS.Signals } | undefined
    const asked = new Set<ClusterWorker>()
    const killed: Array<number> = []
    const failed: Array<number> = []
    let deadline: ReturnType<typeof setTimeout> | undefined

    let settleReady: (ready: boolean) => void = () => undefined
    const ready = new Promise<boolean>((resolve) => (settleReady = resolve))
    let settleStopped: (stopped: Stopped) => void = () => undefined
    const stopped = new Promise<Stopped>((resolve) => (settleStopped = resolve))

    const askToStop = (w: ClusterWorker): void => {
      asked.add(w)
      if (w.isConnected()) w.send(Messages.stop, undefined, () => undefined)
    }

    const finishIfDone = (): void => {
      if (stopping === undefined || slots.some((s) => s.worker !== undefined)) return
      clearTimeout(deadline)
      for (const signal of signals) process.off(signal, onSignal)
      const result: Stopped = { reason: stopping.reason, ok: stopping.reason !== 'crash-loop' && killed.length === 0 && failed.length === 0, killed, failed }
      settleReady(false)
      emit({ _tag: 'Stopped', ...result })
      settleStopped(result)
      if (signals.length > 0 && stopping.reason !== 'stop') process.exit(result.ok ? 0 : 1)
    }

    const fork = (index: number): void => {
      const slot = slots[index]
      slot.restart = undefined
      const w = cluster.fork({ ...options.env, FP_JSONRPC_CLUSTER_SLOT: String(index) })
      const pid = w.process.pid ?? 0
      slot.worker = w
      slot.pid = pid
      slot.ready = false
      emit({ _tag: 'Forked', slot: index, pid })
      // A worker's IPC errors (a send to one that just died) come before its exit, which is what counts.
      w.on('error', () => undefined)
      w.on('message', (message: unknown) => {
        if (!Messages.is(message, Messages.ready) || slot.worker !== w || slot.ready) return
        slot.ready = true
        emit({ _tag: 'Ready', slot: index, pid })
        // Asked while it was starting: its listener may not have been there yet.
        if (stopping !== undefined) askToStop(w)
        if (!slot.readyOnce) {
          slot.readyOnce = true
          if (slots.every((s) => s.readyOnce)) settleReady(true)
        }
      })
      w.on('exit', (code: number | null, signal: string | null) => {
        if (slot.worker === w) slot.worker = undefined
        const expected = asked.has(w)
        asked.delete(w)
        emit({ _tag: 'Exited', slot: index, pid, code, signal, expected })
        if (stopping !== undefined) {
          if (expected && code !== 0 && !killed.includes(pid)) failed.push(pid)
          finishIfDone()
          return
        }
        const decision = decide(history, index, Date.now())
        if (decision._tag === 'GiveUp') {
          emit({ _tag: 'GaveUp', restarts: decision.restarts, windowMs: policy.windowMs })
          void beginStop({ reason: 'crash-loop' })
          return
        }
        history = decision.history
        emit({ _tag: 'Restarting', slot: index, delayMs: decision.delayMs, restarts: decision.restarts })
        slot.restart = setTimeout(() => fork(index), decision.delayMs)
      })
    }

    const beginStop = (why: { readonly reason: StopReason; readonly signal?: NodeJS.Signals }): Promise<Stopped> => {
      if (stopping !== undefined) return stopped
      stopping = why
      emit({ _tag: 'Stopping', ...why })
      for (const slot of slots) {
        clearTimeout(slot.restart)
        slot.restart = undefined
        if (slot.worker !== undefined) askToStop(slot.worker)
      }
      deadline = setTimeout(killAll, stopTimeoutMs)
      finishIfDone()
      return stopped
    }

    const killAll = (): void => {
      for (const [index, slot] of slots.entries()) {
        if (slot.worker === undefined || killed.includes(slot.pid)) continue
        killed.push(slot.pid)
        emit({ _tag: 'Killed', slot: index, pid: slot.pid })
        slot.worker.process.kill('SIGKILL')
      }
    }

    function onSignal(signal: NodeJS.Signals): void {
      if (stopping === undefined) void beginStop({ reason: 'signal', signal })
      else killAll()
    }
    for (const signal of signals) process.on(signal, onSignal)

    for (let index = 0; index < count; index++) fork(index)

    return Promise.resolve({
      ready,
      workers: () => slots.flatMap((s, slot) => (s.worker === undefined ? [] : [{ slot, pid: s.pid, ready: s.ready }])),
      stop: () => beginStop({ reason: 'stop' }),
      stopped,
    })
  }

// -------------------------------------------------------------------------------------
// internal
// -------------------------------------------------------------------------------------

const positive = (name: string, value: number): number => {
  if (!(value > 0)) throw new RangeError(`${name} must be more than 0, got ${value}`)
  return value
}

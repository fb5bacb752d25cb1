/// <reference types="node" preserve="true" />
/**
 * The two clocks of a stream connection: the idle timeout (nothing read or written for a while,
 * nothing at work) and the frame deadline (a frame that has begun must be complete in time, so a
 * peer that drips bytes cannot hold a connection and its buffer for ever).
 *
 * Neither churns a timer per byte: activity only records the time, and a timer, when it fires,
 * looks whether its time has really come, or sets itself again for the rest. Both timers are
 * `unref`'d: they alone never keep a process alive.
 *
 * @internal
 */
import { isTimerMs } from '../timers.js'

export interface TimersOptions {
  /** Milliseconds of idleness before `onIdle`; none unless {@link isTimerMs}. */
  readonly idleMs: number
  /** Milliseconds a frame may take once begun; none unless {@link isTimerMs}. */
  readonly frameMs: number
  /**
   * How many bytes the decoder holds: a frame is incomplete while it holds some. Without it (a
   * decoder that does not tell) there is no frame deadline.
   */
  readonly buffered: (() => number) | undefined
  /** Whether work is going on (calls pending, messages at work): a busy connection is not idle. */
  readonly busy: () => boolean
  /** The connection has been idle for `idleMs`. */
  readonly onIdle: () => void
  /** A frame has taken more than `frameMs`; `received` is how many of its bytes are held. */
  readonly onStalled: (ms: number, received: number) => void
}

export interface Timers {
  readonly options: TimersOptions
  /** Whether idleness is watched, and the frame deadline. */
  readonly idle: boolean
  readonly frame: boolean
  stopped: boolean
  lastActive: number
  idleTimer: ReturnType<typeof setTimeout> | undefined
  /** When the frame now incomplete began (when the decoder began to hold its bytes). */
  frameStart: number | undefined
  frameTimer: ReturnType<typeof setTimeout> | undefined
  /** The timers' callbacks, made once. */
  readonly checkIdle: () => void
  readonly checkFrame: () => void
}

/** Makes the timers of a connection and starts the idle one. */
export const start = (options: TimersOptions): Timers => {
  const timers: Timers = {
    options,
    idle: isTimerMs(options.idleMs),
    frame: isTimerMs(options.frameMs) && options.buffered !== undefined,
    stopped: false,
    lastActive: Date.now(),
    idleTimer: undefined,
    frameStart: undefined,
    frameTimer: undefined,
    checkIdle: () => checkIdle(timers),
    checkFrame: () => checkFrame(timers),
  }
  if (timers.idle) armIdle(timers, options.idleMs)
  return timers
}

/** Bytes were read or written: the connection is not idle. */
export const active = (timers: Timers): void => {
  if (timers.idle) timers.lastActive = Date.now()
}

/**
 * After each chunk read: a frame is incomplete when the decoder holds bytes. One that began before
 * this chunk and saw no message complete (`completed`) keeps its start; otherwise it began with
 * this chunk.
 */
export const watchFrame = (timers: Timers, completed: boolean): void => {
  if (!timers.frame || timers.stopped) return
  if ((timers.options.buffered as () => number)() === 0) timers.frameStart = undefined
  else if (timers.frameStart === undefined || completed) {
    timers.frameStart = Date.now()
    if (timers.frameTimer === undefined) armFrame(timers, timers.options.frameMs)
  }
}

/** Stops both timers for good (the connection is closing). Idempotent. */
export const stop = (timers: Timers): void => {
  timers.stopped = true
  if (timers.idleTimer !== undefined) clearTimeout(timers.idleTimer)
  if (timers.frameTimer !== undefined) clearTimeout(timers.frameTimer)
  timers.idleTimer = undefined
  timers.frameTimer = undefined
}

const armIdle = (timers: Timers, ms: number): void => {
  timers.idleTimer = setTimeout(timers.checkIdle, ms)
  timers.idleTimer.unref()
}

const checkIdle = (timers: Timers): void => {
  timers.idleTimer = undefined
  if (timers.stopped) return
  const idleMs = timers.options.idleMs
  const busy = timers.options.busy()
  const left = timers.lastActive + idleMs - Date.now()
  if (!busy && left <= 0) timers.options.onIdle()
  else armIdle(timers, busy ? idleMs : left)
}

const armFrame = (timers: Timers, ms: number): void => {
  timers.frameTimer = setTimeout(timers.checkFrame, ms)
  timers.frameTimer.unref()
}

const checkFrame = (timers: Timers): void => {
  timers.frameTimer = undefined
  if (timers.stopped || timers.frameStart === undefined) return
  const frameMs = timers.options.frameMs
  const left = timers.frameStart + frameMs - Date.now()
  if (left > 0) return armFrame(timers, left)
  timers.options.onStalled(frameMs, timers.options.buffered?.() ?? 0)
}

/**
 * The signal one incoming request is dispatched with: a plain object rather than an
 * `AbortController`, which costs microseconds to make, for every request, where this costs nothing
 * until a handler reads its `control.signal` (the dispatcher then links a real one to it).
 *
 * @internal
 */
import type { AbortSignalLike } from '../../Handler.js'

export class Cancel implements AbortSignalLike {
  declare aborted: boolean
  declare reason: unknown
  declare listeners: Array<() => void> | undefined
  constructor() {
    this.aborted = false
    this.reason = undefined
    this.listeners = undefined
  }
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return
    if (this.listeners === undefined) this.listeners = [listener]
    else this.listeners.push(listener)
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1
    if (i !== -1) this.listeners?.splice(i, 1)
  }
  /** Aborts once: the listeners run, in order, then are let go. Later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners !== undefined) for (const listener of listeners) listener()
  }
}

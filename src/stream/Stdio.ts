/// <reference types="node" preserve="true" />
/**
 * JSON-RPC over standard input and output, both ends: a process that serves on its own stdin and
 * stdout ({@link serveStdio}), and a parent that starts a child process and talks to it over the
 * child's stdin and stdout ({@link spawn}). Both ends are peers: each may call the other.
 *
 * The boundary: this module opens the streams and hands them to `attach` (see `Connection`). In a
 * process that serves on stdio, stdout is the wire: nothing else may write to it (no
 * `console.log`; log with `console.error`, to stderr).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js'
import type { TaskEither } from 'fp-ts/lib/TaskEither.js'
import * as childProcess from 'node:child_process'
import type * as Dispatch from '../Dispatch.js'
import { attach, type AttachOptions, type Connection } from './Connection.js'
import { safely } from '../internal/hooks.js'

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What {@link serveStdio} takes.
 *
 * @category model
 * @since 0.1.0
 */
export interface ServeStdioOptions<B> extends AttachOptions<B> {
  readonly dispatcher: Dispatch.Dispatcher<B>
}

/**
 * What {@link spawn} takes besides the command.
 *
 * @category model
 * @since 0.1.0
 */
export interface SpawnOptions<B> extends AttachOptions<B> {
  /** The child's working directory; this process's by default. */
  readonly cwd?: string
  /** The child's environment; this process's by default. */
  readonly env?: NodeJS.ProcessEnv
  /**
   * The child's stderr: passed through to this process's (`'inherit'`, the default), discarded
   * (`'ignore'`), or given chunk by chunk to a function (to collect or log it).
   */
  readonly stderr?: 'inherit' | 'ignore' | ((chunk: Uint8Array) => void)
}

/**
 * How a child process ended: its exit code, or the signal that ended it.
 *
 * @category model
 * @since 0.1.0
 */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * A connection to a child process.
 *
 * `close()` ends the child's stdin once the answers in flight are written: a child that serves with
 * {@link serveStdio} then exits by itself. Nothing here kills the child; `child.kill()` does.
 *
 * @category model
 * @since 0.1.0
 */
export interface ChildConnection extends Connection {
  readonly child: childProcess.ChildProcess
  /** Resolves once the child has exited. */
  readonly exited: Promise<Exit>
}

/**
 * Why {@link spawn} could not start the child (no such command, no permission, ...).
 *
 * @category model
 * @since 0.1.0
 */
export interface SpawnError {
  readonly _tag: 'SpawnError'
  readonly cause: unknown
}

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * Serves on this process's stdin and stdout: requests are read from stdin, answers written to
 * stdout, and the connection's `client` calls the parent. Reading starts at once.
 *
 * When stdin ends, the answers in flight are written, stdout is ended, and nothing is left holding
 * the process open: it exits by itself (unless something else of its own keeps it alive).
 *
 * @example
 * import * as E from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * import * as t from 'io-ts'
 * import { Dispatch, Method, Registry } from 'fp-jsonrpc'
 * import { Framing, serveStdio } from 'fp-jsonrpc/stream'
 *
 * const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
 *
 * serveStdio({
 *   framing: Framing.contentLength,
 *   dispatcher: Dispatch.make(pipe(Registry.empty, Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)))),
 * })
 *
 * @category constructors
 * @since 0.1.0
 */
export const serveStdio = <B>(options: ServeStdioOptions<B>): Connection => attach(process.stdin, process.stdout, options)

// How long a connection may stay open after its child exited, for a grandchild that holds the pipe.
const EXIT_GRACE_MS = 1000

/**
 * Starts `command` with `args` as a child process and runs JSON-RPC over its stdin and stdout: the
 * connection's `client` calls the child, and `dispatcher` (if any) answers the child's calls. The
 * task resolves once the child has started, or with `SpawnError` when it could not.
 *
 * When the child exits, its last answers are still read; then the calls still pending fail with
 * `Closed`.
 *
 * @example
 * import { Framing, spawn } from 'fp-jsonrpc/stream'
 *
 * const child = await spawn(process.execPath, ['server.js'], { framing: Framing.contentLength })()
 *
 * @category constructors
 * @since 0.1.0
 */
export const spawn =
  <B>(command: string, args: ReadonlyArray<string>, options: SpawnOptions<B>): TaskEither<SpawnError, ChildConnection> =>
  () =>
    new Promise((resolve) => {
      const stderr = options.stderr ?? 'inherit'
      const spawnOptions: childProcess.SpawnOptions = { stdio: ['pipe', 'pipe', typeof stderr === 'function' ? 'pipe' : stderr] }
      if (options.cwd !== undefined) spawnOptions.cwd = options.cwd
      if (options.env !== undefined) spawnOptions.env = options.env
      let child: childProcess.ChildProcess
      try {
        child = childProcess.spawn(command, args, spawnOptions)
      } catch (cause) {
        // Arguments Node refuses outright (a NUL byte in an argument, ...).
        return resolve(E.left({ _tag: 'SpawnError', cause }))
      }
      const { stdin, stdout } = child
      if (stdin === null || stdout === null) {
        child.kill()
        return resolve(E.left({ _tag: 'SpawnError', cause: new TypeError('the child has no piped stdin or stdout') }))
      }
      const connection = attach(stdout, stdin, options)
      if (typeof stderr === 'function') {
        // An observer's failure must not break the connection.
        child.stderr?.on('data', (chunk: Uint8Array) => safely(stderr, chunk))
      }
      const exited = new Promise<Exit>((done) =>
        child.once('exit', (code, signal) => {
          setTimeout(connection.destroy, EXIT_GRACE_MS).unref()
          done({ code, signal })
        }),
      )
      const failed = (cause: unknown): void => {
        connection.destroy()
        resolve(E.left({ _tag: 'SpawnError', cause }))
      }
      child.once('error', failed)
      child.once('spawn', () => {
        child.off('error', failed)
        // Later errors (a signal that could not be sent) concern the caller of `kill`, not the connection.
        child.on('error', () => undefined)
        // The same object that onFramingError names, with the child added.
        resolve(E.right(Object.assign(connection, { child, exited })))
      })
    })

/**
 * `npm run start:cluster`: the demo's methods, scaled out on this machine as they would be across
 * machines. One command starts:
 *
 * - a nats-server on 127.0.0.1 (Debian's `nats-server`, or the one `NATS_SERVER` names), on a port it
 *   picks;
 * - `WORKERS` worker processes (3 by default; node:cluster forks them, `fp-jsonrpc/cluster` restarts
 *   one that crashes), each serving the demo's methods on the NATS subject `demo` in one queue group
 *   (`Nats.serve`), and answering the NATS micro-service protocol as the service `demo`;
 * - in this process, the gateway: HTTP (POST /rpc), WebSocket (/ws) and the API explorer (GET /) on
 *   `PORT` (8080 by default; 0 for any free one), forwarding every message to the workers
 *   (`Nats.dispatcher`).
 *
 * Ctrl-C (SIGINT) or SIGTERM stops it all gracefully, in order: the gateway stops taking calls and
 * answers those in flight, the workers answer what they hold and exit, then the NATS connection
 * drains and the nats-server stops.
 *
 * The workers are this same script: node:cluster forks it, and it takes the worker's part.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import cluster from 'node:cluster'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { Dispatch } from 'fp-jsonrpc'
import * as Cluster from 'fp-jsonrpc/cluster'
import { serve } from 'fp-jsonrpc/http'
import * as Nats from 'fp-jsonrpc/nats'
import * as Ws from 'fp-jsonrpc/ws'
import { registry } from './demo/methods.js'

const SUBJECT = 'demo'

// -------------------------------------------------------------------------------------
// a worker: the demo's methods on the subject, until asked to stop
// -------------------------------------------------------------------------------------

const worker = async (): Promise<void> => {
  const url = process.env['NATS_URL'] ?? ''
  const dispatcher = Dispatch.make(registry, { onDefect: (cause) => console.error('defect:', cause) })
  const start = pipe(
    TE.tryCatch(
      () => connect({ servers: url, name: `demo-worker-${process.pid}` }),
      (cause) => ({ _tag: 'ConnectError', cause }) as const,
    ),
    TE.chainW((connection) =>
      Nats.serve(connection, dispatcher, {
        subject: SUBJECT,
        service: { name: 'demo', version: '0.2.0', description: 'The demo methods of fp-jsonrpc' },
        // No WebSocket connection over NATS: `subscribe` answers that it needs one.
        context: () => ({}),
        onError: (e) => console.error(`worker ${process.pid}:`, e),
      }),
    ),
    // Cluster.worker stops it when asked: the subscription stops, every message it holds is
    // answered, then the connection drains and closes.
    TE.map((server) => ({ close: () => server.stop() })),
  )
  await Cluster.worker(start)()
}

// -------------------------------------------------------------------------------------
// the primary: nats-server, the workers, the gateway
// -------------------------------------------------------------------------------------

interface NatsServer {
  readonly url: string
  readonly stop: () => Promise<void>
}

// Starts a nats-server on 127.0.0.1 on a port of its own, read back from its ports file.
const startNatsServer = async (): Promise<NatsServer> => {
  const binary = process.env['NATS_SERVER'] ?? '/usr/sbin/nats-server'
  if (!existsSync(binary)) throw new Error(`no nats-server at ${binary}: install Debian's package nats-server, or set NATS_SERVER`)
  const dir = mkdtempSync(join(tmpdir(), 'fp-jsonrpc-cluster-'))
  // Detached, in a process group of its own, so that Ctrl-C (which the terminal sends to this
  // process's group) does not stop it before the workers have answered through it; it is stopped
  // last, and killed if this process exits first.
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir], { stdio: 'ignore', detached: true })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.once('exit', () => child.kill('SIGKILL'))
  const deadline = Date.now() + 10_000
  for (;;) {
    const file = readdirSync(dir).find((f) => f.endsWith('.ports'))
    const url = file === undefined ? undefined : (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { readonly nats?: ReadonlyArray<string> }).nats?.[0]
    if (url !== undefined) {
      return {
        url,
        stop: async () => {
          child.kill('SIGTERM')
          await exited
          rmSync(dir, { recursive: true, force: true })
        },
      }
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('nats-server did not start')
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const primary = async (): Promise<void> => {
  const workers = Number(process.env['WORKERS'] ?? 3)
  const port = Number(process.env['PORT'] ?? 8080)
  const nats = await startNatsServer()
  const pool = await Cluster.primary({
    workers,
    env: { NATS_URL: nats.url },
    // The stop below is ordered (gateway, workers, NATS): the primary does not stop on signals itself.
    signals: false,
    onEvent: (event) => {
      if (event._tag === 'Exited' && !event.expected) console.log(`worker ${event.pid} exited (${event.signal ?? event.code}); restarting it`)
      if (event._tag === 'GaveUp') console.log('workers keep crashing: giving up')
    },
  })()
  await pool.ready
  const connection = await connect({ servers: nats.url, name: 'demo-gateway' })
  const gateway = Nats.dispatcher({ connection, subject: SUBJECT })
  const started = await serve({ dispatcher: gateway, host: '127.0.0.1', port, path: '/rpc', explorer: { path: '/' } })()
  if (E.isLeft(started)) {
    console.error(`could not listen on port ${port}:`, started.left.cause)
    await pool.stop()
    await connection.close()
    await nats.stop()
    process.exit(1)
  }
  const http = started.right
  const ws = Ws.attachToHttp(http.server, gateway, { path: '/ws' })
  const base = `127.0.0.1:${http.address.port}`
  console.log(`fp-jsonrpc demo, scaled out: ${workers} workers behind a gateway, over NATS
  HTTP:      http://${base}/rpc
  WebSocket: ws://${base}/ws
  Explorer:  http://${base}/ (in a browser)
  NATS:      ${nats.url} (subject "${SUBJECT}", queue group "${Nats.defaults.queue}", service "demo" on $SRV)
  workers:   ${pool
    .workers()
    .map((w) => w.pid)
    .join(', ')}
Ctrl-C stops it all gracefully.`)

  let stopping = false
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping; calls in flight are answered first`)
    // At once, both: Ctrl-C reaches the workers too (they are in this process's group), and they stop
    // on it by themselves; the pool must know they were asked to. The gateway answers what it
    // forwarded (the workers answer what they hold before they exit), then the connection drains.
    const [stopped] = await Promise.all([pool.stop(), ws.close(), http.close()])
    if (!connection.isClosed()) await connection.drain().catch(() => undefined)
    await nats.stop()
    console.log(stopped.ok ? 'stopped' : `stopped; workers that did not stop cleanly: ${[...stopped.killed, ...stopped.failed].join(', ')}`)
    process.exit(stopped.ok ? 0 : 1)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

if (cluster.isPrimary) {
  await primary().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
} else await worker()

/**
 * Scale-out over NATS, measured (issue #11, "Measured"): throughput with 1, 2 and 4 worker
 * processes, the NATS path's cost against raw NATS request-reply, and calls lost to faults under load.
 *
 *   npm run bench:scale                      # about 2 minutes on 2 cores
 *   ROUNDS=1 ROUND_MS=500 npm run bench:scale   # a quick check that everything runs
 *
 * Environment:
 *   ROUNDS       timed rounds of the throughput and floor measures (default 3 and 5)
 *   ROUND_MS     ms one contender runs in a round (default 2000 for throughput, 1500 for the floor)
 *   ONLY         one part only: `throughput`, `floor` or `faults` (the JSON line then holds its keys
 *                only): for profiling, e.g. `ONLY=floor node --cpu-prof --import tsx bench/scale.ts`
 *   CPU          set: each floor round also prints the CPU time per call of this process, the
 *                workers and the nats-servers (from /proc: Linux only), for finding where time goes
 *   CHILD_ARGS   node options for the worker processes (split on spaces), e.g.
 *                `CHILD_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'` to profile them too
 *
 * Everything runs on this machine, on 127.0.0.1 only: a cluster of three Debian nats-servers joined
 * by routes (test/fixtures/natsServer.ts, on ports they pick), worker processes
 * (test/fixtures/natsWorker.ts: `Nats.serve` of a dispatcher, graceful stop on SIGTERM), and the
 * client in this process (`Client` over `Nats.transport`). Workers connect to the members in turn;
 * the client to the first. It ends with one JSON line.
 *
 * 1. Throughput (`workers_2`, `workers_4`): the handler waits 5 ms (I/O-bound) and each worker runs
 *    at most 4 calls at once (`maxConcurrency`; `WORKER_CONCURRENCY` changes it), so one worker
 *    answers at most 800 calls/s, and four about 3 200: little enough CPU that the client, seven
 *    workers and three nats-servers on this machine's 2 cores do not become the limit. Three sets of
 *    workers (1, 2 and 4) serve three subjects; the client keeps 16 x 4 x N calls in flight on set N
 *    (a window: each call that ends starts another). The window is deep because NATS deals a queue
 *    group's messages at random, not by load: with 3 x 4 x N in flight a worker was dealt less than
 *    its 4 about a fifth of the time, and 4 workers made 3.4x one worker's rate where they can make
 *    4x. Rounds rotate over the sets; `workers_N` is the median over rounds of set N's calls/s over
 *    set 1's in the same round. The goal is at least 0.9 x N. This machine has 2 cores: CPU-bound
 *    handlers cannot scale past 2 processes here, so CPU-bound scaling is not measured (the JSON
 *    line says so in `cpu_bound`).
 * 2. The NATS path against a floor (`nats_vs_floor`): one JSON-RPC worker answering `echo` and one
 *    raw responder (this file run with `--raw-responder`: a plain NATS subscription in a queue group
 *    that replies with the bytes the JSON-RPC worker would answer, precomputed; no JSON-RPC at
 *    either end), each on its own subject, no wait in the handler. The client keeps 64 requests in
 *    flight: `Client.call(Echo)` over `Nats.transport` against `connection.request` of the same
 *    request bytes. `nats_vs_floor` is the median of the per-round ratio of calls/s (higher is
 *    better; the goal is at least 0.9). Both ends of the JSON-RPC side of this measure load
 *    fp-jsonrpc from the compiled package in dist/ (`npm run build` first; the npm script does), as
 *    users run it and as bench:transports does: under tsx, keepNames charges each closure made per
 *    call an Object.defineProperty that the build does not. Its worker is this file run with
 *    `--echo-worker` (`Nats.serve` of `echo`, 64 at once, the fixture worker's defaults).
 * 3. Faults under load: two fresh workers per case (5 ms handler), 32 calls in flight for 3 s, the
 *    fault at 1 s; a call that fails (its timeout passes: 1 s) is lost. Counted, never hidden:
 *    - `lost_sigkill`: one worker killed with SIGKILL; the calls it held are lost (core NATS is at
 *      most once).
 *    - `lost_sigkill_retry`: the same with an idempotent contract and the transport's retry on
 *      (`retry: { maxAttempts: 3, attemptTimeoutMs: 300 }`, call timeout 3 s): the goal is 0.
 *    - `lost_sigterm`: one worker stopped with SIGTERM (`Server.stop`: it stops taking messages and
 *      answers what it holds): the goal is 0.
 *    - `lost_server_kill`: the nats-server one worker is connected to is killed (SIGKILL); the worker
 *      reconnects to another member and serves again. Lost calls are those the worker held or whose
 *      replies were on their way through the killed server. `resumed_after_server_kill` says whether
 *      the killed server's worker answered calls again after it reconnected.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { Client, type ClientError, Method } from '../src/index.js'
import * as Nats from '../src/nats/index.js'
import * as NatsServer from '../test/fixtures/natsServer.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const env = (name: string): number | undefined => (process.env[name] === undefined ? undefined : Number(process.env[name]))

// The contracts the client calls, as the worker fixture serves them. `wait` twice: the fault case
// with retries calls it as an idempotent contract (the flag is the client's to read).
const WaitParams = t.partial({ ms: t.number, n: t.number })
const WaitResult = t.type({ worker: t.string, n: t.union([t.number, t.null]) })
const Wait = Method.make({ name: 'wait', params: WaitParams, result: WaitResult })
const WaitIdempotent = Method.make({ name: 'wait', params: WaitParams, result: WaitResult, idempotent: true })
const ECHO_TEXT = 'x'.repeat(64)

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
// CPU ms used so far by this process's children (nats-servers, workers) and itself, from /proc (Linux).
const cpuMs = (): Record<string, number> => {
  const out: Record<string, number> = { client: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 }
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(f[1]) !== process.pid) continue
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      const name = cmd.some((a) => a.includes('nats-server')) ? `nats-${d}` : cmd.includes('--raw-responder') ? 'raw' : `worker-${d}`
      out[name] = ((Number(f[11]) + Number(f[12])) * 1000) / 100
    } catch {
      // gone
    }
  }
  return out
}
const cpuDiff = (a: Record<string, number>, b: Record<string, number>, calls: number): string =>
  Object.keys(b)
    .filter((k) => b[k] - (a[k] ?? 0) > 0)
    .map((k) => `${k} ${(((b[k] - (a[k] ?? 0)) * 1000) / calls).toFixed(1)}us`)
    .join(', ')
const round2 = (x: number): number => Math.round(x * 100) / 100
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// -------------------------------------------------------------------------------------
// processes
// -------------------------------------------------------------------------------------

interface Worker {
  readonly label: string
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
}

const children = new Set<ChildProcess>()
const childArgs = (process.env['CHILD_ARGS'] ?? '').split(' ').filter((a) => a !== '')
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

// Starts a process and resolves once it printed a line starting with `ready`.
const startProcess = (args: ReadonlyArray<string>, label: string): Promise<Worker> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childArgs, '--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(child)
    const exited = new Promise<number | null>((done) =>
      child.once('exit', (code) => {
        children.delete(child)
        done(code)
      }),
    )
    let out = ''
    let err = ''
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (/^ready/m.test(out)) resolve({ label, child, exited })
    })
    void exited.then((code) => reject(new Error(`${label} exited with ${code} before it was ready: ${err}`)))
  })

const startWorker = (url: string, subject: string, label: string, delayMs: number, concurrency: number): Promise<Worker> =>
  startProcess(['test/fixtures/natsWorker.ts', url, `--subject=${subject}`, `--delay=${delayMs}`, `--concurrency=${concurrency}`, `--label=${label}`], label)

const stopAll = async (workers: ReadonlyArray<Worker>): Promise<void> => {
  await Promise.all(
    workers.map((w) => {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM')
      return w.exited
    }),
  )
}

// -------------------------------------------------------------------------------------
// load
// -------------------------------------------------------------------------------------

interface Counted {
  readonly ok: number
  readonly failed: number
  readonly perSecond: number
  /** Failures by their kind, for the report. */
  readonly failures: Readonly<Record<string, number>>
}

/**
 * Keeps `inFlight` calls of `one` going for `ms`; calls that finish in time count. Calls still in
 * flight then are awaited and counted too when `settleAll` (the fault cases: every call is either
 * answered or lost), and not when not (the throughput cases).
 */
const load = async (
  inFlight: number,
  ms: number,
  one: (n: number) => Promise<string | undefined>,
  settleAll = false,
  at?: (elapsed: number) => void,
): Promise<Counted> => {
  let ok = 0
  let failed = 0
  const failures: Record<string, number> = {}
  let n = 0
  const started = performance.now()
  const end = started + ms
  let counting = true
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      const failure = await one(n++)
      if (!counting && !settleAll) continue
      if (failure === undefined) ok++
      else {
        failed++
        failures[failure] = (failures[failure] ?? 0) + 1
      }
      at?.(performance.now() - started)
    }
  }
  const lanes = Array.from({ length: inFlight }, lane)
  await sleep(ms)
  const elapsed = performance.now() - started
  const counted = ok
  counting = false
  await Promise.all(lanes)
  return { ok: settleAll ? ok : counted, failed, perSecond: (counted / elapsed) * 1000, failures }
}

// A failure's kind, as the report names it.
const kindOf = (e: ClientError.ClientError<never, Nats.NatsError>): string => (e._tag === 'TransportError' ? `TransportError.${e.error._tag}` : e._tag)

// -------------------------------------------------------------------------------------
// the raw responder (the floor's server)
// -------------------------------------------------------------------------------------

// fp-jsonrpc as built in dist/ (see the header, 2.); the types are the sources'.
interface Built {
  readonly Lib: typeof import('../src/index.js')
  readonly Nats: typeof import('../src/nats/index.js')
}
const loadBuilt = async (): Promise<Built> => {
  const built = new URL('../dist/esm/', import.meta.url)
  try {
    return {
      Lib: (await import(new URL('index.js', built).href)) as Built['Lib'],
      Nats: (await import(new URL('nats/index.js', built).href)) as Built['Nats'],
    }
  } catch (e) {
    throw new Error('fp-jsonrpc is not built in dist/: run `npm run build` first', { cause: e })
  }
}

// The floor's JSON-RPC worker: `echo` served with the built package, as the fixture worker serves it.
const echoWorker = async (url: string, subject: string): Promise<void> => {
  const { Lib, Nats: BuiltNats } = await loadBuilt()
  const BuiltEcho = Lib.Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
  const dispatcher = Lib.Dispatch.make(
    pipe(
      Lib.Registry.empty,
      Lib.Registry.add(BuiltEcho, ({ text }) => E.right(text)),
    ),
  )
  const nc = await connect({ servers: url })
  const served = await BuiltNats.serve(nc, dispatcher, { subject, maxConcurrency: 64 })()
  if (E.isLeft(served)) throw new Error('the echo worker could not subscribe')
  process.stdout.write('ready\n')
  process.once('SIGTERM', () => void served.right.stop().then(() => process.exit(0)))
}

const rawResponder = async (url: string, subject: string): Promise<void> => {
  const nc = await connect({ servers: url })
  // The bytes the JSON-RPC worker answers `echo` with (its id aside, which is the same length for
  // ids of one width): the floor replies with the same payload, without reading the request.
  const answer = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', result: ECHO_TEXT, id: 100000 }))
  nc.subscribe(subject, { queue: 'floor', callback: (_err, msg) => void msg.respond(answer) })
  await nc.flush()
  process.stdout.write('ready\n')
  process.once('SIGTERM', () => void nc.drain().then(() => process.exit(0)))
}

// -------------------------------------------------------------------------------------
// the measures
// -------------------------------------------------------------------------------------

const clientOn = (connection: NatsConnection, subject: string, retry?: Parameters<typeof Nats.transport>[0]['retry']) =>
  Client.make(Nats.transport({ connection, subject, timeoutMs: 10_000, ...(retry === undefined ? {} : { retry }) }))

const throughput = async (cluster: NatsServer.NatsCluster, connection: NatsConnection): Promise<Record<string, number>> => {
  const rounds = env('ROUNDS') ?? 3
  const roundMs = env('ROUND_MS') ?? 2000
  const sizes = [1, 2, 4]
  const concurrency = env('WORKER_CONCURRENCY') ?? 4
  // Calls in flight per worker place: NATS shares a queue group's messages at random, not by load,
  // so a worker is sometimes dealt less than its share; a deep window keeps every worker's places full.
  const WINDOW = 16
  const workers: Array<Worker> = []
  for (const n of sizes) {
    for (let i = 0; i < n; i++) workers.push(await startWorker(cluster.urls[i % cluster.urls.length], `scale.${n}`, `w${n}-${i}`, 5, concurrency))
  }
  try {
    const callOn = (n: number) => {
      const client = clientOn(connection, `scale.${n}`)
      return async (i: number) => {
        const r = await pipe(client, Client.call(Wait, { n: i }))()
        return E.isRight(r) ? undefined : kindOf(r.left)
      }
    }
    const calls = new Map(sizes.map((n) => [n, callOn(n)]))
    for (const n of sizes) await load(WINDOW * concurrency * n, 500, calls.get(n)!) // warm-up
    const ratios: Record<number, Array<number>> = { 2: [], 4: [] }
    const rates: Record<number, Array<number>> = { 1: [], 2: [], 4: [] }
    for (let r = 0; r < rounds; r++) {
      const rate: Record<number, number> = {}
      // The starting set rotates, so a drift of the machine hits every set alike.
      for (let k = 0; k < sizes.length; k++) {
        const n = sizes[(k + r) % sizes.length]
        const counted = await load(WINDOW * concurrency * n, roundMs, calls.get(n)!)
        if (counted.failed > 0) throw new Error(`set ${n}: ${counted.failed} calls failed: ${JSON.stringify(counted.failures)}`)
        rate[n] = counted.perSecond
        rates[n].push(counted.perSecond)
      }
      ratios[2].push(rate[2] / rate[1])
      ratios[4].push(rate[4] / rate[1])
      process.stderr.write(`throughput round ${r + 1}: ${sizes.map((n) => `${n} worker(s) ${Math.round(rate[n])}/s`).join(', ')}\n`)
    }
    return {
      workers_1_per_s: Math.round(median(rates[1])),
      workers_2: round2(median(ratios[2])),
      workers_4: round2(median(ratios[4])),
    }
  } finally {
    await stopAll(workers)
  }
}

const floor = async (cluster: NatsServer.NatsCluster, connection: NatsConnection): Promise<number> => {
  const rounds = env('ROUNDS') ?? 5
  const roundMs = env('ROUND_MS') ?? 1500
  const url = cluster.urls[0]
  const { Lib, Nats: BuiltNats } = await loadBuilt()
  const worker = await startProcess(['bench/scale.ts', '--echo-worker', url, 'echo.rpc'], 'echo')
  const raw = await startProcess(['bench/scale.ts', '--raw-responder', url, 'echo.raw'], 'raw')
  try {
    const BuiltEcho = Lib.Method.make({ name: 'echo', params: t.type({ text: t.string }), result: t.string })
    const client = Lib.Client.make(BuiltNats.transport({ connection, subject: 'echo.rpc', timeoutMs: 10_000 }))
    const rpc = async (): Promise<string | undefined> => {
      const r = await pipe(client, Lib.Client.call(BuiltEcho, { text: ECHO_TEXT }))()
      return E.isRight(r) && r.right === ECHO_TEXT ? undefined : 'wrong'
    }
    const request = new TextEncoder().encode(JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { text: ECHO_TEXT }, id: 100000 }))
    const plain = async (): Promise<string | undefined> => {
      try {
        const m = await connection.request('echo.raw', request, { timeout: 10_000 })
        return m.data.length > 0 ? undefined : 'empty'
      } catch {
        return 'failed'
      }
    }
    await load(64, 500, rpc)
    await load(64, 500, plain)
    const ratios: Array<number> = []
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0
      const c0 = cpuMs()
      const a = await load(64, roundMs, first ? rpc : plain)
      const c1 = cpuMs()
      const b = await load(64, roundMs, first ? plain : rpc)
      const c2 = cpuMs()
      if (process.env['CPU'] !== undefined) {
        process.stderr.write(`  cpu per call, ${first ? 'JSON-RPC' : 'raw'}: ${cpuDiff(c0, c1, a.ok)}\n`)
        process.stderr.write(`  cpu per call, ${first ? 'raw' : 'JSON-RPC'}: ${cpuDiff(c1, c2, b.ok)}\n`)
      }
      const [ours, theirs] = first ? [a, b] : [b, a]
      if (ours.failed + theirs.failed > 0) throw new Error(`the floor measure had failures: ${JSON.stringify([ours.failures, theirs.failures])}`)
      ratios.push(ours.perSecond / theirs.perSecond)
      process.stderr.write(`floor round ${r + 1}: JSON-RPC ${Math.round(ours.perSecond)}/s, raw NATS ${Math.round(theirs.perSecond)}/s\n`)
    }
    return round2(median(ratios))
  } finally {
    await stopAll([worker, raw])
  }
}

interface Fault {
  readonly lost: number
  readonly answered: number
  readonly failures: Readonly<Record<string, number>>
  readonly resumed?: boolean
}

// One fault case: two fresh workers on their own subject, load, the fault at 1 s.
const faultCase = async (
  name: string,
  connection: NatsConnection,
  options: { readonly workerUrls: readonly [string, string]; readonly retry?: boolean; readonly fault: (victim: Worker) => Promise<void> },
): Promise<Fault> => {
  const subject = `fault.${name}`
  const workers = [await startWorker(options.workerUrls[0], subject, `${name}-a`, 5, 8), await startWorker(options.workerUrls[1], subject, `${name}-b`, 5, 8)]
  try {
    const client = options.retry === true ? clientOn(connection, subject, { maxAttempts: 3, attemptTimeoutMs: 300 }) : clientOn(connection, subject)
    const contract = options.retry === true ? WaitIdempotent : Wait
    const timeoutMs = options.retry === true ? 3000 : 1000
    // Which worker answered after the fault (for the server-kill case: did the victim come back?).
    const answeredBy = new Set<string>()
    let faultAt = Infinity
    const one = async (i: number): Promise<string | undefined> => {
      const r = await pipe(client, Client.call(contract, { n: i }, { timeoutMs }))()
      if (E.isLeft(r)) return kindOf(r.left)
      if (performance.now() > faultAt + 2500) answeredBy.add(r.right.worker)
      return undefined
    }
    await load(32, 300, one, true) // warm-up: both workers answer
    const running = load(32, 3000 + (name === 'server_kill' ? 3000 : 0), one, true)
    await sleep(1000)
    faultAt = performance.now()
    await options.fault(workers[0])
    const counted = await running
    process.stderr.write(`fault ${name}: ${counted.ok} answered, ${counted.failed} lost ${JSON.stringify(counted.failures)}\n`)
    return {
      lost: counted.failed,
      answered: counted.ok,
      failures: counted.failures,
      ...(name === 'server_kill' ? { resumed: answeredBy.has(workers[0].label) } : {}),
    }
  } finally {
    await stopAll(workers)
  }
}

const main = async (): Promise<void> => {
  if (process.argv[2] === '--raw-responder') return rawResponder(process.argv[3], process.argv[4])
  if (process.argv[2] === '--echo-worker') return echoWorker(process.argv[3], process.argv[4])

  const cluster = await NatsServer.startCluster(3)
  const [first, second, third] = cluster.urls as [string, string, string]
  // The client on the first member; it knows the others, and fails over to them.
  const connection = await connect({ servers: [first, second, third] })
  const only = process.env['ONLY']
  try {
    if (only === 'throughput') return void process.stdout.write(`${JSON.stringify({ bench: 'scale', ...(await throughput(cluster, connection)) })}\n`)
    if (only === 'floor') return void process.stdout.write(`${JSON.stringify({ bench: 'scale', nats_vs_floor: await floor(cluster, connection) })}\n`)
    const scaled = only === 'faults' ? {} : await throughput(cluster, connection)
    const natsVsFloor = only === 'faults' ? null : await floor(cluster, connection)
    const kill = (victim: Worker) => Promise.resolve(void victim.child.kill('SIGKILL'))
    const sigkill = await faultCase('sigkill', connection, { workerUrls: [second, third], fault: kill })
    const sigkillRetry = await faultCase('sigkill_retry', connection, { workerUrls: [second, third], retry: true, fault: kill })
    const sigterm = await faultCase('sigterm', connection, {
      workerUrls: [second, third],
      fault: async (victim) => {
        victim.child.kill('SIGTERM')
        const code = await victim.exited
        if (code !== 0) throw new Error(`the worker stopped with SIGTERM exited ${code}`)
      },
    })
    // Last, as it leaves the cluster one member short: the victim worker's server dies under it.
    const serverKill = await faultCase('server_kill', connection, {
      workerUrls: [second, third],
      fault: () => cluster.servers[1].kill(),
    })
    const result = {
      bench: 'scale',
      cores: cpus().length,
      ...scaled,
      nats_vs_floor: natsVsFloor,
      lost_sigkill: sigkill.lost,
      lost_sigkill_retry: sigkillRetry.lost,
      lost_sigterm: sigterm.lost,
      lost_server_kill: serverKill.lost,
      resumed_after_server_kill: serverKill.resumed ?? false,
      answered: { sigkill: sigkill.answered, sigkill_retry: sigkillRetry.answered, sigterm: sigterm.answered, server_kill: serverKill.answered },
      cpu_bound:
        cpus().length >= 5
          ? 'not measured by this bench'
          : `not measured: ${cpus().length} cores cannot show CPU-bound scaling past ${cpus().length} processes`,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    await connection.close()
    await cluster.stop()
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scale failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
  process.exit(1)
})

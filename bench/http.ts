/**
 * Requests per second over HTTP on loopback: fp-jsonrpc's `serve` against a bare node:http floor,
 * json-rpc-2.0 behind node:http, and jayson's HTTP server, each loaded by autocannon with the
 * specification's subtract request.
 *
 *   npm run bench:http                                    # defaults: 3 rounds of 5 s samples
 *   BENCH_HTTP_ROUNDS=5 BENCH_HTTP_SAMPLE_S=10 npm run bench:http
 *
 * Environment:
 *   BENCH_HTTP_ROUNDS       timed rounds (default 3)
 *   BENCH_HTTP_SAMPLE_S     seconds of one timed sample (default 5)
 *   BENCH_HTTP_WARMUP_S     seconds of the untimed warm-up of each server (default 3)
 *   BENCH_HTTP_CONNECTIONS  autocannon's connections (default 50)
 *   BENCH_HTTP_PIN          1: pin autocannon to CPU 0 and the servers to CPU 1 with taskset; 0: do
 *                           not (default 1 when there are 2 CPUs or more and taskset is found)
 *
 * Method. Each contestant's server runs in a child process of its own (this file, run with
 * `--serve <name>`), listening on 127.0.0.1 on a port the system chooses; autocannon runs in this
 * process, so a server never shares its event loop with the load. The servers are started one at a
 * time; each is checked for the right answer (status 200, a JSON content type, the JSON-RPC result
 * 19 for id 1), and its exact answer text becomes autocannon's `expectBody`, so every timed answer is
 * checked too (a mismatch, an error or a non-2xx fails the run). Each is then warmed up (untimed).
 * Each round takes one sample of every contestant, one after the other, the starting contestant
 * rotating each round, so slow drifts of the machine hit everyone alike. Only the contestant being
 * sampled has work; the others sit idle.
 *
 * Every request is `POST /` with `Content-Type: application/json` and the body
 * `{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}`, on keep-alive connections,
 * without pipelining. The table gives, per contestant, the median over rounds of requests per second
 * (answers received / sample duration), its ratio to the floor's median, the median of the
 * round-by-round ratios ("paired", a check), the spread of the samples (max - min over median), the
 * median of the samples' p99 latency (autocannon measures in whole milliseconds), and the server's
 * CPU time per answer (its process's user + system time over the sample, asked before and after,
 * divided by the answers) with its ratio to the floor's ("cpu ratio", floor / contestant, so higher
 * is better as for req/s). On 2 CPUs autocannon needs a whole one, so req/s ratios are squeezed
 * towards 1 when the client is the bottleneck, and a busy machine moves them; the CPU per answer
 * shows the server's own cost, and moves less with the machine's other load.
 *
 * The contestants:
 * - floor: a node:http handler that reads the body, JSON.parse, a Map lookup, the call,
 *   JSON.stringify, 200 with Content-Type and Content-Length. No checks at all (method, path,
 *   content type, request shape, params).
 * - json-rpc-2.0: its JSONRPCServer behind the same node:http body reading, answering as its README
 *   does (`receiveJSON`, then 200 with JSON.stringify of the response, 204 for none).
 * - jayson: `new jayson.Server(methods).http()`, its own HTTP server.
 * - fp-jsonrpc: `serve` from fp-jsonrpc/http, with a `subtract` contract whose params are an io-ts
 *   codec (`{ minuend: number, subtrahend: number }`, read by position here), loaded from the
 *   compiled package in dist/ (the script builds it first), as users run it.
 *
 * The last line of output is one JSON object: the req/s ratios to the floor (`fp_jsonrpc`,
 * `jsonrpc2`, `jayson`), the floor's req/s, the p99s in ms, and the CPU ratios (`cpu_*`).
 */
import autocannon, { type Result } from 'autocannon'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import jayson from 'jayson'
import { JSONRPCServer } from 'json-rpc-2.0'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer, type IncomingMessage, type Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Method } from '../src/index.js'

// -------------------------------------------------------------------------------------
// configuration
// -------------------------------------------------------------------------------------

const envNumber = (name: string, fallback: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${name} must be a positive number, got ${raw}`)
  return n
}

const ROUNDS = Math.floor(envNumber('BENCH_HTTP_ROUNDS', 3))
const SAMPLE_S = envNumber('BENCH_HTTP_SAMPLE_S', 5)
const WARMUP_S = envNumber('BENCH_HTTP_WARMUP_S', 3)
const CONNECTIONS = Math.floor(envNumber('BENCH_HTTP_CONNECTIONS', 50))

const REQUEST = '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}'

type Name = 'floor' | 'json-rpc-2.0' | 'jayson' | 'fp-jsonrpc'
const NAMES: ReadonlyArray<Name> = ['floor', 'json-rpc-2.0', 'jayson', 'fp-jsonrpc']
const isName = (s: string | undefined): s is Name => NAMES.includes(s as Name)

// -------------------------------------------------------------------------------------
// the servers (each runs in a child process: `--serve <name>`)
// -------------------------------------------------------------------------------------

/** The whole body as text: how the floor and json-rpc-2.0's adapter read a request. */
const onBody = (req: IncomingMessage, done: (text: string) => void): void => {
  const chunks: Array<Buffer> = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
}

type FloorMethod = (params: unknown) => unknown
interface FloorRequest {
  readonly method: string
  readonly params: unknown
  readonly id: unknown
}

const floor = (): NodeServer => {
  const methods = new Map<string, FloorMethod>([['subtract', (params) => (params as [number, number])[0] - (params as [number, number])[1]]])
  return createServer((req, res) =>
    onBody(req, (text) => {
      const request = JSON.parse(text) as FloorRequest
      const result = (methods.get(request.method) as FloorMethod)(request.params)
      const body = JSON.stringify({ jsonrpc: '2.0', result, id: request.id })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }),
  )
}

const jsonRpc2 = (): NodeServer => {
  const rpc = new JSONRPCServer()
  rpc.addMethod('subtract', (params) => (params as [number, number])[0] - (params as [number, number])[1])
  return createServer((req, res) =>
    onBody(req, (text) => {
      void rpc.receiveJSON(text).then((answer) => {
        if (answer === null) {
          res.writeHead(204).end()
          return
        }
        const body = JSON.stringify(answer)
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      })
    }),
  )
}

const jaysonServer = (): NodeServer =>
  new jayson.Server({
    subtract: (params: jayson.RequestParamsLike, callback: jayson.JSONRPCCallbackTypePlain) => {
      const p = params as [number, number]
      callback(null, p[0] - p[1])
    },
  }).http()

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })

const listenOn = (server: NodeServer): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })

/** Starts one contestant's server, prints `{"port": N}`, and exits when stdin ends. */
const serveContestant = async (name: Name): Promise<void> => {
  let port: number
  if (name === 'fp-jsonrpc') {
    // The compiled package, as users run it (`npm run bench:http` builds it first): under tsx, every
    // named closure made per request pays an Object.defineProperty (esbuild's keepNames) that the
    // build does not, which skews a per-request comparison. The types are the sources'.
    const built = new URL('../dist/esm/', import.meta.url)
    const Lib = (await import(new URL('index.js', built).href)) as typeof import('../src/index.js')
    const Http = (await import(new URL('http/index.js', built).href)) as typeof import('../src/http/index.js')
    const dispatcher = Lib.Dispatch.make(
      pipe(
        Lib.Registry.empty,
        Lib.Registry.add(Subtract, ({ minuend, subtrahend }) => E.right(minuend - subtrahend)),
      ),
    )
    const started = await Http.serve({ dispatcher })()
    if (E.isLeft(started)) throw new Error(`serve could not listen: ${String(started.left.cause)}`)
    port = started.right.address.port
  } else {
    port = await listenOn(name === 'floor' ? floor() : name === 'jayson' ? jaysonServer() : jsonRpc2())
  }
  // Each line `cpu` on stdin is answered with this process's CPU time so far, in microseconds.
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.trim() !== 'cpu') continue
      const { user, system } = process.cpuUsage()
      process.stdout.write(`${JSON.stringify({ cpuUs: user + system })}\n`)
    }
  })
  process.stdin.on('end', () => process.exit(0))
  process.stdout.write(`${JSON.stringify({ port })}\n`)
}

// -------------------------------------------------------------------------------------
// the children
// -------------------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))

const hasTaskset = (): boolean => spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
const PIN = process.env['BENCH_HTTP_PIN'] === undefined ? availableParallelism() >= 2 && hasTaskset() : process.env['BENCH_HTTP_PIN'] === '1'

interface Sample {
  readonly round: number
  /** Answers per second. */
  readonly rps: number
  /** p99 latency, ms. */
  readonly p99: number
  /** The server's CPU time (user + system) per answer, in microseconds. */
  readonly cpuUs: number
}

interface Contestant {
  readonly name: Name
  readonly child: ChildProcess
  readonly url: string
  /** The server process's CPU time so far, in microseconds. */
  readonly cpu: () => Promise<number>
  expectBody: string
  readonly samples: Array<Sample>
}

const start = (name: Name): Promise<Contestant> =>
  new Promise((resolve, reject) => {
    const node = [process.execPath, '--import', 'tsx', self, '--serve', name]
    const [command, ...args] = PIN ? ['taskset', '-c', '1', ...node] : node
    const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] })
    let out = ''
    // The child's stdout is a line per message: first its port, then one answer per `cpu` asked.
    const waiting: Array<(cpuUs: number) => void> = []
    const cpu = (): Promise<number> =>
      new Promise((answer) => {
        waiting.push(answer)
        child.stdin?.write('cpu\n')
      })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the ${name} server exited (${code}) before listening`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      for (let newline = out.indexOf('\n'); newline !== -1; newline = out.indexOf('\n')) {
        const message = JSON.parse(out.slice(0, newline)) as { port?: number; cpuUs?: number }
        out = out.slice(newline + 1)
        if (message.port !== undefined) resolve({ name, child, url: `http://127.0.0.1:${message.port}/`, cpu, expectBody: '', samples: [] })
        else waiting.shift()?.(message.cpuUs as number)
      }
    })
  })

const stop = (c: Contestant): Promise<void> =>
  new Promise((resolve) => {
    if (c.child.exitCode !== null) return resolve()
    const kill = setTimeout(() => c.child.kill(), 2_000)
    c.child.removeAllListeners('exit')
    c.child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    c.child.stdin?.end()
  })

// -------------------------------------------------------------------------------------
// verification, load, statistics
// -------------------------------------------------------------------------------------

/** Checks the answer to the benchmark's request, and gives its exact text. */
const verify = async (c: Contestant): Promise<string> => {
  const response = await fetch(c.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: REQUEST })
  const text = await response.text()
  const contentType = response.headers.get('content-type') ?? ''
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch {
    answer = undefined
  }
  const a = answer as { jsonrpc?: unknown; result?: unknown; id?: unknown; error?: unknown } | undefined
  const ok =
    response.status === 200 &&
    /^application\/json\b/.test(contentType) &&
    a !== undefined &&
    a.jsonrpc === '2.0' &&
    a.result === 19 &&
    a.id === 1 &&
    !('error' in a)
  if (!ok) throw new Error(`${c.name} answered ${response.status} (${contentType}) ${text.slice(0, 200)}; expected {"jsonrpc":"2.0","result":19,"id":1}`)
  return text
}

const load = (c: Contestant, seconds: number): Promise<Result> =>
  autocannon({
    url: c.url,
    connections: CONNECTIONS,
    duration: seconds,
    pipelining: 1,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REQUEST,
    expectBody: c.expectBody,
  })

const checkLoad = (c: Contestant, r: Result): void => {
  if (r.errors > 0 || r.timeouts > 0 || r.non2xx > 0 || r.mismatches > 0 || r['2xx'] === 0) {
    throw new Error(`${c.name}: ${r['2xx']} answers, ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx, ${r.mismatches} wrong bodies`)
  }
}

const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  const at = (s.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return s[lo] + (s[hi] - s[lo]) * (at - lo)
}
const median = (xs: ReadonlyArray<number>): number => quantile(xs, 0.5)

// -------------------------------------------------------------------------------------
// main
// -------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  const startedAt = Date.now()
  const cpus = availableParallelism()
  if (PIN) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })
  console.log(
    `HTTP benchmark: ${ROUNDS} rounds x ${SAMPLE_S} s per sample, ${WARMUP_S} s warm-up, ${CONNECTIONS} connections, ` +
      `node ${process.version}, ${cpus} CPUs, ${PIN ? 'autocannon pinned to CPU 0, servers to CPU 1' : 'no CPU pinning'}`,
  )
  console.log(`POST / ${REQUEST}`)

  const contestants: Array<Contestant> = []
  try {
    for (const name of NAMES) {
      const c = await start(name)
      contestants.push(c)
      c.expectBody = await verify(c)
      checkLoad(c, await load(c, WARMUP_S))
      console.log(`  ${name.padEnd(13)} answers ${c.expectBody} (warmed up)`)
    }

    for (let round = 0; round < ROUNDS; round++) {
      const order = contestants.map((_, i) => contestants[(i + round) % contestants.length])
      const line: Array<string> = []
      for (const c of order) {
        const cpuBefore = await c.cpu()
        const r = await load(c, SAMPLE_S)
        const cpuUs = ((await c.cpu()) - cpuBefore) / r.requests.total
        checkLoad(c, r)
        const rps = r.requests.total / r.duration
        c.samples.push({ round, rps, p99: r.latency.p99, cpuUs })
        line.push(`${c.name} ${Math.round(rps)}`)
      }
      console.log(`  round ${round + 1}/${ROUNDS}: ${line.join(', ')} req/s`)
    }
  } finally {
    await Promise.all(contestants.map(stop))
  }

  const byName = new Map(contestants.map((c) => [c.name, c]))
  const floorC = byName.get('floor') as Contestant
  const floorMedian = median(floorC.samples.map((s) => s.rps))
  const floorByRound = new Map(floorC.samples.map((s) => [s.round, s.rps]))
  const stats = contestants.map((c) => {
    const rps = c.samples.map((s) => s.rps)
    const m = median(rps)
    return {
      name: c.name,
      median: m,
      ratio: m / floorMedian,
      paired: median(c.samples.map((s) => s.rps / (floorByRound.get(s.round) as number))),
      spread: (Math.max(...rps) - Math.min(...rps)) / m,
      p99: median(c.samples.map((s) => s.p99)),
      cpuUs: median(c.samples.map((s) => s.cpuUs)),
    }
  })
  const floorCpu = (stats.find((s) => s.name === 'floor') as (typeof stats)[number]).cpuUs

  const pad = (s: string, w: number) => s.padEnd(w)
  const lpad = (s: string, w: number) => s.padStart(w)
  console.log('')
  console.log(
    `${pad('contestant', 14)}${lpad('median req/s', 13)}${lpad('ratio', 8)}${lpad('paired', 8)}${lpad('spread', 8)}${lpad('p99 ms', 8)}` +
      `${lpad('server us/req', 15)}${lpad('cpu ratio', 11)}`,
  )
  for (const s of stats) {
    console.log(
      `${pad(s.name, 14)}${lpad(Math.round(s.median).toString(), 13)}${lpad(s.ratio.toFixed(2), 8)}${lpad(s.paired.toFixed(2), 8)}` +
        `${lpad((s.spread * 100).toFixed(1) + '%', 8)}${lpad(s.p99.toFixed(0), 8)}${lpad(s.cpuUs.toFixed(1), 15)}${lpad((floorCpu / s.cpuUs).toFixed(2), 11)}`,
    )
  }

  const stat = (n: Name) => stats.find((s) => s.name === n) as (typeof stats)[number]
  const fp = stat('fp-jsonrpc')
  const j2 = stat('json-rpc-2.0')
  const floorMet = fp.ratio >= 0.97
  const aheadMet = fp.median > j2.median
  console.log('')
  console.log(
    `goal (the project's): fp-jsonrpc >= 0.97x the floor and ahead of json-rpc-2.0 in the same run: ` +
      `${fp.ratio.toFixed(2)}x the floor (${floorMet ? 'met' : 'missed'}), ` +
      `${(fp.median / j2.median).toFixed(2)}x json-rpc-2.0 (${aheadMet ? 'ahead' : 'behind'}) => ${floorMet && aheadMet ? 'MET' : 'MISSED'}`,
  )
  console.log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`)
  const round2 = (x: number) => Math.round(x * 100) / 100
  console.log(
    JSON.stringify({
      fp_jsonrpc: round2(fp.ratio),
      jsonrpc2: round2(j2.ratio),
      jayson: round2(stat('jayson').ratio),
      floor_rps: Math.round(floorMedian),
      p99_ms_floor: stat('floor').p99,
      p99_ms_fp_jsonrpc: fp.p99,
      p99_ms_jsonrpc2: j2.p99,
      p99_ms_jayson: stat('jayson').p99,
      cpu_fp_jsonrpc: round2(floorCpu / fp.cpuUs),
      cpu_jsonrpc2: round2(floorCpu / j2.cpuUs),
      cpu_jayson: round2(floorCpu / stat('jayson').cpuUs),
    }),
  )
}

if (process.argv[2] === '--serve') {
  const name = process.argv[3]
  if (!isName(name)) throw new Error(`--serve takes one of ${NAMES.join(', ')}; got ${String(name)}`)
  await serveContestant(name)
} else {
  await main()
}

/**
 * fp-jsonrpc/cluster with real processes: each test starts a primary (`node --import tsx` on a
 * fixture under test/fixtures/cluster-*.ts) on a free port of 127.0.0.1, reads its events from its
 * stdout, calls it over HTTP with a connection per call (no keep-alive, so each call may go to another
 * worker), and stops every process it started, even when it fails. The restart policy, pure, is tested
 * in process.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import * as Restarts from '../src/internal/cluster/restarts.js'
import * as Cluster from '../src/cluster/index.js'

const root = fileURLToPath(new URL('..', import.meta.url))

// -------------------------------------------------------------------------------------
// processes
// -------------------------------------------------------------------------------------

type Line = { readonly event?: Cluster.Event; readonly ready?: boolean; readonly begun?: number }

interface Started {
  readonly child: ChildProcess
  readonly lines: Array<Line>
  readonly stderr: () => string
  /** Settles with the first line (from the start) that `match` accepts; rejects after `ms`. */
  readonly waitFor: (match: (line: Line) => boolean, ms?: number) => Promise<Line>
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly events: () => ReadonlyArray<Cluster.Event>
}

const started: Array<Started> = []

const start = (fixture: string, env: Record<string, string>): Started => {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/fixtures/${fixture}`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Array<Line> = []
  const waiting = new Set<() => void>()
  let buffered = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    let end: number
    while ((end = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, end)
      buffered = buffered.slice(end + 1)
      if (text.startsWith('{')) lines.push(JSON.parse(text) as Line)
    }
    for (const check of waiting) check()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const waitFor = (match: (line: Line) => boolean, ms = 15_000): Promise<Line> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match)
        if (found === undefined) return
        cleanup()
        resolve(found)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out; lines: ${JSON.stringify(lines)}; stderr: ${stderr}`))
      }, ms)
      const cleanup = (): void => {
        clearTimeout(timer)
        waiting.delete(check)
      }
      waiting.add(check)
      check()
    })
  const events = (): ReadonlyArray<Cluster.Event> => lines.flatMap((l) => (l.event === undefined ? [] : [l.event]))
  const s: Started = { child, lines, stderr: () => stderr, waitFor, exited, events }
  started.push(s)
  return s
}

const forkedPids = (s: Started): ReadonlyArray<number> => s.events().flatMap((e) => (e._tag === 'Forked' ? [e.pid] : []))

// A process that has exited but is not yet reaped (a zombie: a worker whose primary died waits for
// init to reap it) is not alive.
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

const gone = async (pids: ReadonlyArray<number>, ms = 10_000): Promise<ReadonlyArray<number>> => {
  const until = Date.now() + ms
  while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  return pids.filter(alive)
}

// Every process a test started is killed, the primary and each worker it forked, whatever happened.
afterEach(async () => {
  for (const s of started.splice(0)) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL')
    for (const pid of forkedPids(s)) if (alive(pid)) process.kill(pid, 'SIGKILL')
  }
})

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const portIsFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })

type Answer = { readonly _tag: 'Answer'; readonly result: unknown } | { readonly _tag: 'Failed'; readonly why: string }

// One call, on a connection of its own unless an agent is given; failures are values.
const call = (port: number, method: string, params?: unknown, timeoutMs = 5_000, agent: Agent | false = false): Promise<Answer> =>
  new Promise((resolve) => {
    const body = JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id: 1 })
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as { result?: unknown }
            resolve('result' in parsed ? { _tag: 'Answer', result: parsed.result } : { _tag: 'Failed', why: text })
          } catch {
            resolve({ _tag: 'Failed', why: `status ${res.statusCode}: ${text}` })
          }
        })
        res.on('error', (e) => resolve({ _tag: 'Failed', why: e.message }))
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')))
    req.on('error', (e) => resolve({ _tag: 'Failed', why: e.message }))
    req.end(body)
  })

const readyPids = (s: Started): ReadonlyArray<number> => s.events().flatMap((e) => (e._tag === 'Ready' ? [e.pid] : []))

const startServing = async (env: Record<string, string> = {}): Promise<{ s: Started; port: number }> => {
  const port = await freePort()
  const s = start('cluster-serve.ts', { PORT: String(port), ...env })
  await s.waitFor((l) => l.ready === true, 30_000)
  return { s, port }
}

// -------------------------------------------------------------------------------------
// specification
// -------------------------------------------------------------------------------------

describe('n workers share one port', () => {
  test('calls on separate connections are answered by more than one worker, each one the primary forked', async () => {
    const { s, port } = await startServing({ WORKERS: '3' })
    const answers = []
    for (let i = 0; i < 60; i++) answers.push(await call(port, 'pid'))
    const pids = new Set(answers.map((a) => (a._tag === 'Answer' ? a.result : a.why)))
    expect([...pids].every((pid) => readyPids(s).includes(pid as number))).toBe(true)
    expect(pids.size).toBeGreaterThan(1)
    expect(readyPids(s)).toHaveLength(3)
    s.child.kill('SIGTERM')
    expect(await s.exited).toEqual({ code: 0, signal: null })
  })
})

describe('a worker that dies is restarted', () => {
  test('SIGKILL to a worker under load: a new worker answers, the others kept answering, and the calls lost are few', async () => {
    const { s, port } = await startServing({ WORKERS: '2' })
    const [victim] = readyPids(s)
    const counts = { ok: 0, failed: 0, afterRestart: 0 }
    const failures: Array<string> = []
    const answeredBy = new Set<unknown>()
    let running = true
    const concurrency = 4
    const loop = async (): Promise<void> => {
      while (running) {
        const a = await call(port, 'slow', { ms: 5 })
        if (a._tag === 'Answer') {
          counts.ok++
          answeredBy.add(a.result)
        } else {
          counts.failed++
          failures.push(a.why)
        }
      }
    }
    const loops = Array.from({ length: concurrency }, loop)
    await new Promise((r) => setTimeout(r, 300))
    const beforeKill = counts.ok
    process.kill(victim, 'SIGKILL')
    const exited = await s.waitFor((l) => l.event?._tag === 'Exited' && l.event.pid === victim)
    await s.waitFor((l) => l.event?._tag === 'Restarting' && l.event.slot === (exited.event as { slot: number }).slot)
    const replacement = (await s.waitFor((l) => l.event?._tag === 'Ready' && !readyPids(s).slice(0, 2).includes(l.event.pid))).event as { pid: number }
    const atRestart = counts.ok
    await new Promise((r) => setTimeout(r, 500))
    running = false
    await Promise.all(loops)
    counts.afterRestart = counts.ok - atRestart
    console.log(`SIGKILL under load: ${counts.ok} calls answered, ${counts.failed} failed (${JSON.stringify(failures)})`)

    expect(exited.event).toMatchObject({ _tag: 'Exited', code: null, signal: 'SIGKILL', expected: false })
    expect(beforeKill).toBeGreaterThan(0)
    expect(counts.afterRestart).toBeGreaterThan(0)
    expect(answeredBy.has(replacement.pid)).toBe(true)
    // At most the calls in flight at the kill are lost: each loop has one at a time.
    expect(counts.failed).toBeLessThanOrEqual(concurrency)
    s.child.kill('SIGTERM')
    expect(await s.exited).toEqual({ code: 0, signal: null })
  })

  test('SIGTERM to one worker: its calls in flight are answered, it exits 0, and it is replaced', async () => {
    const { s, port } = await startServing({ WORKERS: '2' })
    const [victim] = readyPids(s)
    const burst = Array.from({ length: 8 }, () => call(port, 'slow', { ms: 300 }))
    await s.waitFor(() => s.lines.filter((l) => l.begun !== undefined).length === 8)
    const inFlight = s.lines.filter((l) => l.begun === victim).length
    process.kill(victim, 'SIGTERM')
    const answers = await Promise.all(burst)
    expect(answers.filter((a) => a._tag === 'Failed')).toEqual([])
    expect(answers.filter((a) => a._tag === 'Answer' && a.result === victim).length).toBe(inFlight)
    expect((await s.waitFor((l) => l.event?._tag === 'Exited' && l.event.pid === victim)).event).toMatchObject({ code: 0, expected: false })
    await s.waitFor(() => readyPids(s).length === 3)
    expect(readyPids(s)).toHaveLength(3)
    s.child.kill('SIGTERM')
    expect(await s.exited).toEqual({ code: 0, signal: null })
  })

  test('a worker that throws at start is restarted within the bound, then the primary gives up and exits 1', async () => {
    const s = start('cluster-crash.ts', { MAX_RESTARTS: '4' })
    const exit = await s.exited
    const events = s.events()
    expect(exit).toEqual({ code: 1, signal: null })
    // 2 workers forked, 4 restarts granted, and the 5th unexpected exit is a crash loop.
    expect(events.filter((e) => e._tag === 'Forked')).toHaveLength(6)
    expect(events.filter((e) => e._tag === 'Restarting')).toHaveLength(4)
    // Every one exits 1; the 5th to exit unexpectedly is the crash loop, and a 6th still starting then
    // is asked to stop (and exits 1 all the same, as its start throws).
    const exits = events.filter((e) => e._tag === 'Exited')
    expect(exits).toHaveLength(6)
    expect(exits.every((e) => e.code === 1)).toBe(true)
    expect(exits.filter((e) => !e.expected).length).toBeGreaterThanOrEqual(5)
    expect(events.filter((e) => e._tag === 'GaveUp')).toEqual([{ _tag: 'GaveUp', restarts: 4, windowMs: 60_000 }])
    expect(events.at(-1)).toMatchObject({ _tag: 'Stopped', reason: 'crash-loop', ok: false, killed: [] })
    // Each failed start is one line on stderr, without a stack.
    expect(s.stderr()).toMatch(/worker \d+ could not start: Error: no configuration/)
    expect(s.stderr()).not.toMatch(/\n\s+at /)
    expect(await gone(forkedPids(s))).toEqual([])
  })
})

describe('a graceful stop', () => {
  test('SIGTERM to the primary with a burst in flight: every call is answered, every process exits 0, the port is free', async () => {
    const { s, port } = await startServing({ WORKERS: '2' })
    const workers = readyPids(s)
    // An idle keep-alive connection to a worker (kept open 5 s by default) must not hold the stop up.
    const agent = new Agent({ keepAlive: true })
    expect((await call(port, 'pid', undefined, 5_000, agent))._tag).toBe('Answer')
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1)
    const burst = Array.from({ length: 20 }, () => call(port, 'slow', { ms: 200 }))
    await s.waitFor(() => s.lines.filter((l) => l.begun !== undefined).length === 20)
    const signalled = Date.now()
    s.child.kill('SIGTERM')
    const answers = await Promise.all(burst)
    await s.exited
    const stopMs = Date.now() - signalled
    agent.destroy()
    console.log(`SIGTERM with 20 calls in flight: stopped in ${stopMs} ms`)
    expect(stopMs).toBeLessThan(2_000)
    expect(answers.filter((a) => a._tag === 'Failed')).toEqual([])
    expect(new Set(answers.map((a) => (a as { result: unknown }).result))).toEqual(new Set(workers))
    expect(await s.exited).toEqual({ code: 0, signal: null })
    const exits = s.events().filter((e) => e._tag === 'Exited')
    expect(exits).toHaveLength(2)
    for (const e of exits) expect(e).toMatchObject({ code: 0, signal: null, expected: true })
    expect(s.events().at(-1)).toEqual({ _tag: 'Stopped', reason: 'signal', ok: true, killed: [], failed: [] })
    expect(await gone(workers)).toEqual([])
    expect(await portIsFree(port)).toBe(true)
  })

  test('a worker that overruns the deadline is killed, and the primary exits 1', async () => {
    const { s, port } = await startServing({ WORKERS: '1', STOP_TIMEOUT_MS: '300' })
    const [worker] = readyPids(s)
    const slow = call(port, 'slow', { ms: 5_000 })
    await s.waitFor((l) => l.begun === worker)
    s.child.kill('SIGTERM')
    expect((await slow)._tag).toBe('Failed')
    expect(await s.exited).toEqual({ code: 1, signal: null })
    expect(s.events().filter((e) => e._tag === 'Killed')).toEqual([{ _tag: 'Killed', slot: 0, pid: worker }])
    expect(s.events().at(-1)).toEqual({ _tag: 'Stopped', reason: 'signal', ok: false, killed: [worker], failed: [] })
    expect(await gone([worker])).toEqual([])
  })

  test('the primary SIGKILLed: the workers answer the calls they have, then exit', async () => {
    const { s, port } = await startServing({ WORKERS: '2' })
    const workers = readyPids(s)
    const burst = Array.from({ length: 6 }, () => call(port, 'slow', { ms: 300 }))
    await s.waitFor(() => s.lines.filter((l) => l.begun !== undefined).length === 6)
    s.child.kill('SIGKILL')
    const answers = await Promise.all(burst)
    expect(answers.filter((a) => a._tag === 'Failed')).toEqual([])
    expect(await gone(workers)).toEqual([])
    expect(await portIsFree(port)).toBe(true)
  })
})

describe('a worker that takes no port', () => {
  test('SIGTERM to the primary: each worker finishes the job at hand, closes, and exits 0', async () => {
    const s = start('cluster-noport.ts', {})
    await s.waitFor((l) => l.ready === true, 30_000)
    const workers = readyPids(s)
    // A job begun in each worker, so that each has one at hand (or just done) as the stop comes.
    await s.waitFor(() => workers.every((pid) => s.lines.some((l) => (l as { job?: number }).job === pid)))
    s.child.kill('SIGTERM')
    expect(await s.exited).toEqual({ code: 0, signal: null })
    for (const pid of workers) expect(s.lines).toContainEqual({ closed: pid, unfinished: 0 })
    for (const e of s.events().filter((e) => e._tag === 'Exited')) expect(e).toMatchObject({ code: 0, expected: true })
    expect(await gone(workers)).toEqual([])
  })
})

describe('the handle', () => {
  test('with signals: false, stop() stops the workers, and the process ends by itself with code 0', async () => {
    const s = start('cluster-handle.ts', {})
    expect(await s.exited).toEqual({ code: 0, signal: null })
    const workers = readyPids(s)
    const lines = s.lines as ReadonlyArray<Record<string, unknown>>
    expect(lines).toContainEqual({ ready: true })
    const forkedIn = (slot: number): number | undefined => s.events().find((e) => e._tag === 'Forked' && e.slot === slot)?.pid
    expect(lines.find((l) => 'workers' in l && !('stopped' in l))).toEqual({
      workers: [
        { slot: 0, pid: forkedIn(0), ready: true },
        { slot: 1, pid: forkedIn(1), ready: true },
      ],
    })
    expect(lines).toContainEqual({ stopped: { reason: 'stop', ok: true, killed: [], failed: [] }, workers: [] })
    expect(lines).toContainEqual({ same: true })
    expect(await gone(workers)).toEqual([])
  })

  test('counts and durations that are not positive are refused at once, before anything is forked', () => {
    expect(() => Cluster.primary({ workers: 0 })()).toThrow(RangeError)
    expect(() => Cluster.primary({ workers: 1.5 })()).toThrow(RangeError)
    expect(() => Cluster.primary({ workers: 1, restart: { delayMs: -1 } })()).toThrow(RangeError)
    expect(() => Cluster.primary({ workers: 1, stopTimeoutMs: Number.NaN })()).toThrow(RangeError)
  })
})

describe('the restart policy', () => {
  const policy: Restarts.Policy = { delayMs: 100, maxDelayMs: 1_000, maxRestarts: 5, windowMs: 10_000 }

  test("a slot's delay doubles with its restarts in the window, up to the most, and falls back once they leave it", () => {
    const decide = Restarts.decide(policy)
    let history = Restarts.empty
    const delays = []
    for (let i = 0; i < 5; i++) {
      const d = decide(history, 0, 1_000 + i)
      if (d._tag !== 'Restart') throw new Error('gave up')
      delays.push(d.delayMs)
      history = d.history
    }
    expect(delays).toEqual([100, 200, 400, 800, 1_000])
    expect(decide(history, 1, 2_000)).toEqual({ _tag: 'GiveUp', restarts: 5 })
    expect(decide(history, 0, 1_000 + 4 + 10_000)).toMatchObject({ _tag: 'Restart', delayMs: 100, restarts: 1 })
  })

  test('within any window, no more than maxRestarts restarts are granted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3_000 })), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (exits, maxRestarts) => {
          const decide = Restarts.decide({ ...policy, maxRestarts })
          let history = Restarts.empty
          let now = 0
          const granted: Array<number> = []
          for (const [slot, gap] of exits) {
            now += gap
            const d = decide(history, slot, now)
            if (d._tag === 'Restart') {
              granted.push(now)
              history = d.history
              expect(d.delayMs).toBeGreaterThanOrEqual(policy.delayMs)
              expect(d.delayMs).toBeLessThanOrEqual(policy.maxDelayMs)
            }
          }
          for (const at of granted) expect(granted.filter((t) => t > at - policy.windowMs && t <= at).length).toBeLessThanOrEqual(maxRestarts)
        },
      ),
    )
  })
})

// `npm run start:cluster` (examples/cluster.ts) as a user runs it, in a process group of its own as
// a terminal would: it prints its URLs, answers over HTTP through the gateway and its NATS workers,
// and on Ctrl-C (SIGINT to the whole group, workers included) answers every call in flight, then
// every process it started exits (the nats-server included).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const post = async (url: string, body: string): Promise<unknown> =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()

describe('npm run start:cluster', () => {
  it('serves through the gateway, and Ctrl-C answers every call in flight before all of it exits', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/cluster.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', WORKERS: '2' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await expect.poll(() => out, { timeout: 30_000 }).toMatch(/Ctrl-C stops it all/)
      const url = /HTTP:\s+(http:\/\/127\.0\.0\.1:\d+\/rpc)/.exec(out)?.[1] ?? ''
      const nats = Number(/NATS:\s+nats:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1])
      const workers = (/workers:\s+([\d, ]+)/.exec(out)?.[1] ?? '').split(',').map(Number)
      expect(workers).toHaveLength(2)
      expect(await post(url, '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}')).toEqual({ jsonrpc: '2.0', result: 19, id: 1 })

      // Calls that take 1 s, in flight when Ctrl-C comes.
      const slow = Array.from({ length: 20 }, (_, i) => post(url, `{"jsonrpc":"2.0","method":"sleep","params":{"ms":1000},"id":${i}}`))
      await new Promise((resolve) => setTimeout(resolve, 300))
      process.kill(-child.pid!, 'SIGINT')
      const answers = await Promise.all(slow)
      expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => ({ jsonrpc: '2.0', result: { slept: 1000 }, id: i })))
      expect(await exited).toBe(0)
      expect(out).toMatch(/\nstopped\n/)
      for (const pid of workers) expect(alive(pid)).toBe(false)
      // The nats-server is gone too: its port refuses connections.
      await expect(fetch(`http://127.0.0.1:${nats}/`)).rejects.toThrow()
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
    }
  }, 60_000)
})

/**
 * JSON-RPC over a child process's stdio, in both framings: this process spawns
 * test/fixtures/stream-stdio-child.ts (run by tsx), which serves on its stdin and stdout with
 * `serveStdio`, and each side calls the other.
 */
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, Dispatch } from '../src/index.js'
import { Framing, spawn, type ChildConnection } from '../src/stream/index.js'
import * as Methods from './fixtures/stream-methods.js'

const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url))
const fixture = fileURLToPath(new URL('./fixtures/stream-stdio-child.ts', import.meta.url))

const closed = E.left({ _tag: 'TransportError', error: { _tag: 'Closed' } })

/** Spawns the child, served by "parent" methods on this side; its stderr is collected. */
const startChild = async (framing: Framing.Framing) => {
  const parent = Methods.registry('parent')
  const stderr: Array<string> = []
  const out = await spawn(process.execPath, [tsx, fixture, framing.name], {
    framing,
    dispatcher: Dispatch.make(parent.registry),
    context: ({ client }) => ({ client }),
    stderr: (chunk) => void stderr.push(Buffer.from(chunk).toString('utf8')),
  })()
  if (E.isLeft(out)) throw new Error(`spawn failed: ${String(out.left.cause)}`)
  return { child: out.right, ticks: parent.ticks, stderr: () => stderr.join('') }
}

const eventually = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe.concurrent.each([
  ['newline-delimited JSON', Framing.ndjson],
  ['Content-Length', Framing.contentLength],
])('stdio, %s', (_name, framing) => {
  describe('a child serving on its stdio', () => {
    let started: Awaited<ReturnType<typeof startChild>>
    let child: ChildConnection
    beforeAll(async () => {
      started = await startChild(framing)
      child = started.child
    })
    afterAll(async () => {
      await child.close()
      await child.exited
    })

    it('answers typed calls, batches and notifications', async () => {
      expect(await pipe(child.client, Client.call(Methods.Subtract, { minuend: 42, subtrahend: 23 }))()).toEqual(E.right(19))
      expect(await pipe(child.client, Client.call(Methods.Echo, { text: 'é€😀\n"' }))()).toEqual(E.right('é€😀\n"'))
      expect(await pipe(child.client, Client.notify(Methods.Tick, { n: 4 }))()).toEqual(E.right(undefined))
      expect(await pipe(child.client, Client.batch(Client.call(Methods.Whoami), Client.call(Methods.Ticks), Client.notify(Methods.Tick, { n: 5 })))()).toEqual(
        E.right([E.right('child'), E.right([4]), E.right(undefined)]),
      )
    })

    it('calls the parent: a notification when it starts, and a call back while answering', async () => {
      await eventually(() => started.ticks.includes(1))
      expect(started.ticks).toEqual([1])
      expect(await pipe(child.client, Client.call(Methods.AskBack))()).toEqual(E.right('child asked parent'))
    })

    it('matches calls in flight to their answers', async () => {
      const ms = [40, 0, 25, 5, 10]
      const results = await Promise.all(ms.map((m) => pipe(child.client, Client.call(Methods.Slow, { ms: m }))()))
      expect(results).toEqual(ms.map((m) => E.right(m)))
    })

    it("passes the child's stderr to the function given, and keeps it off the wire", () => {
      expect(started.stderr()).toContain(`serving ${framing.name} on stdio`)
    })
  })

  it('the child exits cleanly when its stdin ends, after answering the calls in flight', async () => {
    const { child, stderr } = await startChild(framing)
    const call = pipe(child.client, Client.call(Methods.Slow, { ms: 100 }))()
    await new Promise((resolve) => setTimeout(resolve, 20))
    // Ending stdin alone: this side keeps reading, so the answer in flight arrives.
    child.child.stdin?.end()
    expect(await call).toEqual(E.right(100))
    expect(await child.exited).toEqual({ code: 0, signal: null })
    await child.closed
    expect(stderr()).toContain('child: stdin ended, connection closed')
  })

  it("close() ends the child's stdin, so it exits; this side's pending calls fail with Closed", async () => {
    const { child } = await startChild(framing)
    expect(await pipe(child.client, Client.call(Methods.Whoami))()).toEqual(E.right('child'))
    const call = pipe(child.client, Client.call(Methods.Slow, { ms: 100 }))()
    await child.close()
    expect(await call).toEqual(closed)
    expect(await child.exited).toEqual({ code: 0, signal: null })
  })

  it('calls pending when the child exits fail with Closed', async () => {
    const { child } = await startChild(framing)
    const slow = pipe(child.client, Client.call(Methods.Slow, { ms: 5_000 }))()
    const exit = pipe(child.client, Client.call(Methods.Exit, { code: 3 }))()
    expect(await Promise.all([slow, exit])).toEqual([closed, closed])
    expect(await child.exited).toEqual({ code: 3, signal: null })
    await child.closed
    expect(await pipe(child.client, Client.call(Methods.Whoami))()).toEqual(closed)
  })
})

describe('spawn, errors as values', () => {
  it('a command that does not exist is a SpawnError', async () => {
    const out = await spawn('/nonexistent/fp-jsonrpc-test-command', [], { framing: Framing.ndjson })()
    expect(E.isLeft(out) && out.left._tag).toBe('SpawnError')
  })
})

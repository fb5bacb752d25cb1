import { execFile } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry, RpcError } from '../src/index.js'
import { serve, type Server } from '../src/http/index.js'
import { listening } from './fixtures/listening.js'
import { runCli } from './fixtures/cli.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const Subtract = Method.make({ name: 'subtract', params: t.type({ minuend: t.number, subtrahend: t.number }), result: t.number })
const Fail = Method.make({ name: 'fail' })
const Log = Method.make({ name: 'log', params: t.type({ line: t.string }) })
const logged: Array<string> = []

let server: Server
beforeAll(async () => {
  server = await listening(
    serve({
      dispatcher: Dispatch.make(
        pipe(
          Registry.empty,
          Registry.add(Subtract, (p) => E.right(p.minuend - p.subtrahend)),
          Registry.add(Fail, () => E.left(RpcError.make(7, 'no luck', { tries: 3 }))),
          Registry.add(Log, ({ line }) => void logged.push(line)),
        ),
      ),
    }),
  )
})
afterAll(() => server.close())

describe('fp-jsonrpc call', () => {
  it('prints the result, with params by position or by name', async () => {
    expect(await runCli('call', server.url, 'subtract', '[42, 23]')).toEqual({ code: 0, out: '19', err: '' })
    expect(await runCli('call', server.url, 'subtract', '{"minuend": 1, "subtrahend": 2}')).toEqual({ code: 0, out: '-1', err: '' })
  })

  it('prints an error response on stderr with exit code 1', async () => {
    expect(await runCli('call', server.url, 'fail')).toEqual({ code: 1, out: '', err: 'error 7: no luck\n{\n  "tries": 3\n}' })
    expect(await runCli('call', server.url, 'nope')).toEqual({ code: 1, out: '', err: 'error -32601: Method not found' })
  })

  it('sends a notification with --notify', async () => {
    expect(await runCli('call', server.url, 'log', '{"line":"hello"}', '--notify')).toEqual({ code: 0, out: '', err: '' })
    expect(logged).toContain('hello')
  })

  it('reports a transport failure with exit code 1', async () => {
    const r = await runCli('call', 'http://127.0.0.1:9/', 'subtract', '[1,2]', '--timeout', '2000')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/^network error/)
  })

  it('gives the usage, with exit code 2, for a mistake in the arguments', async () => {
    for (const argv of [
      [],
      ['call', server.url],
      ['call', server.url, 'subtract', 'not json'],
      ['call', server.url, 'subtract', '5'],
      ['call', 'ftp://x/', 'm'],
      ['call', 'http://[::1', 'm'],
      ['call', server.url, 'subtract', '[1, 2]', 'extra'],
      ['fetch', server.url, 'subtract'],
    ]) {
      const r = await runCli(...argv)
      expect(r.code).toBe(2)
      expect(r.err).toContain('usage: fp-jsonrpc call')
      expect(r.err).toContain('fp-jsonrpc discover <url>')
      expect(r.err).toContain('fp-jsonrpc list <url>')
    }
    expect((await runCli('call', 'ftp://x/', 'm')).err.split('\n')[0]).toBe('the url must start with http://, https://, ws:// or wss://, got ftp://x/')
    expect((await runCli('call', 'http://[::1', 'm')).err.split('\n')[0]).toBe('not a valid url: http://[::1')
  })

  it('runs as a program', async () => {
    const result = await new Promise<{ code: number | null; stdout: string }>((done) =>
      execFile(
        process.execPath,
        [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'bin.ts'), 'call', server.url, 'subtract', '[5,3]'],
        (error, stdout) => done({ code: error === null ? 0 : (error.code as number), stdout }),
      ),
    )
    expect(result).toEqual({ code: 0, stdout: '2\n' })
  })
})

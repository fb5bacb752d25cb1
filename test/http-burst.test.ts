/**
 * The one HTTP exchange (src/internal/http/exchange.ts) as a peer uses it: a Promise.all of 1000
 * requests on a real server on loopback, synchronous and asynchronous handlers, notifications and
 * batches mixed, then clients that hang up mid-call. Every answer must come back right, and the
 * server must keep serving and close promptly.
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { request } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Dispatch, Method, Registry } from '../src/index.js'
import * as Http from '../src/http/index.js'
import { listening } from './fixtures/listening.js'

const Add = Method.make({ name: 'add', params: t.type({ a: t.number, b: t.number }), result: t.number })
const SlowAdd = Method.make({ name: 'slowAdd', params: t.type({ a: t.number, b: t.number, ms: t.number }), result: t.number })
const Count = Method.make({ name: 'count', params: t.type({ n: t.number }) })

const makeServer = () => {
  let counted = 0
  let running = 0
  const registry = pipe(
    Registry.empty,
    Registry.add(Add, ({ a, b }) => E.right(a + b)),
    Registry.add(SlowAdd, async ({ a, b, ms }) => {
      running++
      await new Promise((resolve) => setTimeout(resolve, ms))
      running--
      return E.right(a + b)
    }),
    Registry.add(Count, ({ n }) => {
      counted += n
      return E.right(undefined)
    }),
  )
  return { dispatcher: Dispatch.make(registry), counted: () => counted, running: () => running }
}

// A keep-alive-less POST: each request its own connection, as a burst of independent clients.
const post = (url: string, body: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', connection: 'close' }, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })

describe('HTTP under a burst', () => {
  it('answers 1000 concurrent requests (sync, async, notifications, batches) right, and loses no notification', async () => {
    const server = makeServer()
    const http = await listening(Http.serve({ dispatcher: server.dispatcher }))
    try {
      const sends = Array.from({ length: 1000 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return post(http.url, JSON.stringify({ jsonrpc: '2.0', method: 'add', params: { a: i, b: 1 }, id: i })).then((r) => {
              expect(r).toEqual({ status: 200, body: `{"jsonrpc":"2.0","result":${i + 1},"id":${i}}` })
            })
          case 1:
            return post(http.url, JSON.stringify({ jsonrpc: '2.0', method: 'slowAdd', params: { a: i, b: 2, ms: i % 20 }, id: i })).then((r) => {
              expect(r).toEqual({ status: 200, body: `{"jsonrpc":"2.0","result":${i + 2},"id":${i}}` })
            })
          case 2:
            return post(http.url, JSON.stringify({ jsonrpc: '2.0', method: 'count', params: { n: 1 } })).then((r) => {
              expect(r).toEqual({ status: 204, body: '' })
            })
          default:
            return post(
              http.url,
              JSON.stringify([
                { jsonrpc: '2.0', method: 'add', params: { a: i, b: 3 }, id: `${i}a` },
                { jsonrpc: '2.0', method: 'count', params: { n: 1 } },
                { jsonrpc: '2.0', method: 'slowAdd', params: { a: i, b: 4, ms: 1 }, id: `${i}b` },
              ]),
            ).then((r) => {
              expect(r.status).toBe(200)
              expect(JSON.parse(r.body)).toEqual([
                { jsonrpc: '2.0', result: i + 3, id: `${i}a` },
                { jsonrpc: '2.0', result: i + 4, id: `${i}b` },
              ])
            })
        }
      })
      await Promise.all(sends)
      // 250 single notifications and one in each of the 250 batches.
      expect(server.counted()).toBe(500)
    } finally {
      await http.close()
    }
  }, 30_000)

  it('keeps serving when clients hang up mid-call, and closes promptly after', async () => {
    const server = makeServer()
    const http = await listening(Http.serve({ dispatcher: server.dispatcher }))
    try {
      // 50 clients send a slow call and hang up before its answer.
      const hungUp = Array.from(
        { length: 50 },
        (_, i) =>
          new Promise<void>((resolve) => {
            const req = request(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false })
            req.on('error', () => resolve())
            req.on('close', () => resolve())
            req.end(JSON.stringify({ jsonrpc: '2.0', method: 'slowAdd', params: { a: i, b: 0, ms: 200 }, id: i }))
            setTimeout(() => req.destroy(), 50)
          }),
      )
      await Promise.all(hungUp)
      // The server still answers, while those handlers still run.
      expect(await post(http.url, '{"jsonrpc":"2.0","method":"add","params":{"a":2,"b":3},"id":"after"}')).toEqual({
        status: 200,
        body: '{"jsonrpc":"2.0","result":5,"id":"after"}',
      })
      // Once the abandoned handlers have finished, nothing holds the server open.
      await new Promise((resolve) => setTimeout(resolve, 250))
      expect(server.running()).toBe(0)
    } finally {
      const before = Date.now()
      await http.close()
      expect(Date.now() - before).toBeLessThan(1000)
    }
  }, 30_000)
})

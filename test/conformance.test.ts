/**
 * The examples of the JSON-RPC 2.0 specification, section 7, run against the dispatcher. Each is
 * compared as parsed JSON: member order and whitespace carry no meaning on the wire.
 */
import { describe, expect, it } from 'vitest'
import { Dispatch } from '../src/index.js'
import * as SpecMethods from './fixtures/spec-methods.js'
import { canonical, type Example, examples } from './fixtures/spec-methods.js'

const byName = (name: string): Example => {
  const found = examples.find((e) => e.name === name)
  if (found === undefined) throw new Error(`no example named ${name}`)
  return found
}

const run = async (request: string): Promise<unknown> => {
  const { registry } = SpecMethods.make()
  const out = await Dispatch.make(registry).dispatch(request)
  return out === undefined ? null : JSON.parse(out)
}

describe('the fixture holds the specification examples', () => {
  it('has all 15 of them, each with a distinct name', () => {
    expect(examples).toHaveLength(15)
    expect(new Set(examples.map((e) => e.name)).size).toBe(15)
  })
})

describe('specification examples: each answers as section 7 shows', () => {
  it.each(examples.map((e) => [e.name, e] as const))('%s', async (_name, example) => {
    const got = await run(example.request)
    if (Array.isArray(example.response)) {
      expect(Array.isArray(got)).toBe(true)
      expect(canonical(got as ReadonlyArray<unknown>)).toEqual(canonical(example.response))
    } else {
      expect(got).toEqual(example.response)
    }
  })
})

describe('specification examples: a batch is answered in request order', () => {
  it('keeps the order of the requests that are answered (the specification allows any order; ours is stable)', async () => {
    const example = byName('rpc call Batch')
    expect(await run(example.request)).toEqual(example.response)
  })

  it('answers an invalid batch element by element, in order', async () => {
    const example = byName('rpc call with invalid Batch')
    expect(await run(example.request)).toEqual(example.response)
  })
})

describe('specification examples: notifications run but are not answered', () => {
  it('runs "update" with its params although nothing is returned', async () => {
    const { registry, ran } = SpecMethods.make()
    const out = await Dispatch.make(registry).dispatch(byName('a Notification (1)').request)
    expect(out).toBeUndefined()
    expect(ran).toEqual([{ method: 'update', params: [1, 2, 3, 4, 5] }])
  })

  it('runs every notification of an all-notification batch, and returns nothing at all', async () => {
    const { registry, ran } = SpecMethods.make()
    const out = await Dispatch.make(registry).dispatch(byName('rpc call Batch (all notifications)').request)
    expect(out).toBeUndefined()
    expect(ran).toEqual([
      { method: 'notify_sum', params: [1, 2, 4] },
      { method: 'notify_hello', params: [7] },
    ])
  })

  it('runs the notification inside a mixed batch', async () => {
    const { registry, ran } = SpecMethods.make()
    await Dispatch.make(registry).dispatch(byName('rpc call Batch').request)
    expect(ran).toEqual([{ method: 'notify_hello', params: [7] }])
  })
})

describe('specification examples: the exact wire text', () => {
  it('writes the positional subtract answer with no extra members or whitespace', () => {
    const { registry } = SpecMethods.make()
    expect(Dispatch.make(registry).dispatch(byName('rpc call with positional parameters (1)').request)).toBe('{"jsonrpc":"2.0","result":19,"id":1}')
  })

  it('writes the mixed batch answer as one JSON array', () => {
    const { registry } = SpecMethods.make()
    expect(Dispatch.make(registry).dispatch(byName('rpc call Batch').request)).toBe(
      '[{"jsonrpc":"2.0","result":7,"id":"1"},' +
        '{"jsonrpc":"2.0","result":19,"id":"2"},' +
        '{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},' +
        '{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"5"},' +
        '{"jsonrpc":"2.0","result":["hello",5],"id":"9"}]',
    )
  })
})

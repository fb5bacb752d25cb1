import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { INTERNAL_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR } from '../../src/internal/dispatch/Errors.js'
import * as _ from '../../src/internal/dispatch/Writer.js'
import type * as RpcResponse from '../../src/RpcResponse.js'

const id = fc.oneof(fc.string(), fc.integer(), fc.constant(null))

describe('Writer.resultText and responseText', () => {
  it('resultText is JSON.stringify, for any JSON value and any double', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.double(), fc.boolean()), (u) => {
        expect(_.resultText(u)).toBe(JSON.stringify(u))
      }),
    )
  })
  it('responseText is JSON.stringify of the response, successes and failures, constants included', () => {
    const error = fc.oneof(
      fc.constantFrom(PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INTERNAL_ERROR),
      fc.record({ code: fc.integer(), message: fc.string(), data: fc.jsonValue() }),
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ jsonrpc: fc.constant('2.0' as const), result: fc.jsonValue(), id }),
          fc.record({ jsonrpc: fc.constant('2.0' as const), error, id }),
        ),
        (response) => {
          expect(_.responseText(response as RpcResponse.RpcResponse)).toBe(JSON.stringify(response))
        },
      ),
    )
  })
})

describe('Writer.make', () => {
  const harness = (postProcess?: (r: RpcResponse.RpcResponse) => RpcResponse.RpcResponse) => {
    const defects: Array<unknown> = []
    return { defects, ..._.make({ postProcess, onDefect: (cause) => void defects.push(cause) }) }
  }
  const ok: RpcResponse.RpcResponse = { jsonrpc: '2.0', result: { difference: 19 }, id: 1 }

  it('writes one response, a batch, and nothing for no response', () => {
    const { asText } = harness()
    expect(asText.one(ok)).toBe('{"jsonrpc":"2.0","result":{"difference":19},"id":1}')
    expect(asText.one(undefined)).toBeUndefined()
    expect(asText.batch([ok, undefined, { jsonrpc: '2.0', error: METHOD_NOT_FOUND, id: 'b' }])).toBe(
      '[{"jsonrpc":"2.0","result":{"difference":19},"id":1},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"b"}]',
    )
    expect(asText.batch([undefined, undefined])).toBeUndefined()
    expect(asText.refused(PARSE_ERROR)).toBe('{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}')
  })

  it('gives JSON values at the serializable level', () => {
    const { asValues } = harness()
    expect(asValues.one(ok)).toBe(ok)
    expect(asValues.batch([undefined, ok])).toEqual([ok])
    expect(asValues.batch([undefined])).toBeUndefined()
    expect(asValues.refused(INVALID_REQUEST)).toEqual({ jsonrpc: '2.0', error: INVALID_REQUEST, id: null })
  })

  it('answers a response JSON cannot carry with Internal error, reported, at both levels', () => {
    const { asText, asValues, defects } = harness()
    const bad: RpcResponse.RpcResponse = { jsonrpc: '2.0', result: { n: 1n }, id: 3 }
    expect(asText.one(bad)).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":3}')
    expect(asValues.one(bad)).toEqual({ jsonrpc: '2.0', error: INTERNAL_ERROR, id: 3 })
    expect(defects.length).toBe(2)
  })

  it('passes every response through postProcess, and a throwing one answers Internal error', () => {
    const tagged = harness((r) => ({ ...r, id: 'x' }))
    expect(tagged.asText.one(ok)).toBe('{"jsonrpc":"2.0","result":{"difference":19},"id":"x"}')
    const throwing = harness(() => {
      throw new Error('post')
    })
    expect(throwing.asText.one(ok)).toBe('{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}')
    expect(throwing.defects.length).toBe(1)
  })
})

/**
 * The lines `fp-jsonrpc list` prints (src/internal/cli/listing.ts), for the shapes the servers of
 * test/cli-discover.test.ts do not send: references that resolve nowhere, a method given as a
 * reference, `x-params` that is not an array, `by-name` with no params.
 */
import { describe, expect, it } from 'vitest'
import { lines, methodLine } from '../src/internal/cli/listing.js'
import type { OpenRpc } from '../src/index.js'

const doc = (methods: OpenRpc.Document['methods'], components?: OpenRpc.Components): OpenRpc.Document => ({
  openrpc: '1.3.2',
  info: { title: 't', version: '1' },
  methods,
  ...(components === undefined ? {} : { components }),
})

describe('listing: params', () => {
  it('writes by-name params as one object, {} when there are none', () => {
    expect(methodLine({ name: 'm', paramStructure: 'by-name', params: [] })).toBe('m({})')
    expect(methodLine({ name: 'm', paramStructure: 'by-name', params: [{ name: 'a', required: true, schema: { type: 'string' } }] })).toBe('m({ a: string })')
  })

  it('writes a list of params otherwise, optional unless required, quoted when not identifiers', () => {
    expect(
      methodLine({
        name: 'm',
        params: [
          { name: 'a', required: true, schema: { type: 'string' } },
          { name: 'b', schema: { type: 'number' } },
          { name: 'x-y', required: false, schema: {} },
        ],
      }),
    ).toBe('m(a: string, b?: number, "x-y"?: unknown)')
  })

  it('writes x-params by its kind: a rest list, an object, or one value', () => {
    expect(methodLine({ name: 'm', params: [], 'x-params': { type: 'array', items: { type: 'string' } } })).toBe('m(...params: string[])')
    expect(methodLine({ name: 'm', params: [], 'x-params': { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] } })).toBe(
      'm({ a: number })',
    )
    expect(
      methodLine({
        name: 'm',
        params: [],
        'x-params': {
          anyOf: [
            { type: 'array', items: [{ type: 'number' }] },
            { type: 'object', additionalProperties: false },
          ],
        },
      }),
    ).toBe('m(params: [number] | {})')
  })

  it('looks a $ref up in components.contentDescriptors, and shows one that resolves nowhere by its name', () => {
    const components: OpenRpc.Components = { contentDescriptors: { Limit: { name: 'limit', required: true, schema: { type: 'integer' } } } }
    expect(
      methodLine(
        {
          name: 'm',
          params: [{ $ref: '#/components/contentDescriptors/Limit' }, { $ref: '#/components/contentDescriptors/Gone' }],
          result: { $ref: '#/x/Gone' },
        },
        components,
      ),
    ).toBe('m(limit: integer, Gone?: unknown) -> unknown')
  })
})

describe('listing: the document', () => {
  it('shows a method given as a reference as that reference, and no schema section without components.schemas', () => {
    expect(lines(doc([{ $ref: '#/components/methods/m' }, { name: 'n', params: [] }]))).toEqual(['(a reference to #/components/methods/m)', 'n()'])
  })

  it('lists components.schemas after a blank line, in their order', () => {
    expect(
      lines(
        doc([{ name: 'n', params: [], result: { name: 'r', schema: { $ref: '#/components/schemas/B' } } }], { schemas: { B: { type: 'boolean' }, A: {} } }),
      ),
    ).toEqual(['n() -> B', '', 'type B = boolean', 'type A = unknown'])
  })
})

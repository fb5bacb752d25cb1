/**
 * The TypeScript-like one-line types `fp-jsonrpc list` writes for JSON Schemas
 * (src/internal/cli/schemaType.ts), rule by rule.
 */
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_DEPTH, refName, typeText as _ } from '../src/internal/cli/schemaType.js'

describe('schemaType: scalars, literals, any and none', () => {
  it('writes the scalar types, integer as integer', () => {
    expect(['string', 'number', 'integer', 'boolean', 'null'].map((type) => _({ type }))).toEqual(['string', 'number', 'integer', 'boolean', 'null'])
  })

  it('writes true and {} as unknown, false and {not: {}} as never, and what is not a schema as unknown', () => {
    expect(_({ not: {} })).toBe('never')
    expect(_({ not: true })).toBe('never')
    expect(_({ not: { type: 'string' } })).toBe('unknown')
    expect([_(true), _({}), _(false), _(null), _(42), _('string'), _([{ type: 'string' }]), _({ type: 'date' })]).toEqual([
      'unknown',
      'unknown',
      'never',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ])
  })

  it('writes const as its JSON and enum as the union of its values', () => {
    expect(_({ const: 'add' })).toBe('"add"')
    expect(_({ const: null })).toBe('null')
    expect(_({ enum: ['asc', 'desc', 1, true, null] })).toBe('"asc" | "desc" | 1 | true | null')
    expect(_({ enum: ['only'] })).toBe('"only"')
  })

  it('leaves out formats, patterns, bounds and descriptions', () => {
    expect(_({ type: 'string', format: 'date-time', pattern: '^x', minLength: 1, description: 'when' })).toBe('string')
    expect(_({ type: 'integer', minimum: 0, title: 'Count' })).toBe('integer')
  })
})

describe('schemaType: references', () => {
  it('writes a $ref as the name it points at, ignoring its siblings', () => {
    expect(_({ $ref: '#/components/schemas/Tree' })).toBe('Tree')
    expect(_({ $ref: '#/definitions/Node', type: 'string' })).toBe('Node')
    expect(refName('#/components/schemas/a~1b~0c')).toBe('a/b~c')
    expect(refName('#/components/schemas/caf%C3%A9')).toBe('café')
  })
})

describe('schemaType: arrays and tuples', () => {
  it('writes items: T as T[], and an array without items as unknown[]', () => {
    expect(_({ type: 'array', items: { type: 'number' } })).toBe('number[]')
    expect(_({ type: 'array' })).toBe('unknown[]')
    expect(_({ items: { type: 'string' } })).toBe('string[]')
    expect(_({ type: 'array', items: { type: 'array', items: { $ref: '#/components/schemas/Tree' } } })).toBe('Tree[][]')
  })

  it('puts a union or intersection element in parentheses', () => {
    expect(_({ type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } })).toBe('(string | number)[]')
    expect(_({ type: 'array', items: { allOf: [{ $ref: '#/definitions/A' }, { $ref: '#/definitions/B' }] } })).toBe('(A & B)[]')
  })

  it('writes a tuple, its elements past minItems optional', () => {
    expect(_({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], minItems: 2 })).toBe('[string, number]')
    expect(_({ type: 'array', items: [{ type: 'string' }, { type: 'number' }] })).toBe('[string, number]')
    expect(_({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], minItems: 1 })).toBe('[string, number?]')
  })
})

describe('schemaType: objects', () => {
  it('writes properties, optional unless required', () => {
    expect(_({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a'] })).toBe('{ a: number; b?: string }')
  })

  it('quotes a property name that is not an identifier', () => {
    expect(_({ type: 'object', properties: { 'content-type': { type: 'string' }, $ok: { type: 'null' } }, required: ['content-type', '$ok'] })).toBe(
      '{ "content-type": string; $ok: null }',
    )
  })

  it('writes additionalProperties as an index signature, or a Record without properties', () => {
    expect(_({ type: 'object', additionalProperties: { type: 'number' } })).toBe('Record<string, number>')
    expect(_({ type: 'object' })).toBe('Record<string, unknown>')
    expect(_({ type: 'object', additionalProperties: true })).toBe('Record<string, unknown>')
    expect(_({ type: 'object', additionalProperties: false })).toBe('{}')
    expect(_({ type: 'object', properties: { a: { type: 'number' } }, required: ['a'], additionalProperties: { type: 'string' } })).toBe(
      '{ a: number; [key: string]: string }',
    )
    expect(_({ type: 'object', properties: { a: { type: 'number' } }, required: ['a'], additionalProperties: false })).toBe('{ a: number }')
  })

  it('nests', () => {
    expect(
      _({
        type: 'object',
        properties: {
          user: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['user', 'tags'],
      }),
    ).toBe('{ user: { name: string }; tags: string[] }')
  })
})

describe('schemaType: unions and intersections', () => {
  it('writes anyOf and oneOf as unions, a list of types too', () => {
    expect(_({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toBe('string | null')
    expect(_({ oneOf: [{ const: 'a' }, { const: 'b' }] })).toBe('"a" | "b"')
    expect(_({ type: ['string', 'null'] })).toBe('string | null')
  })

  it('writes the same member once', () => {
    expect(_({ anyOf: [{ type: 'string' }, { type: 'string' }, { enum: ['x'] }] })).toBe('string | "x"')
    expect(_({ anyOf: [{ type: 'string' }] })).toBe('string')
  })

  it('writes allOf as an intersection, a union inside it in parentheses', () => {
    expect(
      _({
        allOf: [
          { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] },
          { anyOf: [{ $ref: '#/components/schemas/B' }, { $ref: '#/components/schemas/C' }] },
        ],
      }),
    ).toBe('{ a: number } & (B | C)')
  })

  it('intersects anyOf with the type beside it', () => {
    expect(_({ type: 'object', properties: { kind: { type: 'string' } }, required: ['kind'], anyOf: [{ $ref: '#/d/A' }, { $ref: '#/d/B' }] })).toBe(
      '{ kind: string } & (A | B)',
    )
  })

  it('flattens a union of unions', () => {
    expect(_({ anyOf: [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, { type: 'null' }] })).toBe('string | number | null')
  })
})

describe('schemaType: total', () => {
  it('writes any JSON value without throwing', () => {
    fc.assert(fc.property(fc.jsonValue(), (u) => typeof _(u) === 'string'))
  })

  it('stops at a depth of 16, so a hostile schema cannot exhaust the stack', () => {
    let deep: unknown = { type: 'string' }
    for (let i = 0; i < 100_000; i++) deep = { type: 'array', items: deep }
    const text = _(deep)
    expect(text).toBe(`...${'[]'.repeat(MAX_DEPTH)}`)
  })
})

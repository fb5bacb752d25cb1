/**
 * The framing codecs, with no I/O: exact wire bytes, incremental decoding across any chunk
 * boundaries, malformed input and the documented recovery, and the round-trip law as properties.
 */
import { isUtf8 } from 'node:buffer'
import * as fc from 'fast-check'
import { pipe } from 'fp-ts/lib/function.js'
import { describe, expect, it } from 'vitest'
import { Framing as _ } from '../src/stream/index.js'

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8')
const text = (u: Uint8Array): string => Buffer.from(u).toString('utf8')
const message = (t: string): _.Event => ({ _tag: 'Message', text: t })
const failure = (error: _.FramingError): _.Event => ({ _tag: 'Error', error })

/** Cuts `all` at the given positions (any order, repeats allowed). */
const cut = (all: Uint8Array, at: ReadonlyArray<number>): ReadonlyArray<Uint8Array> => {
  const points = [...new Set(at.map((p) => p % (all.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let from = 0
  for (const p of [...points, all.length]) {
    chunks.push(all.subarray(from, p))
    from = p
  }
  return chunks
}

/** Every single-byte chunk: the hardest cut there is. */
const byteByByte = (all: Uint8Array): ReadonlyArray<Uint8Array> => [...all].map((b) => Uint8Array.of(b))

const encodeAll = (framing: _.Framing, texts: ReadonlyArray<string>): Buffer => Buffer.concat(texts.map((t) => framing.encode(t)))

describe('newline-delimited JSON', () => {
  it('writes the text and a newline', () => {
    expect(text(_.ndjson.encode('{"jsonrpc":"2.0","method":"ping"}'))).toBe('{"jsonrpc":"2.0","method":"ping"}\n')
  })

  it('writes a line break in the text as a space, which keeps the JSON the same', () => {
    const pretty = JSON.stringify({ a: [1, { b: 'x' }] }, null, 2)
    const wire = text(_.ndjson.encode(pretty.replace(/\n/g, '\r\n')))
    expect(wire.indexOf('\n')).toBe(wire.length - 1)
    expect(wire).not.toContain('\r')
    expect(JSON.parse(wire)).toEqual({ a: [1, { b: 'x' }] })
  })

  it('reads one message per line, with \\n or \\r\\n, and skips blank lines', () => {
    expect(pipe([bytes('{"a":1}\n\r\n{"b":2}\r\n  \t \n\n{"c":3}\n')], _.decodeAll(_.ndjson))).toEqual([
      message('{"a":1}'),
      message('{"b":2}'),
      message('{"c":3}'),
    ])
  })

  it('holds a partial line until its newline comes', () => {
    const decoder = _.ndjson.makeDecoder()
    expect(decoder.push(bytes('{"a":'))).toEqual([])
    expect(decoder.push(bytes('1}\r'))).toEqual([])
    expect(decoder.push(bytes('\n{"b"'))).toEqual([message('{"a":1}')])
    expect(decoder.push(bytes(':2}\n'))).toEqual([message('{"b":2}')])
  })

  it('reads a last line without its newline when the stream ends', () => {
    const decoder = _.ndjson.makeDecoder()
    expect(decoder.push(bytes('{"a":1}\n{"b":2}'))).toEqual([message('{"a":1}')])
    expect(decoder.end()).toEqual([message('{"b":2}')])
    expect(decoder.end()).toEqual([])
  })

  it("gives a line that is not JSON as a message: judging it is the dispatcher's work", () => {
    expect(pipe([bytes('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]\n')], _.decodeAll(_.ndjson))).toEqual([
      message('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'),
    ])
  })

  it('reports a line that is not UTF-8 and reads the next one', () => {
    const events = pipe([bytes('{"a":"'), Uint8Array.of(0xc3, 0x28), bytes('"}\n{"b":2}\n')], _.decodeAll(_.ndjson))
    expect(events).toEqual([failure({ _tag: 'InvalidUtf8', length: 10 }), message('{"b":2}')])
  })

  it('reads multi-byte characters split across chunks', () => {
    const wire = _.ndjson.encode('{"x":"é€😀"}')
    expect(pipe(byteByByte(wire), _.decodeAll(_.ndjson))).toEqual([message('{"x":"é€😀"}')])
  })
})

describe('Content-Length framing', () => {
  it('writes the length in bytes of the UTF-8 text, not in characters', () => {
    expect(text(_.contentLength.encode('{"x":"é"}'))).toBe('Content-Length: 10\r\n\r\n{"x":"é"}')
    expect(text(_.contentLength.encode('😀'))).toBe('Content-Length: 4\r\n\r\n😀')
    expect(text(_.contentLength.encode(''))).toBe('Content-Length: 0\r\n\r\n')
  })

  it("reads the Language Server Protocol's example, Content-Type included", () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"textDocument/completion","params":{}}'
    const wire = `Content-Length: ${body.length}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n${body}`
    expect(pipe([bytes(wire)], _.decodeAll(_.contentLength))).toEqual([message(body)])
  })

  it('reads header names in any case, bare \\n line ends, and blank lines between messages', () => {
    const wire = 'content-length: 2\n\n{}\r\n\r\nCONTENT-LENGTH:3\r\nX-Other: 1\r\n\r\n[1]'
    expect(pipe([bytes(wire)], _.decodeAll(_.contentLength))).toEqual([message('{}'), message('[1]')])
  })

  it('reads exactly N bytes, multi-byte characters split at every byte included', () => {
    const texts = ['{"x":"é€😀"}', '', '{"y":"\u{10FFFF}"}']
    expect(pipe(byteByByte(encodeAll(_.contentLength, texts)), _.decodeAll(_.contentLength))).toEqual(texts.map(message))
  })

  it('holds a body until all its bytes have come', () => {
    const decoder = _.contentLength.makeDecoder()
    expect(decoder.push(bytes('Content-Length: 8\r\n\r\n{"é":'))).toEqual([])
    expect(decoder.push(bytes('1}Content-Len'))).toEqual([message('{"é":1}')])
    expect(decoder.push(bytes('gth: 2\r\n\r\n{}'))).toEqual([message('{}')])
  })

  it('counts the blank line in maxHeaderBytes, whether the block comes whole or in pieces', () => {
    // 'Content-Length: 2\r\n' is 19 bytes, the block with its blank line 21.
    const wire = bytes('Content-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]')
    for (const chunks of [[wire], byteByByte(wire)]) {
      expect(pipe(chunks, _.decodeAll(_.contentLength, { maxHeaderBytes: 21 }))).toEqual([message('{}'), message('[]')])
      expect(pipe(chunks, _.decodeAll(_.contentLength, { maxHeaderBytes: 20 }))[0]).toEqual(
        failure({ _tag: 'TooLarge', part: 'header', limit: 20, length: undefined }),
      )
    }
  })

  describe('malformed headers: reported once, then the next well-framed message is read', () => {
    const next = _.contentLength.encode('{"next":true}')

    it('a header block without Content-Length, its body in between', () => {
      const wire = Buffer.concat([bytes('Content-Type: application/json\r\n\r\n{"lost":1}'), next])
      expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'MissingContentLength' }), message('{"next":true}')])
    })

    it('a Content-Length that is not a number', () => {
      for (const value of ['abc', '-1', '1.5', '0x10', '', '1234567890123456']) {
        const wire = Buffer.concat([bytes(`Content-Length: ${value}\r\n\r\n{"lost":1}`), next])
        expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'InvalidContentLength', value }), message('{"next":true}')])
      }
    })

    it('two Content-Length headers that disagree', () => {
      const wire = Buffer.concat([bytes('Content-Length: 5\r\nContent-Length: 7\r\n\r\n{"a":1}'), next])
      expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'InvalidContentLength', value: '5, 7' }), message('{"next":true}')])
    })

    it('a line that is not "Name: value" (here, a JSON line sent to a Content-Length reader)', () => {
      const wire = Buffer.concat([bytes('{"jsonrpc":"2.0","method":"x","id":1}\n'), next])
      expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([
        failure({ _tag: 'InvalidHeader', line: '{"jsonrpc":"2.0","method":"x","id":1}' }),
        message('{"next":true}'),
      ])
    })

    it('a message that declared too few bytes: its tail is reported, the next message is read', () => {
      const wire = Buffer.concat([bytes('Content-Length: 2\r\n\r\n{}}}'), next])
      expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([
        message('{}'),
        failure({ _tag: 'InvalidHeader', line: '}}Content-Length: 13' }),
        message('{"next":true}'),
      ])
    })

    it('the same, cut byte by byte', () => {
      const wire = Buffer.concat([bytes('Content-Length: abc\r\n\r\n{"lost":1}X-Bad header\r\n\r\n'), next, next])
      expect(pipe(byteByByte(wire), _.decodeAll(_.contentLength))).toEqual([
        failure({ _tag: 'InvalidContentLength', value: 'abc' }),
        message('{"next":true}'),
        message('{"next":true}'),
      ])
    })

    it('a long malformed line is reported by its first 100 characters', () => {
      const line = 'x'.repeat(500)
      const events = pipe([bytes(`${line}\r\n\r\n`), next], _.decodeAll(_.contentLength))
      expect(events).toEqual([failure({ _tag: 'InvalidHeader', line: 'x'.repeat(100) }), message('{"next":true}')])
    })
  })

  it('reports a body that is not UTF-8 and reads the next message', () => {
    const wire = Buffer.concat([bytes('Content-Length: 3\r\n\r\n'), Uint8Array.of(0x22, 0xff, 0x22), _.contentLength.encode('1')])
    expect(pipe([wire], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'InvalidUtf8', length: 3 }), message('1')])
  })

  it('reports a stream that ends inside a header or a body', () => {
    expect(pipe([bytes('Content-Length: 10\r\n\r\n{"a"')], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'Truncated', expected: 10, received: 4 })])
    expect(pipe([bytes('Content-Length: 10\r\n')], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'Truncated', expected: undefined, received: 0 })])
    expect(pipe([bytes('Content-Le')], _.decodeAll(_.contentLength))).toEqual([failure({ _tag: 'Truncated', expected: undefined, received: 10 })])
    expect(pipe([bytes('\r\n\r\n')], _.decodeAll(_.contentLength))).toEqual([])
  })
})

describe('format', () => {
  it('says what is wrong in one line', () => {
    expect(_.format({ _tag: 'InvalidContentLength', value: 'abc' })).toBe('invalid Content-Length "abc" (expected a number of bytes)')
    expect(_.format({ _tag: 'MissingContentLength' })).toBe('header block without a Content-Length header')
    expect(_.format({ _tag: 'Truncated', expected: 10, received: 4 })).toBe('the stream ended inside a message (4 of 10 bytes)')
  })
})

// -------------------------------------------------------------------------------------
// properties
// -------------------------------------------------------------------------------------

// Any well-formed Unicode text, astral characters included (a lone surrogate has no UTF-8 form).
const anyText = fc.string({ unit: 'binary', maxLength: 40 })
// What newline-delimited JSON carries unchanged: no line break, not blank.
const lineText = anyText.filter((s) => !/[\r\n]/.test(s) && s.trim() !== '')
const cuts = fc.array(fc.nat(), { maxLength: 12 })

describe('properties', () => {
  it('Content-Length: any messages, encoded and cut anywhere, decode to the same messages', () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 8 }), cuts, (texts, at) => {
        const events = pipe(cut(encodeAll(_.contentLength, texts), at), _.decodeAll(_.contentLength))
        expect(events).toEqual(texts.map(message))
      }),
    )
  })

  it('newline-delimited JSON: any messages, encoded and cut anywhere, decode to the same messages', () => {
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 8 }), cuts, (texts, at) => {
        const events = pipe(cut(encodeAll(_.ndjson, texts), at), _.decodeAll(_.ndjson))
        expect(events).toEqual(texts.map(message))
      }),
    )
  })

  it('newline-delimited JSON: any JSON value, pretty-printed, decodes to the same value', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 5 }), cuts, (values, at) => {
        const events = pipe(
          cut(
            encodeAll(
              _.ndjson,
              values.map((v) => JSON.stringify(v, null, 2)),
            ),
            at,
          ),
          _.decodeAll(_.ndjson),
        )
        expect(events.map((e) => (e._tag === 'Message' ? JSON.parse(e.text) : e))).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))))
      }),
    )
  })

  it('newline-delimited JSON: any bytes, cut anywhere, give the events of the line rules, line by line', () => {
    // The rules, read off the whole input at once: a line is the bytes before a newline (and what
    // is left at the end); a `\r` before its end is not part of it; a blank one is no message; one
    // that is not UTF-8 is InvalidUtf8; any other is a message. (Limits are covered above.)
    const model = (input: Buffer): ReadonlyArray<_.Event> => {
      const out: Array<_.Event> = []
      const lines: Array<Buffer> = []
      let start = 0
      for (let lf = input.indexOf(0x0a); lf !== -1; lf = input.indexOf(0x0a, start)) {
        lines.push(input.subarray(start, lf))
        start = lf + 1
      }
      lines.push(input.subarray(start))
      for (const raw of lines) {
        const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw
        if (line.every((b) => b === 0x20 || b === 0x09 || b === 0x0d)) continue
        out.push(isUtf8(line) ? message(line.toString('utf8')) : { _tag: 'Error', error: { _tag: 'InvalidUtf8', length: line.length } })
      }
      return out
    }
    const anyLines = fc
      .array(fc.constantFrom('{"a":1}', '\n', '\r\n', '\r', ' ', '\t', 'é', '😀', '\xff', '\xc3', 'x', '[]'), { maxLength: 40 })
      .map((parts) => Buffer.concat(parts.map((p) => (p === '\xff' ? Uint8Array.of(0xff) : p === '\xc3' ? Uint8Array.of(0xc3) : bytes(p)))))
    fc.assert(
      fc.property(anyLines, cuts, (input, at) => {
        expect(pipe(cut(input, at), _.decodeAll(_.ndjson))).toEqual(model(input))
      }),
      { numRuns: 2000 },
    )
  })

  it('newline-delimited JSON: a chunk of many lines with one that is not UTF-8 is read line by line, once', () => {
    const good = Array.from({ length: 2000 }, (_v, i) => `{"id":${i}}\n`).join('')
    const input = Buffer.concat([bytes(good), Uint8Array.of(0xff, 0x0a), bytes(good)])
    const events = _.ndjson.makeDecoder().push(input)
    expect(events).toHaveLength(4001)
    expect(events[2000]).toEqual({ _tag: 'Error', error: { _tag: 'InvalidUtf8', length: 1 } })
    expect(events[4000]).toEqual(message('{"id":1999}'))
  })

  it('any bytes, cut anywhere, never throw, and every error formats', () => {
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      // Bytes that look like framing, to reach the header and body states.
      fc
        .array(fc.constantFrom('Content-Length: ', 'content-length:', '12', '3', 'x', ':', ' ', '\r\n', '\n', '\r\n\r\n', '{}', 'é', '\u0000'), {
          maxLength: 30,
        })
        .map((parts) => bytes(parts.join(''))),
    )
    for (const framing of [_.ndjson, _.contentLength]) {
      fc.assert(
        fc.property(anyBytes, cuts, (all, at) => {
          for (const event of pipe(cut(all, at), _.decodeAll(framing))) {
            if (event._tag === 'Error') expect(typeof _.format(event.error)).toBe('string')
            else expect(typeof event.text).toBe('string')
          }
        }),
      )
    }
  })

  it('the result does not depend on where the bytes were cut', () => {
    const anyBytes = fc
      .array(fc.constantFrom('Content-Length: ', '2', '13', 'x', ': ', '\r\n', '\n', '{}', '[1]', 'é', '}'), { maxLength: 30 })
      .map((parts) => bytes(parts.join('')))
    for (const framing of [_.ndjson, _.contentLength]) {
      fc.assert(
        fc.property(anyBytes, cuts, (all, at) => {
          expect(pipe(cut(all, at), _.decodeAll(framing))).toEqual(pipe([all], _.decodeAll(framing)))
        }),
      )
    }
  })

  it('Content-Length: a header block read in place gives what the general reading gives', () => {
    // Blocks near and off the exact `Content-Length: N\r\n\r\n` form, with small limits, so that
    // lengths over the limits, 15- and 16-digit values and long headers all come up. The decoder
    // reads in place only the exact `Content-Length: ` spelling; the same wire spelled
    // `content-Length: ` (header names are read in any case) goes the general way.
    const header = fc.oneof(
      fc.nat({ max: 40 }).map((n) => `Content-Length: ${n}\r\n\r\n`),
      fc.nat({ max: 40 }).map((n) => `Content-Length: 00${n}\r\n\r\n`),
      fc.constantFrom(
        'Content-Length: 123456789012345\r\n\r\n',
        'Content-Length: 1234567890123456\r\n\r\n',
        'Content-Length: \r\n\r\n',
        'Content-Length: 2\n\n',
        'Content-Length: 2\r\n\n',
        'Content-Length:2\r\n\r\n',
        'content-length: 2\r\n\r\n',
        'Content-Length: 2 \r\n\r\n',
        'Content-Length: 2\r\nContent-Type: x\r\n\r\n',
        'Content-Length: 2x\r\n\r\n',
        'Content-Length: 99\r\n\r\n',
      ),
    )
    const body = fc.constantFrom('', '{}', '[1]', '"é"', '{"a":[1,2]}')
    const wire = fc.array(fc.tuple(header, body), { minLength: 1, maxLength: 6 }).map((parts) => bytes(parts.map(([h, b]) => h + b).join('')))
    const limits = fc.record({ maxMessageBytes: fc.integer({ min: 1, max: 40 }), maxHeaderBytes: fc.integer({ min: 8, max: 60 }) })
    fc.assert(
      fc.property(wire, limits, (all, l) => {
        const general = bytes(all.toString('utf8').replaceAll('Content-Length: ', 'content-Length: '))
        // Compared in lower case: a message cut out of a header, or an InvalidHeader error quoting
        // its line, holds the spelling that differs between the two.
        const spelled = (events: ReadonlyArray<_.Event>): string => JSON.stringify(events).toLowerCase()
        expect(spelled(pipe([all], _.decodeAll(_.contentLength, l)))).toBe(spelled(pipe([general], _.decodeAll(_.contentLength, l))))
      }),
      { numRuns: 2000 },
    )
  })

  it('Content-Length: after garbage and a malformed header, the next well-framed message is read', () => {
    const garbage = fc.string({ maxLength: 30 }).filter((s) => !s.toLowerCase().includes('content-length'))
    fc.assert(
      fc.property(garbage, anyText, cuts, (junk, t, at) => {
        const wire = Buffer.concat([bytes(`X Bad: ${junk}\r\n\r\n${junk}`), _.contentLength.encode(t)])
        const events = pipe(cut(wire, at), _.decodeAll(_.contentLength))
        expect(events[0]?._tag).toBe('Error')
        expect(events.at(-1)).toEqual(message(t))
      }),
    )
  })
})

describe('encodeText: the same bytes as encode, as a string', () => {
  it('Buffer.from(encodeText(t)) equals encode(t), for any text, in both framings', () => {
    for (const framing of [_.ndjson, _.contentLength]) {
      const encodeText = framing.encodeText as (text: string) => string
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (t) => {
          expect(Buffer.from(encodeText(t), 'utf8').equals(Buffer.from(framing.encode(t)))).toBe(true)
        }),
        { numRuns: 500 },
      )
    }
  })
})

/**
 * The doc comments of the public modules are complete, and their categories come from one closed
 * list: `categories` in scripts/doc-comments.ts, where each name says what belongs under it (fp-ts's
 * names, and io-ts's `codecs`). `npm run docs` refuses to write the reference for the same problems.
 */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { categories, parseComment, readModules, tagProblems } from '../scripts/doc-comments.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

describe('doc comment tags', () => {
  it('the list of categories is closed and small', () => {
    expect(categories).toEqual([
      'model',
      'constants',
      'constructors',
      'refinements',
      'codecs',
      'combinators',
      'destructors',
      'interop',
      'utils',
      'type lambdas',
    ])
  })

  it('reads the one-line form and an example up to the next tag', () => {
    expect(parseComment('/** @category model @since 0.1.0 */', 1)).toMatchObject({ description: '', category: ['model'], since: ['0.1.0'] })
    const doc = parseComment(
      "/**\n * Adds.\n *\n * @example\n * import { x } from 'y'\n *\n *   x(1) // @ not a tag\n *\n * @category combinators\n * @since 0.1.0\n */",
      10,
    )
    expect(doc).toMatchObject({ description: 'Adds.', category: ['combinators'], since: ['0.1.0'] })
    expect(doc.examples).toEqual([{ line: 13, codeLine: 14, code: "import { x } from 'y'\n\n  x(1) // @ not a tag\n" }])
  })

  it('every export of a public module has a sentence, @since and one @category of the list (or is @internal)', () => {
    const problems = tagProblems(readModules(root)).map((p) => `${p.file}:${p.line} ${p.name}: ${p.message}`)
    expect(problems).toEqual([])
  })
})

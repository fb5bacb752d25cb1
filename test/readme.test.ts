/**
 * The README's quick starts really run: each ```ts block named with a file name (```ts server.ts)
 * is written out as that file, with 'fp-jsonrpc' pointing at this checkout's sources, and run with
 * tsx; every `// prints: ...` line in a block is a line its program must print, in order.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/^```ts ([\w.-]+\.ts)\n([\s\S]*?)^```$/gm)].map(([, name, code]) => ({
  name: name,
  code: code,
}))
const dir = join(root, 'test', '.tmp-readme')
const source = join(root, 'src', 'index.ts')

describe('README quick starts', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('has a server and a client quick start', () => {
    expect(blocks.map((b) => b.name)).toEqual(['server.ts', 'client.ts'])
  })

  it.each(blocks.map((b) => [b.name]))('%s prints what the README says', (name) => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    for (const b of blocks) writeFileSync(join(dir, b.name), b.code.replaceAll("'fp-jsonrpc'", JSON.stringify(source)))
    const block = blocks.find((b) => b.name === name)!
    const expected = [...block.code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1])
    expect(expected.length).toBeGreaterThan(0)
    const out = execFileSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(dir, name)], {
      cwd: root,
      encoding: 'utf8',
    })
    const lines = out.trim().split('\n')
    // The client imports the server module, so the server's line comes first there.
    expect(lines.slice(-expected.length)).toEqual(expected)
  })
})

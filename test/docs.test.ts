/**
 * docs/getting-started.md is one program split into blocks: joined, it must type-check and run, and
 * each answer the page shows is checked:
 * - `await <expr>` followed by `// '<text>'` (or `// undefined: ...`): the value must be that;
 * - `const x = await <expr>` followed by `// E.right(...)` / `// E.left(...)`: deep equality.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const dir = join(root, 'test', '.tmp-docs')

const program = (page: string): { readonly code: string; readonly checks: number } => {
  const text = readFileSync(join(root, 'docs', page), 'utf8')
  let code = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]).join('\n')
  let checks = 0
  code = code.replace(/^(await .+)\n\/\/ '(.*)'$/gm, (_, expr: string, expected: string) => {
    checks++
    return `__equal(${expr}, ${JSON.stringify(expected)})`
  })
  code = code.replace(/^(await .+)\n\/\/ undefined:.*$/gm, (_, expr: string) => {
    checks++
    return `__equal(${expr}, undefined)`
  })
  code = code.replace(/^const (\w+) = (await .+)\n\/\/ (E\.(?:left|right)\(.*\))$/gm, (_, name: string, expr: string, expected: string) => {
    checks++
    return `const ${name} = ${expr}\n__equal(${name}, ${expected})`
  })
  const prelude = `import { deepStrictEqual as __equal } from 'node:assert'\n`
  return { code: prelude + code.replaceAll("'fp-jsonrpc'", JSON.stringify(join(root, 'src', 'index.ts'))) + '\nconsole.log("ok")\n', checks }
}

describe('docs/getting-started.md', () => {
  afterAll(() => {
    if (process.env.KEEP_TMP === undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('type-checks, runs, and answers what the page says', () => {
    const { code, checks } = program('getting-started.md')
    expect(checks).toBeGreaterThanOrEqual(6)
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'getting-started.ts'), code)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, types: ['node'], allowImportingTsExtensions: true },
        include: ['getting-started.ts'],
      }),
    )
    const typecheck = (): string => {
      try {
        execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' })
        return ''
      } catch (e) {
        return String((e as { stdout?: unknown }).stdout)
      }
    }
    expect(typecheck()).toBe('')
    const out = execFileSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(dir, 'getting-started.ts')], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(out.trim().split('\n').at(-1)).toBe('ok')
  })
})

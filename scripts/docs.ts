/**
 * `npm run docs`: writes the API reference, docs/api/, from the doc comments of src/ (one page per
 * public module, its exports grouped by `@category` in the order of the closed list, each with its
 * signature, description, examples and `@since`).
 *
 * `npm run docs -- --check` (run by .ci/run) writes nothing: it fails when a page of docs/api/
 * differs from what the doc comments give (so the committed reference is stale: run `npm run docs`
 * and commit), when a page is there for no module, or when a doc comment is incomplete (no
 * sentence, no `@since`, a `@category` not in the list). Writing fails on the latter too, after
 * writing the pages.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as prettier from 'prettier'
import { categories, isPublicModule, readModules, tagProblems, type ExportDoc, type ModuleDoc } from './doc-comments.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'docs', 'api')

/** `src/ws/server.ts` -> `ws/server.md`. */
const pageOf = (file: string): string => file.replace(/^src\//, '').replace(/\.ts$/, '.md')

const fence = (code: string): string => '```ts\n' + code.replace(/\s+$/, '') + '\n```'

const prettierOptions = { ...(await prettier.resolveConfig(join(root, 'src', 'index.ts'))), parser: 'typescript' }

/** A signature laid out as the sources are (Prettier, with the project's options), or as printed when Prettier cannot read it. */
const layout = async (code: string): Promise<string> => {
  try {
    return await prettier.format(code, prettierOptions)
  } catch {
    return code
  }
}

/** `{@link X}` and `{@link X text}` as code, which is what they name. */
const links = (text: string): string =>
  text.replace(/\{@link\s+([^\s}|]+)(?:[\s|]+([^}]*))?\}/g, (_, name: string, label: string | undefined) => (label ? label : `\`${name}\``))

const section = (e: ExportDoc): string => {
  const parts = [`### ${e.name}${e.kind === 'function' || e.kind === 'const' ? '' : ` (${e.kind})`}`]
  if (e.doc?.deprecated !== undefined) parts.push(`**Deprecated**: ${links(e.doc.deprecated)}`)
  if (e.doc?.description) parts.push(links(e.doc.description))
  parts.push(fence(e.signature))
  for (const ex of e.doc?.examples ?? []) parts.push('**Example**\n\n' + fence(ex.code))
  parts.push(`Added in v${e.doc?.since[0] ?? '?'}`)
  return parts.join('\n\n')
}

/** The package entry point a module is, if it is one: src/index.ts is 'fp-jsonrpc', src/ws/index.ts 'fp-jsonrpc/ws'. */
const entryPoint = (file: string): string | undefined => {
  const m = /^src\/(?:(\w+)\/)?index\.ts$/.exec(file)
  return m === null ? undefined : m[1] === undefined ? 'fp-jsonrpc' : `fp-jsonrpc/${m[1]}`
}

/** The link from the page of `from` to the page of `to`. */
const linkTo = (from: string, to: string): string => {
  const up = pageOf(from).split('/').length - 1
  return '../'.repeat(up) + pageOf(to)
}

const reexportList = (m: ModuleDoc): string =>
  m.reexports
    .map((r) =>
      r.namespace
        ? `- \`${r.names[0]}\`: the module [${r.from.replace(/^src\//, '').replace(/\.ts$/, '')}](${linkTo(m.file, r.from)})`
        : `- ${r.names.length === 0 ? 'everything' : r.names.map((n) => `\`${n}\``).join(', ')}: from [${r.from.replace(/^src\//, '').replace(/\.ts$/, '')}](${linkTo(m.file, r.from)})`,
    )
    .join('\n')

const page = (m: ModuleDoc): string => {
  const entry = entryPoint(m.file)
  const title = entry === undefined ? m.file.replace(/^src\//, '').replace(/\.ts$/, '') : `${entry} (${m.file.replace(/^src\//, '')})`
  const shown = m.exports.filter((e) => e.doc?.internal !== true)
  const byCategory = new Map<string, Array<ExportDoc>>()
  for (const e of shown) {
    const c = e.doc?.category[0] ?? 'uncategorized'
    byCategory.set(c, [...(byCategory.get(c) ?? []), e])
  }
  const order = [...categories, ...[...byCategory.keys()].filter((c) => !(categories as ReadonlyArray<string>).includes(c)).sort()]
  const groups = order.flatMap((c) => {
    const es = byCategory.get(c)
    return es === undefined ? [] : [{ category: c, exports: [...es].sort((a, b) => a.name.localeCompare(b.name)) }]
  })
  const parts = [
    `# ${title}`,
    `<!-- Written by \`npm run docs\` from the doc comments of ${m.file}; edit those, not this page. -->`,
    m.doc === '' ? '' : links(m.doc),
    m.reexports.length === 0 ? '' : `## Exports\n\n${reexportList(m)}`,
    groups.length === 0 ? '' : '## Contents',
    groups.length === 0 ? '' : groups.map((g) => `- ${g.category}: ${g.exports.map((e) => `[${e.name}](#${anchor(e.name, e.kind)})`).join(', ')}`).join('\n'),
    ...groups.flatMap((g) => [`## ${g.category}`, ...g.exports.map(section)]),
  ]
  return parts.filter((p) => p !== '').join('\n\n') + '\n'
}

/** GitHub's anchor of a `### name (kind)` heading. */
const anchor = (name: string, kind: ExportDoc['kind']): string =>
  (kind === 'function' || kind === 'const' ? name : `${name}-${kind}`).toLowerCase().replace(/[^\w-]/g, '')

const index = (modules: ReadonlyArray<ModuleDoc>): string =>
  [
    '# API reference',
    '<!-- Written by `npm run docs` from the doc comments of src/; edit those, not this page. -->',
    'One page per module of `src/`, each export under its category. The categories, in this order:',
    categories.map((c) => `\`${c}\``).join(', ') + ' (what belongs under each: `categories` in scripts/doc-comments.ts).',
    modules
      .map((m) => `- [${m.file.replace(/^src\//, '').replace(/\.ts$/, '')}](${pageOf(m.file)})${m.doc === '' ? '' : `: ${firstSentence(links(m.doc))}`}`)
      .join('\n'),
  ].join('\n\n') + '\n'

const firstSentence = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  const end = flat.search(/\.(\s|$)/)
  return end === -1 ? flat : flat.slice(0, end + 1)
}

/** Every page, by its path under docs/api/. */
const pages = (modules: ReadonlyArray<ModuleDoc>): ReadonlyMap<string, string> => {
  const shown = modules.filter((m) => isPublicModule(m.file))
  return new Map([['README.md', index(shown)], ...shown.map((m) => [pageOf(m.file), page(m)] as const)])
}

const existing = (dir: string, prefix = ''): Array<string> => {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => (e.isDirectory() ? existing(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
}

const check = process.argv.includes('--check')
const modules = await Promise.all(
  readModules(root, true).map(async (m) => ({
    ...m,
    exports: await Promise.all(m.exports.map(async (e) => ({ ...e, signature: await layout(e.signature) }))),
  })),
)
const problems = tagProblems(modules)
const wanted = pages(modules)
let failed = false

if (check) {
  const stale = [...wanted].filter(([path, text]) => {
    try {
      return readFileSync(join(out, path), 'utf8') !== text
    } catch {
      return true
    }
  })
  const extra = existing(out).filter((path) => !wanted.has(path))
  for (const [path] of stale) process.stderr.write(`docs/api/${path} is stale or missing\n`)
  for (const path of extra) process.stderr.write(`docs/api/${path} is for no module of src/\n`)
  if (stale.length + extra.length > 0) {
    process.stderr.write('the API reference is not what the doc comments give: run `npm run docs` and commit docs/api/\n')
    failed = true
  }
} else {
  rmSync(out, { recursive: true, force: true })
  for (const [path, text] of wanted) {
    mkdirSync(dirname(join(out, path)), { recursive: true })
    writeFileSync(join(out, path), text)
  }
  process.stdout.write(`wrote ${wanted.size} pages to docs/api/\n`)
}

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`${p.file}:${p.line} ${p.name}: ${p.message}\n`)
  process.stderr.write(`${problems.length} incomplete doc comment(s)\n`)
  failed = true
}
if (failed) process.exit(1)
if (check) process.stdout.write(`docs/api/ is up to date (${wanted.size} pages)\n`)

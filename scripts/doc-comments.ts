/**
 * Reads the doc comments of src/: the modules, their exports, and each export's description and tags
 * (`@since`, `@category`, `@example`, `@internal`, `@deprecated`). Shared by the API reference
 * (scripts/docs.ts), the example test (test/examples.test.ts) and the category test
 * (test/categories.test.ts), so that all three read the comments the same way.
 *
 * What the reference and the tests hold the comments to:
 *
 * - every export of a public module (anything under src/ but src/internal/) has a doc comment: a
 *   sentence, then `@since` and exactly one `@category` from {@link categories}, unless it is
 *   marked `@internal`;
 * - an `@example` is a whole TypeScript module: it imports what it uses (`'fp-jsonrpc'`,
 *   `'fp-jsonrpc/http'`, ... for this package), and it type-checks and runs (test/examples.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

/**
 * The closed list of `@category` names, in the order the reference shows them (fp-ts's names, and
 * io-ts's `codecs`). One line each on what belongs there:
 *
 * - `model`: the data types (interfaces, type aliases, tagged unions) and the options objects.
 * - `constants`: fixed values of the model: standard codes, default limits, built-in contracts.
 * - `constructors`: functions and values that make a value of the model, a transport, a server or
 *   a connection (`make`, `empty`, `fromX`, `listen`, `connect`, id generators).
 * - `refinements`: type guards (`isX`).
 * - `codecs`: io-ts codecs and what decodes or validates with them.
 * - `combinators`: functions from a value of the model to another (`add`, `use`, `concat`, `batch`).
 * - `destructors`: taking a value apart (`match`, `fold`).
 * - `interop`: the bridge to code that throws or is not fp-ts (`raise`, `tryCatch`-like helpers).
 * - `utils`: everything else a user calls: formatting errors as text, parsing, decoding helpers.
 * - `type lambdas`: type-level helpers (`TypeOf`-like aliases).
 *
 * An export that is exported only for the package's own modules is marked `@internal` (as fp-ts
 * does) and needs neither `@since` nor `@category`; it is left out of the reference.
 */
export const categories = [
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
] as const

export type Category = (typeof categories)[number]

export interface Example {
  /** 1-based line of the `@example` tag in the source file. */
  readonly line: number
  /** 1-based line of the source file where the code's first line is. */
  readonly codeLine: number
  readonly code: string
}

export interface Doc {
  readonly description: string
  readonly since: ReadonlyArray<string>
  readonly category: ReadonlyArray<string>
  readonly examples: ReadonlyArray<Example>
  readonly internal: boolean
  readonly deprecated: string | undefined
}

export interface ExportDoc {
  readonly name: string
  readonly kind: 'function' | 'const' | 'interface' | 'type' | 'class' | 'enum' | 'namespace'
  /** 1-based line of the declaration. */
  readonly line: number
  readonly doc: Doc | undefined
  /** The declaration as the reference shows it: a signature, never a body. */
  readonly signature: string
}

export interface ModuleDoc {
  /** Path from the project root, with forward slashes: `src/Client.ts`. */
  readonly file: string
  readonly doc: string
  readonly exports: ReadonlyArray<ExportDoc>
  /** `export * as X from './X.js'` (names `['X']`, `namespace`) and `export { a, b } from './m.js'`, with the path of the module from the project root. */
  readonly reexports: ReadonlyArray<{ readonly names: ReadonlyArray<string>; readonly namespace: boolean; readonly from: string }>
  /** Examples in doc comments of declarations that are not exported, which are still checked. */
  readonly otherExamples: ReadonlyArray<Example & { readonly name: string }>
}

/** The source files whose doc comments are read: src/**\/*.ts. */
export const sourceFiles = (root: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative(root, path).split('\\').join('/'))
    }
  }
  walk(join(root, 'src'))
  return out
}

/** Whether a module is part of the reference: everything but src/internal/. */
export const isPublicModule = (file: string): boolean => !file.startsWith('src/internal/')

const tagPattern = /^@(\w+)\s?(.*)$/

/**
 * Parses the text of one `/** ... *\/` comment, given the 1-based line it starts on. A tag starts a
 * line (`* @since 0.1.0`); the one-line form `/** @category model @since 0.1.0 *\/` is read too.
 * An `@example` runs to the next tag, and keeps its indentation.
 */
export const parseComment = (text: string, startLine: number): Doc => {
  const body = text.replace(/^\/\*\*/, '').replace(/\*\/$/, '')
  const lines = body.split('\n').map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''))
  // The one-line form: split `@a x @b y` into tag lines.
  if (lines.length === 1) {
    const one = lines[0].trim()
    lines.splice(0, 1, ...(one.startsWith('@') ? one.split(/\s(?=@\w)/) : [one]))
  }
  const description: Array<string> = []
  const since: Array<string> = []
  const category: Array<string> = []
  const examples: Array<Example> = []
  let internal = false
  let deprecated: string | undefined
  let current: { tag: string; line: number; text: Array<string> } | undefined
  const close = (): void => {
    if (current === undefined) return
    const value = current.text.join('\n').trim()
    if (current.tag === 'since') since.push(value)
    else if (current.tag === 'category') category.push(value)
    else if (current.tag === 'example') {
      const text = current.text.join('\n')
      const leading = /^\n*/.exec(text)![0].length
      examples.push({ line: current.line, codeLine: current.line + 1 + leading, code: text.slice(leading).replace(/\s+$/, '') + '\n' })
    } else if (current.tag === 'internal') internal = true
    else if (current.tag === 'deprecated') deprecated = value
    current = undefined
  }
  lines.forEach((line, i) => {
    const tag = current?.tag === 'example' && !/^@(since|category|internal|deprecated|example|see)\b/.test(line) ? null : tagPattern.exec(line)
    if (tag) {
      close()
      current = { tag: tag[1], line: startLine + i, text: tag[2] === undefined || tag[2] === '' ? [] : [tag[2]] }
    } else if (current) current.text.push(line)
    else description.push(line)
  })
  close()
  return { description: description.join('\n').trim(), since, category, examples, internal, deprecated }
}

const docComments = (sf: ts.SourceFile, node: ts.Node): ReadonlyArray<{ text: string; line: number }> =>
  (ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [])
    .filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && sf.text.startsWith('/**', r.pos))
    .map((r) => ({ text: sf.text.slice(r.pos, r.end), line: sf.getLineAndCharacterOfPosition(r.pos).line + 1 }))

const isExported = (node: ts.Node): boolean => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

const lineOf = (sf: ts.SourceFile, node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1

/** The source text of a node with its doc comments and bodies left out. */
const signatureOf = (sf: ts.SourceFile, node: ts.Node, checker: ts.TypeChecker | undefined): string => {
  const printer = ts.createPrinter({ removeComments: true })
  if (ts.isFunctionDeclaration(node)) {
    const stripped = ts.factory.updateFunctionDeclaration(
      node,
      node.modifiers,
      node.asteriskToken,
      node.name,
      node.typeParameters,
      node.parameters,
      node.type,
      undefined,
    )
    return printer.printNode(ts.EmitHint.Unspecified, stripped, sf)
  }
  if (ts.isVariableDeclaration(node)) {
    const name = node.name.getText(sf)
    if (node.type) return `export declare const ${name}: ${node.type.getText(sf)}`
    const init = node.initializer
    if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && init.type) {
      const typeParams = init.typeParameters ? `<${init.typeParameters.map((p) => p.getText(sf)).join(', ')}>` : ''
      const params = init.parameters.map((p) => p.getText(sf)).join(', ')
      return `export declare const ${name}: ${typeParams}(${params}) => ${init.type.getText(sf)}`
    }
    if (checker) {
      const type = checker.getTypeAtLocation(node.name)
      const text = checker.typeToString(type, node, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope)
      return `export declare const ${name}: ${text}`
    }
    return `export declare const ${name}`
  }
  if (ts.isClassDeclaration(node)) return `export declare class ${node.name?.getText(sf) ?? 'default'}`
  return printer.printNode(ts.EmitHint.Unspecified, node, sf)
}

const exportsOf = (sf: ts.SourceFile, checker: ts.TypeChecker | undefined): { exports: Array<ExportDoc>; others: Array<Example & { name: string }> } => {
  const exports: Array<ExportDoc> = []
  const others: Array<Example & { name: string }> = []
  const seen = new Set<string>()
  const docOf = (node: ts.Node): Doc | undefined => {
    const comments = docComments(sf, node)
    const last = comments[comments.length - 1]
    return last === undefined ? undefined : parseComment(last.text, last.line)
  }
  const add = (name: string, kind: ExportDoc['kind'], node: ts.Node, docNode: ts.Node, sigNode: ts.Node): void => {
    const doc = docOf(docNode)
    if (seen.has(name)) {
      // An overload: the first signature's comment is the export's; a later one may not hold examples unseen.
      const first = exports.find((e) => e.name === name)!
      for (const ex of doc?.examples ?? []) if (!first.doc?.examples.some((e) => e.line === ex.line)) others.push({ ...ex, name })
      return
    }
    seen.add(name)
    exports.push({ name, kind, line: lineOf(sf, node), doc, signature: signatureOf(sf, sigNode, checker) })
  }
  for (const statement of sf.statements) {
    const exported = isExported(statement)
    if (!exported) {
      for (const c of docComments(sf, statement)) for (const ex of parseComment(c.text, c.line).examples) others.push({ ...ex, name: '(not exported)' })
      continue
    }
    if (ts.isFunctionDeclaration(statement) && statement.name) add(statement.name.text, 'function', statement, statement, statement)
    else if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) add(d.name.getText(sf), 'const', d, statement, d)
    else if (ts.isInterfaceDeclaration(statement)) add(statement.name.text, 'interface', statement, statement, statement)
    else if (ts.isTypeAliasDeclaration(statement)) add(statement.name.text, 'type', statement, statement, statement)
    else if (ts.isClassDeclaration(statement) && statement.name) add(statement.name.text, 'class', statement, statement, statement)
    else if (ts.isEnumDeclaration(statement)) add(statement.name.text, 'enum', statement, statement, statement)
    else if (ts.isModuleDeclaration(statement)) add(statement.name.getText(sf), 'namespace', statement, statement, statement)
  }
  return { exports, others }
}

/** The module's own comment: the first doc comment of the file, when it is not an export's. */
const moduleComment = (sf: ts.SourceFile): string => {
  const first = sf.statements[0]
  if (first === undefined) return ''
  const comments = docComments(sf, first)
  if (comments.length === 0) return ''
  // A single comment in front of the first statement is that statement's, unless the file has an
  // empty line after it (the fp-ts layout: module comment, blank line, imports).
  const c = comments[0]
  const after = sf.text.slice(sf.text.indexOf(c.text) + c.text.length, first.getStart(sf))
  if (comments.length === 1 && !/\n\s*\n/.test(after) && isExported(first)) return ''
  return parseComment(c.text, c.line).description
}

/**
 * Reads every file of src/. With `typed`, a TypeScript program is made so that the signatures of
 * consts without a type annotation are the checker's; without it (the tests), only syntax is read.
 */
export const readModules = (root: string, typed = false): ReadonlyArray<ModuleDoc> => {
  const files = sourceFiles(root)
  let program: ts.Program | undefined
  if (typed) {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.esm.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
    if (config === undefined) throw new Error('cannot read tsconfig.esm.json')
    program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, noEmit: true } })
  }
  const checker = program?.getTypeChecker()
  return files.map((file) => {
    const path = join(root, file)
    const sf = program?.getSourceFile(path) ?? ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
    const { exports, others } = exportsOf(sf, checker)
    const reexports = sf.statements.flatMap((st) => {
      if (!ts.isExportDeclaration(st) || st.moduleSpecifier === undefined || !ts.isStringLiteral(st.moduleSpecifier)) return []
      const from = join(dirname(file), st.moduleSpecifier.text.replace(/\.js$/, '.ts')).split('\\').join('/')
      const clause = st.exportClause
      if (clause === undefined) return [{ names: [], namespace: false, from }]
      if (ts.isNamespaceExport(clause)) return [{ names: [clause.name.text], namespace: true, from }]
      return [{ names: clause.elements.map((e) => e.name.text), namespace: false, from }]
    })
    return { file, doc: moduleComment(sf), exports, reexports, otherExamples: others }
  })
}

export interface Problem {
  readonly file: string
  readonly line: number
  readonly name: string
  readonly message: string
}

/**
 * What is wrong with the doc comments of the public modules' exports: none, no sentence before the
 * tags, a missing or repeated `@since`, a missing, repeated or unknown `@category`.
 */
export const tagProblems = (modules: ReadonlyArray<ModuleDoc>): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  for (const m of modules) {
    if (!isPublicModule(m.file)) continue
    for (const e of m.exports) {
      const at = { file: m.file, line: e.line, name: e.name }
      if (e.doc === undefined) {
        problems.push({ ...at, message: 'no doc comment' })
        continue
      }
      if (e.doc.internal) continue
      if (e.doc.description === '') problems.push({ ...at, message: 'the doc comment has tags but no sentence saying what the export is' })
      if (e.doc.since.length !== 1 || !/^\d+\.\d+\.\d+$/.test(e.doc.since[0]))
        problems.push({ ...at, message: `@since must be given once, as a version (got ${JSON.stringify(e.doc.since)})` })
      if (e.doc.category.length !== 1) problems.push({ ...at, message: `@category must be given once (got ${JSON.stringify(e.doc.category)})` })
      else if (!(categories as ReadonlyArray<string>).includes(e.doc.category[0]))
        problems.push({ ...at, message: `@category ${JSON.stringify(e.doc.category[0])} is not one of: ${categories.join(', ')}` })
    }
  }
  return problems
}

/** Every `@example` of src/, exported declaration or not, with where it is. */
export const allExamples = (modules: ReadonlyArray<ModuleDoc>): ReadonlyArray<Example & { readonly file: string; readonly name: string }> =>
  modules.flatMap((m) => [
    ...m.exports.flatMap((e) => (e.doc?.examples ?? []).map((ex) => ({ ...ex, file: m.file, name: e.name }))),
    ...m.otherExamples.map((ex) => ({ ...ex, file: m.file })),
  ])

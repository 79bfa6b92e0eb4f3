// Repository rules that keep the packages honest: names, exports, documented error codes,
// portable packages free of Node-only APIs, and every parser fixture claimed by one parser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ModuleContext, Parser } from '@beer/core'
import { fixtureLines, fixtureMessage } from '@beer/parser-sdk/testing'

const root = new URL('../../', import.meta.url).pathname
const packagesDir = join(root, 'packages')
const packages = readdirSync(packagesDir)
  .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
  .map((d) => ({ dir: join(packagesDir, d), json: JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')) }))

/** Packages that run on any runtime: web-standard globals only. */
const PORTABLE = /^@beer\/(core|syslog-header|parser-.+|analyzer-.+)$/

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : []
  })
}

test('package names follow @beer/<role>-<noun>, besides the runtime\'s own core, pipeline, control and cli', () => {
  for (const { json } of packages) {
    assert.match(json.name, /^@beer\/(core|pipeline|control|cli|[a-z]+-[a-z0-9-]+)$/, json.name)
  }
})

test('every package is ESM, needs Node >= 20.19, and has a README', () => {
  for (const { dir, json } of packages) {
    assert.equal(json.type, 'module', `${json.name}: type module`)
    assert.equal(json.engines?.node, '>=20.19', `${json.name}: engines.node`)
    assert.ok(existsSync(join(dir, 'README.md')), `${json.name}: README.md`)
  }
})

test('exports point at built files that exist, with types, and seal internals', () => {
  for (const { dir, json } of packages) {
    const main = json.exports?.['.']
    assert.ok(main, `${json.name}: exports["."]`)
    for (const key of ['types', 'default']) {
      assert.ok(existsSync(join(dir, main[key])), `${json.name}: ${main[key]} exists (run the build first)`)
    }
    assert.equal(json.exports['./internal/*'], null, `${json.name}: ./internal/* sealed`)
  }
})

test('internal dependencies use real semver ranges that the workspace satisfies', () => {
  const versions = new Map(packages.map((p) => [p.json.name, p.json.version]))
  for (const { json } of packages) {
    for (const [dep, range] of Object.entries({ ...json.dependencies, ...json.devDependencies } as Record<string, string>)) {
      if (!versions.has(dep)) continue
      assert.match(range, /^\^\d+\.\d+\.\d+$/, `${json.name} → ${dep}: ${range}`)
      const [maj, min] = range.slice(1).split('.').map(Number)
      const [vmaj, vmin] = versions.get(dep).split('.').map(Number)
      assert.ok(maj === vmaj && (maj > 0 || min === vmin), `${json.name} wants ${dep}@${range}, workspace has ${versions.get(dep)}`)
    }
  }
})

test('src/index.ts only re-exports', () => {
  for (const { dir, json } of packages) {
    const index = readFileSync(join(dir, 'src/index.ts'), 'utf8')
    for (const line of index.split('\n')) {
      const t = line.trim()
      if (t === '' || t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) continue
      assert.match(t, /^(export |[A-Za-z_, {}]+$|\} from |\})/, `${json.name} src/index.ts: '${t}'`)
    }
  }
})

test('portable packages import no node: module and use no Node-only global', () => {
  for (const { dir, json } of packages) {
    if (!PORTABLE.test(json.name)) continue
    for (const file of sourceFiles(join(dir, 'src'))) {
      // The SDK's golden-file kit reads fixture files and registers node:test tests: it runs in
      // parser packages' tests, never in a pipeline, and builds apart (tsconfig.testing.json).
      if (json.name === '@beer/parser-sdk' && file.startsWith(join(dir, 'src/testing/'))) continue
      const text = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '')
      assert.doesNotMatch(text, /from\s+['"]node:|require\(|import\(['"]node:/, `${file} imports a node: module`)
      assert.doesNotMatch(text, /\bBuffer\b|\bprocess\./, `${file} uses Buffer or process`)
    }
  }
})

test('every BEER_ERR_ code in the sources is documented in docs/errors.md', () => {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8')
  const missing = new Set<string>()
  for (const { dir } of packages) {
    for (const file of sourceFiles(join(dir, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/BEER_ERR_[A-Z0-9_]+/g)) {
        if (!doc.includes('`' + m[0] + '`')) missing.add(m[0])
      }
    }
  }
  assert.deepEqual([...missing].sort(), [], 'codes missing from docs/errors.md')
})

/** Parser packages: `@beer/parser-*` besides the SDK (the template is one too). */
const parserPackages = packages.filter((p) => /^@beer\/parser-/.test(p.json.name) && p.json.name !== '@beer/parser-sdk')

/**
 * A parser package's live parser, built the way the runtime builds it: the factory its index
 * exports gives a descriptor, whose module's `create` export builds the parser.
 */
async function buildParser(dir: string, name: string): Promise<Parser> {
  const index = join(dir, 'dist/index.js')
  assert.ok(existsSync(index), `${name}: ${index} exists (run the build first)`)
  const context: ModuleContext = {
    name,
    instance: 0,
    log: { info() {}, warn() {}, error() {} },
    emit() {},
  }
  const mod = (await import(pathToFileURL(index).href)) as Record<string, unknown>
  for (const value of Object.values(mod)) {
    if (typeof value !== 'function') continue
    let d: unknown
    try {
      d = value()
    } catch {
      continue
    }
    const desc = d as { kind?: unknown; module?: unknown; export?: unknown; options?: unknown } | null
    if (desc === null || typeof desc !== 'object' || desc.kind !== 'parser' || typeof desc.module !== 'string') continue
    const built = (await import(desc.module)) as Record<string, unknown>
    const create = built[String(desc.export)] as (options: unknown, context: ModuleContext) => Parser | Promise<Parser>
    return await create(desc.options, context)
  }
  assert.fail(`${name}: dist/index.js exports no factory that returns a parser descriptor`)
}

test('every fixture line of every parser package is claimed by exactly one parser: its own package\'s', async () => {
  const parsers = await Promise.all(
    parserPackages.map(async ({ dir, json }) => ({ name: json.name as string, dir, parser: await buildParser(dir, json.name) })),
  )
  const problems: string[] = []
  for (const own of parsers) {
    const fixtures = join(own.dir, 'fixtures')
    const logs = existsSync(fixtures) ? readdirSync(fixtures).filter((f) => f.endsWith('.log')).sort() : []
    if (logs.length === 0) problems.push(`${own.name}: no fixtures/*.log`)
    for (const file of logs) {
      const lines = fixtureLines(readFileSync(join(fixtures, file), 'utf8'))
      lines.forEach((line, k) => {
        const msg = fixtureMessage(line)
        const claimedBy = parsers
          .filter((p) => {
            try {
              return p.parser.isMine(msg) === true
            } catch {
              return false
            }
          })
          .map((p) => p.name)
        if (claimedBy.length !== 1 || claimedBy[0] !== own.name) {
          const where = `${relative(root, join(fixtures, file))}:${k + 1}`
          problems.push(`${where} is claimed by ${claimedBy.length === 0 ? 'no parser' : claimedBy.join(' and ')}`)
        }
      })
    }
  }
  assert.deepEqual(problems, [], 'fixture lines not claimed by exactly their own parser')
})

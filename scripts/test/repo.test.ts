// Repository rules that keep the packages honest: names, exports, documented error codes, and
// portable packages free of Node-only APIs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

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

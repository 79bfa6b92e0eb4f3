// The shared event vocabulary (docs/event-vocabulary.md) against what the parsers emit on their
// golden fixtures: analyzers match on these names, so a parser that drifts from them, or a table
// row that no fixture backs, fails here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../../', import.meta.url).pathname
const DOC = join(root, 'docs/event-vocabulary.md')

/** Categories whose actions must all come from the table: the ones analyzers and the identity map read. */
const SHARED = new Set(['authentication', 'iam', 'session'])

interface Row {
  action: string
  categories: string[]
  types: string[]
  parsers: string[]
}

function rows(): Row[] {
  const out: Row[] = []
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    // | `action` | categories | types | outcome | meaning | parsers |
    if (cells.length < 8 || !/^`[^`]+`$/.test(cells[1]!)) continue
    const words = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
    out.push({ action: cells[1]!.slice(1, -1), categories: words(cells[2]!), types: words(cells[3]!), parsers: words(cells[6]!) })
  }
  return out
}

interface Emitted {
  parser: string
  file: string
  action: string
  categories: string[]
  types: string[]
}

function emitted(): Emitted[] {
  const out: Emitted[] = []
  const packages = join(root, 'packages')
  for (const dir of readdirSync(packages).sort()) {
    if (!dir.startsWith('parser-') || dir === 'parser-sdk' || dir === 'parser-template') continue
    const fixtures = join(packages, dir, 'fixtures')
    if (!existsSync(fixtures)) continue
    for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
      const parsed = JSON.parse(readFileSync(join(fixtures, file), 'utf8')) as unknown
      const events = (Array.isArray(parsed) ? parsed : [parsed]).flat(2) as { event?: { action?: unknown; category?: unknown; type?: unknown } }[]
      for (const ev of events) {
        const action = ev?.event?.action
        if (typeof action !== 'string') continue
        const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
        out.push({ parser: dir.slice('parser-'.length), file: `${dir}/fixtures/${file}`, action, categories: list(ev.event!.category), types: list(ev.event!.type) })
      }
    }
  }
  return out
}

test('every action of the shared categories is in docs/event-vocabulary.md, for the parser that emits it', () => {
  const table = new Map(rows().map((r) => [r.action, r]))
  assert.ok(table.size > 0, 'docs/event-vocabulary.md has no vocabulary rows')
  const problems: string[] = []
  for (const e of emitted()) {
    const row = table.get(e.action)
    if (row === undefined) {
      if (e.categories.some((c) => SHARED.has(c))) problems.push(`${e.file}: action '${e.action}' (${e.categories.join(', ')}) is not in the table`)
      continue
    }
    if (!row.parsers.includes(e.parser)) problems.push(`${e.file}: '${e.action}' is emitted by ${e.parser}, which its row does not list`)
    if (!row.categories.some((c) => e.categories.includes(c))) {
      problems.push(`${e.file}: '${e.action}' has categories [${e.categories.join(', ')}], its row says [${row.categories.join(', ')}]`)
    }
    if (row.types.length > 0 && !row.types.some((t) => e.types.includes(t))) {
      problems.push(`${e.file}: '${e.action}' has types [${e.types.join(', ')}], its row says [${row.types.join(', ')}]`)
    }
  }
  assert.deepEqual(problems, [])
})

test('every parser a vocabulary row names emits that action in its fixtures', () => {
  const seen = new Set(emitted().map((e) => `${e.parser} ${e.action}`))
  const missing = rows().flatMap((r) => r.parsers.filter((p) => !seen.has(`${p} ${r.action}`)).map((p) => `${r.action}: ${p}`))
  assert.deepEqual(missing, [], 'rows naming a parser whose fixtures never emit the action')
})

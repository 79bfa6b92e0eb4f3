// Agreement with outside oracles on the shared corpus (../shared/corpus from the repository root):
// Sekoia's netfilter intake (parsed test cases) and Wazuh's iptables rule tests (lines that must be
// claimed). The rates are printed; the corpus is not part of the repository, so without it these
// tests skip with a notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'
const parser = create({})

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Sekoia and Wazuh not measured`)
  t.skip('shared corpus absent')
  return true
}

function parseLine(line: string): { mine: boolean; event: LogEvent | undefined } {
  const msg = fixtureMessage(line)
  if (!parser.isMine(msg)) return { mine: false, event: undefined }
  const r = parser.parse(msg)
  return { mine: true, event: (Array.isArray(r) ? r[0] : r) ?? undefined }
}

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

// Sekoia's `action.name` (the verdict word of the prefix) → our event.action.
const SEKOIA_ACTIONS: Record<string, string> = { accept: 'packet-allowed', drop: 'packet-denied', reject: 'packet-denied' }

const FIELDS: [sekoia: string, ours: string][] = [
  ['source.ip', 'source.ip'],
  ['source.port', 'source.port'],
  ['source.mac', 'source.mac'],
  ['source.bytes', 'source.bytes'],
  ['destination.ip', 'destination.ip'],
  ['destination.port', 'destination.port'],
  ['destination.mac', 'destination.mac'],
  ['network.transport', 'network.transport'],
  ['action.name', 'event.action'],
  ['event.outcome', 'event.outcome'],
]

function normal(field: string, value: unknown): string {
  const text = String(value)
  if (field.endsWith('.mac')) return text.toLowerCase().replaceAll('-', ':')
  if (field === 'action.name') return SEKOIA_ACTIONS[text] ?? `(unmapped ${text})`
  return text
}

test('agrees with Sekoia’s netfilter intake on at least 90% of the compared fields', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'sekoia-intake-formats/netfilter/'
  let agree = 0
  let total = 0
  const differences: string[] = []
  const unclaimed: string[] = []
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
  for (const name of files) {
    const data = JSON.parse(readFileSync(dir + name, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    // Sekoia's inputs are bodies without a header; the parser claims these as they are.
    const { mine, event } = parseLine(data.input.message.replace(/\r?\n$/, ''))
    if (!mine || event === undefined) {
      unclaimed.push(name)
      continue
    }
    for (const [theirs, ours] of FIELDS) {
      const e = get(data.expected, theirs)
      const o = get(event, ours)
      if (e === undefined || o === undefined) continue
      total++
      if (normal(theirs, e) === normal(ours, o)) agree++
      else differences.push(`${name} ${theirs}: Sekoia ${JSON.stringify(e)}, ours ${ours} ${JSON.stringify(o)}`)
    }
  }
  const rate = total === 0 ? 0 : agree / total
  console.log(
    [
      `sekoia netfilter: ${files.length - unclaimed.length} of ${files.length} cases claimed; ${agree} / ${total} compared fields agree = ${(rate * 100).toFixed(2)}%`,
      ...differences.map((d) => '    ' + d),
    ].join('\n'),
  )
  assert.deepEqual(unclaimed, [])
  assert.ok(rate >= 0.9, `agreement with Sekoia ${(rate * 100).toFixed(2)}% is below 90%`)
})

/** Lines of a Wazuh rule-test file: `log N pass|fail = <line>`, and bare lines a section lists without the prefix. */
function wazuhLines(ini: string): string[] {
  const out: string[] = []
  for (const raw of ini.split('\n')) {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '' || line.startsWith(';') || line.startsWith('[')) continue
    const m = /^log \d+ (?:pass|fail) = (.*)$/.exec(line)
    if (m) out.push(m[1]!)
    else if (!/^[a-z_]+ = /.test(line)) out.push(line)
  }
  return out
}

test('claims every line of Wazuh’s iptables.ini', (t) => {
  if (skipWithoutCorpus(t)) return
  const lines = wazuhLines(readFileSync(CORPUS + 'wazuh-ruleset-tests/iptables.ini', 'utf8'))
  const refused = lines.filter((line) => !parseLine(line).mine)
  const partial = lines.filter((line) => get(parseLine(line).event, 'beer.partial') === true)
  console.log(`wazuh iptables.ini: ${lines.length - refused.length} of ${lines.length} lines claimed, ${partial.length} partial`)
  assert.ok(lines.length > 0)
  assert.deepEqual(refused, [])
})

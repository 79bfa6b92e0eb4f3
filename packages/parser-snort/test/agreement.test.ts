// Agreement with Elastic's Snort integration on the shared corpus (../shared/corpus from the
// repository root): its expected ECS documents for Snort's syslog output, and its alert_fast
// sample, every line of which must be claimed. The rates are printed; the corpus is not part of
// the repository, so without it these tests skip with a notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { create } from '../src/snort.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Elastic's Snort integration not measured`)
  t.skip('shared corpus absent')
  return true
}

/** The fields compared, and where Elastic keeps each when the name differs. */
const FIELDS: Record<string, string> = {
  '@timestamp': '@timestamp',
  'source.ip': 'source.ip',
  'source.port': 'source.port',
  'destination.ip': 'destination.ip',
  'destination.port': 'destination.port',
  'network.transport': 'network.transport',
  'network.type': 'network.type',
  'event.kind': 'event.kind',
  'event.category': 'event.category',
  'event.severity': 'event.severity',
  'rule.id': 'rule.id',
  'rule.version': 'rule.version',
  'rule.category': 'rule.category',
  // Elastic puts the rule message in rule.description; ECS's rule.name is the signature's name.
  'rule.name': 'rule.description',
  'snort.gid': 'snort.gid',
  'observer.type': 'observer.type',
  'observer.hostname': 'observer.name',
  'related.ip': 'related.ip',
}

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

/** Whether two values agree; an array agrees when ours holds every value Elastic's holds. */
function same(field: string, expected: unknown, ours: unknown): boolean {
  if (field === '@timestamp') {
    // The syslog header has no year: Elastic took its test run's, we take the receive time's.
    const o = new Date(String(ours))
    const e = new Date(String(expected))
    o.setUTCFullYear(e.getUTCFullYear())
    return o.getTime() === e.getTime()
  }
  if (Array.isArray(expected)) return Array.isArray(ours) && expected.every((x) => ours.includes(x))
  return JSON.stringify(expected) === JSON.stringify(ours)
}

function parse(line: string, timezone: string): { mine: boolean; event: LogEvent | undefined } {
  const p = create({ timezone })
  const msg = fixtureMessage(line, timezone)
  if (!p.isMine(msg)) return { mine: false, event: undefined }
  const r = p.parse(msg)
  return { mine: true, event: (Array.isArray(r) ? r[0] : r) ?? undefined }
}

test('agrees with Elastic’s Snort integration on at least 95% of the fields both produce', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'elastic-snort/'
  const lines = readFileSync(dir + 'test-log-syslog.log', 'utf8').split('\n').filter((l) => l !== '')
  const expected = (JSON.parse(readFileSync(dir + 'test-log-syslog.log-expected.json', 'utf8')) as { expected: Record<string, unknown>[] }).expected
  let agree = 0
  let total = 0
  const perField = new Map<string, [number, number]>()
  const differences: string[] = []
  expected.forEach((doc, i) => {
    const line = lines[i]!
    assert.equal(get(doc, 'event.original'), line, `expected[${i}] is line ${i + 1}`)
    const timezone = String(get(doc, 'event.timezone') ?? 'UTC')
    const { mine, event } = parse(line, timezone)
    assert.ok(mine && event, `test-log-syslog.log:${i + 1} is claimed`)
    for (const [ours, theirs] of Object.entries(FIELDS)) {
      const e = get(doc, theirs)
      const o = get(event, ours)
      if (e === undefined || e === null || o === undefined) continue
      const row = perField.get(ours) ?? [0, 0]
      row[1]++
      total++
      if (same(ours, e, o)) {
        row[0]++
        agree++
      } else {
        differences.push(`test-log-syslog.log:${i + 1} ${ours}: Elastic ${JSON.stringify(e)}, ours ${JSON.stringify(o)}`)
      }
      perField.set(ours, row)
    }
  })
  const rate = total === 0 ? 0 : agree / total
  const rows = ['elastic-snort (syslog): agreement per field (agreeing / compared)']
  for (const [field, [a, n]] of perField) rows.push(`  ${field.padEnd(20)} ${String(a).padStart(3)} / ${n}`)
  rows.push(`  overall ${agree} / ${total} = ${(rate * 100).toFixed(2)}% (@timestamp compared without the year, which the header does not carry)`)
  if (differences.length > 0) rows.push('  differences:', ...differences.map((d) => '    ' + d))
  console.log(rows.join('\n'))
  assert.ok(rate >= 0.95, `agreement with Elastic ${(rate * 100).toFixed(2)}% is below 95%`)
})

test('claims and fully reads every line of Elastic’s alert_fast and syslog samples', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'elastic-snort/'
  for (const file of ['test-log-fast.log', 'test-log-syslog.log']) {
    const lines = readFileSync(dir + file, 'utf8').split('\n').filter((l) => l !== '')
    const refused: string[] = []
    const partial: string[] = []
    for (const line of lines) {
      const { mine, event } = parse(line, 'America/Chicago')
      if (!mine) refused.push(line)
      else if (get(event, 'beer.partial') === true) partial.push(`${line}: ${String(get(event, 'error.message'))}`)
    }
    console.log(`elastic-snort ${file}: ${lines.length - refused.length} of ${lines.length} lines claimed, ${partial.length} partial`)
    assert.ok(lines.length > 0)
    assert.deepEqual(refused, [], `${file}: every line claimed`)
    assert.deepEqual(partial, [], `${file}: no line partial`)
  }
})

// Agreement with outside oracles on the shared corpus (../shared/corpus from the repository root):
// Sekoia's Windows intake (NXLog JSON test cases with their expected events) and rsyslog's Snare
// test data (lines that must be claimed and read). The rates are printed; the corpus is not part
// of the repository, so without it these tests skip with a notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../src/windows.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'
const parser = create({ timezone: 'UTC' })

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Sekoia and rsyslog's Snare data not measured`)
  t.skip('shared corpus absent')
  return true
}

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc
  const keys = path.split('.')
  for (let i = 0; i < keys.length; i++) {
    if (v === null || typeof v !== 'object') return undefined
    const o = v as Record<string, unknown>
    const rest = keys.slice(i).join('.')
    if (rest in o) return o[rest]
    v = o[keys[i]!]
  }
  return v
}

/** The fields compared: addresses, ports, accounts, host, action and outcome, codes. */
const FIELDS = [
  'event.code',
  'event.provider',
  'event.outcome',
  'event.action',
  'event.category',
  'event.type',
  'host.name',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'user.name',
  'user.domain',
  'user.id',
  'user.target.name',
  'user.target.domain',
  'user.target.id',
  'event.reason',
]

// Logon events: Sekoia writes the account logged on as user.target.* (and the Subject as user.*);
// ECS usage (and Elastic) make it user.*, the Subject stays in winlog.event_data.
const LOGON_EVENTS = new Set(['4624', '4625', '4634', '4647', '4648', '4768', '4769', '4771', '4776'])
const LOGON_ALIASES: Record<string, string> = {
  'user.name': 'user.target.name',
  'user.domain': 'user.target.domain',
  'user.id': 'user.target.id',
  'user.target.name': '',
  'user.target.domain': '',
  'user.target.id': '',
}

// Sekoia names authentications after their logon type; the event vocabulary after what happened.
const ACTIONS: Record<string, Record<string, string>> = {
  authentication_network: { '4624': 'logged-in', '4625': 'logon-failed' },
  authentication_interactive: { '4624': 'logged-in', '4625': 'logon-failed' },
  authentication_remote_interactive: { '4624': 'logged-in', '4625': 'logon-failed' },
}

interface Tally {
  agree: Map<string, number>
  total: Map<string, number>
  differences: string[]
}

function same(expected: unknown, ours: unknown): boolean {
  return JSON.stringify(expected) === JSON.stringify(ours) || String(expected) === String(ours)
}

/** Why a difference is a known quirk of the oracle's output rather than a misread field. */
function reason(field: string, input: Record<string, unknown>, e: unknown): string | undefined {
  if (field.startsWith('user.') && typeof e === 'string' && !JSON.stringify(input).includes(JSON.stringify(e))) {
    return 'Sekoia\'s expected value does not occur in the input (its test data was anonymised on one side only)'
  }
  if (field === 'user.domain' && input.SubjectDomainName !== e && input.TargetDomainName !== e) {
    return 'Sekoia writes a domain the input does not give for this account'
  }
  return undefined
}

test('agrees with Sekoia’s Windows intake on at least 90% of the compared fields', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'sekoia-intake-formats/windows/'
  const result: Tally = { agree: new Map(), total: new Map(), differences: [] }
  const unclaimed: string[] = []
  let cases = 0
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(dir + name, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    cases++
    // As NXLog sends it (om_udp with to_syslog_bsd): a syslog header before the JSON record. The
    // header names a relay, so the host must come from the record itself.
    const line = `<14>Nov 27 10:00:00 relay01 nxlog: ${data.input.message}`
    const msg = fixtureMessage(line)
    if (!parser.isMine(msg)) {
      unclaimed.push(name)
      continue
    }
    const r = parser.parse(msg)
    const ours = (Array.isArray(r) ? r[0] : r) as LogEvent
    const input = JSON.parse(data.input.message) as Record<string, unknown>
    const code = String(get(ours, 'event.code'))
    for (const field of FIELDS) {
      const alias = LOGON_EVENTS.has(code) ? LOGON_ALIASES[field] : undefined
      if (alias === '') continue
      let e = get(data.expected, alias ?? field)
      const o = get(ours, field)
      if (e === undefined || e === null || o === undefined) continue
      if (field === 'event.action' && typeof e === 'string' && ACTIONS[e]?.[code] !== undefined) e = ACTIONS[e]![code]
      result.total.set(field, (result.total.get(field) ?? 0) + 1)
      if (same(e, o)) result.agree.set(field, (result.agree.get(field) ?? 0) + 1)
      else {
        const why = reason(field, input, e)
        result.differences.push(`${name} ${field}: expected ${JSON.stringify(e)}, got ${JSON.stringify(o)}${why ? ` — ${why}` : ''}`)
      }
    }
  }
  let agree = 0
  let total = 0
  const rows = [`sekoia windows: ${cases} cases, ${cases - unclaimed.length} claimed; agreement per field (agreeing / compared)`]
  for (const field of FIELDS) {
    const n = result.total.get(field) ?? 0
    if (n === 0) continue
    const a = result.agree.get(field) ?? 0
    agree += a
    total += n
    rows.push(`  ${field.padEnd(20)} ${String(a).padStart(4)} / ${String(n).padEnd(4)} ${((a / n) * 100).toFixed(1)}%`)
  }
  const rate = total === 0 ? 0 : agree / total
  rows.push(`  overall ${agree} / ${total} = ${(rate * 100).toFixed(2)}%`)
  if (result.differences.length > 0) rows.push('  differences:', ...result.differences.map((d) => '    ' + d))
  console.log(rows.join('\n'))
  assert.deepEqual(unclaimed, [], 'every case is claimed')
  assert.ok(rate >= 0.9, `agreement with Sekoia ${(rate * 100).toFixed(2)}% is below 90%`)
})

test('claims and reads every Snare line of rsyslog’s Windows test data', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'rsyslog-windows-snare/'
  let lines = 0
  let claimed = 0
  let partial = 0
  let mapped = 0
  let withUser = 0
  const refused: string[] = []
  const ids = new Map<string, number>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.data')).sort()) {
    for (const line of readFileSync(dir + file, 'utf8').split('\n')) {
      if (line === '') continue
      lines++
      const msg = fixtureMessage(line)
      if (!parser.isMine(msg)) {
        refused.push(`${file}: ${line.slice(0, 80)}`)
        continue
      }
      claimed++
      const r = parser.parse(msg)
      const ev = (Array.isArray(r) ? r[0] : r) as LogEvent
      const code = String(get(ev, 'event.code'))
      ids.set(code, (ids.get(code) ?? 0) + 1)
      assert.equal(get(ev, 'host.name') !== undefined, true, `${file}: host.name of ${line.slice(0, 80)}`)
      assert.match(String(ev['@timestamp']), /^\d{4}-\d\d-\d\dT/)
      if (get(ev, 'beer.partial') === true) partial++
      if (get(ev, 'event.action') !== undefined) mapped++
      if (get(ev, 'user.name') !== undefined) withUser++
    }
  }
  console.log(
    `rsyslog-windows-snare: ${claimed} of ${lines} lines claimed (${((claimed / lines) * 100).toFixed(1)}%), ${partial} partial, ` +
      `${mapped} with an event.action, ${withUser} with user.name; event ids: ${[...ids].map(([k, v]) => `${k}×${v}`).join(' ')}`,
  )
  assert.deepEqual(refused, [])
  assert.equal(partial, 0)
})

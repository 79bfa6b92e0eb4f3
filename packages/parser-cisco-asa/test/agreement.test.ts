// Agreement with outside oracles on the shared corpus (../shared/corpus from the repository root):
// Sekoia's Cisco Secure Firewall intake (message bodies with their expected events), Wazuh's ASA
// rule tests and Elastic's ASA pipeline test lines (lines that must be claimed). The rates are
// printed; the corpus is not part of the repository, so without it these tests skip with a notice,
// except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../src/cisco-asa.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'
const parser = create({})

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Sekoia, Wazuh and Elastic not measured`)
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

function parseLine(line: string): { mine: boolean; event: LogEvent | undefined } {
  const msg = fixtureMessage(line)
  if (!parser.isMine(msg)) return { mine: false, event: undefined }
  const r = parser.parse(msg)
  return { mine: true, event: (Array.isArray(r) ? r[0] : r) ?? undefined }
}

/** The fields compared: addresses, ports, NAT, interfaces, transport and direction, user, codes, outcome. */
const FIELDS = [
  'event.code',
  'event.category',
  'event.type',
  'event.outcome',
  'observer.vendor',
  'observer.product',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'source.nat.ip',
  'source.nat.port',
  'destination.nat.ip',
  'destination.nat.port',
  'network.transport',
  'network.direction',
  'network.bytes',
  'observer.ingress.interface.name',
  'observer.egress.interface.name',
  'user.name',
  'rule.name',
  'event.reason',
]

// Sekoia spells the product out; and for access-list denies it writes the list's name as
// event.reason, where ECS (and Elastic) have rule.name.
const PRODUCTS: Record<string, string> = { 'Adaptive Security Appliance': 'ASA', 'Firepower Threat Defense': 'FTD' }
const ALIASES: Record<string, Record<string, string>> = {
  '106023': { 'rule.name': 'event.reason', 'event.reason': '' },
  '106100': { 'rule.name': 'event.reason', 'event.reason': '' },
}

function normalise(field: string, v: unknown): unknown {
  if (field === 'observer.product' && typeof v === 'string') return PRODUCTS[v] ?? v
  if (field === 'network.direction' && typeof v === 'string') return v.toLowerCase()
  return v
}

/** Why a difference is a mapping choice rather than a misread field. */
function reason(field: string, code: string): string | undefined {
  if ((field === 'observer.ingress.interface.name' || field === 'observer.egress.interface.name') && ['106001', '106006', '106015'].includes(code)) {
    return '"on interface X" is where the denied packet arrived: observer.ingress (as Elastic maps it); Sekoia writes it as the egress interface'
  }
  if (field === 'event.category' && code === '113019') return 'a VPN session end is logged-out (authentication) in the event vocabulary; Sekoia files it under session'
  if (field === 'event.category' && code === '722051') return 'address assignment is network and session in the event vocabulary; Sekoia: network only'
  if (field === 'event.type' && ['722023', '722022'].includes(code)) return 'the event vocabulary types VPN session start/end as start/end; Sekoia as connection'
  if (field === 'event.reason' && code === '113039') return 'Sekoia copies the message text to event.reason'
  if (field === 'event.type' && code === '611101') return 'a successful user authentication is a logged-in start; Sekoia types it info'
  if (field === 'event.category' && ['722022', '722023'].includes(code)) return 'VPN tunnel connection start/end are session / authentication events in the event vocabulary; Sekoia files them under network'
  return undefined
}

test('agrees with Sekoia’s Cisco Secure Firewall intake on at least 90% of the compared fields', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'sekoia-intake-formats/cisco-secure-firewall/'
  const agreeBy = new Map<string, number>()
  const totalBy = new Map<string, number>()
  const differences: string[] = []
  const untagged: string[] = []
  const unclaimed: string[] = []
  let cases = 0
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(dir + name, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    cases++
    const body = data.input.message.replace(/\r?\n$/, '')
    // Sekoia's cases are message bodies: sent by a firewall they follow a syslog header.
    if (!/%(ASA|FTD)-/.test(body)) {
      untagged.push(name)
      continue
    }
    const { mine, event } = parseLine(`<166>Nov 27 2026 09:59:58 fw-edge-01 : ${body}`)
    if (!mine || event === undefined) {
      unclaimed.push(name)
      continue
    }
    const code = String(get(event, 'event.code'))
    for (const field of FIELDS) {
      const alias = ALIASES[code]?.[field]
      if (alias === '') continue
      const e = normalise(field, get(data.expected, alias ?? field))
      const o = normalise(field, get(event, field))
      if (e === undefined || e === null || o === undefined) continue
      totalBy.set(field, (totalBy.get(field) ?? 0) + 1)
      if (JSON.stringify(e) === JSON.stringify(o) || String(e) === String(o)) agreeBy.set(field, (agreeBy.get(field) ?? 0) + 1)
      else {
        const why = reason(field, code)
        differences.push(`${name} ${field}: expected ${JSON.stringify(e)}, got ${JSON.stringify(o)}${why ? ` — ${why}` : ''}`)
      }
    }
  }
  let agree = 0
  let total = 0
  const rows = [
    `sekoia cisco-secure-firewall: ${cases} cases, ${cases - untagged.length} with an %ASA/%FTD tag, ${cases - untagged.length - unclaimed.length} claimed`,
    `  without a tag (not as a firewall sends them): ${untagged.join(', ') || 'none'}`,
    `  tagged but not claimed: ${unclaimed.join(', ') || 'none'}`,
    '  agreement per field (agreeing / compared)',
  ]
  for (const field of FIELDS) {
    const n = totalBy.get(field) ?? 0
    if (n === 0) continue
    const a = agreeBy.get(field) ?? 0
    agree += a
    total += n
    rows.push(`  ${field.padEnd(32)} ${String(a).padStart(4)} / ${String(n).padEnd(4)} ${((a / n) * 100).toFixed(1)}%`)
  }
  const rate = total === 0 ? 0 : agree / total
  rows.push(`  overall ${agree} / ${total} = ${(rate * 100).toFixed(2)}%`)
  if (differences.length > 0) rows.push('  differences:', ...differences.map((d) => '    ' + d))
  console.log(rows.join('\n'))
  assert.deepEqual(unclaimed, [], 'every %ASA/%FTD case is claimed')
  assert.ok(rate >= 0.9, `agreement with Sekoia ${(rate * 100).toFixed(2)}% is below 90%`)
})

test('claims every log line of Wazuh’s cisco_asa rule tests', (t) => {
  if (skipWithoutCorpus(t)) return
  const ini = readFileSync(CORPUS + 'wazuh-ruleset-tests/cisco_asa.ini', 'utf8')
  const lines = [...ini.matchAll(/^log \d+ pass = (.*)$/gm)].map((m) => m[1]!)
  const refused = lines.filter((line) => !parseLine(line).mine)
  console.log(`wazuh cisco_asa.ini: ${lines.length - refused.length} of ${lines.length} lines claimed (${(((lines.length - refused.length) / lines.length) * 100).toFixed(1)}%)`)
  assert.ok(lines.length > 0)
  assert.deepEqual(refused, [])
})

test('claims every line of Elastic’s cisco_asa pipeline test sample', (t) => {
  if (skipWithoutCorpus(t)) return
  const lines = readFileSync(CORPUS + 'elastic-cisco-asa/test-asa.sampled.log', 'utf8').split('\n').filter((l) => l !== '')
  let claimed = 0
  let partial = 0
  let mapped = 0
  for (const line of lines) {
    const { mine, event } = parseLine(line)
    if (!mine) continue
    claimed++
    if (get(event, 'beer.partial') === true) partial++
    if (get(event, 'event.action') !== undefined) mapped++
  }
  console.log(
    `elastic-cisco-asa test-asa.sampled.log: ${claimed} of ${lines.length} lines claimed (${((claimed / lines.length) * 100).toFixed(1)}%), ${mapped} with an event.action, ${partial} partial`,
  )
  assert.equal(claimed, lines.length)
  assert.equal(partial, 0)
})

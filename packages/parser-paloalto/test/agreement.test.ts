// Agreement with outside oracles on the shared corpus (../shared/corpus from the repository root):
// Elastic's panw integration (expected ECS documents), Sekoia's PAN-OS intake (CSV test cases) and
// Wazuh's PAN-OS rule tests (lines that must be claimed). The rates are printed; the corpus is not
// part of the repository, so without it these tests skip with a notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSyslog } from '@beer/syslog-header'
import type { FrameOrigin } from '@beer/syslog-header'
import type { LogEvent, Parser, SyslogMessage } from '@beer/parser-sdk'
import { create } from '../src/index.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'

const origin: FrameOrigin = {
  receivedAt: Date.UTC(2026, 10, 27, 10),
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
}

/** The fields compared: the ECS fields both sides fill for PAN-OS, and the threat id and name. */
const FIELDS = [
  '@timestamp',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'source.nat.ip',
  'destination.nat.ip',
  'network.transport',
  'network.application',
  'event.action',
  'event.outcome',
  'rule.name',
  'source.user.name',
  'user.name',
  'observer.serial_number',
  'observer.hostname',
  'source.bytes',
  'destination.bytes',
  'url.original',
  'panw.panos.threat.id',
  'panw.panos.threat.name',
]

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Elastic, Sekoia and Wazuh not measured`)
  t.skip('shared corpus absent')
  return true
}

const parsers = new Map<string, Parser<SyslogMessage>>()
function parserFor(timezone: string): Parser<SyslogMessage> {
  let p = parsers.get(timezone)
  if (p === undefined) {
    p = create({ timezone })
    parsers.set(timezone, p)
  }
  return p
}

function get(doc: unknown, path: string): unknown {
  // Elastic and Sekoia documents may hold dotted keys as well as nested objects.
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

function same(field: string, expected: unknown, ours: unknown): boolean {
  if (field === '@timestamp') return Date.parse(String(expected)) === Date.parse(String(ours))
  if (Array.isArray(expected) && !Array.isArray(ours)) return expected.map(String).includes(String(ours))
  return JSON.stringify(expected) === JSON.stringify(ours) || String(expected) === String(ours)
}

interface Tally {
  agree: Map<string, number>
  total: Map<string, number>
  differences: string[]
}

function tally(): Tally {
  return { agree: new Map(), total: new Map(), differences: [] }
}

function compare(t: Tally, where: string, expected: unknown, ours: LogEvent, aliases: Record<string, string> = {}, explain?: (field: string, e: unknown, o: unknown) => string | undefined): void {
  for (const field of FIELDS) {
    const e = get(expected, aliases[field] ?? field)
    const o = get(ours, field)
    if (e === undefined || e === null || o === undefined) continue
    t.total.set(field, (t.total.get(field) ?? 0) + 1)
    if (same(field, e, o)) t.agree.set(field, (t.agree.get(field) ?? 0) + 1)
    else {
      const why = explain?.(field, e, o)
      t.differences.push(`${where} ${field}: expected ${JSON.stringify(e)}, got ${JSON.stringify(o)}${why ? ` — ${why}` : ''}`)
    }
  }
}

function report(name: string, t: Tally): number {
  let agree = 0
  let total = 0
  const rows = [`${name}: agreement per field (agreeing / compared)`]
  for (const field of FIELDS) {
    const n = t.total.get(field) ?? 0
    if (n === 0) continue
    const a = t.agree.get(field) ?? 0
    agree += a
    total += n
    rows.push(`  ${field.padEnd(24)} ${String(a).padStart(4)} / ${String(n).padEnd(4)} ${((a / n) * 100).toFixed(1)}%`)
  }
  const rate = total === 0 ? 0 : agree / total
  rows.push(`  overall ${agree} / ${total} = ${(rate * 100).toFixed(2)}%`)
  if (t.differences.length > 0) rows.push(`  differences:`, ...t.differences.map((d) => '    ' + d))
  console.log(rows.join('\n'))
  return rate
}

function parseLine(line: string, timezone: string): { mine: boolean; event: LogEvent | undefined } {
  const p = parserFor(timezone)
  const msg = parseSyslog(line, origin)
  if (!p.isMine(msg)) return { mine: false, event: undefined }
  const r = p.parse(msg)
  return { mine: true, event: (Array.isArray(r) ? r[0] : r) ?? undefined }
}

test('agrees with Elastic’s panw integration on at least 95% of the compared fields', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'elastic-panw/'
  const files = readdirSync(dir)
  const result = tally()
  let docs = 0
  let claimed = 0
  let lines = 0
  for (const log of files.filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(dir + log, 'utf8').split('\n')) {
      if (line === '') continue
      lines++
      if (parseLine(line, 'UTC').mine) claimed++
    }
  }
  for (const name of files.filter((f) => f.endsWith('-expected.json'))) {
    // `X.first4.log-expected.json` holds the documents of the first lines of `X.<anything>.log`.
    const base = name.slice(0, name.indexOf('.'))
    const log = files.find((f) => f.endsWith('.log') && (f === base + '.log' || f.startsWith(base + '.')))
    assert.ok(log, `no .log beside ${name}`)
    const raw = readFileSync(dir + log, 'utf8').split('\n')
    const expected = (JSON.parse(readFileSync(dir + name, 'utf8')) as { expected: Record<string, unknown>[] }).expected
    expected.forEach((doc, i) => {
      docs++
      const line = raw[i]!
      assert.equal((doc.event as { original?: string } | undefined)?.original ?? line, line, `${name}[${i}] is line ${i} of ${log}`)
      const timezone = ((doc.event as { timezone?: string } | undefined)?.timezone) ?? 'UTC'
      const { mine, event } = parseLine(line, timezone)
      assert.ok(mine && event, `${log}:${i + 1} is claimed`)
      compare(result, `${log}:${i + 1}`, doc, event, {}, elasticReason(line))
    })
  }
  console.log(`elastic-panw: ${claimed} of ${lines} lines claimed; ${docs} expected documents compared`)
  const rate = report('elastic-panw', result)
  assert.equal(claimed, lines, 'every PAN-OS line of the Elastic samples is claimed')
  assert.ok(rate >= 0.95, `agreement with Elastic ${(rate * 100).toFixed(2)}% is below 95%`)
})

const HIGH_RES = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d/

/** Why a difference is a mapping choice rather than a misread field. */
function elasticReason(line: string): (field: string, e: unknown, o: unknown) => string | undefined {
  return (field, _e, o) => {
    if (field === '@timestamp' && HIGH_RES.test(line) && /\.\d*[1-9]\d*Z$/.test(String(o))) {
      return 'the line\'s High Resolution Timestamp states the firewall\'s own offset for the same wall-clock time as Generated Time; we take it over the zone the test configures'
    }
    return undefined
  }
}

function sekoiaReason(line: string): (field: string, e: unknown, o: unknown) => string | undefined {
  return (field, e, o) => {
    if (field === '@timestamp') {
      if (/,GLOBALPROTECT,/.test(line) && !HIGH_RES.test(line)) return 'Sekoia takes Receive Time for GlobalProtect logs; we take Generated Time'
      if (/\.\d*[1-9]\d*Z$/.test(String(o))) {
        return 'Sekoia reads Generated Time as UTC here; the line\'s High Resolution Timestamp states the firewall\'s offset for that wall-clock time, which we take'
      }
      if (/[+-]\d\d:\d(?!\d)/.test(line)) {
        return 'the High Resolution Timestamp\'s offset is cut short; we fall back to Generated Time in the configured zone (UTC) and mark the event partial, Sekoia completes the offset'
      }
      return undefined
    }
    if (field === 'observer.serial_number' && /,GLOBALPROTECT,/.test(line)) {
      return 'Sekoia puts the endpoint\'s serial number (GlobalProtect\'s own Serial Number field) in observer.serial_number; we keep the firewall\'s there and the endpoint\'s in panw.panos.serial_number, as Elastic does'
    }
    if (field === 'event.action') {
      return 'Sekoia puts the PAN-OS action in event.action; we name the event as Elastic does (flow_terminated, exploit_detected…) and keep the action in panw.panos.action'
    }
    if (field === 'url.original' && typeof e === 'string' && e.endsWith(String(o)) && /^[a-z]+:\/\//.test(e)) {
      return 'Sekoia prefixes a scheme it guesses; PAN-OS logs the URL without one and we keep it as logged'
    }
    return undefined
  }
}

test('agrees with Sekoia’s PAN-OS intake on at least 90% of the compared fields of its CSV cases', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'sekoia-intake-formats/paloalto-ngfw/'
  const result = tally()
  let cases = 0
  const unclaimed: string[] = []
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(dir + name, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    const message = data.input.message
    const trimmed = message.trimStart()
    // The CSV cases only: Sekoia's CEF and JSON (Strata Logging Service) inputs are other formats.
    if (trimmed.startsWith('CEF:') || trimmed.startsWith('{')) continue
    cases++
    const { mine, event } = parseLine(message.replace(/\r?\n$/, ''), 'UTC')
    if (!mine || event === undefined) {
      unclaimed.push(name)
      continue
    }
    compare(result, name, data.expected, event, {
      'observer.hostname': 'observer.name',
      'panw.panos.threat.id': 'paloalto.threat.id',
      'panw.panos.threat.name': 'paloalto.threat.name',
    }, sekoiaReason(message))
  }
  console.log(`sekoia paloalto-ngfw: ${cases} CSV cases, ${cases - unclaimed.length} claimed${unclaimed.length ? ` (not: ${unclaimed.join(', ')})` : ''}`)
  const rate = report('sekoia paloalto-ngfw (CSV)', result)
  assert.deepEqual(unclaimed, [], 'every CSV case is claimed')
  assert.ok(rate >= 0.9, `agreement with Sekoia ${(rate * 100).toFixed(2)}% is below 90%`)
})

test('claims every PAN-OS line of Wazuh’s rule tests', (t) => {
  if (skipWithoutCorpus(t)) return
  const ini = readFileSync(CORPUS + 'wazuh-ruleset-tests/paloalto.ini', 'utf8')
  const lines = [...ini.matchAll(/^log \d+ pass = (.*)$/gm)].map((m) => m[1]!)
  const refused = lines.filter((line) => !parseLine(line, 'UTC').mine)
  console.log(`wazuh paloalto.ini: ${lines.length - refused.length} of ${lines.length} lines claimed`)
  assert.ok(lines.length > 0)
  assert.deepEqual(refused, [])
})

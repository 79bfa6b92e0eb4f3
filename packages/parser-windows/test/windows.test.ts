import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { windows, create } from '../src/windows.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: windows(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})

function one(line: string, p = parser): LogEvent {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line.slice(0, 80)}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r))
  return r
}

function get(ev: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), ev)
}

const SNARE =
  'MSWinEventLog\t1\tSecurity\t7001\tFri Nov 27 09:00:00 2026\t4624\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\tSuccess Audit\tfs01.example.org\tLogon\t\t'
const TEXT =
  'An account was successfully logged on.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18\r\n\tAccount Name:\t\tFS01$\r\n\tAccount Domain:\t\tEXAMPLE\r\n\tLogon ID:\t\t0x3E7\r\n\r\n' +
  'Logon Information:\r\n\tLogon Type:\t\t%TYPE%\r\n\r\nNew Logon:\r\n\tSecurity ID:\t\tS-1-5-21-1004336348-1177238915-682003330-1104\r\n\tAccount Name:\t\talice\r\n\tAccount Domain:\t\tEXAMPLE\r\n\tLogon ID:\t\t0x8DCDC\r\n\r\n' +
  'Network Information:\r\n\tWorkstation Name:\tWS-ALICE\r\n\tSource Network Address:\t::ffff:192.0.2.10\r\n\tSource Port:\t\t51234'
/** The text as Snare sends it: every tab, CR and LF a space. */
const spaced = (text: string) => text.replace(/[\t\r\n]/g, ' ')

test('reads Snare times in the zone it is given', () => {
  const line = `<13>Nov 27 08:00:00 fs01.example.org ${SNARE}${spaced(TEXT.replace('%TYPE%', '3'))}\t7`
  assert.equal(one(line)['@timestamp'], '2026-11-27T09:00:00.000Z')
  assert.equal(one(line, create({ timezone: 'Europe/Zurich' }))['@timestamp'], '2026-11-27T08:00:00.000Z')
  assert.equal(one(line, create({ timezone: '-05:00' }))['@timestamp'], '2026-11-27T14:00:00.000Z')
})

test('reads NXLog local times in the zone it is given, and times with a zone as written', () => {
  const local = '<14>Nov 27 09:10:01 fs01 nxlog: {"EventTime":"2026-11-27 10:10:00","Hostname":"fs01","EventID":4634,"Channel":"Security","TargetUserName":"alice"}'
  assert.equal(one(local, create({ timezone: 'Europe/Zurich' }))['@timestamp'], '2026-11-27T09:10:00.000Z')
  const zoned = local.replace('2026-11-27 10:10:00', '2026-11-27T10:10:00.5+01:00')
  assert.equal(one(zoned, create({ timezone: 'America/Chicago' }))['@timestamp'], '2026-11-27T09:10:00.500Z')
})

test('refuses invalid options with BEER_ERR_PARSER_WINDOWS_OPTIONS', () => {
  for (const options of [{ timezone: 'Mars/Olympus' }, { timezone: 5 }, { zone: 'UTC' }, 'UTC', [1]]) {
    assert.throws(() => create(options as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_WINDOWS_OPTIONS', JSON.stringify(options))
  }
  assert.doesNotThrow(() => create({ timezone: 'local' }))
})

test('reads a description with its tabs kept as it reads Snare’s spaced one', () => {
  const spacedEvent = one(`<13>Nov 27 09:00:00 fs01.example.org ${SNARE}${spaced(TEXT.replace('%TYPE%', '3'))}\t7`)
  const tabbed = one(`<13>Nov 27 09:00:00 fs01.example.org ${SNARE}${TEXT.replace('%TYPE%', '3').replace(/\r\n/g, '\t')}\t7`)
  for (const field of ['user.name', 'user.domain', 'user.id', 'source.ip', 'source.port', 'source.domain', 'winlog.logon.type', 'winlog.logon.id']) {
    assert.deepEqual(get(tabbed, field), get(spacedEvent, field), field)
  }
  assert.equal(get(spacedEvent, 'source.ip'), '192.0.2.10')
  assert.equal(get(spacedEvent, 'user.name'), 'alice')
})

test('names every logon type', () => {
  const names: Record<string, string> = {
    '2': 'interactive',
    '3': 'network',
    '4': 'batch',
    '5': 'service',
    '7': 'unlock',
    '8': 'network_cleartext',
    '9': 'new_credentials',
    '10': 'remote_interactive',
    '11': 'cached_interactive',
  }
  for (const [type, name] of Object.entries(names)) {
    const ev = one(`<13>Nov 27 09:00:00 fs01.example.org ${SNARE}${spaced(TEXT.replace('%TYPE%', type))}\t7`)
    assert.equal(get(ev, 'winlog.logon.type'), name, type)
    assert.equal(get(ev, 'winlog.event_data.LogonType'), type)
  }
})

test('gives failure codes in words whatever their case, and Kerberos result codes by name', () => {
  const ev = one(
    '<14>Nov 27 09:10:01 fs01 nxlog: {"EventID":4625,"Channel":"Security","Hostname":"fs01","TargetUserName":"bob","Status":"0XC000006D","SubStatus":"0xc0000072","FailureReason":"%%2310"}',
  )
  assert.equal(get(ev, 'winlog.logon.failure.status'), 'This is either due to a bad username or authentication information')
  assert.equal(get(ev, 'winlog.logon.failure.sub_status'), 'User logon to account disabled by administrator')
  assert.equal(get(ev, 'event.reason'), 'Account currently disabled.')
  const krb = one('<14>Nov 27 09:10:01 dc01 nxlog: {"EventID":4769,"Channel":"Security","Hostname":"dc01","TargetUserName":"bob","Status":"0x20"}')
  assert.equal(get(krb, 'event.outcome'), 'failure')
  assert.equal(get(krb, 'event.reason'), 'KRB_AP_ERR_TKT_EXPIRED')
})

test('claims Snare behind RFC 3164, RFC 5424 or no header, and Windows JSON; refuses look-alikes', () => {
  const record = `${SNARE}${spaced(TEXT.replace('%TYPE%', '3'))}\t7`
  for (const line of [
    `<13>Nov 27 09:00:00 fs01.example.org ${record}`,
    `<13>1 2026-11-27T09:00:00Z fs01.example.org - - - - ${record}`,
    `fs01.example.org\t${record}`,
    `<13>fs01.example.org\t${record}`,
    '<14>Nov 27 09:10:01 fs01 {"EventID":4624,"SourceName":"Microsoft-Windows-Security-Auditing"}',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), true, line.slice(0, 80))
  }
  for (const line of [
    '<134>Nov 27 10:00:00 wec01 CEF:0|Microsoft|Microsoft Windows||Microsoft-Windows-Security-Auditing:4624|An account was successfully logged on.|Low|src=192.0.2.10',
    '<14>Nov 27 10:00:00 app01 app: {"EventID":"42","msg":"order"}',
    '<14>Nov 27 10:00:00 app01 app: MSWinEventLog\tnot a number\tSecurity',
    '<14>Nov 27 10:00:00 app01 app: see the MSWinEventLog docs',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line.slice(0, 80))
  }
})

test('leaves semantics out of other channels’ events that share a Security id', () => {
  const ev = one('<14>Nov 27 09:10:01 ws01 nxlog: {"EventID":4624,"Channel":"Application","SourceName":"SomeApp","Hostname":"ws01"}')
  assert.equal(get(ev, 'event.action'), undefined)
  assert.equal(get(ev, 'event.code'), '4624')
  assert.equal(get(ev, 'event.dataset'), 'windows.eventlog')
})

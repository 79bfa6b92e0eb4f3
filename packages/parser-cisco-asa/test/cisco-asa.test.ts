import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { ciscoAsa, create } from '../src/cisco-asa.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: ciscoAsa(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})

function all(line: string, p = parser): LogEvent[] {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line.slice(0, 80)}`)
  const r = p.parse(msg)
  return Array.isArray(r) ? r : r ? [r] : []
}

function one(line: string, p = parser): LogEvent {
  const events = all(line, p)
  assert.equal(events.length, 1)
  return events[0]!
}

function get(ev: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), ev)
}

const BUILT = '%ASA-6-302015: Built outbound UDP connection 5 for outside:198.51.100.53/53 (198.51.100.53/53) to inside:192.0.2.10/50005 (203.0.113.5/50005)'

test('reads device times in the zone it is given; times that name UTC or carry an offset as written', () => {
  const inMessage = `<166>Nov 27 10:59:59 fw-edge-01 Nov 27 2026 10:59:58: ${BUILT}`
  assert.equal(one(inMessage)['@timestamp'], '2026-11-27T10:59:58.000Z')
  assert.equal(one(inMessage, create({ timezone: 'Europe/Zurich' }))['@timestamp'], '2026-11-27T09:59:58.000Z')
  const utc = `<166>Nov 27 10:59:59 fw-edge-01 :Nov 27 09:59:58 UTC: ${BUILT}`
  assert.equal(one(utc, create({ timezone: 'Europe/Zurich' }))['@timestamp'], '2026-11-27T09:59:58.000Z')
  // A zone-less header time keeps the collector's reading unless a zone is given.
  const header = `<166>Nov 27 2026 10:59:58 fw-edge-01 : ${BUILT}`
  assert.equal(one(header)['@timestamp'], '2026-11-27T10:59:58.000Z')
  assert.equal(one(header, create({ timezone: '+01:00' }))['@timestamp'], '2026-11-27T09:59:58.000Z')
  const rfc5424 = `<166>1 2026-11-27T10:59:58+01:00 fw-edge-01 - - - - ${BUILT}`
  assert.equal(one(rfc5424, create({ timezone: 'America/Chicago' }))['@timestamp'], '2026-11-27T09:59:58.000Z')
})

test('refuses invalid options with BEER_ERR_PARSER_CISCO_ASA_OPTIONS', () => {
  for (const options of [{ timezone: 'Mars/Olympus' }, { timezone: 5 }, { tz: 'UTC' }, 'UTC', [1]]) {
    assert.throws(() => create(options as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_CISCO_ASA_OPTIONS', JSON.stringify(options))
  }
  assert.doesNotThrow(() => create({ timezone: 'local' }))
})

test('makes the end that opened a connection its source: the inside end of an outbound one', () => {
  const outbound = one(`<166>Nov 27 2026 09:59:58 fw-edge-01 : ${BUILT}`)
  assert.equal(get(outbound, 'source.ip'), '192.0.2.10')
  assert.equal(get(outbound, 'source.nat.ip'), '203.0.113.5')
  assert.equal(get(outbound, 'destination.ip'), '198.51.100.53')
  assert.equal(get(outbound, 'observer.ingress.interface.name'), 'inside')
  assert.equal(get(outbound, 'network.direction'), 'outbound')
  const inbound = one(`<166>Nov 27 2026 09:59:58 fw-edge-01 : ${BUILT.replace('outbound', 'inbound')}`)
  assert.equal(get(inbound, 'source.ip'), '198.51.100.53')
  assert.equal(get(inbound, 'destination.ip'), '192.0.2.10')
  assert.equal(get(inbound, 'destination.nat.ip'), '203.0.113.5')
  assert.equal(get(inbound, 'network.direction'), 'inbound')
})

test('writes NAT fields only when the mapped address or port differs from the real one', () => {
  const ev = one('<166>Nov 27 2026 09:59:58 fw-edge-01 : %ASA-6-302013: Built outbound TCP connection 9 for outside:198.51.100.20/443 (198.51.100.20/443) to inside:192.0.2.10/52311 (192.0.2.10/40117)')
  assert.equal(get(ev, 'destination.nat'), undefined)
  assert.equal(get(ev, 'source.nat.ip'), undefined)
  assert.equal(get(ev, 'source.nat.port'), 40117)
})

test('gives one vpn-address-assigned event per address assigned to a session', () => {
  const [v4, v6] = all('<164>Nov 27 2026 08:00:08 fw-edge-01 : %ASA-4-722051: Group <GP_Staff> User <bob> IP <198.51.100.45> IPv4 Address <192.0.2.201> IPv6 address <2001:db8:20::201> assigned to session')
  assert.equal(get(v4, 'client.ip'), '192.0.2.201')
  assert.equal(get(v6, 'client.ip'), '2001:db8:20::201')
  for (const ev of [v4, v6]) {
    assert.equal(get(ev, 'event.action'), 'vpn-address-assigned')
    assert.equal(get(ev, 'user.name'), 'bob')
    assert.equal(get(ev, 'source.ip'), '198.51.100.45')
    assert.deepEqual(get(ev, 'related.ip'), ['198.51.100.45', '192.0.2.201', '2001:db8:20::201'])
  }
})

test('reads the AAA messages’ variants: extra spaces, commas, capitalised keys, masked users', () => {
  const ev = one('%ASA-6-113004: AAA user example Successful: server = 192.0.2.250, User = carol')
  assert.equal(get(ev, 'user.name'), 'carol')
  assert.equal(get(ev, 'destination.ip'), '192.0.2.250')
  const masked = one('<166>Nov 27 2026 08:00:02 fw-edge-01 : %ASA-6-113005: AAA user authentication Rejected : reason = Unspecified : server = 192.0.2.250 : user = ***** : user IP = 198.51.100.98')
  assert.equal(get(masked, 'user'), undefined)
  assert.equal(get(masked, 'source.ip'), '198.51.100.98')
  assert.equal(get(masked, 'event.outcome'), 'failure')
})

test('claims ASA and FTD tags wherever the header put them; refuses other Cisco tags and quoted ones', () => {
  for (const line of [
    BUILT,
    `<166>${BUILT}`,
    `<166>Nov 27 09:59:58 ${BUILT}`,
    `<166>Nov 27 2026 09:59:58 fw-edge-01 : ${BUILT.replace('%ASA', '%FTD')}`,
    `<166>Nov 27 09:59:59 relay01 CiscoASA[999]: ${BUILT}`,
    '%ASA-4-401004 Shunned packet: 198.51.100.66 ==> 192.0.2.10 on interface outside',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), true, line.slice(0, 80))
  }
  for (const line of [
    BUILT.replace('%ASA', '%PIX'),
    BUILT.replace('302015', '30201'),
    `<14>Nov 27 10:00:00 app01 webapp[77]: quoted "${BUILT}"`,
    `<14>Nov 27 10:00:00 app01 webapp[77]: ${'x'.repeat(200)} ${BUILT}`,
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line.slice(0, 80))
  }
})

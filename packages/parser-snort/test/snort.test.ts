import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { create, snort } from '../src/snort.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: snort(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})

function one(line: string, p = parser): LogEvent {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line.slice(0, 80)}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r), 'one event')
  return r
}

const get = (e: LogEvent, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), e)

test('reads alert_fast times in the zone it is given, with the year of the receive time', () => {
  const line = '11/27-03:45:01.123456  [**] [1:1000001:1] LOCAL probe [**] [Priority: 3] {TCP} 192.0.2.1:1234 -> 198.51.100.2:22'
  const e = one(line, create({ timezone: 'America/Chicago' }))
  assert.equal(e['@timestamp'], '2026-11-27T09:45:01.123Z')
  assert.equal(get(e, 'event.timezone'), 'America/Chicago')
})

test('takes a Suricata fast.log year from the line itself', () => {
  const e = one('01/02/2025-03:04:05.000006  [**] [1:2:3] x [**] [Classification: c] [Priority: 1] {UDP} 192.0.2.1:1 -> 192.0.2.2:2')
  assert.equal(e['@timestamp'], '2025-01-02T03:04:05.000Z')
  assert.equal(get(e, 'observer.product'), 'Suricata')
})

test('refuses a timezone it does not know, with a documented code', () => {
  assert.throws(() => create({ timezone: 'Mars/Olympus' }), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_SNORT_OPTIONS')
  assert.throws(() => create({ timezone: 'UTC', zone: 'UTC' } as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_SNORT_OPTIONS')
  assert.throws(() => create('UTC' as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_SNORT_OPTIONS')
  assert.throws(() => create({ timezone: 42 as unknown as string }), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_SNORT_OPTIONS')
})

test('reads IPv6 endpoints in brackets, compressed with a port, and in Suricata’s full form', () => {
  const base = '<33>Nov 27 09:59:58 ids1 snort[1]: [1:2:3] m [Priority: 1] {TCP} '
  for (const [pair, src, sport, dst, dport] of [
    ['[2001:db8::1]:80 -> [2001:db8::2]:443', '2001:db8::1', 80, '2001:db8::2', 443],
    ['2001:db8::1:80 -> 2001:db8::2:443', '2001:db8::1', 80, '2001:db8::2', 443],
    ['2001:0db8:0000:0000:0000:0000:0000:0001:80 -> 2001:0DB8:0000:0000:0000:0000:0000:0002:443', '2001:db8::1', 80, '2001:db8::2', 443],
  ] as const) {
    const e = one(base + pair)
    assert.deepEqual([get(e, 'source.ip'), get(e, 'source.port'), get(e, 'destination.ip'), get(e, 'destination.port')], [src, sport, dst, dport], pair)
  }
  const icmp = one('<33>Nov 27 09:59:58 ids1 snort[1]: [1:2:3] m [Priority: 1] {IPV6-ICMP} 2001:db8::1 -> 2001:db8::2')
  assert.equal(get(icmp, 'source.ip'), '2001:db8::1')
  assert.equal(get(icmp, 'network.transport'), 'ipv6-icmp')
})

test('keeps brackets and braces inside the rule message', () => {
  const e = one('<33>Nov 27 09:59:58 ids1 snort[1]: [1:9:1] WEB [x] {y} -> z [Classification: c] [Priority: 1] {TCP} 192.0.2.1:1 -> 192.0.2.2:2')
  assert.equal(get(e, 'rule.name'), 'WEB [x] {y} -> z')
  assert.equal(get(e, 'rule.category'), 'c')
})

test('refuses CEF from Snort-based products and lines that only look like alerts', () => {
  for (const line of [
    '<134>Nov 27 09:59:59 fmc1 CEF:0|Cisco|Firepower|7.2.5|1:2001219:20|ET SCAN Potential SSH Scan|5|src=192.0.2.1 dst=198.51.100.2',
    '<38>Nov 27 09:59:59 ids1 snort[2210]: Commencing packet processing (pid=2210)',
    '<38>Nov 27 09:59:59 ids1 notsnort[2210]: [1:2:3] m [Priority: 1] {TCP} 192.0.2.1:1 -> 192.0.2.2:2',
    '11/27-09:45:01.123456 [1:2:3] no marker {TCP} 192.0.2.1:1 -> 192.0.2.2:2',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line)
  }
})

test('marks a line cut short as partial and keeps what it read', () => {
  const e = one('<33>Nov 27 10:00:01 ids1 snort[2210]: [1:2001219:20] ET SCAN Potential SSH Scan [Classification: Attem')
  assert.equal(get(e, 'beer.partial'), true)
  assert.equal(get(e, 'rule.name'), 'ET SCAN Potential SSH Scan')
  assert.equal(get(e, 'rule.id'), '2001219')
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { create, dns } from '../src/dns.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: dns(), fixtures: new URL('../fixtures/', import.meta.url) })

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

test('reads BIND’s print-time in the zone it is given', () => {
  const line = '27-Nov-2026 04:00:00.250 queries: info: client @0x1 192.0.2.1#1 (a.example.org): query: a.example.org IN A + (192.0.2.53)'
  const e = one(line, create({ timezone: 'America/Chicago' }))
  assert.equal(e['@timestamp'], '2026-11-27T10:00:00.250Z')
  assert.equal(get(e, 'event.timezone'), 'America/Chicago')
})

test('refuses a timezone it does not know, with a documented code', () => {
  assert.throws(() => create({ timezone: 'Nowhere/Special' }), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_DNS_OPTIONS')
  assert.throws(() => create({ timezone: 'UTC', zone: 'UTC' } as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_DNS_OPTIONS')
  assert.throws(() => create('UTC' as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_DNS_OPTIONS')
})

test('maps BIND query flags to ECS header flags and the transport', () => {
  const e = one('<30>Nov 27 10:00:00 ns1 named[1]: client @0x1 192.0.2.1#1 (a.example.org): query: a.example.org IN A -SE(0)TDC (192.0.2.53)')
  assert.deepEqual(get(e, 'dns.header_flags'), ['CD', 'DO'])
  assert.equal(get(e, 'network.transport'), 'tcp')
  assert.equal(get(e, 'bind.query.edns_version'), 0)
})

test('types an RPZ rewrite denied or info by its policy, and names the policy zone', () => {
  const head = '<30>Nov 27 10:00:00 ns1 named[1]: client @0x1 192.0.2.1#1 (x.example.org): '
  for (const [policy, type] of [['NXDOMAIN', 'denied'], ['NODATA', 'denied'], ['DROP', 'denied'], ['Local-Data', 'denied'], ['PASSTHRU', 'info'], ['TCP-Only', 'info']] as const) {
    const e = one(`${head}rpz QNAME ${policy} rewrite x.example.org/A/IN via x.example.org.rpz.example.net`)
    assert.deepEqual(get(e, 'event.type'), [type], policy)
    assert.equal(get(e, 'rule.name'), 'rpz.example.net')
    assert.equal(get(e, 'event.action'), 'dns-rpz-rewrite')
  }
  const logOnly = one(`${head}disabled rpz QNAME NXDOMAIN rewrite x.example.org/A/IN via x.example.org.rpz.example.net`)
  assert.deepEqual(get(logOnly, 'event.type'), ['info'])
})

test('claims every named line, operational messages included, and tolerates trailing spaces', () => {
  const e = one('<30>Nov 27 10:00:00 ns3 named[464]: client 203.0.113.4#32769: query (cache) denied ')
  assert.equal(get(e, 'event.action'), 'dns-query-denied')
  assert.equal(get(e, 'event.outcome'), 'failure')
  assert.equal(get(one('<30>Nov 27 10:00:00 ns3 named[464]: received control channel command \'reload\''), 'event.action'), 'dns-server-message')
})

test('claims BIND file-channel lines under any tag, and nothing else without the tag', () => {
  assert.ok(parser.isMine(fixtureMessage('<134>Nov 27 10:00:00 ns5 bind: 27-Nov-2026 10:00:00.004 general: info: zone example.org/IN: loaded serial 7')))
  assert.ok(parser.isMine(fixtureMessage('queries: info: client @0x1 192.0.2.1#1 (a.example.org): query: a.example.org IN A + (192.0.2.53)')))
  for (const line of [
    '<30>Nov 27 10:00:00 host1 app1: client 192.0.2.10#53422 (www.example.org): query: www.example.org IN A + (192.0.2.53)',
    '<30>Nov 27 10:00:00 gw1 dnsmasq-dhcp[733]: DHCPACK(eth0) 192.0.2.77 00:0c:29:4f:8b:35 laptop-7',
    '<30>Nov 27 10:00:00 gw1 dnsmasq[733]: using nameserver 198.51.100.53#53',
    'general: the word general followed by a colon',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line)
  }
})

test('reads dnsmasq answers: addresses, PTR names, CNAME markers and negative replies', () => {
  const a = one('<30>Nov 27 10:00:00 gw1 dnsmasq[733]: reply www.example.org is 2001:0DB8::0005')
  assert.deepEqual(get(a, 'dns.answers'), [{ data: '2001:db8::5', type: 'AAAA' }])
  const ptr = one('<30>Nov 27 10:00:00 gw1 dnsmasq[733]: reply 192.0.2.80 is printer.example.org')
  assert.deepEqual(get(ptr, 'dns.answers'), [{ data: 'printer.example.org', type: 'PTR' }])
  assert.deepEqual(get(ptr, 'related.hosts'), ['printer.example.org'])
  const nx = one('<30>Nov 27 10:00:00 gw1 dnsmasq[733]: config ads.example.net is NXDOMAIN')
  assert.equal(get(nx, 'dns.response_code'), 'NXDOMAIN')
})

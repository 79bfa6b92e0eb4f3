import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { create, dhcpd } from '../src/index.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: dhcpd(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})

function one(line: string, p = parser): LogEvent {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r))
  return r
}

function at(ev: LogEvent, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[k]), ev)
}

test('refuses options it does not know, with a code', () => {
  for (const bad of [{ original: 1 }, { timezone: 'UTC' }, 7]) {
    assert.throws(
      () => create(bad as never),
      (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_DHCPD_OPTIONS',
    )
  }
  assert.doesNotThrow(() => create({ original: false }))
})

test('gives an identity map the lease: address, MAC in ECS form, host name, lease time and end', () => {
  const ev = one('<30>Nov 27 09:59:58 dhcp1 dhcpd[1]: DHCPACK on 192.0.2.150 to 0:50:56:1:2:3 (desk-17) via 198.51.100.1 lease-duration 600')
  assert.equal(at(ev, 'event.action'), 'dhcp-ack')
  assert.equal(at(ev, 'client.ip'), '192.0.2.150')
  assert.equal(at(ev, 'client.mac'), '00-50-56-01-02-03')
  assert.equal(at(ev, 'client.domain'), 'desk-17')
  assert.equal(at(ev, 'dhcpd.relay.ip'), '198.51.100.1')
  assert.equal(at(ev, 'dhcpd.lease_time'), 600)
  assert.equal(at(ev, 'dhcpd.lease_end'), '2026-11-27T10:09:58.000Z')
  assert.equal(at(ev, 'host.name'), 'dhcp1')
})

test('reads the MAC inside a DHCPv6 DUID-LLT or DUID-LL, and no other DUID', () => {
  const llt = one('<30>Nov 27 09:59:58 d dhcpd[1]: Reply NA: address 2001:db8::5 to client with duid 00:01:00:01:2a:3b:4c:5d:00:11:22:33:44:55 iaid = 1 valid for 60 seconds')
  assert.equal(at(llt, 'client.mac'), '00-11-22-33-44-55')
  const en = one('<30>Nov 27 09:59:58 d dhcpd[1]: Reply NA: address 2001:db8::5 to client with duid 00:02:00:00:ab:11:9c:7e:2f:01 iaid = 1 valid for 60 seconds')
  assert.equal(at(en, 'client.mac'), undefined)
})

test('claims a header-less body only when it reads as a dhcpd line', () => {
  assert.equal(at(one('DHCPACK on 192.0.2.9 to 00:11:22:33:44:55 via eth0'), 'client.ip'), '192.0.2.9')
  assert.equal(parser.isMine(fixtureMessage('DHCPACK some text')), false)
  assert.equal(parser.isMine(fixtureMessage('DHCPACK(eth0) 192.0.2.120 00:11:22:33:44:55 laptop-7')), false)
})

test('keeps the frame in event.original when asked', () => {
  const line = '<30>Nov 27 09:59:58 dhcp1 dhcpd[1]: DHCPINFORM from 192.0.2.130 via eth0'
  assert.equal(at(one(line, create({ original: true })), 'event.original'), line)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { create, netfilter } from '../src/index.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: netfilter(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})
const PACKET = 'IN=eth0 OUT= SRC=203.0.113.9 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 PROTO=TCP SPT=1 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0'

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
  for (const bad of [{ original: 'no' }, { timezone: 'UTC' }, { actions: { 'FW IN': 'denied' } }, { actions: { FW: 'drop' } }, { actions: [] }]) {
    assert.throws(
      () => create(bad as never),
      (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_NETFILTER_OPTIONS',
      JSON.stringify(bad),
    )
  }
})

test('reads the verdict from the prefix words, the last one that says so, or from the actions option', () => {
  const verdict = (prefix: string, p = parser) => at(one(`<4>Nov 27 09:59:58 fw1 kernel: ${prefix}${PACKET}`, p), 'event.action')
  assert.equal(verdict('[UFW BLOCK] '), 'packet-denied')
  assert.equal(verdict('[UFW ALLOW] '), 'packet-allowed')
  assert.equal(verdict('[UFW AUDIT] '), 'packet-logged')
  assert.equal(verdict('ALLOW-THEN-DROP '), 'packet-denied')
  assert.equal(verdict('[WAN_IN-10-A]'), 'packet-allowed')
  assert.equal(verdict(''), 'packet-logged')
  assert.equal(verdict('BADGUYS '), 'packet-logged')
  assert.equal(verdict('badguys ', create({ actions: { BADGUYS: 'denied' } })), 'packet-denied')
  assert.equal(verdict('FW_DROP ', create({ actions: { FW_DROP: 'logged' } })), 'packet-logged')
})

test('keeps the outer addresses of an ICMP error, not those of the packet it quotes', () => {
  const ev = one(
    '<4>Nov 27 09:59:58 gw1 kernel: IN=eth0 OUT= SRC=198.51.100.1 DST=192.0.2.10 LEN=88 TOS=0x00 PREC=0xC0 TTL=254 ID=3342 PROTO=ICMP TYPE=3 CODE=3 [SRC=192.0.2.10 DST=198.51.100.53 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1234 PROTO=UDP SPT=40000 DPT=53 LEN=40 ] ',
  )
  assert.equal(at(ev, 'source.ip'), '198.51.100.1')
  assert.equal(at(ev, 'destination.ip'), '192.0.2.10')
  assert.equal(at(ev, 'network.transport'), 'icmp')
  assert.equal(at(ev, 'destination.port'), undefined)
})

test('writes IPv6 addresses in their short form, and MACs in ECS form', () => {
  const ev = one(
    '<4>Nov 27 09:59:58 fw1 kernel: IN=eth0 OUT= MAC=33:33:00:00:00:01:00:11:22:33:44:55:86:dd SRC=2001:0db8:0000:0000:0001:0000:0000:0009 DST=fe80:0000:0000:0000:0000:0000:0000:0001 LEN=80 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=UDP SPT=1 DPT=2 LEN=40',
  )
  assert.equal(at(ev, 'source.ip'), '2001:db8::1:0:0:9')
  assert.equal(at(ev, 'destination.ip'), 'fe80::1')
  assert.equal(at(ev, 'source.mac'), '00-11-22-33-44-55')
  assert.equal(at(ev, 'destination.mac'), '33-33-00-00-00-01')
  assert.equal(at(ev, 'network.type'), 'ipv6')
})

test('claims only kernel and ulogd lines, or header-less ones, with IN=<if> OUT=', () => {
  assert.equal(parser.isMine(fixtureMessage(`<14>Nov 27 09:59:58 app1 myapp: ${PACKET}`)), false)
  assert.equal(parser.isMine(fixtureMessage('<6>Nov 27 09:59:58 host1 kernel: IN=eth0OUT= x')), false)
  assert.equal(parser.isMine(fixtureMessage(`DROP ${PACKET}`)), true)
})

test('keeps the frame in event.original when asked', () => {
  const line = `<4>Nov 27 09:59:58 fw1 kernel: ${PACKET}`
  assert.equal(at(one(line, create({ original: true })), 'event.original'), line)
})

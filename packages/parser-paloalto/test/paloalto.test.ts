import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSyslog } from '@beer/syslog-header'
import type { FrameOrigin } from '@beer/syslog-header'
import type { LogEvent, Parser, SyslogMessage } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { create, paloalto } from '../src/index.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const UPDATE = process.env.BEER_UPDATE_FIXTURES === '1'

const origin: FrameOrigin = {
  receivedAt: Date.UTC(2026, 10, 27, 10),
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
}

const parser = create({})

function message(line: string): SyslogMessage {
  return parseSyslog(line, origin)
}

function one(p: Parser<SyslogMessage>, line: string): LogEvent {
  const msg = message(line)
  assert.ok(p.isMine(msg), `claims ${line.slice(0, 80)}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r), 'one event')
  return r
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key])
  return out
}

function lines(text: string): string[] {
  const list = text.split('\n')
  if (list[list.length - 1] === '') list.pop()
  return list
}

// Golden files through the SDK's kit: every line of fixtures/*.log, after the real header parse,
// is claimed and parses to the entry at the same index of the .json beside it
// (BEER_UPDATE_FIXTURES=1 rewrites them, to be reviewed by hand); every line of fixtures/not-mine/
// is refused; output is deterministic plain data; isMine never throws on hostile input.
testParser({ descriptor: paloalto(), fixtures: new URL('../fixtures/', import.meta.url) })

test('refuses the lines of other products and formats in fixtures/not-mine', () => {
  const dir = FIXTURES + 'not-mine/'
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    for (const line of lines(readFileSync(dir + file, 'utf8'))) {
      assert.equal(parser.isMine(message(line)), false, `${file}: ${line.slice(0, 80)}`)
    }
  }
})

const RECORD =
  '1,2026/11/27 09:59:58,013201009876,TRAFFIC,end,2817,2026/11/27 09:59:58,192.0.2.10,198.51.100.20,203.0.113.5,198.51.100.20,' +
  'allow-web-out,EXAMPLE\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-to-siem,2026/11/27 09:59:58,418052,1,52311,443,40117,443,' +
  '0x40041c,tcp,allow,9821,2211,7610,24,2026/11/27 09:59:41,16,computer-and-internet-info,,7442119381203412345,0x8000000000000000,' +
  '192.0.2.0-192.0.2.255,United States,,12,12,tcp-fin,0,0,0,0,,fw-edge-01,from-policy'

test('claims PAN-OS TRAFFIC lines with and without a syslog header', () => {
  for (const line of [
    RECORD,
    '<14>Nov 27 09:59:59 fw-edge-01 ' + RECORD,
    'Nov 27 09:59:59 fw-edge-01 ' + RECORD,
    '<14>1 2026-11-27T09:59:59Z fw-edge-01 - - - - ' + RECORD,
    '<14>1 2026-11-27T09:59:59Z ' + RECORD,
    '<14>' + RECORD,
    RECORD + '\r\n',
  ]) {
    const event = one(parser, line)
    assert.deepEqual(event.source, { ip: '192.0.2.10', port: 52311, nat: { ip: '203.0.113.5', port: 40117 }, bytes: 2211, packets: 12, user: { name: 'alice', domain: 'EXAMPLE' } }, line)
    assert.equal(event['@timestamp'], '2026-11-27T09:59:58.000Z')
    assert.equal(event.beer, undefined, line)
  }
})

test('reads zone-less PAN-OS times in the configured zone', () => {
  const event = one(create({ timezone: 'Europe/Zurich' }), RECORD)
  assert.equal(event['@timestamp'], '2026-11-27T08:59:58.000Z')
  assert.equal((event.event as { start?: string }).start, '2026-11-27T08:59:41.000Z')
  assert.equal(one(create({ timezone: '+09:30' }), RECORD)['@timestamp'], '2026-11-27T00:29:58.000Z')
})

test('takes the firewall’s own offset from the High Resolution Timestamp when it dates the same moment', () => {
  const system = (highRes: string): string =>
    `1,2026/11/27 09:55:00,013201009876,SYSTEM,general,2817,2026/11/27 09:55:00,,general,,0,0,general,informational,restarted,1,0x0,0,0,0,0,,fw-edge-01,0,0,${highRes}`
  const utc = create({})
  assert.equal(one(utc, system('2026-11-27T09:55:00.731+01:00'))['@timestamp'], '2026-11-27T08:55:00.731Z')
  // A placeholder from another clock is not the same moment: the configured zone stays.
  assert.equal(one(utc, system('1970-01-01T01:00:00.000+01:00'))['@timestamp'], '2026-11-27T09:55:00.000Z')
})

test('refuses an unknown timezone when the parser is built, with a documented code', () => {
  assert.throws(() => create({ timezone: 'Mars/Olympus' }), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_PALOALTO_OPTIONS')
})

test('describes itself with a cloneable descriptor that leads to create', () => {
  const d = paloalto({ timezone: 'UTC' })
  assert.deepEqual(structuredClone(d), d)
  assert.equal(d.kind, 'parser')
  assert.equal(d.name, 'paloalto')
  assert.equal(d.export, 'create')
})

test('keeps a quoted field with commas and a newline whole', () => {
  const line =
    '1,2026/11/27 09:55:00,013201009876,SYSTEM,general,2817,2026/11/27 09:55:00,,general,,0,0,general,informational,' +
    '"first line, with a comma\nsecond line ""quoted""",7442119381203400001,0x0,0,0,0,0,,fw-edge-01'
  const event = one(parser, line)
  assert.equal(event.message, 'first line, with a comma\nsecond line "quoted"')
  assert.equal((event.observer as { hostname?: string }).hostname, 'fw-edge-01')
  assert.equal(event.beer, undefined)
})

test('gives what an identity map needs: user and address from GlobalProtect and User-ID', () => {
  const gp = one(
    parser,
    '1,2026/11/27 08:00:09,013201009876,GLOBALPROTECT,0,2817,2026/11/27 08:00:09,vsys1,gateway-connected,connected,LDAP,SSL,EXAMPLE\\alice,US,LAPTOP-ALICE,' +
      '203.0.113.45,,198.51.100.130,,7a1f0c3e,PF1ABC23,6.2.1,Windows,Windows 11,1,,,,success,HQ,0,user-logon,0,gw-external,7442119381203401111,0x8000000000000000',
  )
  assert.deepEqual(gp.user, { name: 'alice', domain: 'EXAMPLE' })
  assert.deepEqual(gp.source, { ip: '198.51.100.130', nat: { ip: '203.0.113.45' }, user: { name: 'alice', domain: 'EXAMPLE' } })
  assert.equal((gp.host as { name?: string }).name, 'LAPTOP-ALICE')
  // The assigned tunnel address where every VPN parser puts it.
  assert.deepEqual(gp.client, { ip: '198.51.100.130' })
  const uid = one(
    parser,
    '1,2026/11/27 08:01:00,013201009876,USERID,login,2817,2026/11/27 08:01:00,vsys1,192.0.2.150,example\\bob,dc1-agent,0,1,2700,0,0,agent,active-directory,1,0x0',
  )
  assert.deepEqual(uid.user, { name: 'bob', domain: 'example' })
  assert.equal((uid.source as { ip?: string }).ip, '192.0.2.150')
  assert.deepEqual((uid.event as { category?: string[]; type?: string[] }).category, ['network'])
  assert.deepEqual((uid.event as { category?: string[]; type?: string[] }).type, ['start'])
})

test('claims no other product\'s CSV that starts like a PAN-OS record', () => {
  for (const line of [
    '42,2024-03-05 10:15:30,web01,WARN,disk full on /var',
    '1,2024/03/05 10:15:30,server-a,INFO,backup finished,1234,ok',
    '<14>Mar  5 10:15:30 app01 myapp[123]: exported 1,2024/03/05 10:15:30,XYZ,REPORT,rows=12',
  ]) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line)
  }
  // A type this parser does not know, with PAN-OS's next fields, is still PAN-OS.
  assert.equal(parser.isMine(fixtureMessage('1,2026/11/27 08:00:00,013201009876,SCTPX,0,2817,2026/11/27 08:00:00,vsys1')), true)
})

test('sees a shift of one field in a THREAT line and does not misread the fields after it', () => {
  const line =
    '1,2026/11/27 09:10:00,013201009876,THREAT,url,2817,2026/11/27 09:10:00,192.0.2.10,198.51.100.20,203.0.113.9,198.51.100.20,allow-web-out,,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd-to-siem,2026/11/27 09:10:00,123456,1,52311,443,40123,443,0x40b000,tcp,alert,' +
    'www.example.com/a?lang=en,fr,(9999),computer-and-internet-info,informational,client-to-server,7442119381203400001,0x8000000000000000,192.0.2.0-192.0.2.255,United States,,text/html,0,,,1,,,,,,,,0,12,0,0,0,,fw-edge-01'
  const event = one(parser, line)
  assert.deepEqual(event.beer, { partial: true })
  assert.notEqual(((event.panw as { panos: { threat?: { name?: string } } }).panos.threat ?? {}).name, 'fr')
})

test('marks events partial, says why and drops only the unreadable fields', () => {
  const event = one(parser, RECORD.replace('192.0.2.10,', '192.0.2.300,').replace(',52311,', ',52x11,'))
  assert.deepEqual(event.beer, { partial: true })
  assert.match((event.error as { message: string }).message, /source address "192\.0\.2\.300" is not an IP address; source port "52x11" is not a whole number/)
  assert.equal((event.source as { ip?: string }).ip, undefined)
  assert.equal((event.destination as { ip?: string }).ip, '198.51.100.20')
  assert.equal((event.event as { original?: string }).original, RECORD.replace('192.0.2.10,', '192.0.2.300,').replace(',52311,', ',52x11,'))
  const cut = one(parser, RECORD.slice(0, 150))
  assert.match((cut.error as { message: string }).message, /the line ends after \d+ fields; PAN-OS TRAFFIC logs have at least 46/)
})

function isPlain(value: unknown, path = ''): string | undefined {
  if (value === undefined) return `${path} is undefined`
  if (typeof value === 'number' && !Number.isFinite(value)) return `${path} is ${value}`
  if (value === null || typeof value !== 'object') return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = isPlain(value[i], `${path}[${i}]`)
      if (bad) return bad
    }
    return undefined
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return `${path} is not a plain object`
  for (const [k, v] of Object.entries(value)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') return `${path}.${k} is a forbidden key`
    const bad = isPlain(v, `${path}.${k}`)
    if (bad) return bad
  }
  return undefined
}

test('never throws, and gives plain data, on cut, stretched and scrambled lines', () => {
  const seeds = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => lines(readFileSync(FIXTURES + f, 'utf8')))
  let state = 42
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648
    return state % n
  }
  const noise = [',', '"', '\\', '{', '}', '\n', '\u0000', '0x', '::', '9'.repeat(30), '__proto__', 'constructor', '\uD800']
  let claimed = 0
  for (const seed of seeds) {
    const variants = [seed + ',extra,fields,' + 'x'.repeat(300), seed.replaceAll(',', ',,')]
    for (let cut = 0; cut < seed.length; cut += 7) variants.push(seed.slice(0, cut))
    for (let k = 0; k < 20; k++) {
      const at = random(seed.length)
      variants.push(seed.slice(0, at) + noise[random(noise.length)] + seed.slice(at + random(4)))
    }
    for (const line of variants) {
      const msg = message(line)
      const mine = parser.isMine(msg)
      const r = parser.parse(msg)
      if (mine) claimed++
      assert.ok(r && !Array.isArray(r))
      assert.equal(isPlain(r), undefined, line)
      assert.deepEqual(JSON.parse(JSON.stringify(r)), r)
    }
  }
  assert.ok(claimed > 0)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { facilityName, parseSyslog, severityName, toEvent, type FrameOrigin } from '../src/index.ts'

const origin: FrameOrigin = {
  receivedAt: Date.UTC(2024, 2, 5, 10, 20, 0, 7),
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
}

test('names every facility and severity code', () => {
  assert.deepEqual(
    Array.from({ length: 24 }, (_, i) => facilityName(i)),
    ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'security', 'console', 'solaris-cron',
      'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'],
  )
  assert.deepEqual(
    Array.from({ length: 8 }, (_, i) => severityName(i)),
    ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'],
  )
  for (const code of [-1, 24, 1.5, Number.NaN]) assert.equal(facilityName(code), '')
  for (const code of [-1, 8, 2.5]) assert.equal(severityName(code), '')
})

test('maps an RFC 5424 message to a plain ECS event', () => {
  const msg = parseSyslog(
    '<165>1 2024-03-05T10:15:30.123+01:00 app02.example.net billing 731 INV [meta@32473 sequenceId="42"] invoice 1001 created',
    origin,
  )
  const event = toEvent(msg)
  assert.deepEqual(event, {
    '@timestamp': '2024-03-05T09:15:30.123Z',
    event: { created: '2024-03-05T10:20:00.007Z', kind: 'event' },
    message: 'invoice 1001 created',
    host: { hostname: 'app02.example.net' },
    process: { name: 'billing', pid: 731 },
    log: {
      syslog: {
        priority: 165,
        facility: { code: 20, name: 'local4' },
        severity: { code: 5, name: 'notice' },
        hostname: 'app02.example.net',
        appname: 'billing',
        procid: '731',
        msgid: 'INV',
        version: '1',
        structured_data: { 'meta@32473': { sequenceId: '42' } },
      },
      source: { address: '192.0.2.1:514' },
    },
  })
  // A stable key order, so that serialised events compare byte for byte.
  assert.deepEqual(Object.keys(event), ['@timestamp', 'event', 'message', 'host', 'process', 'log'])
  assert.deepEqual(Object.keys(event.log!), ['syslog', 'source'])
  assert.deepEqual(Object.keys((event.log as { syslog: object }).syslog), [
    'priority', 'facility', 'severity', 'hostname', 'appname', 'procid', 'msgid', 'version', 'structured_data',
  ])
})

test('maps an RFC 3164 message without version or structured data', () => {
  const event = toEvent(parseSyslog('<38>Mar  5 10:15:30 bastion1 sshd[4321]: Accepted publickey for deploy', origin))
  assert.deepEqual(event, {
    '@timestamp': '2024-03-05T10:15:30.000Z',
    event: { created: '2024-03-05T10:20:00.007Z', kind: 'event' },
    message: 'Accepted publickey for deploy',
    host: { hostname: 'bastion1' },
    process: { name: 'sshd', pid: 4321 },
    log: {
      syslog: {
        priority: 38,
        facility: { code: 4, name: 'auth' },
        severity: { code: 6, name: 'informational' },
        hostname: 'bastion1',
        appname: 'sshd',
        procid: '4321',
      },
      source: { address: '192.0.2.1:514' },
    },
  })
})

test('uses the time of receipt when the message has no timestamp, and leaves out what is empty', () => {
  const event = toEvent(parseSyslog('1,2024/03/05 10:15:54,012801096514,TRAFFIC', origin))
  assert.deepEqual(event, {
    '@timestamp': '2024-03-05T10:20:00.007Z',
    event: { created: '2024-03-05T10:20:00.007Z', kind: 'event' },
    message: '1,2024/03/05 10:15:54,012801096514,TRAFFIC',
    log: { source: { address: '192.0.2.1:514' } },
  })
})

test('keeps the frame as event.original only when asked', () => {
  const raw = '<13>Mar  5 10:15:30 h a: x'
  assert.equal(toEvent(parseSyslog(raw, origin)).event!.original, undefined)
  assert.equal('original' in toEvent(parseSyslog(raw, origin)).event!, false)
  assert.equal(toEvent(parseSyslog(raw, origin), { original: true }).event!.original, raw)
})

test('gives process.pid only for a numeric PROCID', () => {
  const hex = toEvent(parseSyslog('<13>Mar  5 10:15:30 esx hostd[81480B70]: x', origin))
  assert.deepEqual(hex.process, { name: 'hostd' })
  assert.equal((hex.log as { syslog: { procid: string } }).syslog.procid, '81480B70')
  const pidOnly = toEvent(parseSyslog('<13>1 2024-03-05T10:15:30Z h - 42 - - x', origin))
  assert.deepEqual(pidOnly.process, { pid: 42 })
})

test('writes the sender as ip:port, [ipv6]:port or the socket path', () => {
  const at = (o: Partial<FrameOrigin>) => toEvent(parseSyslog('<13>Mar  5 10:15:30 h a: x', { ...origin, ...o })).log!.source
  assert.deepEqual(at({ sourceAddress: '203.0.113.9', sourcePort: 1514 }), { address: '203.0.113.9:1514' })
  assert.deepEqual(at({ sourceAddress: '2001:db8::7', sourcePort: 514 }), { address: '[2001:db8::7]:514' })
  assert.deepEqual(at({ transport: 'unix', sourceAddress: '', sourcePort: 0, listener: 'unix:///dev/log' }), { address: '/dev/log' })
  assert.deepEqual(at({ sourceAddress: '198.51.100.4', sourcePort: 0 }), { address: '198.51.100.4' })
  assert.equal(at({ sourceAddress: '', sourcePort: 0 }), undefined)
})

test('flags a truncated frame', () => {
  const event = toEvent(parseSyslog('<13>Mar  5 10:15:30 h a: x', { ...origin, truncated: true }))
  assert.deepEqual((event.log as { flags: string[] }).flags, ['truncated'])
})

test('writes timestamps as Date#toISOString would', () => {
  let seed = 7
  for (let i = 0; i < 2000; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    const ms = Math.floor((seed / 0x7fffffff) * 4102444800000) - 1_000_000_000_000
    const event = toEvent(parseSyslog('x', { ...origin, receivedAt: ms }))
    assert.equal(event.event!.created, new Date(ms).toISOString())
  }
  const far = toEvent(parseSyslog('x', { ...origin, receivedAt: Date.UTC(12000, 0, 1) }))
  assert.equal(far.event!.created, '+012000-01-01T00:00:00.000Z')
})

test('gives events that survive structuredClone and JSON unchanged', () => {
  const msg = parseSyslog('<38>1 2024-03-05T10:15:30Z idp.example.com sshd 901 LOGIN [auth@32473 method="password" method="publickey"] ok', origin)
  const event = toEvent(msg, { original: true })
  assert.deepEqual(structuredClone(event), event)
  assert.deepEqual(JSON.parse(JSON.stringify(event)), event)
})

test('leaves out host and process, or the message, when a parser writes its own', () => {
  const msg = parseSyslog('<38>Mar  5 10:15:30 relay.example.com nxlog[77]: {"EventID":4624}', origin)
  const full = toEvent(msg)
  assert.deepEqual(full.host, { hostname: 'relay.example.com' })
  assert.deepEqual(full.process, { name: 'nxlog', pid: 77 })
  const own = toEvent(msg, { hostAndProcess: false })
  assert.equal('host' in own, false)
  assert.equal('process' in own, false)
  assert.equal(own.message, '{"EventID":4624}')
  const { host: _h, process: _p, ...rest } = full
  assert.deepEqual(own, rest)
  assert.deepEqual(Object.keys(own), Object.keys(rest))
  const quiet = toEvent(msg, { message: false, hostAndProcess: false })
  assert.equal('message' in quiet, false)
  assert.deepEqual(quiet.log, full.log)
})

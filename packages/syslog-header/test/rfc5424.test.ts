import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSyslog, type FrameOrigin } from '../src/index.ts'

const origin: FrameOrigin = {
  receivedAt: Date.UTC(2024, 2, 5, 10, 20),
  transport: 'tcp',
  sourceAddress: '198.51.100.20',
  sourcePort: 50514,
  listener: 'tcp://0.0.0.0:6514',
}
const parse = (raw: string) => parseSyslog(raw, origin)

test('reads every RFC 5424 header field', () => {
  const m = parse('<165>1 2024-03-05T10:15:30.123Z web01.example.com nginx 2211 ACCESS - GET /index.html 200')
  assert.equal(m.format, 'rfc5424')
  assert.equal(m.pri, 165)
  assert.equal(m.facility, 20)
  assert.equal(m.severity, 5)
  assert.equal(m.version, 1)
  assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 10, 15, 30, 123))
  assert.equal(m.timestampText, '2024-03-05T10:15:30.123Z')
  assert.equal(m.timestampHasZone, true)
  assert.equal(m.hostname, 'web01.example.com')
  assert.equal(m.appname, 'nginx')
  assert.equal(m.procid, '2211')
  assert.equal(m.msgid, 'ACCESS')
  assert.equal(m.structuredData, null)
  assert.equal(m.message, 'GET /index.html 200')
})

test('copies the frame origin into the message', () => {
  const m = parseSyslog('<14>1 - - - - - - x', { ...origin, truncated: true })
  assert.equal(m.raw, '<14>1 - - - - - - x')
  assert.equal(m.receivedAt, origin.receivedAt)
  assert.equal(m.transport, 'tcp')
  assert.equal(m.sourceAddress, '198.51.100.20')
  assert.equal(m.sourcePort, 50514)
  assert.equal(m.listener, 'tcp://0.0.0.0:6514')
  assert.equal(m.truncated, true)
  assert.equal(parse('<14>1 - - - - - - x').truncated, false)
})

test('reads NILVALUE fields as empty', () => {
  const m = parse('<13>1 - - - - - - minimal')
  assert.equal(m.format, 'rfc5424')
  assert.equal(m.timestamp, -1)
  assert.equal(m.timestampText, '')
  assert.equal(m.timestampHasZone, false)
  assert.equal(m.hostname, '')
  assert.equal(m.appname, '')
  assert.equal(m.procid, '')
  assert.equal(m.msgid, '')
  assert.equal(m.structuredData, null)
  assert.equal(m.message, 'minimal')
})

test('reads a header that ends without MSG', () => {
  const m = parse('<86>1 2024-03-05T10:15:30Z vpn1.example.com charon 77 IKE [ike@32473 peer="198.51.100.7"]')
  assert.deepEqual(m.structuredData, { 'ike@32473': { peer: '198.51.100.7' } })
  assert.equal(m.message, '')
  const short = parse('<86>1 2024-03-05T10:15:30Z vpn1.example.com')
  assert.equal(short.hostname, 'vpn1.example.com')
  assert.equal(short.appname, '')
  assert.equal(short.message, '')
})

test('reads fractional seconds of any length and keeps milliseconds', () => {
  assert.equal(parse('<13>1 2024-03-05T10:15:30.5Z h a - - - x').timestamp, Date.UTC(2024, 2, 5, 10, 15, 30, 500))
  assert.equal(parse('<13>1 2024-03-05T10:15:30.123456Z h a - - - x').timestamp, Date.UTC(2024, 2, 5, 10, 15, 30, 123))
  assert.equal(parse('<13>1 2024-03-05T10:15:30.123456789Z h a - - - x').timestamp, Date.UTC(2024, 2, 5, 10, 15, 30, 123))
})

test('reads Z and ±hh:mm offsets', () => {
  const m = parse('<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It is time')
  assert.equal(m.timestamp, Date.UTC(2003, 7, 24, 12, 14, 15, 0))
  assert.equal(m.timestampHasZone, true)
  assert.equal(m.hostname, '192.0.2.1')
  assert.equal(m.procid, '8710')
  assert.equal(m.message, '%% It is time')
  assert.equal(parse('<13>1 2024-03-05T01:00:00+05:30 h a - - - x').timestamp, Date.UTC(2024, 2, 4, 19, 30))
  assert.equal(parse('<13>1 2024-03-05T01:00:00z h a - - - x').timestamp, Date.UTC(2024, 2, 5, 1))
})

test('reads RFC 5424 structured data with escaped quotes, backslashes and brackets', () => {
  const m = parse('<134>1 2024-03-05T10:15:30Z fw-edge.example.org audit - CFG [chg@32473 user="ad\\"min" path="C:\\\\cfg\\]x" other="a\\nb"] changed')
  assert.deepEqual(m.structuredData, { 'chg@32473': { user: 'ad"min', path: 'C:\\cfg]x', other: 'a\\nb' } })
  assert.equal(m.message, 'changed')
})

test('reads several SD elements and gives a repeated param name an array', () => {
  const m = parse(
    '<38>1 2024-03-05T10:15:30Z idp.example.com sshd 901 LOGIN [auth@32473 method="password" method="publickey" method="keyboard"][origin ip="192.0.2.10" ip="2001:db8::10"] Accepted',
  )
  assert.deepEqual(m.structuredData, {
    'auth@32473': { method: ['password', 'publickey', 'keyboard'] },
    origin: { ip: ['192.0.2.10', '2001:db8::10'] },
  })
  assert.equal(m.message, 'Accepted')
})

test('adds a repeated SD-ID to the first element of that name', () => {
  const m = parse('<13>1 2024-03-05T10:15:30Z h a - - [x@1 a="1"][x@1 a="2" b="3"] msg')
  assert.deepEqual(m.structuredData, { 'x@1': { a: ['1', '2'], b: '3' } })
})

test('reads an unescaped bracket inside a value and spaces around "="', () => {
  const m = parse('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource= "Application" note="a]b"] text')
  assert.deepEqual(m.structuredData, { 'exampleSDID@32473': { iut: '3', eventSource: 'Application', note: 'a]b' } })
  assert.equal(m.message, 'text')
})

test('keeps malformed structured data as message text', () => {
  const broken = parse('<13>1 2024-03-05T10:15:30Z h app - - [id a="unterminated] rest')
  assert.equal(broken.structuredData, null)
  assert.equal(broken.message, '[id a="unterminated] rest')
  const second = parse('<13>1 2024-03-05T10:15:30Z h app - - [ok@1 a="1"][bad a=1] rest')
  assert.deepEqual(second.structuredData, { 'ok@1': { a: '1' } })
  assert.equal(second.message, '[bad a=1] rest')
  const notSd = parse('<34>1 2003-11-11T22:14:15.003Z mymachine.example.com su - ID47 last message repeated 5 times')
  assert.equal(notSd.structuredData, null)
  assert.equal(notSd.message, 'last message repeated 5 times')
})

test('never copies __proto__, constructor or prototype from structured data', () => {
  const m = parse('<13>1 2024-03-05T10:15:30Z h a - - [__proto__ polluted="1"][x@1 __proto__="p" constructor="c" prototype="q" toString="t" ok="1"] m')
  assert.deepEqual(m.structuredData, { 'x@1': { toString: 't', ok: '1' } })
  assert.equal(Object.getPrototypeOf(m.structuredData!['x@1']), Object.prototype)
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
})

test('strips a BOM at the start of MSG', () => {
  assert.equal(parse('<13>1 2024-03-05T10:15:30Z h a 12 ID1 - \uFEFFhello').message, 'hello')
  assert.equal(parse('<13>1 2024-03-05T10:15:30Z h a 12 ID1 [x@1 a="b"] \uFEFFhello').message, 'hello')
  assert.equal(parse('<13>1 2024-03-05T10:15:30Z h a 12 ID1 - BOMhello').message, 'BOMhello')
})

test('removes only the one space that separates MSG', () => {
  assert.equal(parse('<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - -  two spaces').message, ' two spaces')
  assert.equal(parse('<13>1 2019-05-15T11:21:57+03:00 domain.tld tag - - [abc@123 a="b"]  sd-sp').message, ' sd-sp')
})

test('keeps any printable hostname, slashes included', () => {
  assert.equal(parse('<167>1 2003-03-01T01:00:00.000Z hostname1/hostname2 tcpflood - tag [tcpflood@32473 MSGNUM="0"] data').hostname, 'hostname1/hostname2')
  assert.equal(parse('<165>1 2024-03-05T10:16:07Z 2001:db8::12 ntpd 99 - - synced').hostname, '2001:db8::12')
})

test('reads a frame whose VERSION is not followed by a timestamp as RFC 3164', () => {
  const m = parse('<13>1 is not a version')
  assert.equal(m.format, 'rfc3164')
  assert.equal(m.pri, 13)
  assert.equal(m.version, 0)
})

test('strips trailing CR, LF and NUL from the message', () => {
  assert.equal(parse('<13>1 2024-03-05T10:15:30Z h a - - - text\r\n').message, 'text')
  assert.equal(parse('<13>1 2024-03-05T10:15:30Z h a - - - text\n\0').message, 'text')
})

test('reads a timestamp that names no zone in the configured zone', () => {
  const m = parseSyslog('<13>1 2024-03-05T10:15:30 h a - - - x', origin, { timezone: '+02:00' })
  assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 8, 15, 30))
  assert.equal(m.timestampHasZone, false)
})

test('gives -1 for a timestamp that names a day that does not exist', () => {
  const m = parse('<13>1 2023-02-29T10:15:30Z h a - - - x')
  assert.equal(m.format, 'rfc5424')
  assert.equal(m.timestamp, -1)
  assert.equal(m.timestampText, '2023-02-29T10:15:30Z')
  assert.equal(parse('<13>1 2024-02-29T10:15:30Z h a - - - x').timestamp, Date.UTC(2024, 1, 29, 10, 15, 30))
})

test('reads each message\'s own SD names when consecutive messages differ', () => {
  // The parser predicts names from the previous message with the same SD-ID; a prediction that is
  // a prefix of the real name, or longer than it, must not be taken.
  const sd = (params: string) => parse(`<13>1 2024-03-05T10:15:30Z h a - - [x@1 ${params}] m`).structuredData
  assert.deepEqual(sd('ab="1" c="2"'), { 'x@1': { ab: '1', c: '2' } })
  assert.deepEqual(sd('a="1" c="2"'), { 'x@1': { a: '1', c: '2' } })
  assert.deepEqual(sd('abc="1" c="2" d="3"'), { 'x@1': { abc: '1', c: '2', d: '3' } })
  assert.deepEqual(sd('abc="1" c="2" c="4"'), { 'x@1': { abc: '1', c: ['2', '4'] } })
  assert.deepEqual(sd('c="1" abc="2"'), { 'x@1': { c: '1', abc: '2' } })
  assert.deepEqual(parse('<13>1 2024-03-05T10:15:30Z h a - - [x@12 a="1"] m').structuredData, { 'x@12': { a: '1' } })
  assert.deepEqual(parse('<13>1 2024-03-05T10:15:30Z h a - - [x@1] m').structuredData, { 'x@1': {} })
})

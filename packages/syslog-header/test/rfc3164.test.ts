import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseSyslog, type FrameOrigin, type HeaderOptions, type SyslogMessage } from '../src/index.ts'

const RECEIVED = Date.UTC(2024, 2, 5, 10, 20)
const origin: FrameOrigin = {
  receivedAt: RECEIVED,
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
}
const parse = (raw: string, options?: HeaderOptions) => parseSyslog(raw, origin, options)

/** The header fields a test cares about. */
function header(m: SyslogMessage) {
  return { pri: m.pri, hostname: m.hostname, appname: m.appname, procid: m.procid, message: m.message }
}

test('reads an RFC 3164 line', () => {
  const m = parse("<34>Mar  5 10:15:30 mailhost su: 'su root' failed for alice on /dev/pts/8")
  assert.equal(m.format, 'rfc3164')
  assert.equal(m.facility, 4)
  assert.equal(m.severity, 2)
  assert.equal(m.version, 0)
  assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
  assert.equal(m.timestampText, 'Mar  5 10:15:30')
  assert.equal(m.timestampHasZone, false)
  assert.equal(m.msgid, '')
  assert.equal(m.structuredData, null)
  assert.deepEqual(header(m), { pri: 34, hostname: 'mailhost', appname: 'su', procid: '', message: "'su root' failed for alice on /dev/pts/8" })
})

test('reads tag[pid]: and tags with parentheses', () => {
  assert.deepEqual(header(parse('<38>Mar  5 10:15:30 bastion1 sshd[4321]: Accepted publickey for deploy from 203.0.113.5')), {
    pri: 38, hostname: 'bastion1', appname: 'sshd', procid: '4321', message: 'Accepted publickey for deploy from 203.0.113.5',
  })
  assert.deepEqual(header(parse('<86>Mar  5 10:15:36 ws-19 sshd(pam_unix)[12750]: session opened for user carol by (uid=0)')), {
    pri: 86, hostname: 'ws-19', appname: 'sshd(pam_unix)', procid: '12750', message: 'session opened for user carol by (uid=0)',
  })
  assert.equal(parse('<22>Mar  5 10:15:34 mx1 postfix/smtpd[2020]: connect from unknown[198.51.100.77]').appname, 'postfix/smtpd')
})

test('reads a day with or without padding and a month in any case', () => {
  for (const ts of ['Mar  5 10:15:30', 'Mar 5 10:15:30', 'Mar 05 10:15:30', 'MAR  5 10:15:30', 'mar  5 10:15:30']) {
    const m = parse(`<13>${ts} host-5 app: x`)
    assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 10, 15, 30), ts)
    assert.equal(m.timestampText, ts)
    assert.equal(m.hostname, 'host-5')
  }
})

test('reads a line without PRI', () => {
  const m = parse('Mar  5 10:15:52 fileserver3 smartd[901]: Device: /dev/sda, SMART Usage Attribute changed')
  assert.equal(m.format, 'rfc3164')
  assert.equal(m.facility, -1)
  assert.equal(m.severity, -1)
  assert.deepEqual(header(m), { pri: -1, hostname: 'fileserver3', appname: 'smartd', procid: '901', message: 'Device: /dev/sda, SMART Usage Attribute changed' })
})

test('reads a year in the timestamp, with or without a colon after the time', () => {
  const asa = parse('<166>Oct 10 2018 12:34:56: %ASA-6-302013: Built outbound TCP connection 1234')
  assert.equal(asa.timestamp, Date.UTC(2018, 9, 10, 12, 34, 56))
  assert.equal(asa.timestampText, 'Oct 10 2018 12:34:56')
  assert.deepEqual(header(asa), { pri: 166, hostname: '', appname: '%ASA-6-302013', procid: '', message: 'Built outbound TCP connection 1234' })
  const padded = parse('<167>Mar 7 2008 19:06:53 example tag: testmessage')
  assert.equal(padded.timestamp, Date.UTC(2008, 2, 7, 19, 6, 53))
  assert.equal(padded.hostname, 'example')
  assert.equal(parse('<167>Mar 7 19:06:53: example tag: m').hostname, 'example')
})

test('reads an ISO 8601 timestamp where the BSD one belongs', () => {
  const m = parse('<13>2019-01-01T10:00:00.123+01:00 host tag: msg')
  assert.equal(m.format, 'rfc3164')
  assert.equal(m.timestamp, Date.UTC(2019, 0, 1, 9, 0, 0, 123))
  assert.equal(m.timestampText, '2019-01-01T10:00:00.123+01:00')
  assert.equal(m.timestampHasZone, true)
  assert.deepEqual(header(m), { pri: 13, hostname: 'host', appname: 'tag', procid: '', message: 'msg' })
  assert.equal(parse('<14>2017-05-21T00:00:01.123Z hostname.domain Hostd: verbose').timestamp, Date.UTC(2017, 4, 21, 0, 0, 1, 123))
  assert.equal(parse('<14>2017-05-21T00:00:01+0200 h a: x').timestamp, Date.UTC(2017, 4, 20, 22, 0, 1))
  const local = parse('<14>2017-05-21T00:00:01 h a: x', { timezone: '-05:00' })
  assert.equal(local.timestamp, Date.UTC(2017, 4, 21, 5, 0, 1))
  assert.equal(local.timestampHasZone, false)
})

test('reads a zone name after the time', () => {
  const space = parse('<13>2024-03-05 10:15:47 UTC nas01 smbd[3131]: connect')
  assert.equal(space.timestamp, Date.UTC(2024, 2, 5, 10, 15, 47))
  assert.equal(space.timestampText, '2024-03-05 10:15:47 UTC')
  assert.equal(space.timestampHasZone, true)
  assert.equal(space.hostname, 'nas01')
  const cisco = parse('<189>Mar  5 10:15:51.250 UTC: %SYS-5-CONFIG_I: Configured from console')
  assert.equal(cisco.timestamp, Date.UTC(2024, 2, 5, 10, 15, 51, 250))
  assert.equal(cisco.timestampText, 'Mar  5 10:15:51.250 UTC')
  assert.equal(cisco.appname, '%SYS-5-CONFIG_I')
  assert.equal(parse('<13>Mar  5 10:15:47 CET h a: x').timestamp, Date.UTC(2024, 2, 5, 9, 15, 47))
  // A capitalised word that is no zone name is the hostname.
  assert.equal(parse('<13>Mar  5 10:15:47 DNS1 a: x').hostname, 'DNS1')
})

test('reads fractional seconds in a BSD timestamp', () => {
  const m = parse('<13>Mar  5 10:16:03.123456 host-7 ntpd[400]: time slew')
  assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 10, 16, 3, 123))
  assert.equal(m.hostname, 'host-7')
})

test('reads a line with no timestamp at all', () => {
  assert.deepEqual(header(parse('<27>xapi: [error|xen3|15|Guest liveness monitor] Connection to master died')), {
    pri: 27, hostname: '', appname: 'xapi', procid: '', message: '[error|xen3|15|Guest liveness monitor] Connection to master died',
  })
  assert.deepEqual(header(parse('<13>sshd[42]: msg')), { pri: 13, hostname: '', appname: 'sshd', procid: '42', message: 'msg' })
  assert.deepEqual(header(parse('<13>edge-1 sshd[42]: msg')), { pri: 13, hostname: 'edge-1', appname: 'sshd', procid: '42', message: 'msg' })
  const m = parse('<13>sshd[42]: msg')
  assert.equal(m.timestamp, -1)
  assert.equal(m.timestampText, '')
})

test('keeps text after PRI whole when no timestamp vouches for a header', () => {
  // RFC 3164 §4.3.2: without TIMESTAMP, what follows PRI is MSG.
  assert.deepEqual(header(parse('<13>last message repeated 5 times')), { pri: 13, hostname: '', appname: '', procid: '', message: 'last message repeated 5 times' })
  assert.deepEqual(header(parse('<14>{"level":"info","msg":"ready"}')), { pri: 14, hostname: '', appname: '', procid: '', message: '{"level":"info","msg":"ready"}' })
  const kv = parse('<189>date=2024-03-05 time=10:15:57 devname="FGT-60F" srcip=192.0.2.30')
  assert.equal(kv.format, 'rfc3164')
  assert.equal(kv.message, 'date=2024-03-05 time=10:15:57 devname="FGT-60F" srcip=192.0.2.30')
})

test('takes a word ending in ":" or holding "[" as the TAG of a line without hostname', () => {
  assert.deepEqual(header(parse('<13>Oct 11 22:14:15 sshd[42]: msg')), { pri: 13, hostname: '', appname: 'sshd', procid: '42', message: 'msg' })
  assert.deepEqual(header(parse('<13>Oct 11 22:14:15 kernel: audit: type=1400')), { pri: 13, hostname: '', appname: 'kernel', procid: '', message: 'audit: type=1400' })
  assert.deepEqual(header(parse('<13>Oct 11 22:14:15 su: pam_unix(su:auth): failure')), { pri: 13, hostname: '', appname: 'su', procid: '', message: 'pam_unix(su:auth): failure' })
})

test('reads a hostname followed by ":"', () => {
  assert.deepEqual(header(parse('<13>Mar  5 10:15:49 core-sw1.example.net: sshd[43]: Received disconnect')), {
    pri: 13, hostname: 'core-sw1.example.net', appname: 'sshd', procid: '43', message: 'Received disconnect',
  })
  assert.deepEqual(header(parse('<13>Mar  5 10:15:49 myhost: sshd[43]: bye')), { pri: 13, hostname: 'myhost', appname: 'sshd', procid: '43', message: 'bye' })
  assert.deepEqual(header(parse('<189>Mar  5 10:15:49 198.51.100.1: %LINK-3-UPDOWN: Interface up')), {
    pri: 189, hostname: '198.51.100.1', appname: '%LINK-3-UPDOWN', procid: '', message: 'Interface up',
  })
})

test('reads Cisco ASA lines with and without hostname', () => {
  assert.deepEqual(header(parse('<166>Mar  5 10:15:42 asa-fw2 %ASA-4-106023: Deny tcp src outside:198.51.100.8/4444')), {
    pri: 166, hostname: 'asa-fw2', appname: '%ASA-4-106023', procid: '', message: 'Deny tcp src outside:198.51.100.8/4444',
  })
  assert.deepEqual(header(parse('<166>Mar  5 2024 10:15:41 asa-fw1 : %ASA-6-302014: Teardown TCP connection')), {
    pri: 166, hostname: 'asa-fw1', appname: '%ASA-6-302014', procid: '', message: 'Teardown TCP connection',
  })
  assert.deepEqual(header(parse('<166>Mar 05 2024 10:15:43 localhost CiscoASA[999]: %ASA-6-305011: Built dynamic TCP translation')), {
    pri: 166, hostname: 'localhost', appname: 'CiscoASA', procid: '999', message: '%ASA-6-305011: Built dynamic TCP translation',
  })
  assert.deepEqual(header(parse('<167>Mar  6 16:57:54 192.0.2.33 %PIX-7-710005: UDP request discarded')), {
    pri: 167, hostname: '192.0.2.33', appname: '%PIX-7-710005', procid: '', message: 'UDP request discarded',
  })
})

test('reads IPv6 hostnames', () => {
  assert.deepEqual(header(parse('<165>Mar  5 10:16:08 2001:db8::13 ntpd[99]: kernel time sync enabled')), {
    pri: 165, hostname: '2001:db8::13', appname: 'ntpd', procid: '99', message: 'kernel time sync enabled',
  })
})

test('reads an empty HOSTNAME field (two spaces after the timestamp)', () => {
  assert.deepEqual(header(parse('Feb 22 10:21:43  sshd[1332]: last message repeated 2 times')), {
    pri: -1, hostname: '', appname: 'sshd', procid: '1332', message: 'last message repeated 2 times',
  })
})

test('reads a space between PRI and timestamp', () => {
  const m = parse('<14> Mar  5 10:16:04 switch-22 FFI: port 5 - Excessive CRC/alignment errors')
  assert.equal(m.timestamp, Date.UTC(2024, 2, 5, 10, 16, 4))
  assert.equal(m.hostname, 'switch-22')
  assert.equal(m.appname, 'FFI')
})

test('reads a TAG without colon, and text right after a colon', () => {
  assert.deepEqual(header(parse('<13>Mar  5 10:15:37 printer2 lpd job 17 done')), { pri: 13, hostname: 'printer2', appname: 'lpd', procid: '', message: 'job 17 done' })
  assert.deepEqual(header(parse('<175>Oct 16 2009 23:47:31 hostname tag[1234] This is a message')), {
    pri: 175, hostname: 'hostname', appname: 'tag', procid: '1234', message: 'This is a message',
  })
  assert.deepEqual(header(parse('<129>Mar 10 01:00:00 172.20.245.8 tag:msgnum:3')), { pri: 129, hostname: '172.20.245.8', appname: 'tag', procid: '', message: 'msgnum:3' })
  assert.deepEqual(header(parse('<167>Feb 18 16:01:59 serverX -- MARK --')), { pri: 167, hostname: 'serverX', appname: '--', procid: '', message: 'MARK --' })
})

test('keeps CSV and key=value payloads whole after the hostname', () => {
  const pan = parse('<14>Mar  5 10:15:55 PA-3220 1,2024/03/05 10:15:55,012801096514,THREAT,url,2049')
  assert.deepEqual(header(pan), { pri: 14, hostname: 'PA-3220', appname: '', procid: '', message: '1,2024/03/05 10:15:55,012801096514,THREAT,url,2049' })
  assert.equal(parse('Mar  5 10:15:56 PA-220 1,2024/03/05 10:15:56,012801096514,SYSTEM').message, '1,2024/03/05 10:15:56,012801096514,SYSTEM')
  assert.equal(parse('<189>Mar  5 10:15:57 fgt date=2024-03-05 time=10:15:57').message, 'date=2024-03-05 time=10:15:57')
})

test('ends a TAG at a tab, as Snare sends it', () => {
  const m = parse('<14>Mar  5 10:16:00 dc01.example.com MSWinEventLog\t1\tSecurity\t123456\tTue Mar 05 10:16:00 2024\t4624')
  assert.equal(m.hostname, 'dc01.example.com')
  assert.equal(m.appname, 'MSWinEventLog')
  assert.equal(m.message, '1\tSecurity\t123456\tTue Mar 05 10:16:00 2024\t4624')
})

test('reads a PAN-OS line without syslog header as format none, whole', () => {
  const raw = '1,2024/03/05 10:15:54,012801096514,TRAFFIC,end,2049,2024/03/05 10:15:54,192.0.2.10,203.0.113.10'
  const m = parse(raw)
  assert.equal(m.format, 'none')
  assert.equal(m.pri, -1)
  assert.equal(m.timestamp, -1)
  assert.equal(m.hostname, '')
  assert.equal(m.appname, '')
  assert.equal(m.message, raw)
  assert.equal(parse('This is a message!').format, 'none')
  assert.equal(parse('').message, '')
})

test('treats a PRI above 191 or a malformed one as no PRI and keeps the text', () => {
  for (const raw of ['<192>Mar  5 10:15:30 h a: x', '<1000>x', '<>x', '<abc>x', '<13 x']) {
    const m = parse(raw)
    assert.equal(m.pri, -1, raw)
    assert.equal(m.facility, -1)
    assert.equal(m.severity, -1)
    assert.ok(m.message.length > 0 && raw.includes(m.message), raw)
  }
  assert.equal(parse('<192>Mar  5 10:15:30 h a: x').format, 'none')
  assert.equal(parse('<0>x').pri, 0)
  assert.equal(parse('<191>x').pri, 191)
})

test('strips trailing CR, LF and NUL', () => {
  assert.equal(parse('<167>Mar  6 16:57:54 172.20.245.8 test: payload\r').message, 'payload')
  assert.equal(parse('<167>Mar  6 16:57:54 172.20.245.8 test: payload\r\n\0\0').message, 'payload')
  assert.equal(parse('no header at all\n').message, 'no header at all')
  assert.equal(parse('<14>Aug 30 23:00:05 X4711\n').hostname, 'X4711')
})

test('reads headers that end early', () => {
  assert.deepEqual(header(parse('<14>Aug 30 23:00:05 X4711')), { pri: 14, hostname: 'X4711', appname: '', procid: '', message: '' })
  assert.deepEqual(header(parse('<14>Aug 30 23:00:05 ')), { pri: 14, hostname: '', appname: '', procid: '', message: '' })
  assert.deepEqual(header(parse('<14>Aug 30 23:00:05')), { pri: 14, hostname: '', appname: '', procid: '', message: '' })
  assert.deepEqual(header(parse('<14>')), { pri: 14, hostname: '', appname: '', procid: '', message: '' })
  assert.equal(parse('<14>Aug 30 23:00:05').timestamp, Date.UTC(2023, 7, 30, 23, 0, 5))
})

test('takes the year of a BSD timestamp from the time of receipt', () => {
  const at = (receivedAt: number, raw: string) => parseSyslog(raw, { ...origin, receivedAt }).timestamp
  assert.equal(at(Date.UTC(2024, 5, 15), '<13>Jun 14 08:00:00 h a: x'), Date.UTC(2024, 5, 14, 8))
  // Up to a month ahead is a sender clock running fast; more is last year's message.
  assert.equal(at(Date.UTC(2024, 5, 15), '<13>Jul  1 08:00:00 h a: x'), Date.UTC(2024, 6, 1, 8))
  assert.equal(at(Date.UTC(2024, 5, 15), '<13>Aug  1 08:00:00 h a: x'), Date.UTC(2023, 7, 1, 8))
  assert.equal(at(Date.UTC(2025, 0, 1, 0, 0, 3), '<13>Dec 31 23:59:58 h a: x'), Date.UTC(2024, 11, 31, 23, 59, 58))
  // A January message received in the last days of December was sent just after New Year.
  assert.equal(at(Date.UTC(2024, 11, 31, 23, 59, 59), '<13>Jan  1 00:00:01 h a: x'), Date.UTC(2025, 0, 1, 0, 0, 1))
  assert.equal(at(Date.UTC(2024, 11, 10), '<13>Jan  1 00:00:01 h a: x'), Date.UTC(2024, 0, 1, 0, 0, 1))
  // 29 February only exists in leap years.
  assert.equal(at(Date.UTC(2024, 2, 1), '<13>Feb 29 10:00:00 h a: x'), Date.UTC(2024, 1, 29, 10))
  assert.equal(at(Date.UTC(2023, 2, 1), '<13>Feb 29 10:00:00 h a: x'), -1)
  assert.equal(at(Date.UTC(2023, 2, 1), '<13>Feb 30 10:00:00 h a: x'), -1)
})

test('reads BSD timestamps in the configured zone', () => {
  const raw = '<13>Mar  5 10:15:30 h a: x'
  assert.equal(parse(raw).timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
  assert.equal(parse(raw, { timezone: 'UTC' }).timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
  assert.equal(parse(raw, { timezone: '+02:00' }).timestamp, Date.UTC(2024, 2, 5, 8, 15, 30))
  assert.equal(parse(raw, { timezone: '-0530' }).timestamp, Date.UTC(2024, 2, 5, 15, 45, 30))
  // IANA zones follow daylight saving time.
  assert.equal(parse(raw, { timezone: 'Europe/Zurich' }).timestamp, Date.UTC(2024, 2, 5, 9, 15, 30))
  const summer = parseSyslog('<13>Jul  5 10:15:30 h a: x', { ...origin, receivedAt: Date.UTC(2024, 6, 5, 9) }, { timezone: 'Europe/Zurich' })
  assert.equal(summer.timestamp, Date.UTC(2024, 6, 5, 8, 15, 30))
  assert.equal(summer.timestampHasZone, false)
  assert.equal(parse(raw, { timezone: 'America/New_York' }).timestamp, Date.UTC(2024, 2, 5, 15, 15, 30))
  // The runtime's own zone, as Date reads a local wall-clock time.
  assert.equal(parse(raw, { timezone: 'local' }).timestamp, new Date(2024, 2, 5, 10, 15, 30).getTime())
  // A zone Intl does not know reads as UTC rather than throwing.
  assert.equal(parse(raw, { timezone: 'Not/AZone' }).timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
})

test('keeps several zones apart when options alternate', () => {
  const raw = '<13>Mar  5 10:15:30 h a: x'
  for (let i = 0; i < 3; i++) {
    assert.equal(parse(raw, { timezone: 'Asia/Tokyo' }).timestamp, Date.UTC(2024, 2, 5, 1, 15, 30))
    assert.equal(parse(raw, { timezone: 'UTC' }).timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
    assert.equal(parse(raw).timestamp, Date.UTC(2024, 2, 5, 10, 15, 30))
  }
})

test('a wall-clock time in a daylight-saving change reads with the offset in force before it', async () => {
  const { civilToEpoch } = await import('../src/index.ts')
  // Clocks go forward: 02:30 does not exist; read as standard time.
  assert.equal(civilToEpoch('America/Chicago', 2026, 3, 8, 2, 30, 0), Date.UTC(2026, 2, 8, 8, 30))
  assert.equal(civilToEpoch('Europe/Berlin', 2026, 3, 29, 2, 30, 0), Date.UTC(2026, 2, 29, 1, 30))
  // Clocks go back: 02:30 happens twice; the first one (summer time).
  assert.equal(civilToEpoch('Europe/Berlin', 2026, 10, 25, 2, 30, 0), Date.UTC(2026, 9, 25, 0, 30))
  assert.equal(civilToEpoch('America/Chicago', 2026, 11, 1, 1, 30, 0), Date.UTC(2026, 10, 1, 6, 30))
  assert.equal(civilToEpoch('Australia/Sydney', 2026, 4, 5, 2, 30, 0), Date.UTC(2026, 3, 4, 15, 30))
  assert.ok(Number.isNaN(civilToEpoch('UTC', 2026, 13, 1, 0, 0, 0)))
})

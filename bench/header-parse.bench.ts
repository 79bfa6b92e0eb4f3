// Syslog header parsing on one core: @beer/syslog-header against the npm parsers people use today,
// on one mixed corpus of real line shapes, in the same process and run.
//
//   cd bench && node --import tsx header-parse.bench.ts        (build the packages first)
import { parseSyslog, toEvent, type FrameOrigin } from '@beer/syslog-header'
import syslogParse from 'syslog-parse'
import glossy from 'glossy'
import nsyslogParser from 'nsyslog-parser'
import { medianRates } from './lib/timed-passes.ts'
import type { Runner } from './lib/timed-passes.ts'
import { recordResults } from './lib/record.ts'

const COMMAND = 'cd bench && node --import tsx header-parse.bench.ts'
const TARGET_LINES = 200_000
const WARMUP_PASSES = 2
const ROUNDS = 7

/** One line shape: `host` is the hostname the line plainly carries ('' when it has none). */
interface Shape {
  name: string
  line: string
  host: string
}

// Made-up lines in the shapes real senders use (documentation addresses, invented hosts).
const SHAPES: Shape[] = [
  // RFC 5424
  { name: '5424 plain', host: 'web01.example.com', line: '<165>1 2024-03-05T10:15:30.123Z web01.example.com nginx 2211 ACCESS - GET /index.html 200 512' },
  { name: '5424 two SD elements', host: 'app02.example.net', line: '<165>1 2024-03-05T10:15:30.123456+01:00 app02.example.net billing 731 INV [meta@32473 sequenceId="42" sysUpTime="1234"][origin@32473 ip="192.0.2.10" software="billing"] invoice 1001 created' },
  { name: '5424 SD escapes', host: 'fw-edge.example.org', line: '<134>1 2024-03-05T10:15:30Z fw-edge.example.org audit - CFG [chg@32473 user="ad\\"min" path="/cfg\\]x" note="a\\\\b"] configuration changed' },
  { name: '5424 NILVALUEs', host: 'host3.example.com', line: '<14>1 2024-03-05T10:15:30.5-05:00 host3.example.com - - - - plain text after nil fields' },
  { name: '5424 BOM', host: 'lab4.example.com', line: '<13>1 2024-03-05T10:15:30Z lab4.example.com app 12 ID1 - \uFEFFhello with a byte order mark' },
  { name: '5424 repeated param', host: 'idp.example.com', line: '<38>1 2024-03-05T10:15:30Z idp.example.com sshd 901 LOGIN [auth@32473 method="password" method="publickey" user="carol"] Accepted publickey for carol' },
  { name: '5424 SD only', host: 'vpn1.example.com', line: '<86>1 2024-03-05T10:15:30.000Z vpn1.example.com charon 77 IKE [ike@32473 peer="198.51.100.7" state="established"] tunnel up' },
  { name: '5424 nxlog Windows', host: 'WIN-DC02', line: '<14>1 2024-03-05T10:16:06.789Z WIN-DC02 Microsoft-Windows-Security-Auditing 640 4625 [NXLOG@14506 EventReceivedTime="2024-03-05 10:16:06" SourceModuleName="eventlog" Keywords="-9218868437227405312"] An account failed to log on. Subject: Security ID: S-1-5-18 Account Name: WIN-DC02$' },
  { name: '5424 IPv6 host', host: '2001:db8::12', line: '<165>1 2024-03-05T10:16:07Z 2001:db8::12 ntpd 99 - - clock synchronized to 192.0.2.123' },
  // RFC 3164 with PRI
  { name: '3164 su', host: 'mailhost', line: "<34>Mar  5 10:15:30 mailhost su: 'su root' failed for alice on /dev/pts/8" },
  { name: '3164 sshd accepted', host: 'bastion1', line: '<38>Mar  5 10:15:30 bastion1 sshd[4321]: Accepted publickey for deploy from 203.0.113.5 port 52144 ssh2: ED25519 SHA256:kW3r4nD0mK3yF1ng3rpr1nt' },
  { name: '3164 sshd failed', host: 'bastion1', line: '<38>Mar 15 10:15:30 bastion1 sshd[4322]: Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2' },
  { name: '3164 sudo', host: 'build7', line: '<85>Mar  5 10:15:31 build7 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx' },
  { name: '3164 sudo pam', host: 'build7', line: '<85>Mar  5 10:16:10 build7 sudo[3030]: pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=alice' },
  { name: '3164 kernel netfilter', host: 'router3', line: '<4>Mar  5 10:15:32 router3 kernel: [12345.678901] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=192.0.2.4 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=TCP SPT=51515 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0' },
  { name: '3164 CRON', host: 'cron-box', line: '<78>Mar  5 10:17:01 cron-box CRON[9911]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)' },
  { name: '3164 systemd', host: 'node12', line: '<30>Mar  5 10:15:33 node12 systemd[1]: Started Session 42 of user bob.' },
  { name: '3164 postfix', host: 'mx1', line: '<22>Mar  5 10:15:34 mx1 postfix/smtpd[2020]: connect from unknown[198.51.100.77]' },
  { name: '3164 dhcpd', host: 'dhcp01', line: '<30>Mar  5 10:15:35 dhcp01 dhcpd[777]: DHCPACK on 192.0.2.55 to 00:1a:2b:3c:4d:5e (laptop-7) via eth1' },
  { name: '3164 sshd(pam_unix)', host: 'ws-19', line: '<86>Mar  5 10:15:36 ws-19 sshd(pam_unix)[12750]: session opened for user carol by (uid=0)' },
  { name: '3164 tag without colon', host: 'printer2', line: '<13>Mar  5 10:15:37 printer2 lpd job 17 done for dave' },
  { name: '3164 named', host: 'ns1', line: '<30>Mar  5 10:15:38 ns1 named[555]: client @0x7f3a 192.0.2.20#53124 (example.com): query: example.com IN A +E(0)K (192.0.2.1)' },
  { name: '3164 MARK', host: 'host-8', line: '<13>Mar  5 10:16:09 host-8 -- MARK --' },
  { name: '3164 day not padded', host: 'host-5', line: '<13>Mar 5 10:16:01 host-5 app: day not padded' },
  { name: '3164 upper-case month', host: 'host-6', line: '<13>MAR  5 10:16:02 host-6 app: month in capitals' },
  { name: '3164 fractional seconds', host: 'host-7', line: '<13>Mar  5 10:16:03.123456 host-7 ntpd[400]: time slew +0.000123 s' },
  { name: '3164 space before timestamp', host: 'switch-22', line: '<14> Mar  5 10:16:04 switch-22 FFI: port 5 - Excessive CRC/alignment errors' },
  { name: '3164 Juniper', host: 'srx-1', line: '<28>Mar  5 10:16:05 srx-1 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 192.0.2.8/5555->203.0.113.8/443 junos-https 192.0.2.8/5555->203.0.113.8/443' },
  { name: '3164 IPv6 host', host: '2001:db8::13', line: '<165>Mar  5 10:16:08 2001:db8::13 ntpd[99]: kernel time sync enabled' },
  { name: '3164 long message', host: 'app-7', line: '<14>Mar  5 10:16:11 app-7 java[2222]: ' + 'at com.example.service.Handler.process(Handler.java:42) '.repeat(12) },
  { name: '3164 CEF', host: 'sensor-1', line: '<134>Mar  5 10:15:59 sensor-1 CEF:0|Example|IDS|1.0|100|Port scan|5|src=198.51.100.99 dst=192.0.2.1 spt=1234 dpt=80 act=blocked' },
  { name: '3164 Snare', host: 'dc01.example.com', line: '<14>Mar  5 10:16:00 dc01.example.com MSWinEventLog\t1\tSecurity\t123456\tTue Mar 05 10:16:00 2024\t4624\tMicrosoft-Windows-Security-Auditing\tEXAMPLE\\alice\tN/A\tSuccess Audit\tdc01.example.com\tLogon\t\tAn account was successfully logged on.' },
  // Cisco
  { name: 'Cisco PIX, IP host', host: '192.0.2.33', line: '<167>Mar  5 10:15:39 192.0.2.33 %PIX-7-710005: UDP request discarded from 198.51.100.2/2741 to outside:192.0.2.255/61601' },
  { name: 'Cisco ASA year, no host', host: '', line: '<166>Mar 05 2024 10:15:40: %ASA-6-302013: Built outbound TCP connection 1234 for outside:203.0.113.4/443 (203.0.113.4/443) to inside:192.0.2.9/51000 (192.0.2.9/51000)' },
  { name: 'Cisco ASA "host :"', host: 'asa-fw1', line: '<166>Mar  5 2024 10:15:41 asa-fw1 : %ASA-6-302014: Teardown TCP connection 1234 for outside:203.0.113.4/443 to inside:192.0.2.9/51000 duration 0:00:30 bytes 6123 TCP FINs' },
  { name: 'Cisco ASA with host', host: 'asa-fw2', line: '<166>Mar  5 10:15:42 asa-fw2 %ASA-4-106023: Deny tcp src outside:198.51.100.8/4444 dst inside:192.0.2.7/445 by access-group "outside_in" [0x0, 0x0]' },
  { name: 'Cisco ASA tag[pid]', host: 'localhost', line: '<166>Mar 05 2024 10:15:43 localhost CiscoASA[999]: %ASA-6-305011: Built dynamic TCP translation from inside:192.0.2.9/51000 to outside:203.0.113.1/51000' },
  { name: 'Cisco IOS zone name', host: '', line: '<189>Mar  5 10:15:51.250 UTC: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (192.0.2.100)' },
  { name: 'Cisco IOS sequence number', host: '', line: '<189>123: router-core: *Mar  5 10:15:44.123: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up' },
  // ISO timestamps where RFC 3164 has its own
  { name: 'ISO offset', host: 'app-srv1', line: '<13>2024-03-05T10:15:45.123+01:00 app-srv1 worker[88]: job 7781 done in 120 ms' },
  { name: 'ISO Z, haproxy', host: 'edge-9', line: '<14>2024-03-05T10:15:46Z edge-9 haproxy[1401]: 192.0.2.44:51234 [05/Mar/2024:10:15:46.001] fe be/srv1 0/0/1/2/3 200 512 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"' },
  { name: 'ISO space and zone name', host: 'nas01', line: '<13>2024-03-05 10:15:47 UTC nas01 smbd[3131]: connect to service share by user dave' },
  // No HOSTNAME / unusual HOSTNAME
  { name: 'no hostname', host: '', line: '<13>Mar  5 10:15:48 sshd[42]: Connection closed by 198.51.100.61 port 22 [preauth]' },
  { name: 'host with colon', host: 'core-sw1.example.net', line: '<13>Mar  5 10:15:49 core-sw1.example.net: sshd[43]: Received disconnect from 203.0.113.77 port 5050:11: bye' },
  { name: 'empty hostname', host: '', line: '<38>Mar  5 10:15:50  sshd[1332]: last message repeated 2 times' },
  // No PRI
  { name: 'no PRI smartd', host: 'fileserver3', line: 'Mar  5 10:15:52 fileserver3 smartd[901]: Device: /dev/sda, SMART Usage Attribute: 194 Temperature_Celsius changed from 36 to 37' },
  { name: 'no PRI useradd', host: 'ubuntu-14', line: 'Mar  5 10:15:53 ubuntu-14 useradd[2888]: new user: name=erin, UID=1001, GID=1001, home=/home/erin, shell=/bin/bash' },
  // PAN-OS
  { name: 'PAN-OS header-less', host: '', line: '1,2024/03/05 10:15:54,012801096514,TRAFFIC,end,2049,2024/03/05 10:15:54,192.0.2.10,203.0.113.10,0.0.0.0,0.0.0.0,rule1,,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,2024/03/05 10:15:54,12345,1,50000,443,0,0,0x1c,tcp,allow,5000,2000,3000,20,2024/03/05 10:15:40,10,any,0,1234567,0x0,192.168.0.0-192.168.255.255,United States,0,10,10,tcp-fin' },
  { name: 'PAN-OS with header', host: 'PA-3220', line: '<14>Mar  5 10:15:55 PA-3220 1,2024/03/05 10:15:55,012801096514,THREAT,url,2049,2024/03/05 10:15:55,192.0.2.11,203.0.113.11,0.0.0.0,0.0.0.0,rule2,alice,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,2024/03/05 10:15:55,22334,1,50001,80,0,0,0x0,tcp,alert,"www.example.com/",(9999),news,informational,client-to-server' },
  { name: 'PAN-OS with header, no PRI', host: 'PA-220', line: 'Mar  5 10:15:56 PA-220 1,2024/03/05 10:15:56,012801096514,SYSTEM,general,0,2024/03/05 10:15:56,,general,,0,0,general,informational,"User admin logged in via Web from 192.0.2.50",1234,0x0,0,0,0,0,,PA-220' },
  // Other payloads
  { name: 'FortiGate key=value, no timestamp', host: '', line: '<189>date=2024-03-05 time=10:15:57 devname="FGT-60F" devid="FGT60FTK0000" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=192.0.2.30 dstip=203.0.113.30 action="accept"' },
  { name: 'JSON after PRI', host: '', line: '<14>{"ts":"2024-03-05T10:15:58Z","level":"info","msg":"ready","port":8080}' },
  { name: 'free text, no header', host: '', line: 'Starting nightly backup of /srv/data to 198.51.100.200' },
]

/**
 * A corpus of `count` lines cycling through `shapes`, each round a second later, like a
 * time-ordered stream. Every line is decoded from UTF-8 bytes, as the listener hands frames over
 * (a flat string, not the rope a string replace may leave).
 */
function buildCorpus(shapes: readonly Shape[], count: number): { lines: string[]; shapeOf: Shape[] } {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const lines: string[] = []
  const shapeOf: Shape[] = []
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length]!
    const round = Math.floor(i / shapes.length)
    const mm = String(Math.floor(round / 60) % 60).padStart(2, '0')
    const ss = String(round % 60).padStart(2, '0')
    lines.push(decoder.decode(encoder.encode(shape.line.replace(/10:1\d:\d\d/, `10:${mm}:${ss}`))))
    shapeOf.push(shape)
  }
  return { lines, shapeOf }
}

const origin: FrameOrigin = { receivedAt: Date.UTC(2024, 2, 5, 10, 20), transport: 'udp', sourceAddress: '192.0.2.1', sourcePort: 514, listener: 'udp://0.0.0.0:514' }

interface Contender {
  name: string
  /** Parses one line; returns the hostname and message it found, or null when it gave up. */
  read: (line: string) => { host: string; message: string } | null
  /** The timed loop body: parse and touch the result so nothing is optimised away. */
  run: (line: string) => number
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '')

const contenders: Contender[] = [
  {
    name: '@beer/syslog-header parseSyslog',
    read: (l) => {
      const m = parseSyslog(l, origin)
      return { host: m.hostname, message: m.message }
    },
    run: (l) => parseSyslog(l, origin).message.length,
  },
  {
    name: 'syslog-parse 2.0.0',
    read: (l) => {
      const r = syslogParse(l)
      return r ? { host: str(r.host), message: str(r.message) } : null
    },
    run: (l) => syslogParse(l)?.message.length ?? 0,
  },
  {
    name: 'glossy 0.1.7 (Parse.parse)',
    read: (l) => {
      const r = glossy.Parse.parse(l) as Record<string, unknown> | null | undefined
      return r ? { host: str(r.host), message: str(r.message) } : null
    },
    run: (l) => (glossy.Parse.parse(l) as { message?: string } | null)?.message?.length ?? 0,
  },
  {
    name: 'nsyslog-parser 0.10.1',
    read: (l) => {
      const r = nsyslogParser(l) as Record<string, unknown> | null | undefined
      return r ? { host: str(r.host), message: str(r.message) } : null
    },
    run: (l) => (nsyslogParser(l) as { message?: string } | null)?.message?.length ?? 0,
  },
]

const FAILURE_RULE =
  'a line counts as failed when the parser throws, returns null/undefined, returns no hostname for a line that plainly carries one, ' +
  'or returns an empty message (every line in the corpus has message text)'

function failuresOf(c: Contender, lines: string[], shapeOf: Shape[]): { lines: number; shapes: Set<string> } {
  let failed = 0
  const shapes = new Set<string>()
  for (let i = 0; i < lines.length; i++) {
    const shape = shapeOf[i]!
    let r: { host: string; message: string } | null
    try {
      r = c.read(lines[i]!)
    } catch {
      r = null
    }
    if (r === null || (shape.host !== '' && r.host === '') || r.message === '') {
      failed++
      shapes.add(shape.name)
    }
  }
  return { lines: failed, shapes }
}

function measureAll(runs: Runner[], lines: string[]): number[] {
  return medianRates(runs.map((run) => [run, lines] as const), { warmup: WARMUP_PASSES, rounds: ROUNDS, catchErrors: true })
}

const { lines, shapeOf } = buildCorpus(SHAPES, TARGET_LINES)
console.log(`corpus: ${lines.length} lines, ${SHAPES.length} shapes; ${WARMUP_PASSES} warm-up passes, median of ${ROUNDS} rounds, one thread`)

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const fullRun = (l: string): number => JSON.stringify(toEvent(parseSyslog(l, origin))).length
const rates = measureAll([...contenders.map((c) => c.run), fullRun], lines)
const failures = contenders.map((c) => failuresOf(c, lines, shapeOf))
contenders.forEach((c, k) => console.log(`${c.name}: ${fmt(rates[k]!)} lines/s`))
const fullRate = rates[contenders.length]!
console.log(`parseSyslog + toEvent + JSON.stringify: ${fmt(fullRate)} lines/s`)

const faster = (k: number, list: number[]): string => (k === 0 ? '—' : (list[0]! / list[k]!).toFixed(1) + '×')
const table = [
  '| parser | lines/s (median) | ns/line | beer is × faster | failed lines |',
  '|---|---:|---:|---:|---|',
  ...contenders.map((c, k) => {
    const f = failures[k]!
    return `| ${c.name} | ${fmt(rates[k]!)} | ${(1e9 / rates[k]!).toFixed(0)} | ${faster(k, rates)} | ${f.lines} (${f.shapes.size} of ${SHAPES.length} shapes) |`
  }),
  `| @beer/syslog-header parseSyslog + toEvent + JSON.stringify | ${fmt(fullRate)} | ${(1e9 / fullRate).toFixed(0)} | — | — |`,
].join('\n')

// The same work for everyone: only the shapes that every parser reads, so that no parser's
// speed comes from giving up early on a line.
const common = SHAPES.filter((s) => failures.every((f) => !f.shapes.has(s.name)))
const commonCorpus = buildCorpus(common, TARGET_LINES)
const commonRates = measureAll(contenders.map((c) => c.run), commonCorpus.lines)
const commonTable = [
  `| parser, on the ${common.length} shapes every parser reads | lines/s (median) | ns/line | beer is × faster |`,
  '|---|---:|---:|---:|',
  ...contenders.map((c, k) => `| ${c.name} | ${fmt(commonRates[k]!)} | ${(1e9 / commonRates[k]!).toFixed(0)} | ${faster(k, commonRates)} |`),
].join('\n')

const notes = [
  `Corpus: ${lines.length.toLocaleString('en-US')} lines cycling through ${SHAPES.length} made-up line shapes (RFC 5424 with and without structured data, RFC 3164 with and without PRI, ` +
    'Cisco ASA/PIX/IOS, PAN-OS with and without syslog header, ISO and year-bearing timestamps, no-hostname lines, sshd/sudo/kernel/cron, CEF, Snare, JSON, key=value), ' +
    'each round of shapes one second later. ' +
    `One thread; ${WARMUP_PASSES} warm-up passes each, then the median of ${ROUNDS} timed passes, the contenders taking turns in each round, after one full garbage collection before the warm-up (none between passes: see lib/timed-passes.ts).`,
  '',
  `Failure rule: ${FAILURE_RULE}.`,
  '',
  ...contenders.map((c, k) => [c.name, [...failures[k]!.shapes]] as const).filter(([, s]) => s.length > 0).map(([n, s]) => `- ${n} fails on: ${s.join('; ')}`),
]

console.log('\n' + table + '\n\n' + commonTable + '\n')
console.log(notes.join('\n'))
recordResults('header-parse', 'Header parse, one core', COMMAND, table + '\n\n' + commonTable + '\n\n' + notes.join('\n'))

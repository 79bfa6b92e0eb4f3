/** A line every parser must survive: `isMine` answers true or false, and `parse` does not throw. */
export interface HostileLine {
  name: string
  line: string
}

const PAD = 'A'.repeat(65536)

/**
 * What a collector receives besides the lines a parser owns: nothing, garbage, huge frames, broken
 * framing, and other products' messages (made up, with documentation addresses). Some may be the
 * parser's own family; those it claims must parse without throwing.
 */
export const HOSTILE_LINES: readonly HostileLine[] = [
  { name: 'an empty line', line: '' },
  { name: 'a lone PRI', line: '<13>' },
  { name: 'a broken PRI', line: '<999999999999>1 - - - - - -' },
  { name: 'a header without a message', line: '<13>Mar  5 10:15:30 host1 app1:' },
  { name: 'control characters', line: '\u0000\u0001\u0002\u0003\u0007\b\t\u000b\f\r\u001b[31m\u007f' },
  { name: 'binary read as UTF-8', line: '<13>\uFFFD\uFFFD\u0000PK\u0003\u0004\uFFFD\u0014\u0000\u0008\u0000\uFFFD' },
  { name: 'lone surrogates', line: '<13>Mar  5 10:15:30 host1 app1: \uD800 \uDFFF x\uDBFFy' },
  { name: 'non-Latin text', line: '<13>Mar  5 10:15:30 хост1 приложение: 日本語のメッセージ 🍺 مرحبا' },
  { name: 'a 64 KiB message', line: `<134>Mar  5 10:15:30 host1 app1: ${PAD}` },
  { name: 'a 64 KiB line without a header', line: PAD },
  { name: '64 KiB of commas', line: `<14>Mar  5 10:15:30 host1 1,${','.repeat(65536)}` },
  { name: '64 KiB of key=value separators', line: `<134>Mar  5 10:15:30 host1 app1: ${'a= '.repeat(21845)}` },
  { name: 'an unterminated quote', line: '<14>Mar  5 10:15:30 host1 app1: a="open b=1,"x' },
  {
    name: 'prototype keys',
    line: '<134>Mar  5 10:15:30 host1 app1: __proto__=polluted constructor=x prototype=y toString=z hasOwnProperty=1',
  },
  { name: 'JSON with a __proto__ key', line: '<14>Mar  5 10:15:30 host1 app1: {"__proto__":{"polluted":true},"constructor":{"prototype":1}}' },
  {
    name: 'Cisco ASA',
    line: '<166>Mar  5 10:15:30 asa1 %ASA-6-302013: Built outbound TCP connection 123456 for outside:198.51.100.7/443 (198.51.100.7/443) to inside:192.0.2.10/51234 (203.0.113.5/51234)',
  },
  {
    name: 'OpenSSH sshd',
    line: '<38>Mar  5 10:15:30 bastion1 sshd[4321]: Accepted publickey for deploy from 192.0.2.44 port 52113 ssh2: ED25519 SHA256:Jm5l1k2gQk3x9VvJ0b8bq7r6tY2ZzXKcXo8l4wq3Z1c',
  },
  {
    name: 'CEF',
    line: '<134>Mar  5 10:15:30 sensor1 CEF:0|Example Security|threatmanager|1.0|100|worm successfully stopped|10|src=192.0.2.1 dst=198.51.100.2 spt=1232 msg=a\\=b\\|c',
  },
  {
    name: 'Windows event via Snare',
    line: '<13>Mar  5 10:15:30 dc1.example.test MSWinEventLog\t1\tSecurity\t123\tWed Mar 05 10:15:30 2025\t4624\tMicrosoft-Windows-Security-Auditing\tEXAMPLE\\alice\tN/A\tSuccess Audit\tdc1.example.test\tLogon\t\tAn account was successfully logged on.\t7',
  },
  {
    name: 'RFC 5424 with JSON',
    line: '<14>1 2025-03-05T10:15:30.123Z web1.example.test app 1234 - - {"level":"info","msg":"login","src":"192.0.2.30","user":"alice"}',
  },
  {
    name: 'RFC 5424 with structured data',
    line: '<165>1 2025-03-05T10:15:30.003Z host1.example.test evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event log entry',
  },
  { name: 'JSON without a header', line: '{"@timestamp":"2025-03-05T10:15:30Z","event":{"kind":"event"},"source":{"ip":"192.0.2.1"}}' },
  {
    name: 'key=value',
    line: '<134>Mar  5 10:15:30 fw1 date=2025-03-05 time=10:15:30 devname="fw1" type="traffic" subtype="forward" srcip=192.0.2.1 srcport=51234 dstip=198.51.100.2 dstport=443 action="accept"',
  },
  {
    name: 'PAN-OS TRAFFIC CSV',
    line: '<14>Mar  5 10:15:30 pa-fw1 1,2025/03/05 10:15:30,012345678901,TRAFFIC,end,2561,2025/03/05 10:15:30,192.0.2.10,198.51.100.20,203.0.113.10,198.51.100.20,allow-web,example\\alice,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,2025/03/05 10:15:30,12345,1,51234,443,41234,443,0x400000,tcp,allow,5000,1500,3500,20,2025/03/05 10:15:00,25,any,,7000000000000000001,0x0,192.0.2.0-192.0.2.255,United States,,10,10,tcp-fin',
  },
  {
    name: 'a PAN-OS CSV line cut short',
    line: '<14>Mar  5 10:15:30 pa-fw1 1,2025/03/05 10:15:30,012345678901,TRAFFIC,end,2561,2025/03/05 10:15:30,192.0.2.10',
  },
  { name: 'CSV of empty fields', line: '<14>Mar  5 10:15:30 pa-fw1 1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,' },
]

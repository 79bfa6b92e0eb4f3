// Seeded mutations of the fixture lines and adversarial lines: isMine and parse never throw (nor
// reach the parser's own catch), no event carries a prototype key, and parse time grows linearly
// with the line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, fuzzParser, prototypeKey } from '@beer/parser-sdk/testing'
import { create, isMine } from '../src/cisco-asa.ts'

const parser = create({})

const NOISE = [' ', '  ', ':', ': ', '/', '(', ')', '<', '>', ',', ', ', '"', '\\', '=', ' = ', '\u0000', '\uFFFD', '\uD800', '%ASA-6-302013:', '%FTD-', '\t', '-', 'ÿ']
const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)]!

const H = '<166>Nov 27 2026 09:59:58 fw-edge-01 : '

/** Lines of about `size` characters made of the separators and tokens the readers look for. */
function adversarial(size: number): { name: string; line: string }[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
  return [
    { name: 'built, parentheses', line: H + '%ASA-6-302013: Built outbound TCP connection 1 for outside:198.51.100.20/443 ' + fill('(') },
    { name: 'built, users', line: H + '%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.20/443' + fill('(x)') + ' to inside:192.0.2.10/1 (192.0.2.10/1)' },
    { name: 'built, address', line: H + '%ASA-6-302013: Built inbound TCP connection 1 for outside:' + fill('1:') + '/1 to x' },
    { name: 'teardown, reason', line: H + '%ASA-6-302014: Teardown TCP connection 1 for outside:198.51.100.20/443 to inside:192.0.2.10/1 duration 0:00:01 bytes 1 ' + fill(' (from ') },
    { name: 'icmp, type', line: H + '%ASA-6-302021: Teardown ICMP connection for faddr 198.51.100.9/1 gaddr 203.0.113.80/0 laddr 192.0.2.80/0 ' + fill('(type 8 ') },
    { name: 'deny, access-group', line: H + '%ASA-4-106023: Deny tcp src outside:198.51.100.63/80 dst inside:192.0.2.10/8277 ' + fill('by access-group ') },
    { name: 'access-list, arrows', line: H + '%ASA-6-106100: access-list a permitted tcp ' + fill('x/1.2.3.4(1) ') },
    { name: 'aaa, equals', line: H + '%ASA-6-113005: AAA user authentication Rejected : ' + fill('reason = ') },
    { name: 'aaa, colons', line: H + '%ASA-6-113005: AAA user ' + fill('a') },
    { name: 'vpn, brackets', line: H + '%ASA-4-722051: Group <' + fill('<') },
    { name: 'vpn, addresses', line: H + '%ASA-4-722051: Group <g> User <u> IP <198.51.100.1> ' + fill('IPv4 Address <') },
    { name: 'session, commas', line: H + '%ASA-4-113019: Group = ' + fill(', ') },
    { name: 'ftd, pairs', line: H + '%FTD-1-430002: ' + fill('Key: v, ') },
    { name: 'ftd, commas', line: H + '%FTD-1-430002: SrcIP: ' + fill('v, x') + ': y' },
    { name: 'unknown id', line: H + '%ASA-6-999999: ' + fill('x ') },
    { name: 'device time prefix', line: '<166>Nov 27 09:59:59 fw-edge-01 ' + fill('Nov 27 2026 09:59:58: ') + '%ASA-6-302013: Built' },
  ]
}

fuzzParser({
  name: 'cisco-asa',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  isMine,
  caught: 'cisco-asa parser failed',
  inserts: NOISE,
  swaps: [' ', '/', ':', '(', '<', ', '].flatMap((from) => ['\t', ',', '', '  ', ' ', '/', ')'].filter((to) => to !== from).map((to): [string, string] => [from, to])),
  mutations: [
    (line, next) => {
      const at = Math.floor(next() * (line.length + 1))
      const big = pick(['A', '9', ' ', '(', '(x)', '/', 'Key: v, ', '<', ' : ', 'type 8 code 0 '], next).repeat(2000 + Math.floor(next() * 8000))
      return line.slice(0, at) + big + line.slice(at)
    },
    (line) => line.replace(/User <[^>]*>|user = \S+|Uname: \S+|\(([A-Z]+\\)?[a-z]+\)/, (m) => m.replace(/[a-z]+/, '__proto__')),
    (line, next) =>
      line.replace(/%(ASA|FTD)-(\d)-(\d{6})/, (_m, p: string, l: string) => `%${p}-${l}-${pick(['302013', '302014', '106023', '106100', '113019', '722051', '430002', '305011', '999999'], next)}`),
  ],
  seed: 0x5eed,
  minMutated: 2001,
  cut: ['%ASA-6-302013: Built inbound', '%ASA-4-106023:', '%ASA-6-113005:', '%ASA-4-722051: Group <GP_Staff> User <bob>', '%FTD-1-430002:'],
  adversarial,
})

test('keeps user and group names that are prototype keys as values, never as keys', () => {
  const line = '<166>Nov 27 2026 08:00:07 fw-edge-01 : %ASA-4-722051: TunnelGroup <__proto__> GroupPolicy <constructor> User <__proto__> IP <198.51.100.45> IPv4 Address <192.0.2.200> IPv6 address <::> assigned to session'
  const msg = fixtureMessage(line)
  assert.ok(isMine(msg))
  const ev = parser.parse(msg) as LogEvent
  assert.equal(prototypeKey(ev), undefined)
  assert.equal(ev.error, undefined)
  assert.equal((ev.user as { name?: string }).name, '__proto__')
  assert.equal(Object.getPrototypeOf(ev.user), Object.prototype)
})

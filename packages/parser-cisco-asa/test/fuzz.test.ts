// Seeded mutations of the fixture lines and adversarial lines: isMine and parse never throw,
// no event carries a prototype key, and parse time grows linearly with the line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create, isMine } from '../src/cisco-asa.ts'

const FIXTURES = new URL('../fixtures/', import.meta.url)
const LINES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .flatMap((f) => readFileSync(new URL(f, FIXTURES), 'utf8').split('\n').filter((l) => l !== ''))
const parser = create({})

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])

/** The path of the first own key named __proto__, constructor or prototype, or of a non-plain object. */
function badKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const proto = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype) return `${path || 'the event'} (not a plain object)`
  for (const key of Object.getOwnPropertyNames(value)) {
    if (FORBIDDEN.has(key)) return `${path}.${key}`
    const found = badKey((value as Record<string, unknown>)[key], `${path}.${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

function check(line: string, why: string): void {
  const msg = fixtureMessage(line)
  let mine: boolean
  try {
    mine = isMine(msg)
  } catch (err) {
    assert.fail(`isMine threw on ${why}: ${String(err)}\n${JSON.stringify(line.slice(0, 300))}`)
  }
  if (!mine) return
  let result: LogEvent | LogEvent[] | null | undefined
  try {
    result = parser.parse(msg)
  } catch (err) {
    assert.fail(`parse threw on ${why}: ${String(err)}\n${JSON.stringify(line.slice(0, 300))}`)
  }
  for (const ev of Array.isArray(result) ? result : result ? [result] : []) {
    const bad = badKey(ev)
    assert.equal(bad, undefined, `${why}: ${bad}`)
    const error = (ev.error as { message?: string } | undefined)?.message
    assert.ok(!error?.startsWith('cisco-asa parser failed'), `${why}: the parser's own catch was reached: ${error}`)
  }
}

const NOISE = [' ', '  ', ':', ': ', '/', '(', ')', '<', '>', ',', ', ', '"', '\\', '=', ' = ', '\u0000', '\uFFFD', '\uD800', '%ASA-6-302013:', '%FTD-', '\t', '-', 'ÿ']

function mutate(line: string, next: () => number): { line: string; op: string } {
  const at = Math.floor(next() * (line.length + 1))
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  switch (Math.floor(next() * 10)) {
    case 0:
      return { line: line.slice(0, at), op: `cut at ${at}` }
    case 1: {
      const len = Math.floor(next() * 40)
      return { line: line.slice(0, at) + line.slice(at + len), op: `delete ${len} at ${at}` }
    }
    case 2: {
      const s = pick(NOISE)
      return { line: line.slice(0, at) + s + line.slice(at), op: `insert ${JSON.stringify(s)} at ${at}` }
    }
    case 3:
      return { line: line.replaceAll(' ', pick(['\t', ',', '', '  '])), op: 'spaces replaced' }
    case 4:
      return { line: line.replaceAll(pick(['/', ':', '(', '<', ', ']), pick(['', ' ', '/', ')'])), op: 'delimiters replaced' }
    case 5: {
      const big = pick(['A', '9', ' ', '(', '(x)', '/', 'Key: v, ', '<', ' : ', 'type 8 code 0 ']).repeat(2000 + Math.floor(next() * 8000))
      return { line: line.slice(0, at) + big + line.slice(at), op: `huge field at ${at}` }
    }
    case 6: {
      const len = Math.floor(next() * 60)
      return { line: line.slice(0, at) + line.slice(at, at + len).repeat(50) + line.slice(at + len), op: `repeat ${len} at ${at}` }
    }
    case 7:
      return { line: line.replace(/User <[^>]*>|user = \S+|Uname: \S+|\(([A-Z]+\\)?[a-z]+\)/, (m) => m.replace(/[a-z]+/, '__proto__')), op: 'prototype user names' }
    case 8:
      return { line: line.replace(/%(ASA|FTD)-(\d)-(\d{6})/, (_m, p, l) => `%${p}-${l}-${pick(['302013', '302014', '106023', '106100', '113019', '722051', '430002', '305011', '999999'])}`), op: 'message id swapped' }
    default:
      return { line: line.replace(/\d/g, () => String(Math.floor(next() * 10))), op: 'digits shuffled' }
  }
}

test('survives every cut of a connection, a deny, an AAA, a VPN and an FTD line', () => {
  const samples = ['%ASA-6-302013: Built inbound', '%ASA-4-106023:', '%ASA-6-113005:', '%ASA-4-722051: Group <GP_Staff> User <bob>', '%FTD-1-430002:'].map((tag) => LINES.find((l) => l.includes(tag)))
  for (const line of samples) {
    assert.ok(line)
    for (let at = 0; at <= line.length; at++) check(line.slice(0, at), `cut at ${at}`)
  }
})

test('survives seeded random mutations of every fixture line without a throw or a prototype key', () => {
  const next = random(0x5eed)
  let n = 0
  for (let round = 0; round < 40; round++) {
    for (const original of LINES) {
      let line = original
      const ops: string[] = []
      const count = 1 + Math.floor(next() * 3)
      for (let k = 0; k < count; k++) {
        const m = mutate(line, next)
        line = m.line
        ops.push(m.op)
      }
      check(line, ops.join(', '))
      n++
    }
  }
  assert.ok(n > 2000)
})

test('keeps user and group names that are prototype keys as values, never as keys', () => {
  const line = '<166>Nov 27 2026 08:00:07 fw-edge-01 : %ASA-4-722051: TunnelGroup <__proto__> GroupPolicy <constructor> User <__proto__> IP <198.51.100.45> IPv4 Address <192.0.2.200> IPv6 address <::> assigned to session'
  check(line, 'prototype names')
  const ev = parser.parse(fixtureMessage(line)) as LogEvent
  assert.equal((ev.user as { name?: string }).name, '__proto__')
  assert.equal(Object.getPrototypeOf(ev.user), Object.prototype)
})

// ── Linear time ──────────────────────────────────────────────────────────────────────────────

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

/** The time one parse of `msg` takes, measured over enough runs to be measurable. */
function timeOnce(msg: SyslogMessage): number {
  let runs = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < 20) {
    parser.parse(msg)
    runs++
    elapsed = performance.now() - start
  }
  return elapsed / runs
}

/**
 * The least time of each of two lines, sampled alternately so that a burst of load on a shared
 * machine slows both alike, then their ratio.
 */
function ratioOf(a: SyslogMessage, b: SyslogMessage): number {
  let ta = Infinity
  let tb = Infinity
  for (let sample = 0; sample < 9; sample++) {
    ta = Math.min(ta, timeOnce(a))
    tb = Math.min(tb, timeOnce(b))
  }
  return tb / ta
}

test('parses 64 KiB adversarial lines in about four times the time of 16 KiB ones (linear, not quadratic)', () => {
  const small = adversarial(16 * 1024)
  const large = adversarial(64 * 1024)
  const rows: string[] = []
  for (let k = 0; k < small.length; k++) {
    const a = fixtureMessage(small[k]!.line)
    const b = fixtureMessage(large[k]!.line)
    assert.equal(isMine(a), isMine(b), small[k]!.name)
    const ratio = ratioOf(a, b)
    rows.push(`${small[k]!.name}: ${ratio.toFixed(2)}`)
    assert.ok(ratio < 8, `${small[k]!.name}: 64 KiB takes ${ratio.toFixed(1)} times as long as 16 KiB (quadratic would be 16)`)
  }
  console.log(`cisco-asa parse time ratio 64 KiB / 16 KiB: ${rows.join(', ')}`)
})

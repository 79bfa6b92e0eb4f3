// Seeded mutations of the fixture lines and adversarial lines: isMine and parse never throw,
// no event carries a prototype key, and parse time grows linearly with the line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create, isMine } from '../src/windows.ts'

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
    assert.ok(!error?.startsWith('windows parser failed'), `${why}: the parser's own catch was reached: ${error}`)
  }
}

const NOISE = ['\t', ' ', '  ', ':', ': ', '#011', '\u0000', '\uFFFD', '\uD800', '"', '{', '}', '[', ']', '\\', ',', '\r', '\n', '-', '%%', '::ffff:', 'ÿ']

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
      return { line: line.replaceAll('\t', pick([' ', ',', '|', ''])), op: 'tabs replaced' }
    case 4:
      return { line: line.replaceAll('  ', '\t'), op: 'double spaces to tabs' }
    case 5: {
      const big = pick(['A', '9', ' ', '\t', 'Account Name:  ', '{', '"EventID":', '%%2313 ']).repeat(2000 + Math.floor(next() * 8000))
      return { line: line.slice(0, at) + big + line.slice(at), op: `huge field at ${at}` }
    }
    case 6: {
      const len = Math.floor(next() * 60)
      return { line: line.slice(0, at) + line.slice(at, at + len).repeat(50) + line.slice(at + len), op: `repeat ${len} at ${at}` }
    }
    case 7:
      return {
        line: line.replace('{', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"prototype":"p",'),
        op: 'prototype keys',
      }
    case 8:
      return {
        line: line.replace('{', '{"EventData":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + ',' + '"winlog":' + '['.repeat(3000) + ']'.repeat(3000) + ','),
        op: 'deep nesting',
      }
    default:
      return { line: line.replace(/\d/g, () => String(Math.floor(next() * 10))), op: 'digits shuffled' }
  }
}

test('survives every cut of a Snare, an NXLog and a Winlogbeat line', () => {
  const samples = [LINES.find((l) => l.includes('MSWinEventLog') && l.includes('\t4625\t')), LINES.find((l) => l.includes('"EventID":4624')), LINES.find((l) => l.includes('winlogbeat'))]
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

test('keeps prototype keys of JSON input out of the event', () => {
  const line =
    '<14>Nov 27 09:10:01 dc01.example.org nxlog: {"EventID":4624,"Channel":"Security","Hostname":"dc01.example.org","__proto__":{"TargetUserName":"x"},' +
    '"TargetUserName":"alice","constructor":"c","Message":{"__proto__":1}}'
  check(line, 'prototype keys')
  const ev = parser.parse(fixtureMessage(line)) as LogEvent
  assert.equal((ev.user as { name?: string }).name, 'alice')
  assert.equal(({} as Record<string, unknown>).TargetUserName, undefined)
})

// ── Linear time ──────────────────────────────────────────────────────────────────────────────

const SNARE_HEAD = '<13>Nov 27 09:00:00 dc01.example.org MSWinEventLog\t1\tSecurity\t1\tFri Nov 27 09:00:00 2026\t4624\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\tSuccess Audit\tdc01.example.org\tLogon\t\t'
const JSON_HEAD = '<14>Nov 27 09:10:01 dc01.example.org nxlog: {"EventID":4625,"Channel":"Security","Hostname":"dc01.example.org",'

/** Lines of about `size` characters made of the separators and tokens the readers look for. */
function adversarial(size: number): { name: string; line: string }[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
  return [
    { name: 'Snare labels', line: SNARE_HEAD + 'New Logon:  ' + fill('Account Name:  x  ') + '\t1' },
    { name: 'Snare empty labels', line: SNARE_HEAD + fill('Security ID:') + '\t1' },
    { name: 'Snare list tokens', line: SNARE_HEAD + 'Privileges:  x  ' + fill('SePriv  ') + '\t1' },
    { name: 'Snare spaces', line: SNARE_HEAD + 'Subject:' + fill(' ') + 'x\t1' },
    { name: 'Snare tabs', line: SNARE_HEAD + fill('\t') + '1' },
    { name: 'Snare escaped tabs', line: SNARE_HEAD.replaceAll('\t', '#011') + fill('#011') },
    { name: 'JSON message of labels', line: JSON_HEAD + '"Message":"' + fill('Account Name:\\t\\t') + '"}' },
    { name: 'JSON many keys', line: JSON_HEAD + fill('"K":"v",') + '"Z":1}' },
    { name: 'JSON cut short', line: JSON_HEAD + fill('"EventID" :') },
    { name: 'JSON deep', line: JSON_HEAD + '"a":' + '['.repeat(size / 2) + ']'.repeat(size / 2) + '}' },
    { name: 'JSON colons', line: JSON_HEAD + '"Message":"' + fill(': ') + '"}' },
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
  console.log(`windows parse time ratio 64 KiB / 16 KiB: ${rows.join(', ')}`)
})

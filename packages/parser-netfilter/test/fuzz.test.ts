// Seeded mutations of the fixture lines (cut at every position, separators swapped, huge fields,
// broken UTF-8, NULs, repeated keys): isMine and parse never throw and never put a prototype key
// in an event. And every regular expression and scan the parser runs stays linear in the line's
// length: parsing 64 KiB adversarial lines takes about four times as long as 16 KiB ones, not
// sixteen times.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixtureLines, fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

const parser = create({})
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const lines = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .flatMap((f) => fixtureLines(readFileSync(FIXTURES + f, 'utf8')))

/** mulberry32: a small seeded generator, so a failure can be replayed. */
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

/** The path of the first prototype key or foreign prototype in a value, or undefined. */
function badKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== Array.prototype) return `${path || 'the event'} has a foreign prototype`
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string' || FORBIDDEN.has(key)) return `${path}.${String(key)}`
    const bad = badKey((value as Record<string, unknown>)[key], `${path}.${key}`)
    if (bad !== undefined) return bad
  }
  return undefined
}

function check(line: string, what: string): void {
  let msg
  try {
    msg = fixtureMessage(line)
  } catch {
    return // the header parser's business, not this parser's
  }
  let mine = false
  assert.doesNotThrow(() => {
    mine = parser.isMine(msg)
  }, `isMine threw on ${what}`)
  if (!mine) return
  let result: unknown
  assert.doesNotThrow(() => {
    result = parser.parse(msg)
  }, `parse threw on ${what}: ${JSON.stringify(line.slice(0, 200))}`)
  for (const event of Array.isArray(result) ? result : [result]) {
    const bad = badKey(event)
    assert.equal(bad, undefined, `${what}: ${bad}`)
  }
}

function mutate(line: string, rnd: () => number): string {
  const at = Math.floor(rnd() * (line.length + 1))
  switch (Math.floor(rnd() * 10)) {
    case 0:
      return line.slice(0, at)
    case 1:
      return line.replaceAll(' ', rnd() < 0.5 ? '\t' : '  ')
    case 2:
      return line.replaceAll(rnd() < 0.5 ? ':' : ';', rnd() < 0.5 ? '=' : ' ')
    case 3:
      return line.slice(0, at) + 'A'.repeat(20000 + Math.floor(rnd() * 40000)) + line.slice(at)
    case 4:
      return line.slice(0, at) + '\uFFFD\uD800\uDFFF\u00ff\uFFFE' + line.slice(at)
    case 5:
      return line.slice(0, at) + '\u0000' + line.slice(at)
    case 6: {
      // A key or phrase repeated: `user=x user=y`, `from A from B`.
      const sp = line.indexOf(' ', at)
      const end = sp === -1 ? line.length : sp
      const start = line.lastIndexOf(' ', at) + 1
      const word = line.slice(start, end)
      return line.slice(0, end) + (' ' + word).repeat(1 + Math.floor(rnd() * 50)) + line.slice(end)
    }
    case 7:
      return line.slice(0, at) + ' __proto__=x constructor=y prototype=z user=__proto__ ' + line.slice(at)
    case 8:
      return line.slice(0, at) + line.slice(at).split('').reverse().join('')
    default:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(rnd() * 10))
  }
}

test('isMine and parse survive seeded mutations of every fixture line without a throw or a prototype key', () => {
  const rnd = random(0xbee5)
  for (const line of lines) {
    for (let k = 0; k < 20; k++) check(mutate(line, rnd), `a mutation of ${JSON.stringify(line.slice(0, 80))}`)
  }
})

test('isMine and parse survive every truncation of a few lines', () => {
  for (const line of lines.filter((_, k) => k % 15 === 0)) {
    for (let at = 0; at <= line.length; at++) check(line.slice(0, at), `${JSON.stringify(line)} cut after ${at}`)
  }
})

/** Message texts built to make a backtracking pattern or a rescanning loop go quadratic. */
function adversarial(n: number): string[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
  const head = '<4>Nov 27 09:59:58 fw1 kernel: '
  const packet = 'IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=2 '
  // The tag, the places a prefix, a key or a value can be long, and runs of the separators and
  // brackets the parser looks for.
  const heads = [
    head,
    head + '[',
    head + '[UFW BLOCK] ',
    head + 'IN=eth0 OUT= SRC=',
    head + 'IN=eth0 OUT= MAC=',
    head + 'IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=ICMP TYPE=3 CODE=3 ',
    head + packet,
    head + packet + 'OPT (',
    '',
  ]
  const runs = ['a', ' ', 'IN= ', 'IN=', 'IN=a ', '=', ' =', '[', ']', '(', ':', '-', 'DROP ', 'SRC=x ', 'a:']
  return [...heads.flatMap((h) => runs.map((r) => h + fill(r))), ...runs.map((r) => head + fill(r) + packet)]
}

function timeOne(text: string, rounds: number, tries: number): number {
  const msg = fixtureMessage(text)
  let best = Infinity
  for (let r = 0; r < tries; r++) {
    const start = performance.now()
    for (let k = 0; k < rounds; k++) if (parser.isMine(msg)) parser.parse(msg)
    best = Math.min(best, performance.now() - start)
  }
  return best
}

/**
 * 64 KiB time over 16 KiB time for one shape, the least of a few tries: a busy machine only adds
 * noise upward. A 64 KiB line that takes more than 50 ms once is already far past linear (a
 * linear parse takes well under a millisecond) and is reported without repeating it.
 */
function growth(small: string, large: string): { a: number; b: number } {
  timeOne(small, 1, 1)
  const first = timeOne(large, 1, 1)
  if (first > 50) return { a: timeOne(small, 1, 1), b: first }
  let best = { a: 1, b: Infinity }
  for (let attempt = 0; attempt < 3; attempt++) {
    const a = timeOne(small, 10, 7)
    const b = timeOne(large, 10, 7)
    if (b / a < best.b / best.a) best = { a, b }
    if (b / a < 8) break
  }
  return best
}

/**
 * Whether a shape that grew 8x or more from 16 to 64 KiB keeps growing that fast from 64 to
 * 256 KiB. A scan over text dense with the character it looks for can cost twice as much per
 * character once the line no longer fits the processor's first cache, which a 16 KiB line does
 * and a 64 KiB one does not; quadratic work keeps growing sixteenfold.
 */
function keepsGrowing(text: string, n: number, b: number): boolean {
  if (b > 50) return true
  const huge = adversarialAt(text, n, 256 * 1024)
  const c = timeOne(huge, 10, 3)
  return c / b >= 8
}

/** The same adversarial shape, `n` characters long instead of the length it was built with. */
function adversarialAt(text: string, from: number, n: number): string {
  return adversarial(n)[adversarial(from).indexOf(text)]!
}

test('parses 64 KiB adversarial lines in time proportional to their length', () => {
  const small = adversarial(16 * 1024)
  const large = adversarial(64 * 1024)
  for (const t of [...small, ...large]) check(t, 'an adversarial line')
  let ts = 0
  let tl = 0
  const slow: string[] = []
  small.forEach((text, k) => {
    const { a, b } = growth(text, large[k]!)
    ts += a
    tl += b
    if (b > 5 && b / a >= 8 && !keepsGrowing(large[k]!, 64 * 1024, b)) return
    // Below five milliseconds for 10 parses the line is cheap whatever its growth, and
    // timer noise would dominate the ratio.
    if (b > 5 && b / a >= 8) slow.push(`${JSON.stringify(text.slice(0, 60))}…: ${(b / a).toFixed(1)}x`)
  })
  console.log(`adversarial lines: 16 KiB ${ts.toFixed(1)} ms, 64 KiB ${tl.toFixed(1)} ms, ratio ${(tl / ts).toFixed(2)} (linear 4, quadratic 16)`)
  assert.deepEqual(slow, [], 'lines whose parse time grew faster than their length')
  assert.ok(tl / ts < 8, `parsing 4x longer lines took ${(tl / ts).toFixed(1)}x as long: something is quadratic`)
})

// Seeded mutations of the fixture lines: isMine and parse never throw (nor fall back on the
// parser's own safety net), no event carries a prototype key, and parse time grows linearly with
// the line on adversarial input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixtureLines, fixtureMessage } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { create, isDnsMessage as locate } from '../src/dns.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))
const lines = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.log'))
  .sort()
  .flatMap((f) => fixtureLines(readFileSync(FIXTURES + f, 'utf8')))
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

const INSERTS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '\r', '\n', '\t', ' ', ',', ':', '#', '/', '(', ')', "'", '@', ': ', 'view ', 'client ', '__proto__', 'constructor', ' -> ', ' is ', ' from ', 'A'.repeat(20000)]
const SWAPS: [string, string][] = [[' ', ','], [': ', ' '], ['#', ':'], ['/', ' '], ['(', '['], ['.', ':'], [' is ', ' was ']]

function mutate(line: string, rnd: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const at = Math.floor(rnd() * (line.length + 1))
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return line.slice(0, at) + pick(INSERTS) + line.slice(at)
    case 1:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(rnd() * 10))
    case 2: {
      const [from, to] = pick(SWAPS)
      return line.split(from).join(to)
    }
    case 3:
      return line.slice(0, at) + pick(INSERTS).repeat(1 + Math.floor(rnd() * 50)) + line.slice(at)
    default:
      return line.slice(0, at)
  }
}

const FORBIDDEN = ['__proto__', 'constructor', 'prototype']

function checkPlain(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object') return
  const proto = Object.getPrototypeOf(value)
  assert.ok(proto === Object.prototype || proto === Array.prototype, `${path}: plain object or array`)
  for (const key of FORBIDDEN) assert.ok(!Object.prototype.hasOwnProperty.call(value, key), `${path} has an own key ${key}`)
  for (const [k, v] of Object.entries(value)) checkPlain(v, `${path}.${k}`)
}

function run(line: string): LogEvent | undefined {
  const msg = fixtureMessage(line)
  let mine: boolean
  try {
    mine = locate(msg)
  } catch (err) {
    assert.fail(`isMine threw on ${JSON.stringify(line.slice(0, 120))}: ${String(err)}`)
  }
  if (!mine) return undefined
  const r = parser.parse(msg)
  const event = Array.isArray(r) ? r[0] : r
  assert.ok(event, `an event for ${JSON.stringify(line.slice(0, 120))}`)
  const error = (event.error as { message?: string } | undefined)?.message ?? ''
  assert.ok(!error.startsWith('dns parser failed'), `parse fell back on its safety net: ${error}`)
  checkPlain(event, 'event')
  return event
}

test('survives every truncation of a few fixture lines', () => {
  for (const line of lines.filter((_, k) => k % 7 === 0).slice(0, 6)) {
    for (let at = 0; at <= line.length; at++) run(line.slice(0, at))
  }
})

test('survives seeded random mutations of every fixture line', () => {
  const rnd = random(0x5eed)
  let claimed = 0
  let total = 0
  for (const line of lines) {
    for (let k = 0; k < 60; k++) {
      let text = line
      const rounds = 1 + Math.floor(rnd() * 3)
      for (let r = 0; r < rounds; r++) text = mutate(text, rnd)
      total++
      if (run(text) !== undefined) claimed++
    }
  }
  assert.ok(total > 0)
  console.log(`dns fuzz: ${total} mutated lines, ${claimed} claimed and parsed`)
})

/** `reps` parses of `msg`, in ms. */
function run1(msg: ReturnType<typeof fixtureMessage>, reps: number): number {
  const t0 = performance.now()
  for (let i = 0; i < reps; i++) parser.parse(msg)
  return performance.now() - t0
}

/**
 * The ratio of the best timings of the large and the small line, measured in alternation so that
 * both see the same load on a shared machine.
 */
function ratioOf(small: string, large: string): number {
  const s = fixtureMessage(small)
  const l = fixtureMessage(large)
  for (const [m, line] of [[s, small], [l, large]] as const) {
    assert.ok(parser.isMine(m), `the adversarial line ${JSON.stringify(line.slice(0, 60))} is claimed, so that parse runs`)
  }
  // Enough repetitions that the small line takes about ten milliseconds.
  let reps = 1
  while (run1(s, reps) < 10 && reps < 1 << 17) reps *= 2
  let bestSmall = Infinity
  let bestLarge = Infinity
  for (let round = 0; round < 7; round++) {
    bestSmall = Math.min(bestSmall, run1(s, reps))
    bestLarge = Math.min(bestLarge, run1(l, reps))
  }
  return bestLarge / Math.max(bestSmall, 0.001)
}

test('parses adversarial lines in time linear in their length', () => {
  const ratios: string[] = []
  const head = '<30>Nov 27 09:59:58 ns1 named[1]: '
  const client = head + 'client @0x1 192.0.2.1#1 (a.example.org): '
  const masq = '<30>Nov 27 09:59:58 gw1 dnsmasq[1]: '
  for (const [name, prefix, unit] of [
    ["'a=' repeated", head, 'a='],
    ["'\\' repeated", head, '\\'],
    ["' ' repeated", head, ' '],
    ["'[' repeated", head, '['],
    ["'#' after client", head + 'client ', '#'],
    ["'(' after the client", head + 'client 192.0.2.1#1 ', '('],
    ["': ' repeated", head, ': '],
    ["'view x: ' repeated", head, 'view x: '],
    ["query words repeated", client + 'query: ', 'a '],
    ["answer records repeated", client + 'answer: a IN A + (192.0.2.53) -> NOERROR ', 'a. 1 A 192.0.2.1 '],
    ["rpz words repeated", client + 'rpz ', 'x '],
    ["'/' in a zone", head + 'zone ', '/'],
    ["quotes in a resolver error", head + "timed out resolving '", "'"],
    ["' resolving ' repeated", head, " resolving '"],
    ["dnsmasq ' is ' repeated", masq + 'reply a', ' is '],
    ["dnsmasq '[ ' in a type", masq + 'query[', '[ '],
  ] as const) {
    const line = (kib: number) => prefix + unit.repeat(Math.ceil((kib * 1024) / unit.length))
    // A load spike on a shared machine can slow one measurement; a quadratic parse is slow every time.
    let ratio = ratioOf(line(16), line(64))
    for (let attempt = 0; attempt < 5 && ratio >= 8; attempt++) ratio = Math.min(ratio, ratioOf(line(16), line(64)))
    ratios.push(`${name} ${ratio.toFixed(1)}`)
    assert.ok(ratio < 8, `${name}: 64 KiB takes ${ratio.toFixed(1)}× the time of 16 KiB (linear is 4, quadratic 16)`)
  }
  console.log(`dns: time of 64 KiB / 16 KiB lines: ${ratios.join(', ')}`)
})

import type { Parser } from '@beer/core'
import type { SyslogMessage } from '@beer/syslog-header'
import { buildParser } from './check-parser.ts'
import type { ParserUnderTest } from './check-parser.ts'
import { fixtureLines, fixtureMessage } from './check-fixtures.ts'
import { fixturesPath, readFixtures } from './fixture-files.ts'

/** An adversarial line with a name to report it by. */
export interface AdversarialLine {
  name: string
  line: string
}

/**
 * Lines of about `size` characters built to make a backtracking pattern or a rescanning loop go
 * quadratic: long runs of the separators and tokens the parser looks for, after the heads of the
 * shapes it reads. Every size gives the same shapes in the same order.
 */
export type AdversarialLines = (size: number) => readonly (string | AdversarialLine)[]

/** A package's own mutation: a changed line, from a seeded generator of numbers in [0, 1). */
export type Mutation = (line: string, random: () => number) => string

export type FuzzOptions<O = unknown> = ParserUnderTest<O> & {
  /** The fixtures folder whose `.log` lines are mutated: `new URL('../fixtures/', import.meta.url)`, or a path. */
  fixtures: string | URL
  /** The parser's adversarial lines, for the no-throw checks and the linear-time check. */
  adversarial?: AdversarialLines
  /** Every adversarial line must be claimed, so that its parse is what is timed. Default false. */
  claimsAdversarial?: boolean
  /**
   * The parser's own isMine, before `defineParser`'s guard turns a throw into `false`, so that a
   * throw is seen. Default: the built parser's `isMine`.
   */
  isMine?: (msg: SyslogMessage) => boolean
  /** The start of `event.error.message` when parse's own catch was reached (`'acme parser failed'`): such an event fails. */
  caught?: string
  /** Strings inserted and repeated into lines, besides the built-in ones: the parser's separators and keywords. */
  inserts?: readonly string[]
  /** Substrings swapped for others throughout a line, besides the built-in swaps. */
  swaps?: readonly (readonly [string, string])[]
  /** The package's own mutations, drawn as often as each built-in one. */
  mutations?: readonly Mutation[]
  /** Mutated versions of each fixture line, each of one to three mutations in a row. Default 40. */
  perLine?: number
  /**
   * The fixture lines cut at every position: a test of each line and its index, or a list naming
   * the first line that contains each substring or passes each test (one missing fails). Default:
   * every fifteenth line.
   */
  cut?: ((line: string, index: number) => boolean) | readonly (string | ((line: string) => boolean))[]
  /** The generator's seed: the same seed mutates the same way. Default 0xbee5. */
  seed?: number
  /** The two lengths compared by the linear-time check. Default [16 KiB, 64 KiB]. */
  sizes?: readonly [number, number]
  /** Every claimed line must give at least one event. Default true. */
  eventPerClaim?: boolean
  /** At least this many mutated lines must be checked. Default 1. */
  minMutated?: number
  /** Zone for header timestamps without one. Default 'UTC'. */
  timezone?: string
}

/** The checks `checkFuzz` runs: mutated fixture lines, cut fixture lines, adversarial lines, and their parse time. */
export type FuzzPart = 'mutations' | 'cuts' | 'adversarial' | 'timing'

export const FUZZ_PARTS: readonly FuzzPart[] = ['mutations', 'cuts', 'adversarial', 'timing']

export interface FuzzFailure {
  part: FuzzPart
  /** How the line was made: `a mutation of "…" (cut at 12, insert ":" at 3)`. */
  what: string
  message: string
  /** The start of the line. */
  line: string
}

/** One adversarial shape's best time for one parse at each size, in milliseconds. */
export interface FuzzTiming {
  name: string
  small: number
  large: number
  ratio: number
  /** The ratio from the large line to one four times longer, measured when `ratio` was 8 or more. */
  huge?: number
  slow: boolean
}

export interface FuzzReport {
  failures: FuzzFailure[]
  /** Mutated lines checked, and how many of them the parser claimed. */
  mutated: number
  claimed: number
  timings: FuzzTiming[]
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const INSERTS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '\u00ff', '\r', '\n', '\t', ' ', '  ', ',', ':', ': ', ';', '=', '"', "'", '\\', '[', ']', '{', '}', '(', ')', '<', '>', '|', '#', '/', '-', '__proto__', 'constructor', '__proto__=x', 'constructor=y']
const SWAPS: readonly (readonly [string, string])[] = [[' ', '\t'], [' ', '  '], [' ', ','], [',', ' '], [':', '='], [';', ' '], ['=', ' '], ['.', ':'], ['[', '('], ['{', '[']]
/** A 64 KiB line slower than this once is far past linear: a linear parse takes well under a millisecond. */
const SURELY_SLOW_MS = 50
/** Growth from 4× the length at which a parse counts as faster than linear (linear is 4, quadratic 16). */
const LIMIT = 8

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The path of the first own key named `__proto__`, `constructor` or `prototype` (or a symbol key,
 * or an object that is not a plain object or array) in a value, or undefined.
 */
export function prototypeKey(value: unknown, path = '', seen: Set<object> = new Set()): string | undefined {
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined
  seen.add(value)
  const proto = Object.getPrototypeOf(value)
  if (!(Array.isArray(value) && proto === Array.prototype) && proto !== Object.prototype) {
    return `${path || 'the event'} is not a plain object or array`
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string' || FORBIDDEN.has(key)) return `${path}.${String(key)}`
    const bad = prototypeKey((value as Record<string, unknown>)[key], `${path}.${key}`, seen)
    if (bad !== undefined) return bad
  }
  return undefined
}

type Op = (line: string, at: number, r: () => number, pick: <T>(list: readonly T[]) => T) => [string, string]

function builtInOps(inserts: readonly string[], swaps: readonly (readonly [string, string])[]): Op[] {
  return [
    (l, at) => [l.slice(0, at), `cut at ${at}`],
    (l, at, r) => {
      const n = 1 + Math.floor(r() * 40)
      return [l.slice(0, at) + l.slice(at + n), `delete ${n} at ${at}`]
    },
    (l, at, _r, pick) => {
      const s = pick(inserts)
      return [l.slice(0, at) + s + l.slice(at), `insert ${JSON.stringify(s.slice(0, 20))} at ${at}`]
    },
    (l, at, r, pick) => {
      const s = pick(inserts)
      const n = 1 + Math.floor(r() * 50)
      return [l.slice(0, at) + s.repeat(n) + l.slice(at), `insert ${JSON.stringify(s.slice(0, 20))} ×${n} at ${at}`]
    },
    (l, _at, _r, pick) => {
      const [from, to] = pick(swaps)
      return [l.split(from).join(to), `${JSON.stringify(from)} → ${JSON.stringify(to)}`]
    },
    (l, at, r, pick) => {
      const unit = pick(['A', '9', ' ', ...inserts])
      const n = Math.ceil((20000 + Math.floor(r() * 40000)) / unit.length)
      return [l.slice(0, at) + unit.repeat(n) + l.slice(at), `huge field of ${JSON.stringify(unit.slice(0, 20))} at ${at}`]
    },
    (l, at) => [l.slice(0, at) + '\uFFFD\uD800\uDFFF\u00ff\uFFFE' + l.slice(at), `broken UTF-8 at ${at}`],
    (l, at) => [l.slice(0, at) + '\u0000' + l.slice(at), `NUL at ${at}`],
    (l, at, r) => {
      // A key or phrase repeated: `user=x user=y`, `from A from B`.
      const sp = l.indexOf(' ', at)
      const end = sp === -1 ? l.length : sp
      const word = l.slice(l.lastIndexOf(' ', at) + 1, end)
      const n = 1 + Math.floor(r() * 50)
      return [l.slice(0, end) + (' ' + word).repeat(n) + l.slice(end), `word at ${at} repeated ×${n}`]
    },
    (l, at, r) => {
      const len = Math.floor(r() * 60)
      return [l.slice(0, at) + l.slice(at, at + len).repeat(50) + l.slice(at + len), `${len} characters at ${at} ×50`]
    },
    (l, at) => [l.slice(0, at) + ' __proto__=x constructor=y prototype=z user=__proto__ ' + l.slice(at), `prototype keys at ${at}`],
    (l) => [l.replace('{', '{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}},"prototype":"p",'), 'JSON prototype keys'],
    (l) => [l.replace('{', '{"a":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + ',"b":' + '['.repeat(3000) + ']'.repeat(3000) + ','), 'deep nesting'],
    (l, at) => [l.slice(0, at) + l.slice(at).split('').reverse().join(''), `reversed after ${at}`],
    (l, _at, r) => [l.replace(/\d/g, () => String(Math.floor(r() * 10))), 'digits shuffled'],
  ]
}

interface Fuzzer<O> {
  options: FuzzOptions<O>
  parser: Parser<SyslogMessage>
  isMine: (msg: SyslogMessage) => boolean
  lines: string[]
  failures: FuzzFailure[]
}

async function fuzzer<O>(options: FuzzOptions<O>): Promise<Fuzzer<O>> {
  const parser = await buildParser(options)
  const lines = readFixtures(fixturesPath(options.fixtures)).files.flatMap((f) => fixtureLines(f.text))
  return { options, parser, isMine: options.isMine ?? ((msg) => parser.isMine(msg)), lines, failures: [] }
}

/** Runs one line through isMine and, when claimed, parse; records what broke. Returns whether it was claimed. */
function checkLine<O>(f: Fuzzer<O>, part: FuzzPart, line: string, what: string): boolean {
  const fail = (message: string) => {
    f.failures.push({ part, what, message, line: line.slice(0, 300) })
    return false
  }
  const error = (err: unknown) => (err instanceof Error ? err.message : String(err))
  let msg: SyslogMessage
  try {
    msg = fixtureMessage(line, f.options.timezone)
  } catch (err) {
    return fail(`the header parser threw: ${error(err)}`)
  }
  let mine: unknown
  try {
    mine = f.isMine(msg)
  } catch (err) {
    return fail(`isMine threw: ${error(err)}`)
  }
  if (typeof mine !== 'boolean') return fail(`isMine answered ${String(mine)}, not true or false`)
  if (!mine) return false
  let result: unknown
  try {
    result = f.parser.parse(msg)
  } catch (err) {
    return fail(`parse threw: ${error(err)}`)
  }
  const events = (Array.isArray(result) ? result : [result]).filter((e) => e !== null && e !== undefined)
  if (events.length === 0 && f.options.eventPerClaim !== false) fail('parse gave no event for a line isMine claimed')
  for (const event of events) {
    const bad = prototypeKey(event)
    if (bad !== undefined) fail(`the event has a prototype key: ${bad}`)
    const caught = (event as { error?: { message?: unknown } }).error?.message
    if (f.options.caught !== undefined && typeof caught === 'string' && caught.startsWith(f.options.caught)) {
      fail(`parse fell back on its own catch: ${caught}`)
    }
  }
  return true
}

function quote(line: string): string {
  return JSON.stringify(line.slice(0, 80))
}

function mutations<O>(f: Fuzzer<O>, report: FuzzReport): void {
  const o = f.options
  const r = seededRandom(o.seed ?? 0xbee5)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!
  const ops: Op[] = [
    ...builtInOps([...INSERTS, ...(o.inserts ?? [])], [...SWAPS, ...(o.swaps ?? [])]),
    ...(o.mutations ?? []).map((m, k): Op => (l) => [m(l, r), `mutation ${k}`]),
  ]
  for (const original of f.lines) {
    for (let n = 0; n < (o.perLine ?? 40); n++) {
      let line = original
      const done: string[] = []
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
        const [next, op] = pick(ops)(line, Math.floor(r() * (line.length + 1)), r, pick)
        line = next
        done.push(op)
      }
      report.mutated++
      if (checkLine(f, 'mutations', line, `a mutation of ${quote(original)} (${done.join(', ')})`)) report.claimed++
    }
  }
  if (report.mutated < Math.max(1, o.minMutated ?? 1)) {
    f.failures.push({ part: 'mutations', what: 'the fixtures', message: `only ${report.mutated} mutated lines were checked`, line: '' })
  }
}

function cuts<O>(f: Fuzzer<O>): void {
  const cut = f.options.cut ?? ((_: string, k: number) => k % 15 === 0)
  const chosen: string[] = []
  if (typeof cut === 'function') chosen.push(...f.lines.filter((l, k) => cut(l, k)))
  else {
    for (const s of cut) {
      const line = f.lines.find((l) => (typeof s === 'string' ? l.includes(s) : s(l)))
      if (line === undefined) {
        const which = typeof s === 'string' ? `contains ${JSON.stringify(s)}` : `passes ${String(s)}`
        f.failures.push({ part: 'cuts', what: 'the fixtures', message: `no fixture line ${which}`, line: '' })
      }
      else chosen.push(line)
    }
  }
  for (const line of chosen) {
    for (let at = 0; at <= line.length; at++) checkLine(f, 'cuts', line.slice(0, at), `${quote(line)} cut after ${at}`)
  }
}

function named(lines: readonly (string | AdversarialLine)[]): AdversarialLine[] {
  return lines.map((l) => (typeof l === 'string' ? { name: `${JSON.stringify(l.slice(0, 60))}…`, line: l } : l))
}

function sizes<O>(f: Fuzzer<O>): { small: AdversarialLine[]; large: AdversarialLine[]; at: (size: number) => AdversarialLine[] } {
  const at = (size: number) => named(f.options.adversarial?.(size) ?? [])
  const [s, l] = f.options.sizes ?? [16 * 1024, 64 * 1024]
  return { small: at(s), large: at(l), at }
}

function adversarial<O>(f: Fuzzer<O>): void {
  const { small, large } = sizes(f)
  if (small.length !== large.length) {
    f.failures.push({ part: 'adversarial', what: 'the adversarial lines', message: `${small.length} shapes at one size, ${large.length} at the other`, line: '' })
    return
  }
  small.forEach((s, k) => {
    const l = large[k]!
    const claimed = [checkLine(f, 'adversarial', s.line, `${s.name} (small)`), checkLine(f, 'adversarial', l.line, `${s.name} (large)`)]
    if (f.options.claimsAdversarial && !(claimed[0] && claimed[1])) {
      f.failures.push({ part: 'adversarial', what: s.name, message: 'the adversarial line is not claimed, so its parse is not timed', line: s.line.slice(0, 300) })
    } else if (claimed[0] !== claimed[1]) {
      f.failures.push({ part: 'adversarial', what: s.name, message: 'claimed at one length and not at the other', line: s.line.slice(0, 300) })
    }
  })
}

/**
 * The time of one claim-and-parse of `msg`, in ms, over `reps` runs. Throws are the other
 * checks' business: a line that throws is timed up to its throw.
 */
function timeOf<O>(f: Fuzzer<O>, msg: SyslogMessage, reps: number): number {
  const start = performance.now()
  for (let k = 0; k < reps; k++) {
    try {
      if (f.parser.isMine(msg)) f.parser.parse(msg)
    } catch {
      // reported by the adversarial check
    }
  }
  return (performance.now() - start) / reps
}

/**
 * The best times of one shape at both lengths. Both are sampled in alternation, seven times each,
 * with enough runs per sample for the short line to take a few milliseconds, so that a burst of
 * load on a shared machine slows both alike; a ratio of 8 or more is measured again, up to five
 * times, since load only adds noise upward. A 64 KiB line slower than 50 ms once is reported
 * without repeating it.
 */
function best<O>(f: Fuzzer<O>, small: SyslogMessage, large: SyslogMessage): { a: number; b: number; reps: number } {
  timeOf(f, small, 1)
  const first = timeOf(f, large, 1)
  if (first > SURELY_SLOW_MS) return { a: timeOf(f, small, 1), b: first, reps: 1 }
  let reps = 1
  while (timeOf(f, small, reps) * reps < 2 && reps < 1 << 17) reps *= 2
  let found = { a: 1, b: Infinity }
  for (let attempt = 0; attempt < 5; attempt++) {
    let a = Infinity
    let b = Infinity
    for (let round = 0; round < 7; round++) {
      a = Math.min(a, timeOf(f, small, reps))
      b = Math.min(b, timeOf(f, large, reps))
    }
    a = Math.max(a, 1e-6)
    if (b / a < found.b / found.a) found = { a, b }
    if (b / a < LIMIT) break
  }
  return { ...found, reps }
}

function timing<O>(f: Fuzzer<O>, report: FuzzReport): void {
  const { small, large, at } = sizes(f)
  const hugeSize = 4 * (f.options.sizes ?? [16 * 1024, 64 * 1024])[1]
  let huge: AdversarialLine[] | undefined
  let ta = 0
  let tb = 0
  small.forEach((s, k) => {
    const l = large[k]
    if (l === undefined) return
    let sm: SyslogMessage
    let lm: SyslogMessage
    try {
      sm = fixtureMessage(s.line, f.options.timezone)
      lm = fixtureMessage(l.line, f.options.timezone)
    } catch {
      return // reported by the adversarial check
    }
    const { a, b, reps } = best(f, sm, lm)
    ta += a
    tb += b
    const t: FuzzTiming = { name: s.name, small: a, large: b, ratio: b / a, slow: false }
    if (t.ratio >= LIMIT) {
      // A scan over text dense with what it looks for can cost twice as much per character once
      // the line no longer fits the processor's first cache, which 16 KiB does and 64 KiB does
      // not; quadratic work keeps growing sixteenfold from 64 to 256 KiB.
      t.slow = true
      if (b <= SURELY_SLOW_MS) {
        huge ??= at(hugeSize)
        const h = huge[k]
        if (h !== undefined) {
          const hm = fixtureMessage(h.line, f.options.timezone)
          let c = Infinity
          for (let round = 0; round < 3; round++) c = Math.min(c, timeOf(f, hm, Math.max(1, Math.ceil(reps / 4))))
          t.huge = c / b
          t.slow = t.huge >= LIMIT
        }
      }
    }
    report.timings.push(t)
    if (t.slow) {
      f.failures.push({
        part: 'timing',
        what: s.name,
        message: `parse time grew ${t.ratio.toFixed(1)}× for a line 4× longer${t.huge === undefined ? '' : `, then ${t.huge.toFixed(1)}× again`} (linear is 4, quadratic 16)`,
        line: s.line.slice(0, 120),
      })
    }
  })
  if (small.length > 0 && tb / ta >= LIMIT) {
    f.failures.push({
      part: 'timing',
      what: 'all adversarial lines',
      message: `parsing 4× longer lines took ${(tb / ta).toFixed(1)}× as long: something is quadratic`,
      line: '',
    })
  }
}

/**
 * Fuzzes a parser, framework-free: seeded mutations of every fixture line (cuts, deletions,
 * inserted separators, swapped delimiters, huge fields, broken UTF-8, NULs, repeated words,
 * prototype keys, deep nesting) and every cut of a few lines, then the package's adversarial
 * lines. On every line isMine answers true or false without a throw, and what it claims parses
 * without a throw into events with no `__proto__`, `constructor` or `prototype` own key. Parse
 * time must grow linearly with the adversarial lines' length. Returns what broke; `formatFuzz`
 * prints it, `fuzzParser` registers it as node:test tests.
 */
export async function checkFuzz<O>(options: FuzzOptions<O>, parts: readonly FuzzPart[] = FUZZ_PARTS): Promise<FuzzReport> {
  return runFuzz(await fuzzer(options), parts)
}

function runFuzz<O>(f: Fuzzer<O>, parts: readonly FuzzPart[]): FuzzReport {
  f.failures = []
  const report: FuzzReport = { failures: f.failures, mutated: 0, claimed: 0, timings: [] }
  if (parts.includes('mutations')) mutations(f, report)
  if (parts.includes('cuts')) cuts(f)
  if (parts.includes('adversarial')) adversarial(f)
  if (parts.includes('timing')) timing(f, report)
  return report
}

/** A report's failures, one a line (the first `limit`), or '' when there are none. */
export function formatFuzz(report: FuzzReport, limit = 20): string {
  const lines = report.failures.slice(0, limit).map((x) => `${x.part}: ${x.what}: ${x.message}${x.line === '' ? '' : `\n    ${JSON.stringify(x.line.slice(0, 200))}`}`)
  if (report.failures.length > limit) lines.push(`… and ${report.failures.length - limit} more`)
  return lines.join('\n')
}

/** Builds the parser once for several `checkFuzz` runs (the node:test wrapper runs one part per test). */
export function fuzzRunner<O>(options: FuzzOptions<O>): (parts: readonly FuzzPart[]) => Promise<FuzzReport> {
  let pending: Promise<Fuzzer<O>> | undefined
  return async (parts) => runFuzz(await (pending ??= fuzzer(options)), parts)
}

// Every parser package on one core, on its own golden fixtures (packages/parser-*/fixtures/*.log):
// header parse + isMine + parse per line. Then dispatch over all of them at once, as the parse
// stage runs it (first parser whose isMine claims the line parses it), in the worst order for each
// line: its own parser last, so that every other parser's prefilter and isMine refuse it first;
// and lines that no parser claims, which every parser refuses.
//
//   cd bench && node --import tsx parsers.bench.ts        (build the packages first)
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseSyslog } from '@beer/syslog-header'
import type { SyslogMessage } from '@beer/syslog-header'
import { isDescriptor } from '@beer/core'
import type { ModuleDescriptor, Parser } from '@beer/core'
import { FIXTURE_ORIGIN, fixtureLines } from '@beer/parser-sdk/testing'
import { medianRates } from './lib/timed-passes.ts'
import type { Runner } from './lib/timed-passes.ts'
import { recordResults } from './lib/record.ts'

const COMMAND = 'cd bench && node --import tsx parsers.bench.ts'
const PER_PARSER_LINES = 50_000
const WARMUP_PASSES = 3
const ROUNDS = 5
const GOAL_PARSER = 200_000
const GOAL_DISPATCH = 150_000

const root = new URL('../packages/', import.meta.url).pathname
interface Installed {
  name: string
  parser: Parser<SyslogMessage>
  lines: string[]
  refused: string[]
}

// The template is a scaffold, not a parser anyone installs.
// `--only <parser>`: that parser alone in this process, as a collector with one parser runs it (the
// shared header parser and SDK helpers then see one parser's lines); nothing is recorded.
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1]
const dirs = readdirSync(root)
  .filter((d) => d.startsWith('parser-') && d !== 'parser-sdk' && d !== 'parser-template')
  .filter((d) => only === undefined || d === `parser-${only}`)
  .sort()
const installed: Installed[] = []
for (const dir of dirs) {
  const fixtures = join(root, dir, 'fixtures')
  if (!existsSync(fixtures)) continue
  // As the runtime loads a parser: its factory's descriptor names the module that exports `create`.
  const pkg = (await import(`@beer/${dir}`)) as Record<string, unknown>
  const descriptor = Object.values(pkg)
    .map((v) => {
      try {
        return typeof v === 'function' ? (v as () => unknown)() : undefined
      } catch {
        return undefined
      }
    })
    .find((d): d is ModuleDescriptor<'parser', object> => isDescriptor(d))
  if (descriptor === undefined) throw new Error(`@beer/${dir} exports no parser factory`)
  const mod = (await import(descriptor.module)) as Record<string, (o: object) => Parser<SyslogMessage>>
  const create = mod[descriptor.export ?? 'create']!
  const read = (d: string): string[] =>
    existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.log')).flatMap((f) => fixtureLines(readFileSync(join(d, f), 'utf8'))) : []
  installed.push({ name: dir.slice('parser-'.length), parser: create(descriptor.options ?? {}), lines: read(fixtures), refused: read(join(fixtures, 'not-mine')) })
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const repeat = (lines: readonly string[], n: number): string[] => {
  const out: string[] = []
  for (let i = 0; out.length < n && lines.length > 0; i++) out.push(lines[i % lines.length]!)
  return out
}
const msgOf = (line: string): SyslogMessage => parseSyslog(line, FIXTURE_ORIGIN)

// Each runner is compiled on its own, as each parser's code is in a running collector: a closure
// shared by nine parsers would make its call sites megamorphic and measure that instead.
function own(p: Parser<SyslogMessage>): Runner {
  return new Function(
    'p',
    'msgOf',
    `return (line) => {
      const msg = msgOf(line)
      if (!p.isMine(msg)) throw new Error('not claimed by its own parser: ' + line)
      return p.parse(msg) === null ? 0 : 1
    }`,
  )(p, msgOf) as Runner
}

/** First-match dispatch over `order`, as the parse stage does it (one loop for every parser, as there). */
function dispatch(order: readonly Parser<SyslogMessage>[]): Runner {
  return new Function(
    'order',
    'msgOf',
    `return (line) => {
      const msg = msgOf(line)
      for (let i = 0; i < order.length; i++) {
        const p = order[i]
        if (p.isMine(msg)) return p.parse(msg) === null ? 0 : 1
      }
      return 2
    }`,
  )(order, msgOf) as Runner
}

const pairs: [Runner, string[]][] = []
for (const p of installed) pairs.push([own(p.parser), repeat(p.lines, PER_PARSER_LINES)])
if (only !== undefined) {
  if (installed.length !== 1) throw new Error(`no parser package parser-${only} with fixtures`)
  const [rate] = medianRates(pairs, { warmup: WARMUP_PASSES, rounds: ROUNDS })
  console.log(`${only}, alone in its process: ${fmt(rate!)} lines/s (header parse + isMine + parse, ${installed[0]!.lines.length} fixture lines)`)
  process.exit(0)
}
// Worst order per line: its own parser last.
for (const p of installed) {
  const order = [...installed.filter((q) => q !== p).map((q) => q.parser), p.parser]
  pairs.push([dispatch(order), repeat(p.lines, PER_PARSER_LINES)])
}
// Lines no parser claims: the other packages' not-mine lines that nobody claims.
const unclaimed = [...new Set(installed.flatMap((p) => p.refused))].filter((l) => installed.every((q) => !q.parser.isMine(msgOf(l))))
pairs.push([dispatch(installed.map((p) => p.parser)), repeat(unclaimed, PER_PARSER_LINES)])

const totalFixtureLines = installed.reduce((n, p) => n + p.lines.length, 0)
console.log(`${installed.length} parsers, ${totalFixtureLines} fixture lines, ${unclaimed.length} lines no parser claims; ${WARMUP_PASSES} warm-up passes, median of ${ROUNDS} rounds, one thread`)
const rates = medianRates(pairs, { warmup: WARMUP_PASSES, rounds: ROUNDS })

// Each parser again alone in a process of its own, as a collector with that one parser runs it:
// in the process above nine parsers share the header parser and the SDK helpers. Three processes
// each, the best kept, taken in rounds over all parsers rather than one parser's runs back to back:
// a run is a few seconds, and this machine's speed drops for a minute at a time, so that a
// parser's runs land in different minutes.
const ALONE_RUNS = 3
const alone = installed.map(() => 0)
for (let r = 0; r < ALONE_RUNS; r++) {
  installed.forEach((p, i) => {
    const out = execFileSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--only', p.name], { encoding: 'utf8' })
    const m = /: ([\d,]+) lines\/s/.exec(out)
    if (m === null) throw new Error(`no figure from the run of ${p.name} alone: ${out}`)
    alone[i] = Math.max(alone[i]!, Number(m[1]!.replaceAll(',', '')))
  })
}

const n = installed.length
const rows: string[] = [
  '| parser | fixture lines | alone in its process, lines/s | beside the 8 others, lines/s | dispatch, own parser last, lines/s |',
  '|---|---:|---:|---:|---:|',
]
let worstOwn = Infinity
let worstAlone = Infinity
for (let i = 0; i < n; i++) {
  const p = installed[i]!
  worstOwn = Math.min(worstOwn, rates[i]!)
  worstAlone = Math.min(worstAlone, alone[i]!)
  rows.push(`| ${p.name} | ${p.lines.length} | ${fmt(alone[i]!)} | ${fmt(rates[i]!)} | ${fmt(rates[n + i]!)} |`)
}
// The mixed worst case: an equal share of every parser's lines, each behind every other parser.
const mixed = n / installed.reduce((s, _p, i) => s + 1 / rates[n + i]!, 0)
const none = rates[2 * n]!
rows.push(`| (no parser claims it) | ${unclaimed.length} | | | ${fmt(none)} |`)
const table = rows.join('\n')
console.log(table)
const summary = [
  `Per parser (header parse + isMine + parse on its own fixtures): slowest ${fmt(worstAlone)} lines/s alone in its process, ${fmt(worstOwn)} beside the others; figure to reach ≥ ${fmt(GOAL_PARSER)}: **${worstAlone >= GOAL_PARSER ? 'met' : 'not met'}** (${installed.filter((_, i) => alone[i]! >= GOAL_PARSER).length} of ${n} parsers reach it alone).`,
  `Dispatch over all ${n} parsers, worst order (every line behind every other parser; equal shares of every parser's lines): ${fmt(mixed)} lines/s; lines no parser claims: ${fmt(none)} lines/s; figure to reach ≥ ${fmt(GOAL_DISPATCH)}: **${Math.min(mixed, none) >= GOAL_DISPATCH ? 'met' : 'not met'}**.`,
  '',
  `Lines: each package's golden fixture lines (made-up, documentation addresses), repeated to ${fmt(PER_PARSER_LINES)} per pass. The dispatch loop is the parse stage's own first-match rule without its counters. "Alone in its process": the same measurement with \`--only <parser>\`, ${ALONE_RUNS} processes per parser in rounds over all parsers, the best kept.`,
].join('\n')
console.log(summary)
recordResults('parsers', 'Parsers on one core, and dispatch over all of them', COMMAND, table + '\n\n' + summary)

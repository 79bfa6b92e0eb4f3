import type { Parser } from '@beer/core'
import { parseSyslog } from '@beer/syslog-header'
import type { FrameOrigin, SyslogMessage } from '@beer/syslog-header'
import { asJson, firstDifference, lineDiff, stableJson, valueAt } from './compare.ts'
import { HOSTILE_LINES } from './hostile-lines.ts'
import { whyNotPlain } from './plain-data.ts'
import type { CheckReport, ContractFailure, FixtureLine } from './report.ts'

/**
 * Where every fixture line comes from: a fixed instant (RFC 3164 timestamps take their year from
 * it, and `event.created` is it), over UDP from a documentation address.
 */
export const FIXTURE_ORIGIN: Readonly<FrameOrigin> = Object.freeze({
  receivedAt: Date.UTC(2026, 10, 27, 10, 0, 0),
  transport: 'udp',
  sourceAddress: '192.0.2.1',
  sourcePort: 514,
  listener: 'udp://0.0.0.0:514',
})

/** A fixture line as a parser receives it: through the real header parser, from FIXTURE_ORIGIN. */
export function fixtureMessage(line: string, timezone = 'UTC'): SyslogMessage {
  return parseSyslog(line, { ...FIXTURE_ORIGIN }, { timezone })
}

/** A fixture file's lines: one message a line, byte-exact; the newline that ends the file ends its last line. */
export function fixtureLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** A fixture file's text, as read: `expected` is the `.json` beside a `.log` (undefined when there is none). */
export interface FixtureText {
  /** Relative to the fixtures folder: `traffic.log`, `not-mine/other.log`. */
  file: string
  text: string
  expected?: string
}

export interface FixtureSet {
  files: readonly FixtureText[]
  notMine: readonly FixtureText[]
  /** `.json` files without a `.log`: reported, since they test nothing. */
  orphans?: readonly string[]
}

export interface CheckFixtureOptions {
  /** Zone for header timestamps without one (RFC 3164). Default 'UTC'. */
  timezone?: string
  /** Produce the `.json` texts instead of comparing. */
  update?: boolean
}

export interface FixtureCheck {
  report: CheckReport
  /** With `update`: the `.json` text for each `.log`, to be written beside it. */
  rewrites: { file: string; text: string }[]
}

// How many cut-short fixture lines join the hostile corpus, and where each line is cut.
const MAX_CUT_LINES = 50
const CUTS = [0.2, 0.4, 0.6, 0.8, 0.95]

/**
 * The golden-file check on fixtures already read: no file system and no test framework, so it
 * runs wherever the parser runs. `checkParser` reads the files and calls it.
 */
export function checkFixtureSet(parser: Parser<SyslogMessage>, set: FixtureSet, options: CheckFixtureOptions = {}): FixtureCheck {
  const timezone = options.timezone ?? 'UTC'
  const report: CheckReport = {
    ok: false,
    files: [],
    notMine: [],
    updated: [],
    problems: [],
    mismatches: [],
    unclaimed: [],
    claimedNotMine: [],
    contract: [],
    hostileInputs: 0,
  }
  const rewrites: FixtureCheck['rewrites'] = []
  const fail = (f: ContractFailure) => report.contract.push(f)
  const claims = (msg: SyslogMessage, at: Omit<ContractFailure, 'check' | 'message'>): boolean => {
    let answer: unknown
    try {
      answer = parser.isMine(msg)
    } catch (err) {
      fail({ check: 'is-mine', ...at, message: `isMine threw (it must never throw): ${errorText(err)}` })
      return false
    }
    if (typeof answer !== 'boolean') {
      fail({ check: 'is-mine', ...at, message: `isMine returned ${describe(answer)}, not true or false` })
    }
    return answer === true
  }
  const parse = (msg: SyslogMessage, at: Omit<ContractFailure, 'check' | 'message'>, again = false): { ok: boolean; result: unknown } => {
    try {
      const result: unknown = parser.parse(msg)
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        fail({ check: 'parse-threw', ...at, message: 'parse returned a promise; parse is synchronous' })
        return { ok: false, result: null }
      }
      const bad = again ? undefined : whyNotPlain(result)
      if (bad) {
        const field = bad.path === '' ? 'the result' : bad.path
        fail({ check: 'plain-data', ...at, message: `${field} is ${bad.what}` })
      }
      return { ok: true, result }
    } catch (err) {
      fail({ check: 'parse-threw', ...at, message: `parse threw: ${errorText(err)}` })
      return { ok: false, result: null }
    }
  }

  for (const fixture of set.files) {
    const lines = fixtureLines(fixture.text)
    report.files.push({ file: fixture.file, lines: lines.length })
    const jsonFile = fixture.file.replace(/\.log$/, '.json')
    let expected: unknown[] | undefined
    if (fixture.expected !== undefined) {
      try {
        const parsed: unknown = JSON.parse(fixture.expected)
        if (Array.isArray(parsed)) expected = parsed
        else report.problems.push({ file: jsonFile, message: 'is not an array (one entry a line of the .log)' })
      } catch (err) {
        report.problems.push({ file: jsonFile, message: `is not JSON: ${errorText(err)}` })
      }
    } else if (!options.update) {
      report.problems.push({
        file: jsonFile,
        message: `is missing: write it with BEER_UPDATE_FIXTURES=1, then review every entry against ${fixture.file}`,
      })
    }
    if (expected !== undefined && !options.update && expected.length !== lines.length) {
      report.problems.push({
        file: jsonFile,
        message: `has ${expected.length} entries for ${lines.length} lines of ${fixture.file}; rewrite it with BEER_UPDATE_FIXTURES=1`,
      })
    }
    const entries: unknown[] = []
    lines.forEach((text, k) => {
      const at = { file: fixture.file, line: k + 1, text }
      if (!claims(fixtureMessage(text, timezone), at)) {
        report.unclaimed.push(at)
        // Parsers may assume isMine was true: an unclaimed line is not parsed, and an update keeps
        // the entry it had.
        entries.push(expected?.[k] ?? null)
        return
      }
      const first = parse(fixtureMessage(text, timezone), at)
      if (!first.ok) {
        entries.push(expected?.[k] ?? null)
        return
      }
      const actual = jsonOrUndefined(first.result)
      entries.push(actual ?? null)
      const second = parse(fixtureMessage(text, timezone), at, true)
      if (second.ok && actual !== undefined) {
        const again = jsonOrUndefined(second.result)
        const path = again === undefined ? '' : firstDifference(actual, again)
        if (path !== undefined) {
          fail({
            check: 'deterministic',
            ...at,
            message: `parsing the line twice gave different output at ${path === '' ? 'the whole result' : path} (${JSON.stringify(valueAt(actual, path))} then ${JSON.stringify(valueAt(again, path))}); read time from msg.receivedAt, never the clock, and keep no state between lines`,
          })
        }
      }
      if (options.update || expected === undefined || k >= expected.length || actual === undefined) return
      const path = firstDifference(expected[k], actual)
      if (path === undefined) return
      report.mismatches.push({
        ...at,
        path,
        expected: valueAt(expected[k], path),
        actual: valueAt(actual, path),
        diff: lineDiff(stableJson(expected[k]), stableJson(actual)),
      })
    })
    if (options.update) {
      rewrites.push({ file: jsonFile, text: stableJson(entries) })
      report.updated.push(jsonFile)
    }
  }
  if (set.files.length === 0) {
    report.problems.push({ file: '.', message: 'has no fixture .log files: add lines the parser must read, each with its expected event' })
  }
  for (const orphan of set.orphans ?? []) {
    report.problems.push({ file: orphan, message: `has no ${orphan.replace(/\.json$/, '.log')} beside it` })
  }

  for (const fixture of set.notMine) {
    const lines = fixtureLines(fixture.text)
    report.notMine.push({ file: fixture.file, lines: lines.length })
    lines.forEach((text, k) => {
      const at = { file: fixture.file, line: k + 1, text }
      if (claims(fixtureMessage(text, timezone), at)) report.claimedNotMine.push(at)
    })
  }

  for (const { name, line } of hostileInputs(set)) {
    report.hostileInputs++
    const at = { input: name, text: line }
    if (claims(fixtureMessage(line, timezone), at)) parse(fixtureMessage(line, timezone), at)
  }

  report.ok =
    report.problems.length === 0 &&
    report.mismatches.length === 0 &&
    report.unclaimed.length === 0 &&
    report.claimedNotMine.length === 0 &&
    report.contract.length === 0
  return { report, rewrites }
}

/** The built-in corpus, and fixture lines cut short as a frame cut at the maximum size would be. */
function* hostileInputs(set: FixtureSet): Generator<{ name: string; line: string }> {
  yield* HOSTILE_LINES
  let n = 0
  for (const fixture of set.files) {
    for (const [k, line] of fixtureLines(fixture.text).entries()) {
      if (n++ >= MAX_CUT_LINES) return
      const seen = new Set<number>()
      for (const cut of CUTS) {
        const at = Math.floor(line.length * cut)
        if (at === 0 || seen.has(at)) continue
        seen.add(at)
        yield { name: `${fixture.file}:${k + 1} cut after ${at} chars`, line: line.slice(0, at) }
      }
    }
  }
}

function jsonOrUndefined(result: unknown): unknown {
  try {
    return asJson(result)
  } catch {
    // A bigint or a cycle: already reported as not plain data.
    return undefined
  }
}

function errorText(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; stack?: unknown }
    const head = typeof e.code === 'string' ? `${e.code}: ` : ''
    const stack = typeof e.stack === 'string' ? e.stack.split('\n').slice(1, 3).join('\n') : ''
    return head + String(e.message) + (stack ? '\n' + stack : '')
  }
  return String(err)
}

function describe(v: unknown): string {
  return v === undefined ? 'undefined' : v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : `a ${typeof v}`
}

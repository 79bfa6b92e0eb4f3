/** One line of a fixture file. */
export interface FixtureLine {
  /** The fixture file, relative to the fixtures folder (`traffic.log`, `not-mine/other.log`). */
  file: string
  /** 1-based. */
  line: number
  text: string
}

/** A fixture line whose parse result differs from its entry in the `.json` beside it. */
export interface Mismatch extends FixtureLine {
  /** The first differing field (`source.port`, `[1].related.ip[0]`); '' when the whole entry differs. */
  path: string
  /** The value at `path` in the `.json` (undefined: absent). */
  expected: unknown
  /** The value at `path` in the parse result, as JSON (undefined: absent). */
  actual: unknown
  /** The entry's line diff, `-` expected and `+` actual. */
  diff: string
}

export type ContractCheck = 'is-mine' | 'parse-threw' | 'deterministic' | 'plain-data'

/** A broken rule of the parser contract. */
export interface ContractFailure {
  check: ContractCheck
  /** The fixture file, when the input was a fixture line. */
  file?: string
  line?: number
  /** The built-in hostile input's name, when the input was one. */
  input?: string
  text: string
  message: string
}

export interface FileCount {
  file: string
  lines: number
}

export interface CheckReport {
  /** True when nothing below failed. */
  ok: boolean
  /** Each fixture `.log` file and its line count. */
  files: FileCount[]
  /** Each `not-mine/*.log` file and its line count. */
  notMine: FileCount[]
  /** `.json` files written instead of compared (`update`), relative to the fixtures folder. */
  updated: string[]
  /** Problems with the fixture files themselves: a missing or unreadable `.json`, a count that differs. */
  problems: { file: string; message: string }[]
  mismatches: Mismatch[]
  /** Fixture lines `isMine` refused. */
  unclaimed: FixtureLine[]
  /** Lines under `not-mine/` that `isMine` claimed. */
  claimedNotMine: FixtureLine[]
  contract: ContractFailure[]
  /** How many hostile inputs were tried (the built-in corpus and cut-short fixture lines). */
  hostileInputs: number
}

const MAX_SHOWN = 240

/** A line for a message: cut when long, control characters escaped. */
export function showLine(text: string): string {
  const cut = text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) + `… (${text.length} chars)` : text
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function where(f: { file?: string; line?: number; input?: string }): string {
  return f.file !== undefined ? `${f.file}:${f.line}` : `hostile input "${f.input}"`
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v)
}

/** Which failures to format: those of one fixture file, or of one kind. */
export interface ReportFilter {
  file?: string
  contract?: readonly ContractCheck[]
  /** Only contract failures on hostile inputs (true) or on fixture lines (false). */
  hostile?: boolean
  sections?: readonly ('problems' | 'mismatches' | 'unclaimed' | 'claimedNotMine' | 'contract')[]
}

/**
 * The failures of a report as text a person can act on: what broke, on which line, and for a
 * mismatch the diff of the first differing line. '' when nothing matched the filter failed.
 */
export function formatReport(report: CheckReport, filter: ReportFilter = {}): string {
  const sections = new Set(filter.sections ?? ['problems', 'mismatches', 'unclaimed', 'claimedNotMine', 'contract'])
  const inFile = (x: { file?: string }) => filter.file === undefined || x.file === filter.file
  const out: string[] = []
  if (sections.has('problems')) {
    for (const p of report.problems.filter(inFile)) out.push(`${p.file}: ${p.message}`)
  }
  if (sections.has('unclaimed')) {
    const lines = report.unclaimed.filter(inFile)
    for (const u of lines) out.push(`${u.file}:${u.line} is not claimed: isMine returned false for\n  ${showLine(u.text)}`)
  }
  if (sections.has('claimedNotMine')) {
    for (const c of report.claimedNotMine.filter(inFile)) {
      out.push(`${c.file}:${c.line} is claimed but must be refused: isMine returned true for\n  ${showLine(c.text)}`)
    }
  }
  if (sections.has('contract')) {
    const failures = report.contract.filter(
      (c) =>
        inFile(c) &&
        (filter.contract === undefined || filter.contract.includes(c.check)) &&
        (filter.hostile === undefined || filter.hostile === (c.input !== undefined)),
    )
    for (const c of failures) out.push(`${where(c)}: ${c.message}\n  ${showLine(c.text)}`)
  }
  if (sections.has('mismatches')) {
    const mismatches = report.mismatches.filter(inFile)
    const first = mismatches[0]
    if (first !== undefined) {
      const json = first.file.replace(/\.log$/, '.json')
      out.push(
        `${first.file}:${first.line} differs from ${json} at ${first.path === '' ? 'the whole entry' : first.path}: ` +
          `expected ${show(first.expected)}, got ${show(first.actual)}\n  ${showLine(first.text)}\n` +
          `  (- expected, + actual)\n${first.diff.replace(/^/gm, '  ')}`,
      )
      if (mismatches.length > 1) {
        const rest = mismatches.slice(1).map((m) => `${m.file}:${m.line}`)
        out.push(`${rest.length} more line(s) differ: ${rest.slice(0, 20).join(', ')}${rest.length > 20 ? ', …' : ''}`)
      }
      out.push('If the new output is right, rewrite the .json with BEER_UPDATE_FIXTURES=1 and review its diff.')
    }
  }
  return out.join('\n\n')
}

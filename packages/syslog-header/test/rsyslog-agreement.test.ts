// Agreement with rsyslog's own header-parsing test vectors (rsyslog/rsyslog tests/*.sh, extracted
// into ../shared/corpus/rsyslog-parser-tests; see its README). Each case's input is parsed by
// parseSyslog and rendered through the case's rsyslog template; the rendered line is compared with
// what rsyslog printed. Every disagreement is listed, with its reason, in docs/header-agreement.md.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseSyslog, type SyslogMessage } from '../src/index.ts'

const corpus = fileURLToPath(new URL('../../../../shared/corpus/rsyslog-parser-tests/', import.meta.url))
const agreementDoc = fileURLToPath(new URL('../../../docs/header-agreement.md', import.meta.url))
const RECEIVED_AT = Date.UTC(2024, 5, 15, 12, 0, 0)

interface RsyslogTest {
  output_template: string
  inputs: string[]
  expected_output_lines: string[] | null
  content_checks?: string[]
  rsyslog_config: string
  pairing: string
}

interface Case {
  test: string
  case: number
  output_template: string
  input: string
  expected: string
}

// ---------------------------------------------------------------------------------------------
// What rsyslog's configuration changes. Parser modules and parser options that are not rsyslog's
// defaults are reported apart from the default chain; output-side settings (escaping of control
// and 8-bit characters) are applied by the renderer, as rsyslog applies them to every field.

interface Settings {
  /** Why this configuration is not rsyslog's default parser chain, or '' when it is. */
  nonDefault: string
  escapeCC: boolean
  escapeCStyle: boolean
  escapePrefix: string
  escape8bit: boolean
  removeMsgFirstSpace: boolean
}

function settingsOf(config: string): Settings {
  const reasons: string[] = []
  if (/pmsnare/.test(config)) reasons.push('loads pmsnare')
  if (/pmlastmsg/.test(config)) reasons.push('loads pmlastmsg')
  for (const opt of ['permit.AtSignsInHostname', 'permit.slashesinhostname', 'force.tagEndingByColon', 'remove.msgFirstSpace']) {
    if (new RegExp(`${opt.replace('.', '\\.')}="on"`, 'i').test(config)) reasons.push(`${opt}="on"`)
  }
  if (/parseHostnameAndTag="off"/i.test(config)) reasons.push('parser.parseHostnameAndTag="off"')
  if (/dropTrailingCROnReception="on"/i.test(config)) reasons.push('parser.dropTrailingCROnReception="on"')
  if (/^\s*\$rulesetparser/m.test(config)) reasons.push('$RulesetParser rsyslog.rfc5424 only')
  // Global settings only (module-level overrides in parser(...) blocks are not modelled).
  const global = config.replace(/parser\([^)]*\)/g, '')
  return {
    nonDefault: reasons.join(', '),
    escapeCC: !/\$EscapeControlCharactersOnReceive off|escapeControlCharactersOnReceive="off"/i.test(global),
    escapeCStyle: /escapeControlCharactersCStyle="on"/i.test(global),
    escapePrefix: /controlCharacterEscapePrefix="(.)"/i.exec(global)?.[1] ?? '#',
    escape8bit: /\$Escape8BitCharactersOnReceive on/i.test(global),
    removeMsgFirstSpace: /remove\.msgFirstSpace="on"/i.test(config),
  }
}

const C_STYLE: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' }

/** rsyslog's escaping of received text (parser.c, on by default): control characters as #ooo. */
function escape(s: string, st: Settings): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (c < 32 && st.escapeCC) {
      out += st.escapeCStyle && C_STYLE[c] ? C_STYLE[c] : st.escapePrefix + c.toString(8).padStart(3, '0')
    } else if (c >= 128 && st.escape8bit) {
      for (const b of new TextEncoder().encode(ch)) out += '#' + b.toString(8).padStart(3, '0')
    } else {
      out += ch
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// rsyslog's view of our result.

const FACILITY_TEXT = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
]
const SEVERITY_TEXT = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** The sender's wall clock: rsyslog keeps a timestamp in the zone it was sent in. */
function wallClock(m: SyslogMessage): Date {
  if (m.timestamp === -1) return new Date(m.receivedAt)
  const zone = /(?:([+-])(\d\d):?(\d\d))$/.exec(m.timestampText)
  const offset = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000 : 0
  return new Date(m.timestamp + offset)
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0')

/** The text after the header as rsyslog keeps it in %msg%, and the TAG as sent. */
function tagAndMsg(m: SyslogMessage, st: Settings): { tag: string; msg: string } {
  if (m.format === 'rfc5424') return { tag: (m.appname || '-') + (m.procid ? `[${m.procid}]` : ''), msg: m.message }
  if (m.format === 'none' || m.appname === '') return { tag: '', msg: m.message }
  let body = m.raw
  while (/[\r\n\0]$/.test(body)) body = body.slice(0, -1)
  const msgStart = body.length - m.message.length
  const tagStart = body.lastIndexOf(m.appname, msgStart - m.appname.length)
  let tag = body.slice(tagStart, msgStart)
  // rsyslog's MSG starts with the space that ends the TAG; ours does not.
  const separated = /[ \t]$/.test(tag)
  if (separated) tag = tag.slice(0, -1)
  return { tag, msg: (separated && !st.removeMsgFirstSpace ? ' ' : '') + m.message }
}

function property(name: string, m: SyslogMessage, st: Settings, dateFormat: string): string {
  const { tag, msg } = tagAndMsg(m, st)
  const pri = m.pri >= 0 ? m.pri : 13 // rsyslog's default for a frame without PRI: user.notice
  switch (name.toLowerCase()) {
    case 'pri': return String(pri)
    case 'syslogfacility': return String(pri >> 3)
    case 'syslogfacility-text': return FACILITY_TEXT[pri >> 3]!
    case 'syslogseverity': case 'syslogpriority': return String(pri & 7)
    case 'syslogseverity-text': case 'syslogpriority-text': return SEVERITY_TEXT[pri & 7]!
    case 'hostname': return m.hostname === '' ? '<LOCAL_HOSTNAME>' : escape(m.hostname, st)
    case 'programname': return escape(m.appname, st)
    case 'syslogtag': return escape(tag, st)
    case 'msg': return escape(msg, st)
    case 'rawmsg': return escape(m.raw, st)
    case 'app-name': return m.appname || '-'
    case 'procid': return m.procid || '-'
    case 'msgid': return m.msgid || '-'
    case 'iut': return '1' // rsyslog's constant InfoUnitType for syslog messages
    case 'timestamp': case 'timereported': {
      const d = wallClock(m)
      if (dateFormat === 'date-rfc3339') {
        return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
      }
      const day = dateFormat === 'date-rfc3164-buggyday' ? pad(d.getUTCDate()) : String(d.getUTCDate()).padStart(2, ' ')
      return `${MONTHS[d.getUTCMonth()]} ${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    }
    default: throw new Error(`template property %${name}% is not rendered`)
  }
}

/** Renders an rsyslog string template (`%name:from:to:options%`, regex extraction, csv, …). */
function render(template: string, m: SyslogMessage, st: Settings): string {
  const body = template.replace(/\\n$/, '')
  return body.replace(/%([^%:]+)(?::([^%:]*):([^%:]*)(?::([^%]*))?)?%/g, (_, name: string, from?: string, to?: string, opts?: string) => {
    const options = (opts ?? '').split(',').filter(Boolean)
    const dateFormat = options.find((o) => o.startsWith('date-')) ?? ''
    let v = property(name, m, st, dateFormat)
    if (from && from.startsWith('R')) {
      const [, , sub = '0', nomatch = 'DFLT'] = from.split(',')
      const pattern = to!.replace(/--end$/, '')
      let re: RegExp
      try {
        re = new RegExp(pattern)
      } catch {
        return '**NO MATCH** **BAD REGULAR EXPRESSION**'
      }
      const hit = re.exec(v)
      v = hit ? (hit[Number(sub)] ?? '') : nomatch === 'BLANK' ? '' : nomatch === 'FIELD' ? v : nomatch === 'ZERO' ? '0' : '**NO MATCH**'
    } else if (from || to) {
      v = v.slice(Number(from || 1) - 1, to ? Number(to) : undefined)
    }
    if (options.includes('drop-last-lf')) v = v.replace(/\n$/, '')
    if (options.includes('space-cc')) v = v.replace(/[\x00-\x1f]/g, ' ')
    if (options.includes('csv')) v = `"${v.replaceAll('"', '""')}"`
    return v
  })
}

// ---------------------------------------------------------------------------------------------

/** A frame with neither PRI nor timestamp: rsyslog guesses HOSTNAME and TAG from its first words; we call it header-less. */
function headerless(input: string): boolean {
  return !/^(<\d{1,3}>|(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) |\d{4}-\d\d-\d\dT)/i.test(input)
}

const origin = { receivedAt: RECEIVED_AT, transport: 'tcp' as const, sourceAddress: '127.0.0.1', sourcePort: 40000, listener: 'tcp://127.0.0.1:0' }

interface Outcome {
  id: string
  bucket: 'default' | 'headerless' | 'nondefault'
  reason: string
  ok: boolean
  got: string
  expected: string
}

function runCorpus(): Outcome[] {
  const outcomes: Outcome[] = []
  const tests = new Map<string, RsyslogTest>()
  for (const f of readdirSync(corpus).filter((f) => f.endsWith('.json')).sort()) {
    tests.set(f.slice(0, -5), JSON.parse(readFileSync(corpus + f, 'utf8')) as RsyslogTest)
  }
  const bucketOf = (name: string, input: string): { bucket: Outcome['bucket']; reason: string } => {
    const st = settingsOf(tests.get(name)!.rsyslog_config)
    if (st.nonDefault) return { bucket: 'nondefault', reason: st.nonDefault }
    if (headerless(input)) return { bucket: 'headerless', reason: 'no PRI and no timestamp' }
    return { bucket: 'default', reason: '' }
  }

  // 1:1 cases: input i ↔ expected line i.
  for (const line of readFileSync(corpus + 'cases-1to1.jsonl', 'utf8').split('\n').filter(Boolean)) {
    const c = JSON.parse(line) as Case
    const st = settingsOf(tests.get(c.test)!.rsyslog_config)
    const got = render(c.output_template, parseSyslog(c.input, origin), st)
    outcomes.push({ id: `${c.test}#${c.case}`, ...bucketOf(c.test, c.input), ok: got === c.expected, got, expected: c.expected })
  }

  // Tests whose configuration filters messages: compare the whole output (one outcome per test).
  for (const [name, t] of tests) {
    if (t.pairing.startsWith('1:1')) continue
    const st = settingsOf(t.rsyslog_config)
    const filter = /:(\w+), contains, "([^"]*)"/.exec(t.rsyslog_config) ?? /if \$(\w+) contains "([^"]*)"/.exec(t.rsyslog_config)
    const lines: string[] = []
    for (const input of t.inputs) {
      const m = parseSyslog(input, origin)
      if (filter && !property(filter[1]!, m, { ...st, escapeCC: false }, '').includes(filter[2]!)) continue
      lines.push(render(t.output_template, m, st))
    }
    const got = lines.join('\n')
    let ok: boolean
    let expected: string
    if (t.expected_output_lines) {
      expected = t.expected_output_lines.join('\n')
      ok = got === expected
    } else {
      const checks = (t.content_checks ?? []).map((c) => c.replace(/ \$RSYSLOG_OUT_LOG$/, ''))
      expected = checks.map((c) => `contains ${JSON.stringify(c)}`).join(' and ')
      ok = checks.every((c) => got.includes(c))
    }
    const nonDefault = st.nonDefault
    outcomes.push({ id: `${name} (whole output)`, bucket: nonDefault ? 'nondefault' : 'default', reason: nonDefault, ok, got, expected })
  }
  return outcomes
}

function rate(list: Outcome[]): string {
  const ok = list.filter((o) => o.ok).length
  return `${ok}/${list.length} = ${list.length ? ((100 * ok) / list.length).toFixed(1) : '0.0'}%`
}

test('agrees with rsyslog on the header fields of its parser test vectors', (t) => {
  if (!existsSync(corpus)) {
    if (process.env.CI === 'true') assert.fail(`rsyslog corpus absent at ${corpus}; CI must have it`)
    t.skip(`rsyslog corpus absent at ${corpus}: agreement not measured`)
    return
  }
  const outcomes = runCorpus()
  const main = outcomes.filter((o) => o.bucket === 'default')
  const headerlessCases = outcomes.filter((o) => o.bucket === 'headerless')
  const nonDefault = outcomes.filter((o) => o.bucket === 'nondefault')
  console.log(`rsyslog header agreement: ${rate(main)} (default parser chain, frames with PRI or timestamp)`)
  console.log(`  header-less frames (no PRI, no timestamp): ${rate(headerlessCases)}`)
  console.log(`  non-default rsyslog parser modules/options: ${rate(nonDefault)}`)
  console.log(`  all cases: ${rate(outcomes)}`)
  for (const o of outcomes.filter((o) => !o.ok)) {
    console.log(`  differs [${o.bucket}${o.reason ? ': ' + o.reason : ''}] ${o.id}\n    rsyslog: ${JSON.stringify(o.expected)}\n    beer:    ${JSON.stringify(o.got)}`)
  }

  const doc = existsSync(agreementDoc) ? readFileSync(agreementDoc, 'utf8') : ''
  const undocumented = outcomes.filter((o) => !o.ok && !doc.includes('`' + o.id + '`')).map((o) => o.id)
  assert.deepEqual(undocumented, [], 'disagreements not explained in docs/header-agreement.md')
  const ok = main.filter((o) => o.ok).length
  assert.ok(ok / main.length >= 0.95, `agreement ${rate(main)} is below 95%`)
})

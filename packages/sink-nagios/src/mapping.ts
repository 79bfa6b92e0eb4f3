import type { LogEvent } from '@beer/core'
import { STATES, type NagiosState, type ResolvedMatch, type ResolvedOptions } from './options.ts'

/** One passive check result, ready for either transport. */
export interface CheckResult {
  host: string
  /** null for a host check result. */
  service: string | null
  /** The return code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; for host checks 0 UP, 1 DOWN. */
  code: number
  /** Plugin output without performance data, one line, escaped for Nagios; not yet cut to a transport's limit. */
  text: string
  /** Performance data (`risk_score=73`), or ''. */
  perfdata: string
}

const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * The value at a dotted path. ECS events are nested objects, but a producer may also have written a
 * dotted key literally (`{ 'event.kind': 'alert' }`), so at each level the whole remaining path is
 * tried as a key before descending.
 */
export function getField(obj: unknown, path: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined
  const o = obj as Record<string, unknown>
  if (Object.hasOwn(o, path) && !PROTO_KEYS.has(path)) return o[path]
  let dot = path.indexOf('.')
  while (dot !== -1) {
    const head = path.slice(0, dot)
    if (Object.hasOwn(o, head) && !PROTO_KEYS.has(head)) {
      const v = getField(o[head], path.slice(dot + 1))
      if (v !== undefined) return v
    }
    dot = path.indexOf('.', dot + 1)
  }
  return undefined
}

/** A field's value as text: strings as they are, numbers and booleans printed, arrays joined. */
export function fieldText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.map(fieldText).filter((s) => s !== '').join(', ')
  return ''
}

/** Fills `{field.path}` placeholders from the event; a missing field gives ''. */
export function renderTemplate(template: string, event: LogEvent): string {
  return template.replace(/\{([^{}\s]+)\}/g, (_, path: string) => fieldText(getField(event, path)))
}

export function matches(event: LogEvent, match: readonly ResolvedMatch[]): boolean {
  for (const m of match) {
    const v = getField(event, m.path)
    if (!m.values.some((x) => x === v)) return false
  }
  return true
}

/** Longest host or service name sent; NSCA cuts them shorter still (63 and 127 bytes). */
export const MAX_NAME_BYTES = 255

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g

/** One line: control characters (newlines, tabs, …) become spaces, runs of spaces one, ends trimmed. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim()
}

/**
 * Plugin output as Nagios reads it from an external command (checked against Nagios 4.4):
 * - `;` is turned into `:` by Nagios itself; doing it here keeps what we count and what it shows the same.
 * - `|` starts performance data, so a `|` in the text would cut it short: it becomes `/`.
 * - `\n` (backslash, n) is read as a line break and `\\` as one backslash, so backslashes are doubled.
 */
export function escapeOutput(text: string): string {
  return oneLine(text).replace(/;/g, ':').replace(/\|/g, '/').replace(/\\/g, '\\\\')
}

/**
 * A host or service name: one line, without `;` (the external command's field separator) and the
 * characters Nagios refuses in object names, which no object Nagios knows can contain.
 */
export function objectName(text: string, illegal: string): string {
  let out = ''
  for (const ch of oneLine(text)) if (ch !== ';' && !illegal.includes(ch)) out += ch
  // Bounded so that a command line always has room for output within one atomic pipe write.
  return cutBytes(out.replace(/ {2,}/g, ' ').trim(), MAX_NAME_BYTES).trim()
}

const encoder = new TextEncoder()

export function byteLength(text: string): number {
  return encoder.encode(text).length
}

/** The longest prefix of `text` that is at most `max` bytes of UTF-8, never cutting a character. */
export function cutBytes(text: string, max: number): string {
  if (max <= 0) return ''
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (text.length * 3 <= max) return text
  const bytes = encoder.encode(text)
  if (bytes.length <= max) return text
  let end = max
  // Back up to the start of a character: continuation bytes are 10xxxxxx.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--
  return new TextDecoder().decode(bytes.subarray(0, end))
}

const ELLIPSIS = '...'

/**
 * The plugin output, text and performance data, in at most `max` bytes. Text that does not fit is
 * cut and ends in `...`; an escape (`\\`) is never split. Performance data that alone would not
 * leave room for some text is left out.
 */
export function fitOutput(result: CheckResult, max: number): string {
  let perf = result.perfdata === '' ? '' : ` | ${result.perfdata}`
  if (perf !== '' && byteLength(perf) > max / 2) perf = ''
  const room = max - byteLength(perf)
  let text = result.text
  if (byteLength(text) > room) {
    text = cutBytes(text, room - ELLIPSIS.length)
    // Every backslash is doubled: an odd run at the end is half an escape.
    const run = /\\+$/.exec(text)?.[0].length ?? 0
    if (run % 2 === 1) text = text.slice(0, -1)
    text += ELLIPSIS
  }
  return text + perf
}

const CODES: Record<NagiosState, number> = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 }

export function stateCode(state: NagiosState): number {
  return CODES[state]
}

export function stateName(code: number): NagiosState {
  return STATES[code] ?? 'UNKNOWN'
}

/** The state an event maps to (see StateRule). */
export function eventState(event: LogEvent, o: Pick<ResolvedOptions, 'state' | 'missingState'>): NagiosState {
  if (typeof o.state === 'string') return o.state
  for (const rule of o.state) {
    let v = getField(event, rule.field)
    if (typeof v === 'string' && v.trim() !== '') v = Number(v)
    if (typeof v !== 'number' || !Number.isFinite(v)) continue
    if (rule.critical >= rule.warning) return v >= rule.critical ? 'CRITICAL' : v >= rule.warning ? 'WARNING' : 'OK'
    return v <= rule.critical ? 'CRITICAL' : v <= rule.warning ? 'WARNING' : 'OK'
  }
  return o.missingState
}

function hostName(event: LogEvent, o: ResolvedOptions): string {
  for (const path of o.hostFields) {
    let v = getField(event, path)
    if (Array.isArray(v)) v = v.find((x) => typeof x === 'string' && x !== '')
    if (typeof v === 'string') {
      const name = objectName(v, o.illegalChars)
      if (name !== '') return name
    }
  }
  return o.defaultHost
}

function perfdata(event: LogEvent, paths: readonly string[]): string {
  const out: string[] = []
  for (const path of paths) {
    let v = getField(event, path)
    if (typeof v === 'string' && v.trim() !== '') v = Number(v)
    if (typeof v !== 'number' || !Number.isFinite(v)) continue
    // Nagios plugin guidelines: 'label'=value; the label is quoted when it holds a space or a quote.
    const label = path.slice(path.lastIndexOf('.') + 1).replace(/[=']/g, '_')
    out.push(`${/[\s]/.test(label) ? `'${label}'` : label}=${v}`)
  }
  return out.join(' ')
}

function defaultOutput(event: LogEvent): string {
  for (const path of ['event.reason', 'message', 'rule.name']) {
    const t = oneLine(fieldText(getField(event, path)))
    if (t !== '') return t
  }
  return 'beer alert'
}

/** The check result an event becomes, before deduplication. */
export function toCheckResult(event: LogEvent, o: ResolvedOptions): CheckResult {
  const host = hostName(event, o)
  let service: string | null = null
  if (o.service !== null) {
    service = objectName(renderTemplate(o.service, event), o.illegalChars)
    if (service === '') service = objectName(o.defaultService, o.illegalChars) || 'beer'
  }
  const state = eventState(event, o)
  // Nagios host states are UP (0) and DOWN (1); UNREACHABLE is Nagios' own conclusion from parents.
  const code = service === null ? (state === 'OK' ? 0 : 1) : stateCode(state)
  const raw = o.output === null ? defaultOutput(event) : oneLine(renderTemplate(o.output, event))
  return { host, service, code, text: escapeOutput(raw === '' ? 'beer alert' : raw), perfdata: perfdata(event, o.perfdata) }
}

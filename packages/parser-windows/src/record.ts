import type { SyslogMessage } from '@beer/parser-sdk'
import { readDescription } from './description.ts'
import { EVENTS } from './tables.ts'
import { eventTime, snareTime } from './time.ts'

/** One Windows event, whatever forwarder sent it: the fields the ECS mapping reads. */
export interface WinRecord {
  format: 'snare' | 'nxlog' | 'winlogbeat' | 'evtx'
  eventId: string | undefined
  provider: string | undefined
  channel: string | undefined
  computer: string | undefined
  recordId: string | undefined
  /** ISO 8601 in UTC. */
  time: string | undefined
  /** From the audit keyword (Audit Success / Audit Failure). */
  outcome: 'success' | 'failure' | undefined
  level: string | undefined
  /** The rendered message. */
  message: string | undefined
  /** The task category as text (`Logon`, `Security Group Management`). */
  task: string | undefined
  /** The account the event log names (Snare's user token, NXLog's AccountName/Domain). */
  logUser: string | undefined
  logDomain: string | undefined
  /**
   * Event data by name, values as the event writes them. A plain object that becomes
   * winlog.event_data as it is: only names the readers check (never __proto__, constructor or
   * prototype) are written, and only fixed names are read.
   */
  data: Record<string, string>
  /** What could not be read, for `error.message`. */
  problems: string[]
}

function record(format: WinRecord['format']): WinRecord {
  return {
    format,
    eventId: undefined,
    provider: undefined,
    channel: undefined,
    computer: undefined,
    recordId: undefined,
    time: undefined,
    outcome: undefined,
    level: undefined,
    message: undefined,
    task: undefined,
    logUser: undefined,
    logDomain: undefined,
    data: {},
    problems: [],
  }
}

// ── Snare ────────────────────────────────────────────────────────────────────────────────────

const SNARE = 'MSWinEventLog'
// How far into the frame the Snare record may start (a hostname and a syslog header before it).
const SNARE_SEARCH = 320

/**
 * Where the Snare record's delimiter after `MSWinEventLog` starts, or -1. Snare separates tokens
 * with a tab; a relay that escapes control characters (rsyslog's default) turns it into `#011`.
 */
export function snareStart(raw: string): number {
  let at = raw.indexOf(SNARE)
  while (at !== -1 && at < SNARE_SEARCH) {
    const after = at + SNARE.length
    // The token stands alone: start of frame, or after a space, tab or the header's tag.
    const before = at === 0 ? 32 : raw.charCodeAt(at - 1)
    const alone = before === 32 || before === 9 || before === 62 /* > */ || raw.startsWith('#011', at - 4)
    const sep = raw.charCodeAt(after) === 9 ? '\t' : raw.startsWith('#011', after) ? '#011' : ''
    if (alone && sep !== '') {
      // Then the criticality (a number) and the delimiter again.
      let i = after + sep.length
      const digits = i
      while (i < raw.length && i - digits < 3 && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++
      if (i > digits && raw.startsWith(sep, i)) return after
    }
    at = raw.indexOf(SNARE, after)
  }
  return -1
}

/** Whether raw[from, to) is Snare's trailing counter: digits, perhaps after a minus sign. */
function isCounter(raw: string, from: number, to: number): boolean {
  if (from >= to) return false
  const first = raw.charCodeAt(from) === 45 ? from + 1 : from
  if (first === to) return false
  for (let i = first; i < to; i++) {
    const c = raw.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/**
 * An event id as written (1 to 5 digits) without leading zeros, or undefined. The common case, a
 * plain number, is the text itself: no conversion.
 */
export function eventIdOf(text: string): string | undefined {
  const n = text.length
  if (n < 1 || n > 5) return undefined
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return n === 1 || text.charCodeAt(0) !== 48 ? text : String(Number(text))
}

function notNa(s: string | undefined): string | undefined {
  return s === undefined || s === '' || s === 'N/A' ? undefined : s
}

/**
 * Snare's record (Snare Agent manual, "Windows Event Output Format"): after `MSWinEventLog`,
 * criticality, log name, Snare counter, date time, event id, source name, user name, SID type,
 * event log type, computer name, category, data string, expanded string (the description), and
 * an optional MD5 checksum or event log counter.
 */
export function readSnare(msg: SyslogMessage, start: number, timezone: string): WinRecord {
  const r = record('snare')
  const raw = msg.raw
  const sep = raw.charCodeAt(start) === 9 ? '\t' : '#011'
  const bodyStart = start + sep.length
  // The frame's line end, and the NULs some agents pad with. (The delimiter holds none of these,
  // so searches in the whole frame find the same delimiters as in the record without them.)
  let bodyEnd = raw.length
  while (bodyEnd > bodyStart) {
    const c = raw.charCodeAt(bodyEnd - 1)
    if (c !== 10 && c !== 13 && c !== 0) break
    bodyEnd--
  }
  // The twelve tokens before the description, then the description up to the last delimiter when
  // what follows it is the counter. Only these are split off: a description holding the delimiter
  // itself (an agent that keeps tabs) stays one text. Tokens are kept as bounds and cut out only
  // when read.
  let count = 0
  let i = bodyStart
  while (count < 12) {
    const j = raw.indexOf(sep, i)
    if (j === -1) break
    tokenStart[count] = i
    tokenEnd[count] = j
    count++
    i = j + sep.length
  }
  let description: string | undefined
  if (count < 12) {
    tokenStart[count] = i
    tokenEnd[count] = bodyEnd
    count++
  } else {
    const last = raw.lastIndexOf(sep)
    description = last >= i && isCounter(raw, last + sep.length, bodyEnd) ? raw.slice(i, last) : raw.slice(i, bodyEnd)
    if (sep !== '\t') description = description.replaceAll(sep, '\t')
  }
  const token = (k: number): string | undefined => (k < count ? raw.slice(tokenStart[k], tokenEnd[k]) : undefined)
  const n = description === undefined ? count : 13
  if (n < 13) r.problems.push(`the Snare record ends after ${n} of its 13 tokens`)
  r.channel = notNa(token(1))
  const time = token(3)
  if (time !== undefined) {
    r.time = snareTime(time, timezone)
    if (r.time === undefined && time !== '' && n > 4) r.problems.push(`the date ${JSON.stringify(time)} is not Snare's "Www Mmm dd hh:mm:ss yyyy"`)
  }
  const id = token(4)
  if (id !== undefined) {
    r.eventId = eventIdOf(id)
    if (r.eventId === undefined && n > 5) r.problems.push(`the event id ${JSON.stringify(id)} is not a number`)
  }
  r.provider = notNa(token(5))
  const user = notNa(token(6))
  if (user !== undefined) {
    const slash = user.indexOf('\\')
    if (slash > 0) {
      r.logDomain = user.slice(0, slash)
      r.logUser = user.slice(slash + 1) || undefined
    } else {
      r.logUser = user
    }
  }
  const type = token(8)
  if (type === 'Success Audit' || type === 'Audit Success') r.outcome = 'success'
  else if (type === 'Failure Audit' || type === 'Audit Failure') r.outcome = 'failure'
  else if (type !== undefined && type !== '' && n > 9) r.level = type.toLowerCase()
  r.computer = notNa(token(9))
  r.task = notNa(token(10))
  if (description !== undefined && description !== '') {
    r.message = description
    if (r.eventId !== undefined) readDescription(description, r.eventId, r.data)
  }
  return r
}

// Where each Snare token starts and ends in the frame (reused: reading is synchronous).
const tokenStart = new Int32Array(12)
const tokenEnd = new Int32Array(12)

// ── JSON forwarders ──────────────────────────────────────────────────────────────────────────

// The keys a Windows event as JSON has: an event id, and a channel or provider. A literal
// alternation runs in the regex engine's compiled scan, several times faster on a kilobyte of JSON
// than one String.prototype.includes per key (each a search set up anew).
const JSON_ID = /"(?:EventID|event_id)"/
const JSON_SOURCE = /"(?:Channel|SourceName|channel|provider_name)"/

/** Whether a message looks like a Windows event as JSON: cheap substring tests only. */
export function looksLikeJsonEvent(text: string): boolean {
  let i = 0
  while (i < text.length && text.charCodeAt(i) === 32) i++
  if (text.charCodeAt(i) !== 123 /* { */) return false
  return JSON_ID.test(text) && JSON_SOURCE.test(text)
}

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** A scalar as text; objects written by XML-to-JSON converters as `{"#text": …}` too. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean') return String(v)
  if (isObj(v)) {
    const t = v['#text'] ?? v['$'] ?? v['_']
    if (typeof t === 'string' || typeof t === 'number') return String(t)
  }
  return undefined
}

/** An XML attribute as the common XML-to-JSON converters write it. */
function attr(v: unknown, name: string): string | undefined {
  if (!isObj(v)) return undefined
  const direct = text(v[name]) ?? text(v['@' + name])
  if (direct !== undefined) return direct
  const attributes = v['#attributes'] ?? v['$'] ?? v['@attributes']
  return isObj(attributes) ? text(attributes[name]) : undefined
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_DATA_FIELDS = 256

/**
 * Event data names as fields: not a prototype key, short, and without a dot (which a document
 * store would read as nesting).
 */
function dataName(key: string): boolean {
  return key.length !== 0 && key.length <= 64 && !FORBIDDEN.has(key) && key.indexOf('.') === -1
}

// Whether a key is copied as event data, by key, for each list of keys skipped: forwarders send the
// same few dozen keys on every line, so one lookup replaces the set lookups and the scan for a dot.
// Bounded (emptied when full), as the keys come from the input.
const MAX_KNOWN_KEYS = 1024
const copiedKeys = new Map<ReadonlySet<string> | undefined, Map<string, boolean>>()

function copyData(from: Obj, into: Record<string, string>, skip?: ReadonlySet<string>): void {
  let known = copiedKeys.get(skip)
  if (known === undefined) copiedKeys.set(skip, (known = new Map()))
  let count = 0
  // for-in rather than Object.keys: no array, and the runtime reads `from[key]` by the key's slot.
  // (`from` comes from JSON.parse: what it inherits is Object.prototype's, nothing enumerable.)
  for (const key in from) {
    let copy = known.get(key)
    if (copy === undefined) {
      if (known.size >= MAX_KNOWN_KEYS) known.clear()
      copy = !skip?.has(key) && dataName(key)
      known.set(key, copy)
    }
    if (!copy) continue
    const v = text(from[key])
    if (v === undefined || (key === 'PrivilegeList' && v.trim() === '-')) continue
    into[key] = v
    if (++count >= MAX_DATA_FIELDS) return
  }
}

function idOf(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 99999 ? String(v) : undefined
  const t = text(v)
  return t === undefined ? undefined : eventIdOf(t)
}

function outcomeOfKeywords(v: unknown): 'success' | 'failure' | undefined {
  // Keywords bit 0x0020000000000000 Audit Success, 0x0010000000000000 Audit Failure (winmeta.xml).
  if (typeof v === 'string') {
    if (/^0x80[2]/i.test(v) || v === 'Audit Success' || v === 'AUDIT_SUCCESS') return 'success'
    if (/^0x80[1]/i.test(v) || v === 'Audit Failure' || v === 'AUDIT_FAILURE') return 'failure'
  }
  if (Array.isArray(v)) {
    for (const k of v) {
      if (k === 'Audit Success') return 'success'
      if (k === 'Audit Failure') return 'failure'
    }
  }
  return undefined
}

// NXLog im_msvistalog fields that describe the record, not its event data.
const NXLOG_META: ReadonlySet<string> = new Set([
  'EventTime', 'EventReceivedTime', 'Hostname', 'HOSTNAME', 'Keywords', 'EventType', 'SeverityValue', 'Severity',
  'EventID', 'SourceName', 'ProviderGuid', 'ProviderName', 'Version', 'Task', 'OpcodeValue', 'Opcode', 'RecordNumber',
  'ActivityID', 'RelatedActivityID', 'ProcessID', 'ThreadID', 'Channel', 'Message', 'Category', 'SourceModuleName',
  'SourceModuleType', 'Domain', 'AccountName', 'UserID', 'AccountType', 'MessageSourceAddress', 'EventTimeWritten',
])

function readNxlog(o: Obj, timezone: string): WinRecord {
  const r = record('nxlog')
  r.eventId = idOf(o.EventID)
  r.provider = text(o.SourceName) ?? text(o.ProviderName)
  r.channel = text(o.Channel)
  r.computer = text(o.Hostname) ?? text(o.HOSTNAME)
  r.recordId = text(o.RecordNumber)
  r.time = eventTime(text(o.EventTime), timezone)
  const type = text(o.EventType)
  r.outcome = type === 'AUDIT_SUCCESS' ? 'success' : type === 'AUDIT_FAILURE' ? 'failure' : outcomeOfKeywords(text(o.Keywords))
  const severity = text(o.Severity)
  if (severity !== undefined) r.level = severity.toLowerCase()
  r.message = text(o.Message)
  r.task = text(o.Category)
  r.logUser = text(o.AccountName)
  r.logDomain = text(o.Domain)
  copyData(o, r.data, NXLOG_META)
  return r
}

function readWinlogbeat(o: Obj, w: Obj, timezone: string): WinRecord {
  const r = record('winlogbeat')
  r.eventId = idOf(w.event_id)
  r.provider = text(w.provider_name)
  r.channel = text(w.channel)
  r.computer = text(w.computer_name)
  r.recordId = text(w.record_id)
  r.time = eventTime(text(o['@timestamp']), timezone)
  r.outcome = outcomeOfKeywords(w.keywords)
  const log = o.log
  if (isObj(log)) r.level = text(log.level)
  r.message = text(o.message)
  r.task = text(w.task)
  if (isObj(w.event_data)) copyData(w.event_data, r.data)
  if (isObj(w.user_data)) copyData(w.user_data, r.data)
  return r
}

function readEvtx(e: Obj, timezone: string): WinRecord {
  const r = record('evtx')
  const sys = isObj(e.System) ? e.System : {}
  r.eventId = idOf(sys.EventID)
  r.provider = attr(sys.Provider, 'Name')
  r.channel = text(sys.Channel)
  r.computer = text(sys.Computer)
  r.recordId = text(sys.EventRecordID)
  r.time = eventTime(attr(sys.TimeCreated, 'SystemTime'), timezone)
  r.outcome = outcomeOfKeywords(text(sys.Keywords))
  const rendering = e.RenderingInfo
  if (isObj(rendering)) {
    r.message = text(rendering.Message)
    r.task = text(rendering.Task)
    r.level = text(rendering.Level)?.toLowerCase()
  }
  const data = e.EventData
  if (isObj(data)) {
    // <Data Name="X">v</Data> as [{"@Name":"X","#text":"v"}] (xmltodict) or as {"X": "v"}.
    const list = data.Data
    if (Array.isArray(list)) {
      let count = 0
      for (const item of list) {
        const name = attr(item, 'Name')
        const value = isObj(item) ? text(item) : undefined
        if (name !== undefined && value !== undefined && dataName(name) && !(name === 'PrivilegeList' && value.trim() === '-')) r.data[name] = value
        if (++count >= MAX_DATA_FIELDS) break
      }
    } else {
      copyData(data, r.data)
    }
  }
  return r
}

// The event data each mapped event is read for: when a forwarder left one out, the rendered
// message is read for it.
const NEEDED: Readonly<Record<string, readonly string[]>> = {
  '4624': ['TargetUserName', 'IpAddress', 'LogonType'],
  '4625': ['TargetUserName', 'IpAddress', 'Status', 'FailureReason'],
  '4634': ['TargetUserName'],
  '4647': ['TargetUserName'],
  '4648': ['TargetUserName', 'IpAddress'],
  '4672': ['SubjectUserName'],
  '4768': ['TargetUserName', 'IpAddress', 'Status'],
  '4769': ['TargetUserName', 'IpAddress', 'Status'],
  '4771': ['TargetUserName', 'IpAddress', 'Status'],
  '4776': ['TargetUserName', 'Status'],
}
const NEEDED_BY_MANAGEMENT: readonly string[] = ['SubjectUserName', 'TargetUserName']

function lacksData(eventId: string, data: Record<string, string>): boolean {
  const needed = NEEDED[eventId] ?? (EVENTS.has(eventId) ? NEEDED_BY_MANAGEMENT : undefined)
  if (needed === undefined) return false
  for (const name of needed) if (data[name] === undefined) return true
  return false
}

const MAX_DEPTH = 32

/** Whether JSON text nests deeper than MAX_DEPTH (strings skipped, so brackets in text do not count). */
function tooDeep(text: string, from: number): boolean {
  // Fewer opening brackets than the limit cannot nest deeper: the common case, counted natively.
  let opening = 0
  for (let at = text.indexOf('{', from); at !== -1 && opening <= MAX_DEPTH; at = text.indexOf('{', at + 1)) opening++
  for (let at = text.indexOf('[', from); at !== -1 && opening <= MAX_DEPTH; at = text.indexOf('[', at + 1)) opening++
  if (opening <= MAX_DEPTH) return false
  let depth = 0
  const n = text.length
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 34 /* " */) {
      // To the closing quote: one not escaped by an odd run of backslashes.
      let q = text.indexOf('"', i + 1)
      while (q !== -1) {
        let slashes = 0
        while (text.charCodeAt(q - 1 - slashes) === 92) slashes++
        if (slashes % 2 === 0) break
        q = text.indexOf('"', q + 1)
      }
      if (q === -1) return false
      i = q
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_DEPTH) return true
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return false
}

/**
 * A Windows event as JSON: NXLog's flat `to_json()` (EventID, Hostname, SourceName and the event
 * data side by side), Winlogbeat's `winlog.*` document, or the EVTX XML converted to JSON
 * (`Event.System`, `Event.EventData`). Undefined when the text is no such object.
 */
export function readJson(msg: SyslogMessage, timezone: string): WinRecord | undefined {
  const textIn = msg.message
  const start = textIn.indexOf('{')
  // Windows events nest a few levels; deeper input is refused before JSON.parse, whose time grows
  // faster than the input's length on deep nesting.
  if (tooDeep(textIn, start)) return undefined
  // Cut short (a relay's size limit): no closing brace, so JSON.parse would throw, which costs
  // more than reading a whole event.
  let last = textIn.length - 1
  while (last > start && textIn.charCodeAt(last) <= 32) last--
  if (textIn.charCodeAt(last) !== 125 /* } */) return undefined
  let value: unknown
  try {
    value = JSON.parse(textIn.slice(start))
  } catch {
    return undefined
  }
  if (!isObj(value)) return undefined
  const r = isObj(value.Event)
    ? readEvtx(value.Event, timezone)
    : isObj(value.winlog)
      ? readWinlogbeat(value, value.winlog, timezone)
      : readNxlog(value, timezone)
  // Forwarders that keep no event data still send the rendered message: a security event's
  // fields are then read from it, as from Snare's text.
  if (r.message !== undefined && r.eventId !== undefined && lacksData(r.eventId, r.data)) {
    const fromText = Object.create(null) as Record<string, string>
    readDescription(r.message, r.eventId, fromText)
    for (const key of Object.keys(fromText)) if (!(key in r.data)) r.data[key] = fromText[key]!
  }
  return r
}

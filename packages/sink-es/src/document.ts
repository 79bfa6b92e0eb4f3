import { hashBytes } from './batch.ts'
import { BeerError, type LogEvent } from '@beer/core'
import type { DocumentId } from './options.ts'

/**
 * The event as canonical JSON: JSON.stringify's rules for values, object keys sorted, no
 * whitespace. Two events with the same fields in another key order give the same text, so an
 * NDJSON file rewritten by another tool still replays onto the same document ids.
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, false)
  return out === undefined ? 'null' : out
}

// Strings that JSON.stringify would escape: control characters, quote, backslash, lone surrogates.
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/

/** A string as JSON; most strings in events need no escaping and skip the native call. Measured: a third of the time. */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`
}

/** The canonical text of a value, or undefined where JSON.stringify leaves a member out. */
function write(value: unknown, inArray: boolean): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON(): unknown }).toJSON()
  }
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt')
    case 'object':
      break
    default:
      // undefined, functions and symbols: left out of objects, null in arrays, as JSON.stringify does.
      return inArray ? 'null' : undefined
  }
  if (value === null) return 'null'
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + write(value[i], true)!
    return out + ']'
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj)
  // Parsers mostly build objects in a stable order; sort only when it is not sorted already.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort()
      break
    }
  }
  let out = '{'
  let first = true
  for (const k of keys) {
    const v = write(obj[k], false)
    if (v === undefined) continue
    out += (first ? '' : ',') + quote(k) + ':' + v
    first = false
  }
  return out + '}'
}

/**
 * The id the sink gives an event with `documentId: 'hash'` (or `'canonical'`): 128 bits of
 * SHA-256 over the document as sent, base64url, 22 characters.
 */
export function hashId(event: unknown, canonical = false): string {
  return hashBytes(Buffer.from(canonical ? canonicalJson(event) : (JSON.stringify(event) ?? 'null')))
}

/**
 * The `_id` an event's own fields give, '' to let Elasticsearch choose, or null: the hash of the
 * document's bytes, computed where they are written.
 */
export function documentId(event: LogEvent, how: DocumentId): string | null {
  if (how === 'none') return ''
  if (how === 'event.id') {
    const id = event.event?.id
    // Elasticsearch refuses ids longer than 512 bytes.
    if (typeof id === 'string' && id.length > 0 && Buffer.byteLength(id) <= 512) return id
  }
  return null
}

const TIMESTAMP_KEY = '"@timestamp":"'

/**
 * The top-level `@timestamp` of an event given as JSON text, without parsing it all: the key
 * written as JSON.stringify writes it, outside every string, at depth 1. Undefined when it is not
 * there in that form (the caller then parses the line).
 */
export function topLevelTimestamp(json: string): string | undefined {
  const at = json.indexOf(TIMESTAMP_KEY)
  if (at === -1) return undefined
  // Unescaped quotes cannot occur inside a JSON string, so `at` starts a key; find its depth.
  let depth = 0
  let inString = false
  for (let i = 0; i < at; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) depth++
    else if (c === 0x7d || c === 0x5d) depth--
  }
  if (depth !== 1 || inString) return undefined
  const start = at + TIMESTAMP_KEY.length
  const end = json.indexOf('"', start)
  if (end === -1) return undefined
  const value = json.slice(start, end)
  return value.includes('\\') ? undefined : value
}

/**
 * Milliseconds since the epoch of the event's `@timestamp` (else `event.created`), NaN when
 * neither is a date. It picks the daily index, so it must come from the event, never the clock:
 * a replay then reaches the index (and the ids) the first delivery did.
 */
export function eventTime(event: LogEvent): number {
  const ts = event['@timestamp']
  if (typeof ts === 'string') {
    const t = Date.parse(ts)
    if (Number.isFinite(t)) return t
  } else if (typeof ts === 'number' && Number.isFinite(ts)) return ts
  const created = event.event?.created
  if (typeof created === 'string') {
    const t = Date.parse(created)
    if (Number.isFinite(t)) return t
  }
  return Number.NaN
}

type Part = string | ((d: Date) => string)

const pad = (n: number, w: number): string => String(n).padStart(w, '0')

/** ISO 8601 week-based year and week of a UTC date. */
function isoWeek(d: Date): { year: number; week: number } {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const day = t.getUTCDay() || 7
  // The Thursday of this week decides the year it belongs to.
  t.setUTCDate(t.getUTCDate() + 4 - day)
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1)
  return { year: t.getUTCFullYear(), week: Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7) }
}

const TOKENS: Record<string, (d: Date) => string> = {
  yyyy: (d) => pad(d.getUTCFullYear(), 4),
  YYYY: (d) => pad(d.getUTCFullYear(), 4),
  yy: (d) => pad(d.getUTCFullYear() % 100, 2),
  MM: (d) => pad(d.getUTCMonth() + 1, 2),
  dd: (d) => pad(d.getUTCDate(), 2),
  HH: (d) => pad(d.getUTCHours(), 2),
  ww: (d) => pad(isoWeek(d).week, 2),
  xxxx: (d) => pad(isoWeek(d).year, 4),
}

/**
 * Index names from a pattern with `%{+<date format>}` (the Logstash spelling), in UTC. Names are
 * cached per hour, the finest unit a pattern can name.
 */
export class IndexNamer {
  readonly pattern: string
  readonly dated: boolean
  readonly #parts: Part[]
  readonly #cache = new Map<number, string>()

  constructor(pattern: string) {
    this.pattern = pattern
    this.#parts = compile(pattern)
    this.dated = this.#parts.some((p) => typeof p !== 'string')
  }

  /** The index for an event at `time` (ms); a time that is not a number uses the clock. */
  name(time: number): string {
    if (!this.dated) return this.pattern
    const t = Number.isFinite(time) ? time : Date.now()
    const hour = Math.floor(t / 3_600_000)
    let name = this.#cache.get(hour)
    if (name === undefined) {
      const d = new Date(hour * 3_600_000)
      name = this.#parts.map((p) => (typeof p === 'string' ? p : p(d))).join('')
      if (this.#cache.size >= 256) this.#cache.clear()
      this.#cache.set(hour, name)
    }
    return name
  }

  /** The wildcard pattern every name matches (`beer-*`), for the index template. */
  wildcard(): string {
    return this.pattern.replace(/%\{\+[^}]*\}/g, '*').replace(/\*+/g, '*')
  }
}

function compile(pattern: string): Part[] {
  const parts: Part[] = []
  const re = /%\{\+([^}]*)\}/g
  let last = 0
  for (let m = re.exec(pattern); m !== null; m = re.exec(pattern)) {
    if (m.index > last) parts.push(pattern.slice(last, m.index))
    for (const run of m[1]!.match(/([A-Za-z])\1*|[^A-Za-z]+/g) ?? []) {
      if (!/^[A-Za-z]/.test(run)) parts.push(run)
      else if (TOKENS[run]) parts.push(TOKENS[run])
      else {
        throw new BeerError(
          'BEER_ERR_SINK_ES_OPTIONS',
          `elasticsearch sink: option index has '${run}' in %{+${m[1]}}; the date format knows yyyy, yy, MM, dd, HH, ww (ISO week) and xxxx (ISO week year)`,
          { option: 'index' },
        )
      }
    }
    last = m.index + m[0].length
  }
  if (last < pattern.length) parts.push(pattern.slice(last))
  return parts
}

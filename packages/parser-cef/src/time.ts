import { zonedTimestamp } from '@beer/parser-sdk'
import { isKnownTimezone, yearOf } from './zone.ts'

// CEF timestamps ("Implementing ArcSight CEF", "Date formats"): milliseconds since the epoch, or
// `MMM dd[ yyyy] HH:mm:ss[.SSS][ zzz]`. Devices also send ISO 8601, which is read too. A time
// without a zone is read in the device's zone (`dtz`) or the parser's `timezone` option.

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 }

/** Zone abbreviations that name one offset only; others (CST, IST…) are ambiguous and not read. */
const ABBREVIATIONS: Record<string, string> = {
  UTC: '+00:00', GMT: '+00:00', Z: '+00:00', WET: '+00:00', WEST: '+01:00', CET: '+01:00', CEST: '+02:00', EET: '+02:00', EEST: '+03:00',
  EST: '-05:00', EDT: '-04:00', MST: '-07:00', MDT: '-06:00', PST: '-08:00', PDT: '-07:00', JST: '+09:00', AEST: '+10:00', AEDT: '+11:00',
}

const SYSLOG_TIME = /^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}:\d{2}:\d{2})(\.\d{1,3})?(?: (\S{1,40}))?$/
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/

/** A zone named in a timestamp: an abbreviation, an offset or an IANA name; undefined when unknown. */
function zoneOf(text: string): string | undefined {
  const upper = text.toUpperCase()
  if (Object.hasOwn(ABBREVIATIONS, upper)) return ABBREVIATIONS[upper]
  if (/^[+-]\d{2}:?\d{2}$/.test(text)) return text
  if (text.includes('/') && isKnownTimezone(text)) return text
  return undefined
}

// Devices send the same times again and again (a second's worth of lines, and `end` = `rt`): what
// a text reads as in a zone is kept, unless it has no year (then it depends on `ref`). A small
// table per zone, all emptied when full (a key cut from a line keeps that line in memory).
const MAX_CACHED = 64
const cache = new Map<string, Map<string, string | undefined>>()
let cached = 0
let refUsed = false

/**
 * A CEF time as ISO 8601 UTC, or undefined when the text is no time this parser can read.
 * `zone` is used when the text carries none; `ref` (epoch ms) gives the year when it has none.
 */
export function cefTime(text: string, zone: string, ref: number): string | undefined {
  if (text.length === 0 || text.length > 64) return undefined
  let byText = cache.get(zone)
  const known = byText?.get(text)
  if (known !== undefined || byText?.has(text) === true) return known
  refUsed = false
  const iso = readTime(text, zone, ref)
  if (refUsed) return iso
  if (cached >= MAX_CACHED) {
    cache.clear()
    cached = 0
    byText = undefined
  }
  if (byText === undefined) cache.set(zone, (byText = new Map()))
  byText.set(text, iso)
  cached++
  return iso
}

function readTime(text: string, zone: string, ref: number): string | undefined {
  const n = text.length
  if (n === 0 || n > 64) return undefined
  const c = text.charCodeAt(0)
  if (c >= 48 && c <= 57) {
    if (/^\d{9,13}$/.test(text)) {
      // Milliseconds, as the dictionary says; ten digits or fewer can only be seconds.
      const ms = n <= 11 ? Number(text) * 1000 : Number(text)
      return iso(ms)
    }
    const m = ISO_TIME.exec(text)
    if (m === null) return undefined
    const fraction = m[3] === undefined ? '' : m[3].slice(0, 4)
    if (m[4] !== undefined) {
      const offset = m[4] === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4]
      return iso(Date.parse(`${m[1]}T${m[2]}${fraction}${offset}`))
    }
    return zonedTimestamp(`${m[1]} ${m[2]}${fraction}`, zone)
  }
  const m = SYSLOG_TIME.exec(text)
  if (m === null) return undefined
  const name = m[1]!.toLowerCase()
  if (!Object.hasOwn(MONTHS, name)) return undefined
  const month = MONTHS[name]!
  const day = Number(m[2])
  let z = zone
  if (m[6] !== undefined) {
    const named = zoneOf(m[6])
    if (named === undefined) return undefined
    z = named
  }
  if (m[3] === undefined) refUsed = true
  const year = m[3] !== undefined ? Number(m[3]) : yearOf(month, day, ref)
  const offset = fixedOffset(z)
  if (!Number.isNaN(offset)) {
    // A fixed offset needs no zone lookup: the wall clock less the offset.
    const clock = m[4]!
    const h = Number(clock.slice(0, 2))
    const min = Number(clock.slice(3, 5))
    const sec = Number(clock.slice(6, 8))
    if (day < 1 || day > 31 || h > 23 || min > 59 || sec > 60) return undefined
    const ms = m[5] === undefined ? 0 : Number(m[5].slice(1).padEnd(3, '0'))
    const at = Date.UTC(year, month - 1, day, h, min, Math.min(sec, 59), ms)
    if (new Date(at).getUTCDate() !== day) return undefined
    return iso(at - offset)
  }
  return zonedTimestamp(`${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day} ${m[4]}${m[5] ?? ''}`, z)
}

/** The offset of a fixed zone ('UTC', '+01:00', '-0530') in ms, or NaN for an IANA zone. */
function fixedOffset(zone: string): number {
  const upper = zone.toUpperCase()
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z' || upper === 'ETC/UTC') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)
  if (m === null) return Number.NaN
  const minutes = Number(m[2]) * 60 + Number(m[3])
  return (m[1] === '-' ? -minutes : minutes) * 60_000
}

function iso(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined
}

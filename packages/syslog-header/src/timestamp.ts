import { DAY_MS, daysFromCivil, daysInMonth, yearMonthOfDays } from './civil-time.ts'
import { type Zone, localToUtc, offsetAt } from './zone.ts'

/**
 * What the last successful `readBsd` / `readIso` found. One shared record instead of a returned
 * object: parsing is synchronous and this keeps the hot path free of allocations.
 */
export const found: {
  /** Index just past the timestamp text. */
  textEnd: number
  /** Four-digit year, or -1 when the text had none (RFC 3164). */
  year: number
  month: number
  day: number
  /** Milliseconds since local midnight. */
  timeOfDay: number
  /** Zone offset in ms (local = UTC + offset), or NaN when the text carried no zone. */
  offset: number
} = { textEnd: 0, year: -1, month: 0, day: 0, timeOfDay: 0, offset: Number.NaN }

function digit(raw: string, i: number): number {
  const c = raw.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : -1
}

function twoDigits(raw: string, i: number): number {
  const a = digit(raw, i)
  const b = digit(raw, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

/** 1..12 for a three-letter English month name in any case at `i`, else 0. */
function monthAt(raw: string, i: number): number {
  const a = raw.charCodeAt(i) | 0x20
  const b = raw.charCodeAt(i + 1) | 0x20
  const c = raw.charCodeAt(i + 2) | 0x20
  switch (a) {
    case 0x6a: // j
      return b === 0x61 ? (c === 0x6e ? 1 : 0) : b === 0x75 ? (c === 0x6e ? 6 : c === 0x6c ? 7 : 0) : 0
    case 0x66: // f
      return b === 0x65 && c === 0x62 ? 2 : 0
    case 0x6d: // m
      return b === 0x61 ? (c === 0x72 ? 3 : c === 0x79 ? 5 : 0) : 0
    case 0x61: // a
      return b === 0x70 ? (c === 0x72 ? 4 : 0) : b === 0x75 && c === 0x67 ? 8 : 0
    case 0x73: // s
      return b === 0x65 && c === 0x70 ? 9 : 0
    case 0x6f: // o
      return b === 0x63 && c === 0x74 ? 10 : 0
    case 0x6e: // n
      return b === 0x6f && c === 0x76 ? 11 : 0
    case 0x64: // d
      return b === 0x65 && c === 0x63 ? 12 : 0
  }
  return 0
}

/** Reads `hh:mm:ss[.fff…]` at i into `found.timeOfDay`; returns the index after it, or -1. */
function readTime(raw: string, i: number): number {
  const h1 = raw.charCodeAt(i) - 48
  const h2 = raw.charCodeAt(i + 1) - 48
  const m1 = raw.charCodeAt(i + 3) - 48
  const m2 = raw.charCodeAt(i + 4) - 48
  const s1 = raw.charCodeAt(i + 6) - 48
  const s2 = raw.charCodeAt(i + 7) - 48
  // Each test is false for NaN (past the end of the string).
  if (!(h1 >= 0 && h1 <= 2 && h2 >= 0 && h2 <= 9 && m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 6 && s2 >= 0 && s2 <= 9)) return -1
  if (raw.charCodeAt(i + 2) !== 58 || raw.charCodeAt(i + 5) !== 58) return -1
  const h = h1 * 10 + h2
  const sec = s1 * 10 + s2
  if (h > 23 || sec > 60) return -1
  i += 8
  let ms = 0
  if (raw.charCodeAt(i) === 46) {
    // Any number of fraction digits; milliseconds are kept, the rest dropped.
    let d = raw.charCodeAt(i + 1) - 48
    if (d >= 0 && d <= 9) {
      let scale = 100
      i++
      do {
        ms += d * scale
        scale = (scale / 10) | 0
        d = raw.charCodeAt(++i) - 48
      } while (d >= 0 && d <= 9)
    }
  }
  found.timeOfDay = h * 3_600_000 + (m1 * 10 + m2) * 60_000 + sec * 1000 + ms
  return i
}

// Zone names devices append to a timestamp ("Oct 11 22:14:15.123 UTC:", "2019-01-01 10:00:00 CET"):
// only unambiguous, widely used abbreviations, in capitals (UTC and GMT in any case). Keyed by the
// letters read as base-32 digits, so that the lookup needs no substring.
const ZONE_NAMES = new Map<number, number>()
for (const [name, minutes] of [
  ['UTC', 0], ['UT', 0], ['GMT', 0], ['Z', 0],
  ['WET', 0], ['WEST', 60], ['CET', 60], ['CEST', 120], ['EET', 120], ['EEST', 180], ['MSK', 180],
  ['EST', -300], ['EDT', -240], ['CST', -360], ['CDT', -300], ['MST', -420], ['MDT', -360],
  ['PST', -480], ['PDT', -420], ['AKST', -540], ['AKDT', -480], ['HST', -600],
  ['JST', 540], ['KST', 540], ['HKT', 480], ['SGT', 480], ['AEST', 600], ['AEDT', 660],
  ['ACST', 570], ['ACDT', 630], ['AWST', 480], ['NZST', 720], ['NZDT', 780],
] as const) {
  let key = 0
  for (let i = 0; i < name.length; i++) key = key * 32 + (name.charCodeAt(i) & 31)
  ZONE_NAMES.set(key, minutes)
}
const KEY_UTC = ((21 * 32 + 20) * 32) + 3
const KEY_GMT = ((7 * 32 + 13) * 32) + 20

function zoneInitial(c: number): boolean {
  return (c >= 65 && c <= 90) || c === 117 || c === 103
}

/** A zone name after the time (` UTC`, then space, ':' or the end); returns the index after it, or -1. */
function readZoneName(raw: string, i: number, end: number): number {
  if (raw.charCodeAt(i) !== 32) return -1
  let j = i + 1
  let key = 0
  let lower = false
  for (; j < end; j++) {
    const c = raw.charCodeAt(j)
    if (c >= 65 && c <= 90) key = key * 32 + (c & 31)
    else if (c >= 97 && c <= 122) {
      key = key * 32 + (c & 31)
      lower = true
    } else break
    if (j - i > 4) return -1
  }
  if (j === i + 1 || (j < end && raw.charCodeAt(j) !== 32 && raw.charCodeAt(j) !== 58)) return -1
  if (lower && key !== KEY_UTC && key !== KEY_GMT) return -1
  const minutes = ZONE_NAMES.get(key)
  if (minutes === undefined) return -1
  found.offset = minutes * 60_000
  return j
}

/**
 * RFC 3164 §4.1.2 TIMESTAMP `Mmm dd hh:mm:ss` at i, with what devices send instead: day not
 * padded, a year before the time (`Oct 10 2018 12:34:56`, Cisco ASA), fractional seconds, a
 * trailing zone name. The caller checks what follows.
 */
export function readBsd(raw: string, i: number, end: number): boolean {
  const month = monthAt(raw, i)
  if (month === 0 || raw.charCodeAt(i + 3) !== 32) return false
  i += 4
  let c = raw.charCodeAt(i)
  if (c === 32) c = raw.charCodeAt(++i)
  let day = c - 48
  if (!(day >= 0 && day <= 9)) return false
  c = raw.charCodeAt(++i)
  if (c >= 48 && c <= 57) {
    day = day * 10 + c - 48
    c = raw.charCodeAt(++i)
  }
  if (c !== 32 || day === 0 || day > 31) return false
  i++
  let year = -1
  if (raw.charCodeAt(i + 4) === 32) {
    const y1 = raw.charCodeAt(i) - 48
    const y2 = raw.charCodeAt(i + 1) - 48
    const y3 = raw.charCodeAt(i + 2) - 48
    const y4 = raw.charCodeAt(i + 3) - 48
    if (y1 >= 0 && y1 <= 9 && y2 >= 0 && y2 <= 9 && y3 >= 0 && y3 <= 9 && y4 >= 0 && y4 <= 9) {
      year = ((y1 * 10 + y2) * 10 + y3) * 10 + y4
      i += 5
    }
  }
  i = readTime(raw, i)
  if (i < 0 || i > end) return false
  found.year = year
  found.month = month
  found.day = day
  found.offset = Number.NaN
  // Only a capital or the 'u'/'g' of utc/gmt can start a zone name; most hostnames cannot.
  const z = raw.charCodeAt(i) === 32 && zoneInitial(raw.charCodeAt(i + 1)) ? readZoneName(raw, i, end) : -1
  found.textEnd = z < 0 ? i : z
  return true
}

/**
 * RFC 3339 / RFC 5424 §6.2.3 `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` at i. Where an RFC 3164
 * timestamp belongs (`lenient`), also `YYYY-MM-DD hh:mm:ss`, no offset, `±hhmm`, `±hh` and
 * a zone name.
 */
export function readIso(raw: string, i: number, end: number, lenient: boolean): boolean {
  const y1 = raw.charCodeAt(i) - 48
  const y2 = raw.charCodeAt(i + 1) - 48
  const y3 = raw.charCodeAt(i + 2) - 48
  const y4 = raw.charCodeAt(i + 3) - 48
  const mo1 = raw.charCodeAt(i + 5) - 48
  const mo2 = raw.charCodeAt(i + 6) - 48
  const d1 = raw.charCodeAt(i + 8) - 48
  const d2 = raw.charCodeAt(i + 9) - 48
  if (
    !(y1 >= 0 && y1 <= 9 && y2 >= 0 && y2 <= 9 && y3 >= 0 && y3 <= 9 && y4 >= 0 && y4 <= 9 &&
      mo1 >= 0 && mo1 <= 1 && mo2 >= 0 && mo2 <= 9 && d1 >= 0 && d1 <= 3 && d2 >= 0 && d2 <= 9)
  ) return false
  if (raw.charCodeAt(i + 4) !== 45 || raw.charCodeAt(i + 7) !== 45) return false
  const month = mo1 * 10 + mo2
  const day = d1 * 10 + d2
  if (month === 0 || month > 12 || day === 0 || day > 31) return false
  const sep = raw.charCodeAt(i + 10)
  if (sep !== 84 && sep !== 116 && !(lenient && sep === 32)) return false
  i = readTime(raw, i + 11)
  if (i < 0 || i > end) return false
  found.year = ((y1 * 10 + y2) * 10 + y3) * 10 + y4
  found.month = month
  found.day = day
  found.offset = Number.NaN
  const c = raw.charCodeAt(i)
  if (c === 90 || c === 122) {
    found.offset = 0
    i++
  } else if (c === 43 || c === 45) {
    const h = twoDigits(raw, i + 1)
    let m = -1
    let next = -1
    if (raw.charCodeAt(i + 3) === 58) {
      m = twoDigits(raw, i + 4)
      next = i + 6
    } else if (lenient) {
      m = twoDigits(raw, i + 3)
      next = i + 5
      if (m < 0) {
        m = 0
        next = i + 3
      }
    }
    if (h >= 0 && h <= 23 && m >= 0 && m <= 59 && next <= end) {
      const minutes = h * 60 + m
      found.offset = (c === 45 ? -minutes : minutes) * 60_000
      i = next
    } else if (!lenient) {
      return false
    }
  } else if (lenient && c === 32 && zoneInitial(raw.charCodeAt(i + 1))) {
    const z = readZoneName(raw, i, end)
    if (z >= 0) i = z
  }
  if (i > end) return false
  found.textEnd = i
  return true
}

// One-entry caches: consecutive messages carry the same date, so the calendar arithmetic runs once
// a day. For a date without a year the answer also depends on the day it was received.
let ymdKey = -1
let ymdDays = 0
let bsdKey = -1
let bsdRxDay = Number.NaN
let bsdDays = 0
// The span of receipt times (UTC ms) that fall on bsdRxDay in the zone last used.
let rxFrom = 0
let rxTo = -1
let rxZone: Zone | null = null

/** Days since 1970 of a date, or NaN when it does not exist (`Feb 30`). */
function daysOf(year: number, month: number, day: number): number {
  return day > daysInMonth(year, month) ? Number.NaN : daysFromCivil(year, month, day)
}

/**
 * RFC 3164 §4.1.2 timestamps carry no year: take the receiver's, unless that puts the date more
 * than 31 days after the day of receipt (a December message read in January: last year), or the
 * date is in January and the next year's is at most a week ahead (a sender's clock running fast
 * at New Year).
 */
function inferDays(month: number, day: number, rxDay: number): number {
  const ym = yearMonthOfDays(rxDay)
  const year = Math.floor(ym / 16)
  const days = daysOf(year, month, day)
  if (days > rxDay + 31) return daysOf(year - 1, month, day)
  if (month === 1 && ym - year * 16 === 12) {
    const next = daysOf(year + 1, month, day)
    if (next - rxDay <= 7) return next
  }
  return days
}

/** Epoch ms of what the last reader found, or -1 for a date that does not exist. */
export function epochOfFound(receivedAt: number, zone: Zone): number {
  let days: number
  if (found.year >= 0) {
    const key = (found.year * 16 + found.month) * 32 + found.day
    if (key !== ymdKey) {
      ymdDays = daysOf(found.year, found.month, found.day)
      ymdKey = key
    }
    days = ymdDays
  } else {
    const key = found.month * 32 + found.day
    if (key !== bsdKey || !(receivedAt >= rxFrom && receivedAt < rxTo && zone === rxZone)) {
      const offset = zone.format === null ? zone.fixed : offsetAt(zone, receivedAt)
      const rxDay = Math.floor((receivedAt + offset) / DAY_MS)
      if (key !== bsdKey || rxDay !== bsdRxDay) bsdDays = inferDays(found.month, found.day, rxDay)
      bsdKey = key
      bsdRxDay = rxDay
      // An IANA zone may change offset within the day: then only this instant is known to match.
      rxFrom = zone.format === null ? rxDay * DAY_MS - offset : receivedAt
      rxTo = zone.format === null ? rxFrom + DAY_MS : receivedAt + 1
      rxZone = zone
    }
    days = bsdDays
  }
  const local = days * DAY_MS + found.timeOfDay
  const offset = found.offset
  const t = offset === offset ? local - offset : zone.format === null ? local - zone.fixed : localToUtc(zone, local)
  return t >= -8.64e15 && t <= 8.64e15 ? t : -1
}


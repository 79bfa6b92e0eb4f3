import { zonedTimestamp } from '@beer/parser-sdk'

const DAY_MS = 86_400_000

/**
 * The year of a date logged without one (Snort's `MM/DD-hh:mm:ss`): the year of `ref` (the
 * header's time, else the receive time), unless that puts the date more than 31 days after
 * `ref` (a December alert read in January: last year) or the date is early January and `ref`
 * late December (a sensor clock slightly ahead: next year). The rule RFC 3164 timestamps follow.
 */
export function yearOf(month: number, day: number, ref: number): number {
  const d = new Date(ref)
  const year = d.getUTCFullYear()
  if (!Number.isFinite(year)) return 1970
  const at = Date.UTC(year, month - 1, day)
  if (at > ref + 31 * DAY_MS) return year - 1
  if (month === 1 && d.getUTCMonth() === 11 && Date.UTC(year + 1, 0, day) - ref <= 7 * DAY_MS) return year + 1
  return year
}

/** What `readFastTime` found; one record reused instead of an object per line. */
export const fastTime = { end: 0, year: -1, month: 0, day: 0, hour: 0, minute: 0, second: 0, millis: 0 }

function digits(text: string, i: number, n: number): number {
  let v = 0
  for (let k = 0; k < n; k++) {
    const d = text.charCodeAt(i + k) - 48
    if (!(d >= 0 && d <= 9)) return -1
    v = v * 10 + d
  }
  return v
}

/**
 * Reads the time that starts an alert_fast or pfSense CSV line at `i`: `MM/DD-hh:mm:ss.ffffff`
 * (Snort), `MM/DD/YY-…` (Snort with `-y`, pfSense), `MM/DD/YYYY-…` (Suricata). Fills `fastTime`
 * and returns true, or returns false when the text is not such a time.
 */
export function readFastTime(text: string, i: number): boolean {
  const month = digits(text, i, 2)
  if (month < 1 || month > 12 || text.charCodeAt(i + 2) !== 47 /* / */) return false
  const day = digits(text, i + 3, 2)
  if (day < 1 || day > 31) return false
  let p = i + 5
  let year = -1
  if (text.charCodeAt(p) === 47) {
    const y4 = digits(text, p + 1, 4)
    if (y4 >= 0 && text.charCodeAt(p + 5) === 45) {
      year = y4
      p += 5
    } else {
      const y2 = digits(text, p + 1, 2)
      if (y2 < 0) return false
      year = 2000 + y2
      p += 3
    }
  }
  if (text.charCodeAt(p) !== 45 /* - */) return false
  const hour = digits(text, p + 1, 2)
  const minute = digits(text, p + 4, 2)
  const second = digits(text, p + 7, 2)
  if (text.charCodeAt(p + 3) !== 58 || text.charCodeAt(p + 6) !== 58 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false
  }
  p += 9
  let millis = 0
  if (text.charCodeAt(p) === 46 /* . */) {
    let k = p + 1
    let scale = 100
    for (; k < text.length; k++) {
      const d = text.charCodeAt(k) - 48
      if (!(d >= 0 && d <= 9)) break
      millis += d * scale
      scale /= 10
    }
    if (k === p + 1) return false
    millis = Math.floor(millis)
    p = k
  }
  fastTime.end = p
  fastTime.year = year
  fastTime.month = month
  fastTime.day = day
  fastTime.hour = hour
  fastTime.minute = minute
  fastTime.second = second
  fastTime.millis = millis
  return true
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n

// The zone's offset changes at most a few times a year: remember it for the last hour seen, so
// that a line costs a Date.UTC rather than a zone lookup.
let cachedZone = ''
let cachedHour = Number.NaN
let cachedOffset = 0

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** The time `readFastTime` found, read in `timezone`, as ISO 8601 UTC; the year from `ref` when the line has none. */
export function fastTimestamp(timezone: string, ref: number): string | undefined {
  const t = fastTime
  const year = t.year >= 0 ? t.year : yearOf(t.month, t.day, ref)
  if (t.day > daysInMonth(year, t.month)) return undefined
  const hour = Date.UTC(year, t.month - 1, t.day, t.hour)
  if (hour !== cachedHour || timezone !== cachedZone) {
    const iso = zonedTimestamp(`${year}-${pad2(t.month)}-${pad2(t.day)} ${pad2(t.hour)}:00:00`, timezone)
    if (iso === undefined) return undefined
    cachedZone = timezone
    cachedHour = hour
    cachedOffset = hour - Date.parse(iso)
  }
  const ms = hour + t.minute * 60_000 + Math.min(t.second, 59) * 1000 + t.millis - cachedOffset
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}

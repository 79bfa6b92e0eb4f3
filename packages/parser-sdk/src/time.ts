import { civilToEpoch, isKnownTimezone } from '@beer/syslog-header'

// Up to nine fraction digits (Windows and Snort write microseconds, some forwarders nanoseconds:
// the first three are kept), then an optional `Z` or `±hh[:mm]` that overrides the configured zone.
const TIME = /^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z)|([+-])(\d{2}):?(\d{2})?)?$/i

/**
 * Reads `YYYY/MM/DD HH:MM:SS` or `YYYY-MM-DD[T ]HH:MM:SS[.fraction]` and returns ISO 8601 in UTC,
 * or undefined when the text is not such a time (or not a date that exists). A time without a zone
 * (device-local time, as PAN-OS and many CSV formats write it) is read in `timezone` ('UTC' when
 * undefined); a time that states its own (`Z`, `+02:00`, `-0500`) is read with it.
 */
export function zonedTimestamp(text: string | undefined, timezone: string | undefined): string | undefined {
  if (text === undefined || text.length > 40) return undefined
  const m = TIME.exec(text)
  if (!m) return undefined
  const year = +m[1]!
  const month = +m[2]!
  const day = +m[3]!
  const hour = +m[4]!
  const minute = +m[5]!
  const second = +m[6]!
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) return undefined
  const ms = m[7] ? +m[7].slice(0, 3).padEnd(3, '0') : 0
  let epoch: number
  if (m[8] !== undefined || m[9] !== undefined) {
    const offsetHours = m[9] === undefined ? 0 : +m[10]!
    const offsetMinutes = m[11] === undefined ? 0 : +m[11]
    if (offsetHours > 23 || offsetMinutes > 59) return undefined
    const sign = m[9] === '-' ? -1 : 1
    epoch = Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * (offsetHours * 60 + offsetMinutes) * 60_000
  } else {
    epoch = civilToEpoch(timezone, year, month, day, hour, minute, second, ms)
  }
  return Number.isFinite(epoch) ? new Date(epoch).toISOString() : undefined
}

/**
 * Whether a parser's `timezone` option names a zone `zonedTimestamp` can read: 'UTC', 'local', an
 * offset like '+02:00', or an IANA name this runtime knows. Parsers check it when they are built,
 * so a typo is an error at start-up rather than timestamps silently read in UTC.
 */
export function isTimezone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone.trim() !== '' && isKnownTimezone(zone)
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

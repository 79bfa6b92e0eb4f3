import { civilToEpoch } from '@beer/syslog-header'

/**
 * Reads `YYYY/MM/DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS[.fff]` (device-local time without a zone,
 * as PAN-OS and many CSV formats write it) in `timezone`, and returns ISO 8601 in UTC, or
 * undefined when the text is not such a time.
 */
export function zonedTimestamp(text: string | undefined, timezone: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const m = /^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(text)
  if (!m) return undefined
  const year = +m[1]!
  const month = +m[2]!
  if (+m[3]! > daysInMonth(year, month)) return undefined
  const ms = civilToEpoch(timezone, year, month, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? +m[7].padEnd(3, '0') : 0)
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// Calendar arithmetic on plain numbers. Written by hand because `Date.UTC` and
// `Date#toISOString` allocate or cross into the runtime on every call, and this runs once or
// twice per received message.

export const DAY_MS = 86_400_000

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const mp = month > 2 ? month - 3 : month + 9
  const doy = (((153 * mp + 2) / 5) | 0) + day - 1
  const doe = yoe * 365 + ((yoe / 4) | 0) - ((yoe / 100) | 0) + doy
  return era * 146097 + doe - 719468
}

export function isLeapYear(year: number): boolean {
  return (year & 3) === 0 && (year % 100 !== 0 || year % 400 === 0)
}

const MONTH_DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month]!
}

/**
 * Year and month of a day number (H. Hinnant's `civil_from_days`), packed as year * 16 + month
 * so that the caller gets both without an allocation.
 */
export function yearMonthOfDays(days: number): number {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = ((doe - ((doe / 1460) | 0) + ((doe / 36524) | 0) - ((doe / 146096) | 0)) / 365) | 0
  const doy = doe - (365 * yoe + ((yoe / 4) | 0) - ((yoe / 100) | 0))
  const mp = ((5 * doy + 2) / 153) | 0
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return year * 16 + month
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i)
const PAD3: readonly string[] = Array.from({ length: 1000 }, (_, i) => (i < 10 ? '00' : i < 100 ? '0' : '') + i)

// Consecutive messages almost always fall on the same UTC day: keep that day's "YYYY-MM-DDT".
let cachedDay = Number.NaN
let cachedPrefix = ''

/**
 * `new Date(ms).toISOString()` without the Date: `YYYY-MM-DDTHH:MM:SS.mmmZ`. Returns '' for a
 * value no Date can hold, so that callers never throw.
 */
export function isoString(ms: number): string {
  if (!(ms >= -8.64e15 && ms <= 8.64e15)) return ''
  const t = Math.floor(ms)
  const day = Math.floor(t / DAY_MS)
  if (day !== cachedDay) {
    const ym = yearMonthOfDays(day)
    const year = Math.floor(ym / 16)
    // Years outside 0000..9999 need the expanded ±YYYYYY form.
    if (year < 0 || year > 9999) return new Date(t).toISOString()
    const month = ym - year * 16
    const dom = day - daysFromCivil(year, month, 1) + 1
    cachedPrefix = PAD2[(year / 100) | 0]! + PAD2[year % 100]! + '-' + PAD2[month]! + '-' + PAD2[dom]! + 'T'
    cachedDay = day
  }
  let rest = t - day * DAY_MS
  const h = (rest / 3_600_000) | 0
  rest -= h * 3_600_000
  const m = (rest / 60_000) | 0
  rest -= m * 60_000
  const s = (rest / 1000) | 0
  return cachedPrefix + PAD2[h]! + ':' + PAD2[m]! + ':' + PAD2[s]! + '.' + PAD3[rest - s * 1000]! + 'Z'
}

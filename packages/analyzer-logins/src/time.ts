// Durations, and the hour of day and day of week of an instant in a time zone, with web-standard
// Intl only (no clock reads: every time here is an event's).

export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY }

/**
 * Milliseconds of a duration given as a number of milliseconds or as text such as `'90s'`,
 * `'15m'`, `'12h'`, `'14d'`, `'2w'`. Undefined when it is neither.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(value)
  if (!m) return undefined
  return Number(m[1]) * UNITS[m[2]!]!
}

/** Where an instant falls in a zone's civil time. */
export interface LocalTime {
  /** 0–23 */
  hour: number
  minute: number
  /** 0 = Sunday … 6 = Saturday */
  day: number
}

/** Reads instants in one time zone: `'UTC'`, a fixed offset (`'+02:00'`) or an IANA name. */
export interface ZoneClock {
  readonly zone: string
  /** Milliseconds to add to an instant to get the zone's civil time as if it were UTC. */
  offset(ms: number): number
  local(ms: number): LocalTime
}

/** Undefined when the zone is unknown to this runtime's Intl. */
export function zoneClock(zone: string): ZoneClock | undefined {
  const fixed = fixedOffset(zone)
  if (fixed !== undefined) return makeClock(zone, () => fixed)
  let format: Intl.DateTimeFormat
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
  } catch {
    return undefined
  }
  // Zones change their offset on whole quarter hours at most; asking Intl costs microseconds, so
  // the offset is kept per quarter hour (a bounded table: events cluster in time).
  const cache = new Map<number, number>()
  return makeClock(zone, (ms) => {
    const q = Math.floor(ms / (15 * MINUTE))
    let off = cache.get(q)
    if (off === undefined) {
      off = intlOffset(format, q * 15 * MINUTE)
      if (cache.size >= 4096) cache.clear()
      cache.set(q, off)
    }
    return off
  })
}

function makeClock(zone: string, offset: (ms: number) => number): ZoneClock {
  return {
    zone,
    offset,
    local(ms) {
      const t = ms + offset(ms)
      const minutes = Math.floor(t / MINUTE)
      const days = Math.floor(t / DAY)
      return {
        hour: Math.floor(minutes / 60) - days * 24,
        minute: ((minutes % 60) + 60) % 60,
        // 1970-01-01 was a Thursday.
        day: (((days + 4) % 7) + 7) % 7,
      }
    },
  }
}

function fixedOffset(zone: string): number | undefined {
  if (zone === 'UTC' || zone === 'Z' || zone === 'Etc/UTC' || zone === 'GMT') return 0
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)
  if (!m) return undefined
  const v = (Number(m[2]) * 60 + Number(m[3])) * MINUTE
  if (Number(m[2]) > 14 || Number(m[3]) > 59) return undefined
  return m[1] === '-' ? -v : v
}

function intlOffset(format: Intl.DateTimeFormat, ms: number): number {
  const p: Record<string, number> = {}
  for (const part of format.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value)
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!)
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000))
}

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

export function dayName(day: number): string {
  return DAY_NAMES[day] ?? String(day)
}

export function hhmm(hour: number, minute = 0): string {
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`
}

/**
 * Hours (a set of 0–23) as ranges of clock time: [9, 10, 11, 17] → '09:00–12:00, 17:00–18:00'.
 * A range that runs over midnight is one range ('22:00–06:00'). Gaps of up to `bridge` hours
 * between hours in the set are read as part of it: someone in at 9, 12 and 16 works 09:00–17:00.
 */
export function hourRanges(set: readonly boolean[], bridge = 0): string {
  const hours = set.slice(0, 24)
  if (bridge > 0 && hours.some(Boolean) && !hours.every(Boolean)) {
    const filled = hours.slice()
    for (let h = 0; h < 24; h++) {
      if (hours[h] || !hours[(h + 23) % 24]) continue
      // h starts a gap: fill it when the next hour in the set is at most `bridge` away.
      let len = 1
      while (len <= bridge && !hours[(h + len) % 24]) len++
      if (len <= bridge) for (let k = 0; k < len; k++) filled[(h + k) % 24] = true
    }
    hours.splice(0, 24, ...filled)
  }
  const on = (h: number): boolean => hours[((h % 24) + 24) % 24] === true
  if (!hours.some(Boolean)) return 'none'
  if (hours.length >= 24 && hours.slice(0, 24).every(Boolean)) return 'any hour'
  // Start at an hour that is off, so a range over midnight is read whole.
  let start = 0
  while (on(start)) start++
  const out: string[] = []
  for (let h = start + 1; h <= start + 24; h++) {
    if (!on(h) || on(h - 1)) continue
    let end = h
    while (on(end + 1)) end++
    out.push(`${hhmm(h % 24)}–${hhmm((end + 1) % 24)}`)
    h = end
  }
  return out.join(', ')
}

const SHORT_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** Days (a set of 0–6, Sunday first) as ranges from Monday: 'Mon–Fri', 'Mon–Wed, Sat'. */
export function dayRanges(days: readonly boolean[]): string {
  if (!days.some(Boolean)) return 'none'
  if (days.every(Boolean)) return 'every day'
  const order = [1, 2, 3, 4, 5, 6, 0]
  const out: string[] = []
  for (let i = 0; i < 7; i++) {
    if (!days[order[i]!]) continue
    let j = i
    while (j + 1 < 7 && days[order[j + 1]!]) j++
    out.push(j === i ? SHORT_DAYS[order[i]!]! : `${SHORT_DAYS[order[i]!]}–${SHORT_DAYS[order[j]!]}`)
    i = j
  }
  return out.join(', ')
}

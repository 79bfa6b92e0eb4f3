import { DAY_MS, daysFromCivil } from './civil-time.ts'

/**
 * The zone that timestamps without one (RFC 3164 §4.1.2) are read in. A fixed offset is applied
 * directly; an IANA zone asks Intl once per quarter hour of time seen and remembers the answer,
 * so the per-message cost is a comparison, not an Intl call.
 */
export interface Zone {
  /** Offset in ms (local = UTC + offset) when the zone is fixed; NaN for an IANA zone. */
  readonly fixed: number
  readonly format: Intl.DateTimeFormat | null
  readonly cache: Map<number, number>
  lastBucket: number
  lastOffset: number
}

// Every real offset change happens on a quarter hour of UTC.
const BUCKET_MS = 900_000
const CACHE_LIMIT = 4096

export const UTC_ZONE: Zone = fixedZone(0)

function fixedZone(offsetMs: number): Zone {
  return { fixed: offsetMs, format: null, cache: new Map(), lastBucket: Number.NaN, lastOffset: 0 }
}

const zones = new Map<string, Zone>()
let lastName: string | undefined
let lastZone: Zone = UTC_ZONE

/**
 * The zone for a `HeaderOptions.timezone` value: 'UTC' (default), 'local', a fixed offset
 * ('+02:00', '-0530', 'Z') or an IANA name. A name Intl does not know reads as UTC.
 */
export function zoneFor(name: string | undefined): Zone {
  if (name === lastName) return lastZone
  let zone = name === undefined ? UTC_ZONE : zones.get(name)
  if (zone === undefined) {
    zone = resolveZone(name!)
    zones.set(name!, zone)
  }
  lastName = name
  lastZone = zone
  return zone
}

function resolveZone(name: string): Zone {
  const upper = name.trim().toUpperCase()
  if (upper === '' || upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC') return UTC_ZONE
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(upper)
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)
    return minutes > 24 * 60 ? UTC_ZONE : fixedZone((fixed[1] === '-' ? -minutes : minutes) * 60_000)
  }
  let iana = name.trim()
  try {
    if (upper === 'LOCAL') {
      iana = new Intl.DateTimeFormat().resolvedOptions().timeZone
      // Containers mostly run in UTC: keep the fixed-offset fast path for them.
      if (iana === 'UTC' || iana === 'Etc/UTC' || iana === 'Etc/GMT') return UTC_ZONE
    }
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: iana,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    return { fixed: Number.NaN, format, cache: new Map(), lastBucket: Number.NaN, lastOffset: 0 }
  } catch {
    return UTC_ZONE
  }
}

/** The zone's offset (ms, local = UTC + offset) at an instant. */
export function offsetAt(zone: Zone, utc: number): number {
  if (zone.format === null) return zone.fixed
  const bucket = Math.floor(utc / BUCKET_MS)
  if (bucket === zone.lastBucket) return zone.lastOffset
  let offset = zone.cache.get(bucket)
  if (offset === undefined) {
    offset = intlOffset(zone.format, bucket * BUCKET_MS)
    if (zone.cache.size >= CACHE_LIMIT) zone.cache.clear()
    zone.cache.set(bucket, offset)
  }
  zone.lastBucket = bucket
  zone.lastOffset = offset
  return offset
}

function intlOffset(format: Intl.DateTimeFormat, utc: number): number {
  let year = 1970
  let month = 1
  let day = 1
  let hour = 0
  let minute = 0
  let second = 0
  try {
    for (const part of format.formatToParts(utc)) {
      switch (part.type) {
        case 'year': year = Number(part.value); break
        case 'month': month = Number(part.value); break
        case 'day': day = Number(part.value); break
        case 'hour': hour = Number(part.value) % 24; break
        case 'minute': minute = Number(part.value); break
        case 'second': second = Number(part.value); break
      }
    }
  } catch {
    return 0
  }
  const local = daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000
  const offset = local - utc
  return Number.isFinite(offset) ? offset : 0
}

/**
 * The instant of a wall-clock time in the zone (`local` is that wall clock read as if it were
 * UTC). In a DST gap or overlap this picks the offset in force just before the change.
 */
export function localToUtc(zone: Zone, local: number): number {
  if (zone.format === null) return local - zone.fixed
  // The offsets in force 14 hours either side cover any change near this wall-clock time.
  const before = offsetAt(zone, local - 50_400_000)
  const after = offsetAt(zone, local + 50_400_000)
  const a = local - before
  if (before === after) return a
  const b = local - after
  const aFits = offsetAt(zone, a) === before
  const bFits = offsetAt(zone, b) === after
  // Both fit in an overlap (the hour repeated when clocks go back): the earlier instant, which
  // is the one under the offset before the change. Neither fits in a gap (the hour skipped when
  // clocks go forward): read it with the offset before the change too.
  if (aFits && bFits) return Math.min(a, b)
  if (bFits && !aFits) return b
  return a
}

/**
 * Whether `zoneFor` understands `name` rather than falling back to UTC, so that a configuration
 * can be refused at start-up instead of timestamps silently shifting.
 */
export function isKnownTimezone(name: string): boolean {
  const upper = name.trim().toUpperCase()
  if (['', 'UTC', 'Z', 'GMT', 'ETC/UTC', 'LOCAL'].includes(upper)) return true
  const fixed = /^([+-])(\d{2}):?(\d{2})?$/.exec(upper)
  if (fixed) return Number(fixed[2]) * 60 + Number(fixed[3] ?? 0) <= 24 * 60 && Number(fixed[3] ?? 0) < 60
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name.trim() })
    return true
  } catch {
    return false
  }
}

/**
 * The instant of a wall-clock date and time read in `timezone` (UTC, 'local', '+02:00' or an IANA
 * name), as epoch milliseconds; NaN when a field is out of range. For parsers whose messages carry
 * a device-local time without a zone (PAN-OS, many CSV formats).
 */
export function civilToEpoch(
  timezone: string | undefined,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millisecond = 0,
): number {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return Number.NaN
  const local = daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + millisecond
  return localToUtc(zoneFor(timezone), local)
}

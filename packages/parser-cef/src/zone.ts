import { isTimezone } from '@beer/parser-sdk'

/**
 * The SDK's `isTimezone`, remembered per name: lines name their zone (`dtz`) one by one.
 */
export function isKnownTimezone(name: string): boolean {
  // Lines name their zone (`dtz`) one by one, and asking Intl costs microseconds: remember.
  let known = zones.get(name)
  if (known === undefined) {
    if (zones.size >= 256) zones.clear()
    known = isTimezone(name)
    zones.set(name, known)
  }
  return known
}

const zones = new Map<string, boolean>()

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

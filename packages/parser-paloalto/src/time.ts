import { civilToEpoch } from '@beer/syslog-header'
import type { Fields } from './record.ts'

// Three to five times per line (receive, generated, start, end, high-resolution time), so read
// and written by hand with small caches: lines of one second share their date, and mostly their
// receive and generated times.

const DAY = 86_400_000

/** The offset (ms) of 'UTC', 'Z' and '+02:00'-style zones; NaN for 'local' and IANA names. */
function fixedOffset(zone: string): number {
  const upper = zone.trim().toUpperCase()
  if (upper === '' || upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC') return 0
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(upper)
  if (m === null) return Number.NaN
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0)
  return (m[1] === '-' ? -minutes : minutes) * 60_000
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= DAYS[month - 1]! + (leap ? 1 : 0)
}

/** Two decimal digits at i, or -1. */
function d2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/
const SHORT = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/

const DIGITS: string[] = []
for (let i = 0; i < 100; i++) DIGITS.push(i < 10 ? '0' + i : String(i))

/**
 * PAN-OS times, read once and remembered. One instance per parser (each has its own zone).
 */
export class TimeReader {
  readonly zone: string
  private readonly fixed: number
  // Two most recent texts, their instants and (once asked for) their ISO strings.
  private t1 = ''
  private m1 = Number.NaN
  private i1 = ''
  private t2 = ''
  private m2 = Number.NaN
  private i2 = ''
  private lastMs = Number.NaN
  private lastIso = ''
  // The last civil date read (y·10000 + m·100 + d) and its days since the epoch.
  private dateKey = -1
  private dateDays = 0
  // The last UTC day written and its `YYYY-MM-DDT` text.
  private isoDay = Number.NaN
  private isoPrefix = ''
  private readonly found = { wall: 0, utc: 0 }
  // `YYYY/MM/DD HH:MM:SS` read from a record's characters, as YYYYMMDDHHMMSS: three most recent.
  private k1 = -1
  private k2 = -1
  private k3 = -1
  private km1 = Number.NaN
  private km2 = Number.NaN
  private km3 = Number.NaN
  private ki1 = ''
  private ki2 = ''
  private ki3 = ''

  constructor(zone: string) {
    this.zone = zone
    this.fixed = fixedOffset(zone)
  }

  /**
   * Epoch milliseconds of a PAN-OS time, NaN when `text` is not one. Zone-less times
   * (`2024/03/05 10:15:30`, the syslog default; `2024-03-05T10:15:30`) are read in the configured
   * zone; ISO 8601 times with `Z` or an offset (Strata Logging Service, the high-resolution
   * timestamp) carry their own.
   */
  epoch(text: string): number {
    if (text === this.t1) return this.m1
    if (text === this.t2) return this.m2
    const ms = this.read(text, false)
    this.t2 = this.t1
    this.m2 = this.m1
    this.i2 = this.i1
    this.t1 = text
    this.m1 = ms
    this.i1 = ''
    return ms
  }

  /** ISO 8601 in UTC of a PAN-OS time, undefined when `text` is not one. */
  iso(text: string): string | undefined {
    const ms = this.epoch(text)
    if (ms !== ms) return undefined
    if (text === this.t1) return this.i1 === '' ? (this.i1 = this.isoOf(ms)) : this.i1
    return this.i2 === '' ? (this.i2 = this.isoOf(ms)) : this.i2
  }

  /** The slot of a `YYYY/MM/DD HH:MM:SS` field of a record, read without cutting a string; 0 when it has another shape. */
  private slot(f: Fields, i: number): number {
    const key = this.keyOf(f, i)
    if (key === -1) return 0
    if (key === this.k1) return 1
    if (key === this.k2) return 2
    if (key === this.k3) return 3
    return this.store(key)
  }

  /** Reads a key into the first slot, the others moving down. */
  private store(key: number): number {
    const date = Math.floor(key / 1_000_000)
    const clock = key - date * 1_000_000
    const ms = this.civil(false, Math.floor(date / 10000), Math.floor(date / 100) % 100, date % 100, Math.floor(clock / 10000), Math.floor(clock / 100) % 100, clock % 100, 0)
    this.k3 = this.k2
    this.km3 = this.km2
    this.ki3 = this.ki2
    this.k2 = this.k1
    this.km2 = this.km1
    this.ki2 = this.ki1
    this.k1 = key
    this.km1 = ms
    this.ki1 = ''
    return 1
  }

  /** YYYYMMDDHHMMSS of a `YYYY/MM/DD HH:MM:SS` field, read from the characters; -1 for another shape. */
  private keyOf(f: Fields, i: number): number {
    const s = f.plainStart(i)
    if (s === -1 || f.endOf(i) - s !== 19) return -1
    const t = f.text
    if (t.charCodeAt(s + 4) !== 47 || t.charCodeAt(s + 7) !== 47 || t.charCodeAt(s + 10) !== 32 || t.charCodeAt(s + 13) !== 58 || t.charCodeAt(s + 16) !== 58) return -1
    const y1 = d2(t, s)
    const y2 = d2(t, s + 2)
    const month = d2(t, s + 5)
    const day = d2(t, s + 8)
    const hour = d2(t, s + 11)
    const minute = d2(t, s + 14)
    const second = d2(t, s + 17)
    if (y1 < 0 || y2 < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return -1
    return ((((y1 * 100 + y2) * 100 + month) * 100 + day) * 100 + hour) * 10000 + minute * 100 + second
  }

  /** ISO 8601 in UTC of field i of a record; undefined when it is empty or no time. */
  isoAt(f: Fields, i: number): string | undefined {
    const slot = this.slot(f, i)
    if (slot === 1) {
      this.lastKey = this.k1
      this.lastEpoch = this.km1
      return this.km1 !== this.km1 ? undefined : this.ki1 === '' ? (this.ki1 = this.isoOf(this.km1)) : this.ki1
    }
    if (slot === 2) {
      this.lastKey = this.k2
      this.lastEpoch = this.km2
      return this.km2 !== this.km2 ? undefined : this.ki2 === '' ? (this.ki2 = this.isoOf(this.km2)) : this.ki2
    }
    if (slot === 3) {
      this.lastKey = this.k3
      this.lastEpoch = this.km3
      return this.km3 !== this.km3 ? undefined : this.ki3 === '' ? (this.ki3 = this.isoOf(this.km3)) : this.ki3
    }
    const v = f.str(i)
    this.lastKey = -1
    this.lastEpoch = v === undefined ? Number.NaN : this.epoch(v)
    return v === undefined ? undefined : this.iso(v)
  }

  /** Epoch milliseconds of the time `isoAt` read last (NaN when it was none). */
  lastEpoch: number = Number.NaN
  /** YYYYMMDDHHMMSS of the time `isoAt` read last when it was `YYYY/MM/DD HH:MM:SS`, else -1. */
  lastKey: number = -1

  /** ISO 8601 in UTC of epoch milliseconds. */
  isoMs(ms: number): string {
    if (ms !== this.lastMs) {
      this.lastMs = ms
      this.lastIso = this.isoOf(ms)
    }
    return this.lastIso
  }

  /**
   * A time with an offset (the High Resolution Timestamp, `2024-03-05T10:15:30.123+01:00`, or ISO
   * with `Z`) at field i: its wall-clock time and its instant, in a record shared until the next
   * call; null when the field is empty or no such time.
   */
  offsetAt(f: Fields, i: number): { wall: number; utc: number } | null {
    const s = f.plainStart(i)
    if (s !== -1) return this.offsetTime(f.text, s, f.endOf(i) - s)
    const v = f.str(i)
    return v === undefined ? null : this.offsetTime(v, 0, v.length)
  }

  /**
   * Whether the High Resolution Timestamp (PAN-OS 9.1 and later: the generated time again, with
   * milliseconds and the clock's offset) dates the same moment as the zone-less Generated Time at
   * `generatedKey` (`lastKey` after reading it): same wall-clock time within a minute (an offset
   * error is 15 minutes at least).
   * Then its instant is the exact one, whatever zone was configured.
   */
  sameWallClock(generatedKey: number, highResWall: number): boolean {
    if (generatedKey === -1) return false
    const date = Math.floor(generatedKey / 1_000_000)
    const clock = generatedKey - date * 1_000_000
    const wall = this.civil(true, Math.floor(date / 10000), Math.floor(date / 100) % 100, date % 100, Math.floor(clock / 10000), Math.floor(clock / 100) % 100, clock % 100, 0)
    return wall === wall && Math.abs(highResWall - wall) <= 60_000
  }

  /** Days since the epoch of a civil date, remembered for the next line of the same day. */
  private days(year: number, month: number, day: number): number {
    const key = year * 10000 + month * 100 + day
    if (key !== this.dateKey) {
      this.dateKey = key
      this.dateDays = Date.UTC(year, month - 1, day) / DAY
    }
    return this.dateDays
  }

  /** A wall-clock time in the configured zone (or as if it were UTC, for `wall`). */
  private civil(wall: boolean, year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number {
    if (!validDate(year, month, day) || hour > 23 || minute > 59 || second > 60) return Number.NaN
    if (wall || this.fixed === this.fixed) {
      const local = this.days(year, month, day) * DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
      return wall ? local : local - this.fixed
    }
    return civilToEpoch(this.zone, year, month, day, hour, minute, second, ms)
  }

  private read(text: string, wall: boolean): number {
    // PAN-OS syslog default (all log types): `YYYY/MM/DD HH:MM:SS`, the firewall's local time.
    if (text.length === 19 && text.charCodeAt(4) === 47 && text.charCodeAt(7) === 47 && text.charCodeAt(10) === 32) {
      const y1 = d2(text, 0)
      const y2 = d2(text, 2)
      const hour = d2(text, 11)
      const minute = d2(text, 14)
      const second = d2(text, 17)
      if (y1 < 0 || y2 < 0 || hour < 0 || minute < 0 || second < 0 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return Number.NaN
      return this.civil(wall, y1 * 100 + y2, d2(text, 5), d2(text, 8), hour, minute, second, 0)
    }
    // The High Resolution Timestamp: `YYYY-MM-DDTHH:MM:SS.mmm±hh:mm`.
    if (text.length === 29 && text.charCodeAt(19) === 46) {
      const hr = this.offsetTime(text, 0, 29)
      if (hr !== null) return wall ? Number.NaN : hr.utc
    }
    let m = ISO.exec(text)
    if (m !== null) {
      const ms = m[7] === undefined ? 0 : +m[7].slice(0, 3).padEnd(3, '0')
      const offset = m[8]
      if (offset === undefined) return this.civil(wall, +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms)
      if (wall) return Number.NaN
      const utc = this.civil(true, +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms)
      if (offset === 'Z') return utc
      const sign = offset.charCodeAt(0) === 45 ? -1 : 1
      const hh = +offset.slice(1, 3)
      const mm = +offset.slice(offset.length - 2)
      if (hh > 23 || mm > 59) return Number.NaN
      return utc - sign * (hh * 60 + mm) * 60_000
    }
    // `M/D/YY H:MM`, seen from PAN-OS exports re-sent by spreadsheets and some forwarders.
    m = SHORT.exec(text)
    if (m !== null) {
      let year = +m[3]!
      if (m[3]!.length === 2) year += 2000
      return this.civil(wall, year, +m[1]!, +m[2]!, +m[4]!, +m[5]!, m[6] === undefined ? 0 : +m[6], 0)
    }
    return Number.NaN
  }

  /**
   * Wall clock and instant of an ISO 8601 time with an offset (`2024-03-05T10:15:30.123+01:00`)
   * at `s` in `text`, `len` characters long; null when it is not one.
   */
  private offsetTime(text: string, s: number, len: number): { wall: number; utc: number } | null {
    let year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number
    let sign: number, oh: number, om: number
    // PAN-OS writes exactly this shape: read it by hand.
    if (len === 29 && text.charCodeAt(s + 10) === 84 && text.charCodeAt(s + 19) === 46 && text.charCodeAt(s + 26) === 58) {
      const c = text.charCodeAt(s + 23)
      if (c !== 43 && c !== 45) return null
      year = d2(text, s) * 100 + d2(text, s + 2)
      month = d2(text, s + 5)
      day = d2(text, s + 8)
      hour = d2(text, s + 11)
      minute = d2(text, s + 14)
      second = d2(text, s + 17)
      const m1 = d2(text, s + 20)
      const m2 = text.charCodeAt(s + 22) - 48
      ms = m1 * 10 + m2
      oh = d2(text, s + 24)
      om = d2(text, s + 27)
      sign = c === 45 ? -1 : 1
      if (year < 0 || hour < 0 || minute < 0 || second < 0 || m1 < 0 || m2 < 0 || m2 > 9 || oh < 0 || om < 0) return null
    } else {
      const m = ISO.exec(s === 0 && len === text.length ? text : text.slice(s, s + len))
      if (m === null || m[8] === undefined) return null
      year = +m[1]!
      month = +m[2]!
      day = +m[3]!
      hour = +m[4]!
      minute = +m[5]!
      second = +m[6]!
      ms = m[7] === undefined ? 0 : +m[7].slice(0, 3).padEnd(3, '0')
      const offset = m[8]
      sign = offset.charCodeAt(0) === 45 ? -1 : 1
      oh = offset === 'Z' ? 0 : +offset.slice(1, 3)
      om = offset === 'Z' ? 0 : +offset.slice(offset.length - 2)
    }
    if (oh > 23 || om > 59) return null
    const wall = this.civil(true, year, month, day, hour, minute, second, ms)
    if (wall !== wall) return null
    this.found.wall = wall
    this.found.utc = wall - sign * (oh * 60 + om) * 60_000
    return this.found
  }

  /**
   * `Date.prototype.toISOString`, written out by hand with the date part remembered: about three
   * times faster on the hot path.
   */
  private isoOf(ms: number): string {
    const days = Math.floor(ms / DAY)
    if (days !== this.isoDay) {
      if (!(ms >= -62167219200000 && ms < 253402300800000)) return new Date(ms).toISOString()
      this.isoDay = days
      this.isoPrefix = new Date(days * DAY).toISOString().slice(0, 11)
    }
    let rem = ms - days * DAY
    const hour = Math.floor(rem / 3_600_000)
    rem -= hour * 3_600_000
    const minute = Math.floor(rem / 60_000)
    rem -= minute * 60_000
    const second = Math.floor(rem / 1000)
    const milli = rem - second * 1000
    return (
      this.isoPrefix + DIGITS[hour]! + ':' + DIGITS[minute]! + ':' + DIGITS[second]! + '.' +
      (milli < 100 ? (milli < 10 ? '00' : '0') : '') + milli + 'Z'
    )
  }
}

/** ISO 8601 of epoch milliseconds, undefined when they are no time (the few cases off the hot path). */
export function isoOf(ms: number): string | undefined {
  return ms >= -62167219200000 && ms < 253402300800000 ? new Date(ms).toISOString() : undefined
}

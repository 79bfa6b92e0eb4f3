import { zonedTimestamp } from '@beer/parser-sdk'

const MONTHS: Readonly<Record<string, string>> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06',
  Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
}

/** Whether a zone name is UTC itself, so that local times need no zone arithmetic. */
export function isUtc(timezone: string): boolean {
  const upper = timezone.trim().toUpperCase()
  return upper === 'UTC' || upper === 'Z' || upper === 'GMT' || upper === 'ETC/UTC' || upper === '+00:00' || upper === '+0000' || upper === '-00:00'
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/**
 * `YYYY-MM-DD hh:mm:ss[.fff]` read in `timezone`, as ISO 8601 in UTC. In UTC the text is already
 * the answer once checked, which saves the zone arithmetic on the hot path.
 */
function civil(y: string, mo: string, d: string, time: string, frac: string, timezone: string): string | undefined {
  if (!isUtc(timezone)) return zonedTimestamp(`${y}-${mo}-${d} ${time}${frac}`, timezone)
  const year = +y
  const month = +mo
  const day = +d
  const hh = +time.slice(0, 2)
  const mm = +time.slice(3, 5)
  const ss = +time.slice(6, 8)
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hh <= 23 && mm <= 59 && ss <= 59)) return undefined
  return `${y}-${mo}-${d}T${time}${frac === '' ? '.000' : frac.padEnd(4, '0')}Z`
}

// Lines arrive roughly in time order, from a few hosts: most times were read a moment ago. The
// text read in a zone always gives the same answer, so answers are kept by text: a small table,
// emptied when full, for the zone last asked for. Only texts as short as a time are kept (a key
// cut from a line keeps that line in memory).
const MAX_CACHED = 64
const MAX_KEY = 40

class TimeCache {
  zone = ''
  readonly answers = new Map<string, string | undefined>()
  // The last text asked for and its answer: consecutive lines most often share their second, and
  // comparing two short strings costs less than hashing one for the table.
  lastText = ''
  lastAnswer: string | undefined = undefined
  get(text: string, timezone: string, read: (text: string, timezone: string) => string | undefined): string | undefined {
    if (text.length > MAX_KEY) return read(text, timezone)
    if (timezone !== this.zone) {
      this.zone = timezone
      this.answers.clear()
      this.lastText = ''
    }
    if (text === this.lastText) return this.lastAnswer
    let iso = this.answers.get(text)
    if (iso === undefined && !this.answers.has(text)) {
      if (this.answers.size >= MAX_CACHED) this.answers.clear()
      iso = read(text, timezone)
      this.answers.set(text, iso)
    }
    this.lastText = text
    this.lastAnswer = iso
    return iso
  }
}

const snareTimes = new TimeCache()
const eventTimes = new TimeCache()

/** Snare's DateTime token, ctime layout (`Fri Sep 17 16:37:25 2021`), read in the Windows host's zone. */
export function snareTime(text: string, timezone: string): string | undefined {
  return snareTimes.get(text, timezone, readSnareTime)
}

function readSnareTime(text: string, timezone: string): string | undefined {
  const m = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2}) (\d{4})$/.exec(text)
  if (m === null) return undefined
  const month = MONTHS[m[1]!]
  if (month === undefined) return undefined
  return civil(m[4]!, month, m[2]!.padStart(2, '0'), m[3]!, '', timezone)
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * An event time as JSON forwarders write it: NXLog's `2023-08-22 14:40:12` (the host's local
 * time, read in `timezone`), or ISO 8601 with a zone and up to 9 fraction digits (EVTX SystemTime
 * has 7, which not every runtime's Date.parse reads). ISO 8601 in UTC, or undefined.
 */
export function eventTime(text: string | undefined, timezone: string): string | undefined {
  return text === undefined ? undefined : eventTimes.get(text, timezone, readEventTime)
}

function readEventTime(text: string, timezone: string): string | undefined {
  const m = ISO.exec(text)
  if (m === null) return undefined
  const frac = m[7] === undefined ? '' : '.' + m[7].slice(0, 3)
  const time = `${m[4]}:${m[5]}:${m[6]}`
  if (m[8] === undefined) return civil(m[1]!, m[2]!, m[3]!, time, frac, timezone)
  const base = civil(m[1]!, m[2]!, m[3]!, time, frac, 'UTC')
  if (base === undefined) return undefined
  if (m[8] === 'Z') return base
  const z = m[8].replace(':', '')
  if (Number(z.slice(3, 5)) > 59) return undefined
  const offset = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * (z[0] === '-' ? -1 : 1)
  return new Date(Date.parse(base) - offset * 60_000).toISOString()
}

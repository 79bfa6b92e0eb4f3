import { zonedTimestamp } from '@beer/parser-sdk'

const MONTHS: Readonly<Record<string, string>> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06',
  Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
}

// `logging timestamp` writes `Mmm dd yyyy hh:mm:ss` (or without the year, or with a zone name
// from `clock timezone`); Elastic's cisco_asa pipeline reads the same layouts.
const DEVICE_TIME = /(?:^|[\s:])(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?(?: ([A-Z]{2,5}))?:? ?$/

export interface DeviceTime {
  /** ISO 8601 in UTC. */
  iso: string
  /** The text as the device wrote it. */
  text: string
}

/**
 * A device time written just before the ASA tag (`Mar 05 2026 10:15:30: %ASA-…`), read in
 * `timezone` unless it names UTC/GMT. Without a year, the year is the one that puts the time
 * closest before `receivedAt`.
 */
export function deviceTimeBefore(prefix: string, timezone: string, receivedAt: number): DeviceTime | undefined {
  const tail = prefix.length > 48 ? prefix.slice(prefix.length - 48) : prefix
  const m = DEVICE_TIME.exec(tail)
  if (m === null) return undefined
  const month = MONTHS[m[1]!]
  if (month === undefined) return undefined
  const zone = m[6] === 'UTC' || m[6] === 'GMT' ? 'UTC' : timezone
  const iso = civil(m[3], month, m[2]!, m[4]!, m[5], zone, receivedAt)
  return iso === undefined ? undefined : { iso, text: m[0].replace(/^[\s:]/, '').replace(/:? ?$/, '') }
}

/**
 * A zone-less RFC 3164 header time (`Mar  5 10:15:30`, `Mar 05 2026 10:15:30`) read again in
 * `timezone`, for devices whose clock is in another zone than the collector's default.
 */
export function headerTimeIn(text: string, timezone: string, receivedAt: number): string | undefined {
  const m = /^([A-Z][a-z]{2}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(text)
  if (m === null) return undefined
  const month = MONTHS[m[1]!]
  if (month === undefined) return undefined
  return civil(m[3], month, m[2]!, m[4]!, m[5], timezone, receivedAt)
}

function civil(
  year: string | undefined,
  month: string,
  day: string,
  time: string,
  frac: string | undefined,
  zone: string,
  receivedAt: number,
): string | undefined {
  const rest = `-${month}-${day.padStart(2, '0')} ${time}${frac === undefined ? '' : '.' + frac.slice(0, 3)}`
  if (year !== undefined) return zonedTimestamp(year + rest, zone)
  // RFC 3164 times carry no year: take the received year, or the one before for a time more
  // than a day ahead (a December message received in January).
  const received = new Date(Number.isFinite(receivedAt) ? receivedAt : 0).getUTCFullYear()
  const iso = zonedTimestamp(received + rest, zone)
  if (iso !== undefined && Date.parse(iso) > receivedAt + 86_400_000) return zonedTimestamp(received - 1 + rest, zone)
  return iso
}

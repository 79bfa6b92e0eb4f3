import type { EventFields, LogEvent } from '@beer/core'
import { isoString } from './civil-time.ts'
import type { SyslogMessage } from './message.ts'
import { facilityName, severityName } from './names.ts'

export interface ToEventOptions {
  /** Keep the frame as received in `event.original`. Default false. */
  original?: boolean
  /**
   * Set `host.hostname` and `process.*` from the header's HOSTNAME, APP-NAME and PROCID. Default
   * true. A parser whose record names the event's own host and process (a relay's header names
   * the relay) passes false rather than deleting them, which would slow every later write.
   */
  hostAndProcess?: boolean
  /** Set `message` to the header's MSG. Default true; false for a parser that writes its own. */
  message?: boolean
}

/** Whether a PROCID is a plain process id (so that ECS `process.pid`, a number, can hold it). */
function pidOf(procid: string): number {
  const n = procid.length
  if (n === 0 || n > 15) return -1
  let v = 0
  for (let i = 0; i < n; i++) {
    const d = procid.charCodeAt(i) - 48
    if (!(d >= 0 && d <= 9)) return -1
    v = v * 10 + d
  }
  return v
}

// Messages of one connection share their source: the last address string is remembered.
let lastAddr = ''
let lastPort = -1
let lastSource = ''

function sourceAddress(msg: SyslogMessage): string {
  if (msg.transport === 'unix') {
    const l = msg.listener
    return l.startsWith('unix://') ? l.slice(7) : l.startsWith('unix:') ? l.slice(5) : l
  }
  const a = msg.sourceAddress
  if (a === '') return ''
  if (!(msg.sourcePort > 0)) return a
  if (a === lastAddr && msg.sourcePort === lastPort) return lastSource
  lastAddr = a
  lastPort = msg.sourcePort
  // RFC 3986 §3.2.2: an IPv6 literal in brackets before ':port'.
  lastSource = (a.includes(':') ? '[' + a + ']' : a) + ':' + msg.sourcePort
  return lastSource
}

// The messages of one read share `receivedAt`, and header timestamps have one-second resolution
// more often than not: remembering the last string of each saves most conversions.
let lastCreatedMs = Number.NaN
let lastCreated = ''
let lastTsMs = Number.NaN
let lastTs = ''

/**
 * The plain ECS event of a message: what a message no parser claims becomes, and what parsers
 * build on. Header fields go under `log.syslog.*`; empty and -1 fields are left out, so the event
 * holds no `undefined` and survives `structuredClone` and JSON unchanged.
 */
export function toEvent(msg: SyslogMessage, options?: ToEventOptions): LogEvent {
  if (msg.receivedAt !== lastCreatedMs) {
    lastCreatedMs = msg.receivedAt
    lastCreated = isoString(lastCreatedMs)
  }
  const created = lastCreated
  let ts = created
  if (msg.timestamp !== -1) {
    if (msg.timestamp !== lastTsMs) {
      lastTsMs = msg.timestamp
      lastTs = isoString(lastTsMs)
    }
    ts = lastTs
  }
  const event: EventFields =
    options !== undefined && options.original === true
      ? { created, kind: 'event', original: msg.raw }
      : { created, kind: 'event' }
  if (created === '') delete event.created

  const syslog: Record<string, unknown> = {}
  const hasSyslog =
    msg.pri >= 0 || msg.hostname !== '' || msg.appname !== '' || msg.procid !== '' || msg.msgid !== '' ||
    msg.format === 'rfc5424' || msg.structuredData !== null
  if (msg.pri >= 0) {
    syslog.priority = msg.pri
    syslog.facility = { code: msg.facility, name: facilityName(msg.facility) }
    syslog.severity = { code: msg.severity, name: severityName(msg.severity) }
  }
  if (msg.hostname !== '') syslog.hostname = msg.hostname
  if (msg.appname !== '') syslog.appname = msg.appname
  if (msg.procid !== '') syslog.procid = msg.procid
  if (msg.msgid !== '') syslog.msgid = msg.msgid
  if (msg.format === 'rfc5424') syslog.version = String(msg.version)
  if (msg.structuredData !== null) syslog.structured_data = msg.structuredData

  const log: Record<string, unknown> = {}
  if (hasSyslog) log.syslog = syslog
  const address = sourceAddress(msg)
  if (address !== '') log.source = { address }
  if (msg.truncated) log.flags = ['truncated']

  const out: LogEvent = ts === '' ? { event } : { '@timestamp': ts, event }
  if (msg.message !== '' && (options === undefined || options.message !== false)) out.message = msg.message
  if (options === undefined || options.hostAndProcess !== false) {
    if (msg.hostname !== '') out.host = { hostname: msg.hostname }
    const pid = pidOf(msg.procid)
    if (msg.appname !== '') out.process = pid >= 0 ? { name: msg.appname, pid } : { name: msg.appname }
    else if (pid >= 0) out.process = { pid }
  }
  if (hasSyslog || address !== '' || msg.truncated) out.log = log
  return out
}

import { BeerError, defineParser } from '@beer/parser-sdk'
import type { DefinedParser, LogEvent, ParserLogic, SyslogMessage } from '@beer/parser-sdk'
import { facilityName, isKnownTimezone, severityName } from '@beer/syslog-header'
import { align } from './align.ts'
import { problem, relateHost, time } from './fields.ts'
import type { Ctx, Obj } from './fields.ts'
import { mapAuthentication, mapGlobalProtect, mapHipMatch, mapUserId } from './identity-logs.ts'
import { Fields, findRecord, recordAt, trimEnd } from './record.ts'
import { mapDecryption, mapThreat, mapTraffic } from './session-logs.ts'
import type { Out } from './session-logs.ts'
import { mapConfig, mapSystem } from './system-logs.ts'
import { TimeReader, isoOf } from './time.ts'

export interface PaloAltoOptions {
  /**
   * Zone of the firewall's clock, for the zone-less times PAN-OS writes (`2024/03/05 10:15:30`):
   * 'UTC' (default), 'local', a fixed offset ('+02:00') or an IANA name ('Europe/Zurich').
   */
  timezone?: string
  /** Keep the frame as received in `event.original`. Default false; partial events always keep it. */
  original?: boolean
}

/** The ECS event this parser produces. */
export type PaloAltoEvent = LogEvent

/**
 * Fields every line of a type has had since the oldest PAN-OS release still seen (4.x to 8.0,
 * depending on the type): fewer means the line was cut. Later fields are optional.
 */
function minFields(type: string): number {
  switch (type) {
    case 'TRAFFIC':
      return 46
    case 'THREAT':
      return 40
    case 'SYSTEM':
      return 17
    case 'CONFIG':
      return 16
    case 'GLOBALPROTECT':
      return 36
    case 'USERID':
      return 20
    case 'HIPMATCH':
    case 'HIP-MATCH':
      return 19
    case 'AUTHENTICATION':
    case 'AUTH':
      return 24
    case 'DECRYPTION':
      return 91
    default:
      return 7
  }
}

const DATASET = 'panw.panos'

function options(o: PaloAltoOptions | undefined): { timezone: string; original: boolean } {
  const timezone = o?.timezone ?? 'UTC'
  if (typeof timezone !== 'string' || !isKnownTimezone(timezone)) {
    throw new BeerError(
      'BEER_ERR_PARSER_PALOALTO_OPTIONS',
      `paloalto: timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`,
    )
  }
  if (o?.original !== undefined && typeof o.original !== 'boolean') {
    throw new BeerError('BEER_ERR_PARSER_PALOALTO_OPTIONS', 'paloalto: original must be true or false')
  }
  return { timezone, original: o?.original === true }
}

/** Whether the message is a PAN-OS record: at the start of the message, or further into the frame. */
function isPanos(msg: SyslogMessage): boolean {
  return recordAt(msg.message, 0) || findRecord(msg.raw) !== -1
}

/** `log.syslog` and `log.source` from the header, as `toEvent` of @beer/syslog-header writes them. */
function logFields(msg: SyslogMessage, headerTrusted: boolean, appTrusted: boolean, into: Obj | undefined): Obj | undefined {
  let log = into
  if (msg.pri >= 0 || (headerTrusted && msg.hostname !== '')) {
    const syslog: Obj = {}
    if (msg.pri >= 0) {
      syslog.priority = msg.pri
      syslog.facility = { code: msg.facility, name: facilityName(msg.facility) }
      syslog.severity = { code: msg.severity, name: severityName(msg.severity) }
    }
    if (headerTrusted && msg.hostname !== '') syslog.hostname = msg.hostname
    if (appTrusted && msg.appname !== '') syslog.appname = msg.appname
    if (log === undefined) log = { syslog }
    else log.syslog = syslog
  }
  if (msg.sourceAddress !== '') (log ??= {}).source = { address: sourceAddress(msg) }
  return log
}

// Messages of one connection share their source: the last address string is remembered.
let lastAddress = ''
let lastPort = -1
let lastSource = ''

/** `address:port`, an IPv6 literal in brackets (RFC 3986 §3.2.2), as `toEvent` writes it. */
function sourceAddress(msg: SyslogMessage): string {
  const a = msg.sourceAddress
  if (!(msg.sourcePort > 0)) return a
  if (a !== lastAddress || msg.sourcePort !== lastPort) {
    lastAddress = a
    lastPort = msg.sourcePort
    lastSource = (a.includes(':') ? '[' + a + ']' : a) + ':' + msg.sourcePort
  }
  return lastSource
}

class Reader {
  private readonly fields: Fields = new Fields()
  private readonly times: TimeReader
  private readonly original: boolean
  private readonly zone: string
  private createdMs = Number.NaN
  private created: string | undefined = undefined

  constructor(timezone: string, original: boolean) {
    this.times = new TimeReader(timezone)
    this.zone = timezone
    this.original = original
  }

  /** When the message was received, as ISO 8601; undefined when the origin gave no time. */
  private createdOf(ms: number): string | undefined {
    if (ms !== this.createdMs) {
      this.createdMs = ms
      this.created = isoOf(ms)
    }
    return this.created
  }

  parse(msg: SyslogMessage): LogEvent {
    try {
      return this.read(msg)
    } catch (err) {
      // Only a bug in this parser (or a message that is not a SyslogMessage) gets here; it still
      // becomes an event, marked partial, and nothing is thrown.
      const reason = `paloalto parser failed: ${err instanceof Error ? err.message : String(err)}`
      try {
        return this.failed(msg, reason)
      } catch {
        return { event: { kind: 'event', module: 'panw', dataset: DATASET }, error: { message: reason }, beer: { partial: true } }
      }
    }
  }

  private failed(msg: SyslogMessage, reason: string): LogEvent {
    const event: Obj = { kind: 'event', original: msg.raw, module: 'panw', dataset: DATASET }
    const created = this.createdOf(msg.receivedAt)
    if (created !== undefined) event.created = created
    const ev: LogEvent = {
      event,
      observer: { vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' },
      error: { message: reason },
      beer: { partial: true },
    }
    const ts = msg.timestamp !== -1 ? isoOf(msg.timestamp) : created
    if (ts !== undefined) ev['@timestamp'] = ts
    if (msg.message !== '') ev.message = msg.message
    const log = logFields(msg, true, true, undefined)
    if (log !== undefined) ev.log = log
    return ev
  }

  private read(msg: SyslogMessage): LogEvent {
    let textIn = msg.message
    let start = 0
    let headerTrusted = true
    const atMessageStart = recordAt(textIn, 0)
    if (!atMessageStart) {
      textIn = trimEnd(msg.raw)
      start = findRecord(textIn)
      if (start === -1) return this.failed(msg, 'no PAN-OS record (FUTURE_USE, receive time, serial number, type) in the message')
      // The header parser may have read part of the record as HOSTNAME or APP-NAME: only a
      // hostname that stands wholly before the record is the sender's.
      headerTrusted = msg.hostname !== '' && !msg.hostname.includes(',') && textIn.lastIndexOf(msg.hostname, start) !== -1
    }
    const fields = this.fields
    fields.read(textIn, start)
    const ctx: Ctx = {
      f: fields,
      times: this.times,
      problems: null,
      relatedIp: null,
      relatedUser: null,
      relatedHosts: null,
      relatedHash: null,
      highResWall: Number.NaN,
    }
    const type = fields.at(3)
    const subtype = fields.str(4)

    const ev: LogEvent = {}
    const event: Obj = {}
    const observer: Obj = { vendor: 'Palo Alto Networks', product: 'PAN-OS', type: 'firewall' }
    const panos: Obj = subtype === undefined ? { type } : { type, sub_type: subtype }
    const out: Out = { ev, event, observer, panos }
    const serial = fields.str(2)
    if (serial !== undefined) observer.serial_number = serial
    const received = time(ctx, 1, 'receive time')
    if (received !== undefined) panos.received_time = received
    const generated = time(ctx, 6, 'generated time')
    const generatedKey = this.times.lastKey

    const min = minFields(type)
    if (fields.count < min) {
      problem(ctx, `the line ends after ${fields.count} fields; PAN-OS ${type} logs have at least ${min}`)
      // A line cut short was most likely cut inside its last field.
      if (fields.count > 7 && !fields.empty(fields.count - 1)) fields.cut(fields.count - 1)
    }
    align(ctx, type)
    switch (type) {
      case 'TRAFFIC':
        mapTraffic(ctx, out, subtype)
        break
      case 'THREAT':
        mapThreat(ctx, out, subtype)
        break
      case 'SYSTEM':
        mapSystem(ctx, out, subtype)
        break
      case 'CONFIG':
        mapConfig(ctx, out)
        break
      case 'GLOBALPROTECT':
        mapGlobalProtect(ctx, out)
        break
      case 'USERID':
        mapUserId(ctx, out, subtype)
        break
      case 'HIPMATCH':
      case 'HIP-MATCH':
        mapHipMatch(ctx, out)
        break
      case 'AUTHENTICATION':
      case 'AUTH':
        mapAuthentication(ctx, out)
        break
      case 'DECRYPTION':
        mapDecryption(ctx, out)
        break
      default:
        // A log type this parser does not map field by field (IPTAG, GTP, SCTP, CORRELATION…):
        // the common fields, and the record as the message.
        event.kind = 'event'
        ev.message = fields.from(0)
    }

    // PAN-OS "Generated Time": when the dataplane wrote the log, read in the configured zone, or
    // as the line itself dates it to the millisecond with its offset when it can. Without it, the
    // management plane's receive time, then the syslog header's, then ours.
    let timestamp = generated
    if (generated !== undefined && ctx.highResWall === ctx.highResWall && this.times.sameWallClock(generatedKey, ctx.highResWall)) {
      timestamp = panos.high_resolution_timestamp as string
    }
    const created = this.createdOf(msg.receivedAt)
    const ts = timestamp ?? received ?? (msg.timestamp !== -1 ? isoOf(msg.timestamp) : created)
    if (ts !== undefined) ev['@timestamp'] = ts
    if (created !== undefined) event.created = created
    event.module = 'panw'
    event.dataset = DATASET
    event.timezone = this.zone
    if (this.original) event.original = msg.raw
    ev.event = event

    if (observer.hostname === undefined && headerTrusted && msg.hostname !== '') observer.hostname = msg.hostname
    relateHost(ctx, observer.hostname as string | undefined)
    ev.observer = observer
    ev.panw = { panos }
    // APP-NAME only when the record starts the message: otherwise it may hold the record's start.
    const log = logFields(msg, headerTrusted, atMessageStart, ev.log)
    if (log !== undefined) ev.log = log

    if (ctx.relatedIp !== null || ctx.relatedUser !== null || ctx.relatedHosts !== null || ctx.relatedHash !== null) {
      const related: { ip?: string[]; user?: string[]; hosts?: string[]; hash?: string[] } = {}
      if (ctx.relatedIp !== null) related.ip = ctx.relatedIp
      if (ctx.relatedUser !== null) related.user = ctx.relatedUser
      if (ctx.relatedHosts !== null) related.hosts = ctx.relatedHosts
      if (ctx.relatedHash !== null) related.hash = ctx.relatedHash
      ev.related = related
    }

    if (fields.open) problem(ctx, 'a quoted field is not closed: the rest of the line was read as that one field')
    if (msg.truncated) {
      problem(ctx, 'the frame was cut at the maximum message size')
      ;((ev.log ??= {}) as Obj).flags = ['truncated']
    }
    if (ctx.problems !== null) {
      ev.beer = { partial: true }
      ev.error = { message: ctx.problems.join('; ') }
      event.original = msg.raw
    }
    return ev
  }
}

// No prefilter: PAN-OS sends no tag, and a record can start past a header that swallowed part of it,
// where `messageIncludes` would not see it. `isMine` is a few character tests at the message start.
const parser: DefinedParser<PaloAltoOptions> = defineParser<PaloAltoOptions>({
  name: 'paloalto',
  url: import.meta.url,
  build(o): ParserLogic {
    const { timezone, original } = options(o)
    const reader = new Reader(timezone, original)
    return {
      isMine: isPanos,
      parse: (msg) => reader.parse(msg),
    }
  },
})

/** `paloalto({ timezone })` in main.ts: the PAN-OS parser's descriptor. */
export const paloalto: DefinedParser<PaloAltoOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<PaloAltoOptions>['create'] = parser.create

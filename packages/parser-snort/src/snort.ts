import { BeerError, isTimezone, addRelated, defineParser, markPartial, parseFailure, splitCsv, toEvent } from '@beer/parser-sdk'
import type { DefinedParser, LogEvent, ParserLogic, SyslogMessage } from '@beer/parser-sdk'
import { endpoint, readEndpoint } from './address.ts'
import { actionTag, alertStart, readAlert, readIds } from './alert.ts'
import type { Alert } from './alert.ts'
import { fastTime, fastTimestamp, readFastTime } from './time.ts'

export interface SnortOptions {
  /**
   * Zone of the sensor's clock, for the zone-less times of alert_fast and pfSense CSV lines
   * (`11/27-13:45:01.123456`): 'UTC' (default), 'local', a fixed offset ('+02:00') or an IANA
   * name ('Europe/Zurich'). Syslog alerts take their time from the syslog header.
   */
  timezone?: string
}

/** The ECS event this parser produces. */
export type SnortEvent = LogEvent

type Obj = Record<string, unknown>

/** Syslog program names (RFC 3164 TAG / RFC 5424 APP-NAME) of the engines whose alerts this parser reads. */
const PROGRAMS = new Set(['snort', 'snort3', 'suricata'])

function options(o: SnortOptions | undefined): { timezone: string } {
  const fail = (why: string) => new BeerError('BEER_ERR_PARSER_SNORT_OPTIONS', `snort: ${why}`)
  if (o !== undefined && (o === null || typeof o !== 'object' || Array.isArray(o))) throw fail('the options must be an object, like { timezone: \'UTC\' }')
  for (const key of Object.keys(o ?? {})) {
    if (key !== 'timezone') throw fail(`there is no option ${JSON.stringify(key)}; the only option is timezone`)
  }
  const timezone = o?.timezone ?? 'UTC'
  if (typeof timezone !== 'string' || !isTimezone(timezone)) {
    throw fail(
      `timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`,
    )
  }
  return { timezone }
}

// Where a line's alert is, once isMine or parse has looked.
const SYSLOG = 1
const FAST = 2
const CSV = 3

/** Skips the spaces after an alert_fast time (Snort writes two). */
function skipSpaces(text: string, i: number): number {
  while (text.charCodeAt(i) === 32) i++
  return i
}

/** Whether an alert_fast line starts at `i`: the time, then `[**] [gid:sid:rev]` (Suricata may put `[Drop] ` first). */
function fastAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (!(c >= 48 && c <= 49) || !readFastTime(text, i)) return false
  const j = skipSpaces(text, fastTime.end)
  if (j === fastTime.end) return false
  const k = j + actionTag(text, j)
  return text.startsWith('[**] ', k) && readIds(text, k + 5) !== -1
}

/** Whether a pfSense (or Snort alert_csv) line starts at `i`: the time, then `,gid,sid,rev,`. */
function csvAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (!(c >= 48 && c <= 49) || !readFastTime(text, i)) return false
  let j = skipSpaces(text, fastTime.end)
  if (text.charCodeAt(j) !== 44) return false
  for (let field = 0; field < 3; field++) {
    const start = ++j
    while (j < text.length && j - start < 12) {
      const d = text.charCodeAt(j)
      if (d < 48 || d > 57) break
      j++
    }
    if (j === start || text.charCodeAt(j) !== 44) return false
  }
  return true
}

/** Finds `[gid:sid:rev]` in a frame whose header took it for RFC 5424 STRUCTURED-DATA. */
function idsInRaw(raw: string): number {
  for (let i = raw.indexOf('['); i !== -1; i = raw.indexOf('[', i + 1)) {
    if (readIds(raw, i) !== -1) return i
  }
  return -1
}

const where = { kind: 0, text: '', at: 0 }

/** Whether the message is a Snort or Suricata alert this parser reads (isMine, before the SDK's guard). */
export function locate(msg: SyslogMessage): boolean {
  const text = msg.message
  if (PROGRAMS.has(msg.appname)) {
    if (alertStart(text, 0) !== -1) {
      where.kind = SYSLOG
      where.text = text
      where.at = 0
      return true
    }
    if (msg.format === 'rfc5424' && msg.structuredData !== null) {
      const at = idsInRaw(msg.raw)
      if (at !== -1 && alertStart(msg.raw, at) !== -1) {
        where.kind = SYSLOG
        where.text = msg.raw
        where.at = at
        return true
      }
    }
  }
  if (fastAt(text, 0)) {
    where.kind = FAST
    where.text = text
    where.at = 0
    return true
  }
  if (csvAt(text, 0)) {
    where.kind = CSV
    where.text = text
    where.at = 0
    return true
  }
  return false
}

/** ECS `network.transport` of the protocol as Snort and Suricata name it (`TCP`, `IPV6-ICMP`, `PROTO:047`, `{6}`). */
const IANA: Record<string, string> = { '1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '132': 'sctp' }

function transport(proto: string, network: Obj): void {
  let number = ''
  if (proto.startsWith('PROTO:')) number = String(Number(proto.slice(6)))
  else if (/^\d{1,3}$/.test(proto)) number = String(Number(proto))
  if (number !== '') {
    if (number !== 'NaN') network.iana_number = number
    const name = Object.hasOwn(IANA, number) ? IANA[number] : undefined
    if (name !== undefined) network.transport = name
    return
  }
  if (proto !== '') network.transport = proto.toLowerCase()
}

const hasPorts = (transport: unknown) => transport === 'tcp' || transport === 'udp' || transport === 'sctp'
const isIcmp = (transport: unknown) => transport === 'icmp' || transport === 'ipv6-icmp'

class Reader {
  private readonly timezone: string

  constructor(timezone: string) {
    this.timezone = timezone
  }

  parse(msg: SyslogMessage): LogEvent {
    try {
      return this.read(msg)
    } catch (err) {
      // Only a bug gets here; the message still becomes an event, marked partial.
      return parseFailure('snort', msg, err)
    }
  }

  private read(msg: SyslogMessage): LogEvent {
    const problems: string[] = []
    if (!locate(msg)) {
      problems.push('no Snort or Suricata alert in the message')
      return this.finish(msg, toEvent(msg), problems)
    }
    const { kind, text, at } = where
    // When the alert was found in the frame rather than the message, the header parser took its
    // `[gid:sid:rev]` for RFC 5424 STRUCTURED-DATA: give the message back and drop what it made.
    const event =
      text === msg.raw
        ? toEvent({ ...msg, message: text.slice(at), structuredData: null })
        : toEvent(msg)
    let alert: Alert
    let product = 'Snort'
    if (kind === CSV) {
      alert = this.csv(msg, event, text, at, problems)
    } else {
      let start = at
      if (kind === FAST) {
        readFastTime(text, at)
        if (fastTime.year >= 1000 && text.charCodeAt(at + 10) === 45) product = 'Suricata'
        this.time(msg, event)
        start = skipSpaces(text, fastTime.end)
      } else if (msg.appname === 'suricata') {
        product = 'Suricata'
      }
      alert = readAlert(text, start)
    }
    if (alert.problem !== '') problems.push(alert.problem)
    if (alert.action !== '') product = 'Suricata'
    this.map(event, alert, product, msg, problems)
    return this.finish(msg, event, problems)
  }

  /** @timestamp from an alert_fast or CSV time, in the configured zone; the year from the header or the receive time. */
  private time(msg: SyslogMessage, event: LogEvent): void {
    const ts = fastTimestamp(this.timezone, msg.timestamp !== -1 ? msg.timestamp : msg.receivedAt)
    if (ts !== undefined) {
      event['@timestamp'] = ts
      ;(event.event as Obj).timezone = this.timezone
    }
  }

  /**
   * pfSense's alert log (`time ,gid,sid,rev,"msg",proto,src,sport,dst,dport,ip id,class,priority,action,disposition`)
   * and Snort's default alert_csv (… `,ethsrc,ethdst,ethlen,tcpflags,tcpseq,tcpack,tcplen,tcpwindow,ttl,tos,id,dgmlen,iplen,icmptype,icmpcode,icmpid,icmpseq`).
   */
  private csv(msg: SyslogMessage, event: LogEvent, text: string, at: number, problems: string[]): Alert {
    readFastTime(text, at)
    this.time(msg, event)
    const comma = text.indexOf(',', fastTime.end)
    const f = splitCsv(text.slice(comma + 1))
    const alert: Alert = {
      action: '',
      gid: Number(f[0]),
      sid: f[1] ?? '',
      rev: f[2] ?? '',
      message: f[3] ?? '',
      classification: '',
      priority: -1,
      iface: '',
      proto: f[4] ?? '',
      src: hostPort(f[5], f[6]),
      dst: hostPort(f[7], f[8]),
      problem: '',
    }
    const snort: Obj = {}
    if (f.length === 14) {
      setNumber(snort, 'ip_id', f[9])
      alert.classification = f[10] ?? ''
      const p = Number(f[11])
      if (f[11] !== '' && Number.isInteger(p)) alert.priority = p
      const action = (f[12] ?? '').toLowerCase()
      const disposition = f[13] ?? ''
      if (action !== '') snort.action = action
      if (disposition !== '') snort.disposition = disposition
    } else if (f.length >= 26) {
      const mac = (v: string | undefined) => (v !== undefined && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(v) ? v.toUpperCase().replaceAll(':', '-') : undefined)
      const smac = mac(f[9])
      const dmac = mac(f[10])
      if (smac !== undefined) ((event.source ??= {}) as Obj).mac = smac
      if (dmac !== undefined) ((event.destination ??= {}) as Obj).mac = dmac
      setNumber(snort, 'ttl', f[17])
      setNumber(snort, 'ip_id', f[19])
      setNumber(snort, 'icmp_type', f[22])
      setNumber(snort, 'icmp_code', f[23])
    } else {
      problems.push(`the CSV line has ${f.length + 1} fields; pfSense writes 15 and Snort's alert_csv 27`)
    }
    if (f.open) problems.push('a quoted field is not closed')
    if (Object.keys(snort).length > 0) event.snort = snort
    return alert
  }

  private map(event: LogEvent, a: Alert, product: string, msg: SyslogMessage, problems: string[]): void {
    const ev = event.event as Obj
    ev.kind = 'alert'
    ev.category = ['intrusion_detection', 'network']
    const disposition = (event.snort as Obj | undefined)?.disposition
    const blocked = a.action === 'drop' || (event.snort as Obj | undefined)?.action === 'drop' || disposition === 'Block'
    ev.type = blocked ? ['info', 'denied'] : disposition === 'Allow' ? ['info', 'allowed'] : ['info']
    ev.action = 'ids-alert'
    if (a.priority >= 0) ev.severity = a.priority
    ev.module = 'snort'
    ev.dataset = 'snort.log'

    const observer: Obj = { vendor: product === 'Suricata' ? 'OISF' : 'Snort', product, type: 'ids' }
    if (msg.hostname !== '') observer.hostname = msg.hostname
    if (a.iface !== '') observer.ingress = { interface: { name: a.iface } }
    event.observer = observer

    const rule: Obj = {}
    if (a.sid !== '') rule.id = a.sid
    if (a.rev !== '') rule.version = a.rev
    if (a.message !== '') rule.name = a.message
    if (a.classification !== '') rule.category = a.classification
    event.rule = rule

    const snort = (event.snort ??= {}) as Obj
    if (a.gid >= 0 && Number.isSafeInteger(a.gid)) snort.gid = a.gid
    const rev = Number(a.rev)
    if (a.rev !== '' && Number.isSafeInteger(rev)) snort.rev = rev
    if (a.action !== '') snort.action = a.action

    const network: Obj = {}
    transport(a.proto, network)
    const ports = hasPorts(network.transport)
    const icmp = isIcmp(network.transport)
    const side = (text: string, name: 'source' | 'destination') => {
      if (text === '') return
      if (!readEndpoint(text, ports)) {
        problems.push(`the ${name} address ${JSON.stringify(text.length > 64 ? text.slice(0, 64) + '…' : text)} cannot be read`)
        return
      }
      const o = (event[name] ??= {}) as Obj
      o.ip = endpoint.ip
      if (endpoint.port >= 0) {
        // Suricata writes ICMP type and code where ports go.
        if (icmp) snort[name === 'source' ? 'icmp_type' : 'icmp_code'] = endpoint.port
        else o.port = endpoint.port
      }
      addRelated(event, 'ip', endpoint.ip)
      network.type ??= endpoint.ip.includes(':') ? 'ipv6' : 'ipv4'
    }
    side(a.src, 'source')
    side(a.dst, 'destination')
    if (Object.keys(network).length > 0) event.network = network
  }

  private finish(msg: SyslogMessage, event: LogEvent, problems: string[]): LogEvent {
    return markPartial(event, msg, problems)
  }
}

/** `ip:port` as the alert text writes it, an IPv6 address in brackets (RFC 3986 §3.2.2). */
function hostPort(ip: string | undefined, port: string | undefined): string {
  if (ip === undefined || ip === '') return ''
  if (port === undefined || port === '') return ip
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`
}

function setNumber(into: Obj, key: string, text: string | undefined): void {
  if (text === undefined || text === '' || text.length > 15) return
  const n = Number(text)
  if (Number.isSafeInteger(n) && n >= 0) into[key] = n
}

// No prefilter: alert_fast and pfSense lines come without a tag, and a syslog alert is told by its
// text, not only by the tag. isMine reads a few characters at the start of the message.
const parser: DefinedParser<SnortOptions> = defineParser<SnortOptions>({
  name: 'snort',
  url: import.meta.url,
  build(o): ParserLogic {
    const { timezone } = options(o)
    const reader = new Reader(timezone)
    return { isMine: locate, parse: (msg) => reader.parse(msg) }
  },
})

/** `snort({ timezone })` in main.ts: the parser for Snort and Suricata alerts. */
export const snort: DefinedParser<SnortOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<SnortOptions>['create'] = parser.create

import { BeerError, isTimezone, defineParser, failedEvent, markPartial, parseFailure, toEvent } from '@beer/parser-sdk'
import { isAddress } from './cursor.ts'
import type { ClaimingParserLogic, DefinedParser, LogEvent, SyslogMessage, ToEventOptions } from '@beer/parser-sdk'
import { readMessage } from './messages.ts'
import { Out } from './out.ts'
import type { Obj } from './out.ts'
import { deviceTimeBefore, headerTimeIn } from './time.ts'

export interface CiscoAsaOptions {
  /**
   * Zone of the firewall's clock, for the zone-less times it writes (`Mar 05 2026 10:15:30`):
   * 'UTC', 'local', a fixed offset ('+02:00') or an IANA name ('Europe/Zurich'). When given, a
   * zone-less syslog header time is read again in it; when not, the header keeps the collector's
   * reading and a time inside the message is read as UTC. Times with a zone are read as written.
   */
  timezone?: string
}

/** The ECS event this parser produces. */
export type CiscoAsaEvent = LogEvent

// Cisco ASA syslog guide, "Severity Levels": 0 emergencies … 7 debugging.
const LEVELS = ['emergency', 'alert', 'critical', 'error', 'warning', 'notification', 'informational', 'debug']

const OPTIONS: ReadonlySet<string> = new Set(['timezone'])

function optionsOf(o: CiscoAsaOptions | undefined): { timezone: string | undefined } {
  const fail = (why: string): never => {
    throw new BeerError('BEER_ERR_PARSER_CISCO_ASA_OPTIONS', `ciscoAsa: ${why}`)
  }
  if (o !== undefined && (o === null || typeof o !== 'object' || Array.isArray(o))) fail('the options must be an object, like { timezone: \'Europe/Zurich\' }')
  for (const key of Object.keys(o ?? {})) if (!OPTIONS.has(key)) fail(`there is no option ${JSON.stringify(key)}; the option is timezone`)
  const timezone = o?.timezone
  if (timezone !== undefined && !isTimezone(timezone)) {
    fail(`timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`)
  }
  return { timezone }
}

interface Tag {
  product: 'ASA' | 'FTD'
  severity: number
  id: string
  /** Where the text after the tag (and its colon) starts. */
  end: number
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/**
 * The message tag at `at`: `%ASA-<level>-<six-digit id>` or `%FTD-…` (Cisco's EMBLEM-less
 * format), with the optional suffix some releases put before the level (`%FTD-sc-6-…`), then an
 * optional colon.
 */
function tagAt(s: string, at: number): Tag | undefined {
  let product: Tag['product']
  if (s.startsWith('%ASA-', at)) product = 'ASA'
  else if (s.startsWith('%FTD-', at)) product = 'FTD'
  else return undefined
  let i = at + 5
  if (!isDigit(s.charCodeAt(i))) {
    // A suffix of letters, digits and underscores, then a hyphen.
    const start = i
    while (i < s.length && i - start < 32) {
      const c = s.charCodeAt(i)
      if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95)) break
      i++
    }
    if (i === start || s.charCodeAt(i) !== 45) return undefined
    i++
  }
  const level = s.charCodeAt(i) - 48
  if (!(level >= 0 && level <= 7) || s.charCodeAt(i + 1) !== 45) return undefined
  i += 2
  for (let k = 0; k < 6; k++) if (!isDigit(s.charCodeAt(i + k))) return undefined
  const id = s.slice(i, i + 6)
  i += 6
  if (isDigit(s.charCodeAt(i))) return undefined
  if (s.charCodeAt(i) === 58 /* : */) i++
  return { product, severity: level, id, end: i }
}

interface Located {
  tag: Tag
  body: string
  /** The frame up to the tag, when the tag was found in the message rather than as the header's tag. */
  prefix: string | undefined
}

// How far into the message the tag may be: a device time or id written before it.
const TAG_SEARCH = 160

function locate(msg: SyslogMessage): Located | undefined {
  const a = msg.appname
  if (a.charCodeAt(0) === 37 /* % */) {
    // The header parser reads `%ASA-6-302013:` as an RFC 3164 TAG: the message is the text after it.
    const tag = tagAt(a, 0)
    if (tag !== undefined && tag.end === a.length) return { tag, body: msg.message, prefix: undefined }
    return undefined
  }
  const m = msg.message
  for (const marker of ['%ASA-', '%FTD-']) {
    const p = m.lastIndexOf(marker, TAG_SEARCH)
    if (p === -1) continue
    const before = p === 0 ? 32 : m.charCodeAt(p - 1)
    if (before !== 32 && before !== 58) continue
    const tag = tagAt(m, p)
    if (tag === undefined) continue
    let end = tag.end
    while (m.charCodeAt(end) === 32) end++
    // The frame up to the tag: the message ends the frame (a header may have taken part of the
    // device time as its tag, so the frame, not the message, holds all of it).
    const raw = msg.raw
    const inRaw = raw.endsWith(m) ? raw.length - m.length : -1
    return { tag, body: m.slice(end), prefix: inRaw === -1 ? m.slice(0, p) : raw.slice(0, inRaw + p) }
  }
  return undefined
}

/** The claim test itself, without the wrapper that turns a throw into a refusal (tests call it). */
export function isMine(msg: SyslogMessage): boolean {
  return locate(msg) !== undefined
}

/**
 * A copy of an event (plain data: objects, arrays, strings, numbers, booleans), as structuredClone
 * makes it, several times faster.
 */
function copyOf<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v
  if (Array.isArray(v)) return v.map(copyOf) as T
  const out: Obj = {}
  for (const key of Object.keys(v)) {
    const value = copyOf((v as Obj)[key])
    // A key from the input (structured data) may be '__proto__': an own property, as in the original.
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
    else out[key] = value
  }
  return out as T
}

function put(o: Obj, key: string, v: unknown): void {
  if (v !== undefined && v !== '') o[key] = v
}

function nonEmpty(o: Obj): boolean {
  for (const _ in o) return true
  return false
}

// The header's host is the firewall (observer.*); its tag is the message id, not a process; the
// message is written from the text after the tag.
const WITHOUT_HEADER_FIELDS: ToEventOptions = { hostAndProcess: false, message: false }

/** `loc` is where the claim found the tag, undefined when it refused the message. */
function read(msg: SyslogMessage, loc: Located | undefined, timezone: string | undefined): LogEvent | LogEvent[] {
  if (loc === undefined) return failedEvent(msg, 'no %ASA or %FTD message tag')
  const { tag, body } = loc
  const ev: LogEvent = toEvent(msg, WITHOUT_HEADER_FIELDS)

  // The device's own time: written before the tag, or as the header's time.
  const device = loc.prefix === undefined ? undefined : deviceTimeBefore(loc.prefix, timezone ?? 'UTC', msg.receivedAt)
  if (device !== undefined) ev['@timestamp'] = device.iso
  else if (timezone !== undefined && msg.timestamp !== -1 && !msg.timestampHasZone) {
    const again = headerTimeIn(msg.timestampText, timezone, msg.receivedAt)
    if (again !== undefined) ev['@timestamp'] = again
  }

  const observer: Obj = { vendor: 'Cisco', product: tag.product, type: 'firewall' }
  const host = msg.hostname
  if (host !== '') {
    if (isAddress(host)) observer.ip = host
    else observer.hostname = host
  }
  const event = ev.event as Obj
  event.kind = 'event'
  event.module = 'cisco_asa'
  event.dataset = 'cisco_asa.log'
  event.code = tag.id
  event.severity = tag.severity
  // The message's own event fields (action, category, type, outcome, duration) go straight into it.
  const o = new Out(observer, event)
  const mapped = body !== '' && readMessage(tag.id, body, o)
  put(event, 'reason', o.reason)
  const log = (ev.log ??= {}) as Obj
  log.level = LEVELS[tag.severity]
  if (body !== '') ev.message = body

  // (FTD messages may have set observer.ingress/egress to their zone: the interface goes beside it.)
  if (o.ingress !== undefined) {
    const ingress = observer.ingress as Obj | undefined
    if (ingress === undefined) observer.ingress = { interface: { name: o.ingress } }
    else ingress.interface = { name: o.ingress }
  }
  if (o.egress !== undefined) {
    const egress = observer.egress as Obj | undefined
    if (egress === undefined) observer.egress = { interface: { name: o.egress } }
    else egress.interface = { name: o.egress }
  }
  ev.observer = observer
  if (nonEmpty(o.source)) ev.source = o.source
  if (nonEmpty(o.destination)) ev.destination = o.destination
  if (nonEmpty(o.client)) ev.client = o.client
  if (nonEmpty(o.user)) ev.user = o.user
  const network: Obj = {}
  for (const key of Object.keys(o.network)) if (o.network[key] !== undefined) network[key] = o.network[key]
  if (nonEmpty(network)) ev.network = network
  if (o.ruleName !== undefined) ev.rule = { name: o.ruleName }
  if (nonEmpty(o.cisco)) ev.cisco = { asa: o.cisco }

  o.relateHost(observer.hostname as string | undefined)
  if (o.assignedAlso !== undefined) o.relateIp(o.assignedAlso)
  if (o.ip.length > 0 || o.users.length > 0 || o.hosts.length > 0) {
    const related: Obj = {}
    if (o.ip.length > 0) related.ip = o.ip
    if (o.users.length > 0) related.user = o.users
    if (o.hosts.length > 0) related.hosts = o.hosts
    ev.related = related
  }

  markPartial(ev, msg, o.problems)
  if (!mapped && body === '') {
    ev.beer = { partial: true }
    ev.error = { message: `message ${tag.id} has no text after its tag` }
    event.original = msg.raw
  }
  if (o.assignedAlso !== undefined) {
    // Two addresses assigned to one session: one event per address, so that each binds to the user.
    const second = copyOf(ev)
    second.client = { ip: o.assignedAlso }
    return [ev, second]
  }
  return ev
}

// No prefilter: behind an RFC 3164 header the tag is the header's TAG (appname), elsewhere it is
// in the message after a device time or id. isMine reads the tag at one or two places.
const parser: DefinedParser<CiscoAsaOptions> = defineParser<CiscoAsaOptions>({
  name: 'cisco-asa',
  url: import.meta.url,
  build(o): ClaimingParserLogic<Located> {
    const { timezone } = optionsOf(o)
    return {
      // Where the tag is, found once for isMine and parse.
      claim: locate,
      parse(msg, loc) {
        try {
          return read(msg, loc, timezone)
        } catch (err) {
          // Only a bug gets here; the line still becomes an event, marked partial.
          return parseFailure('cisco-asa', msg, err)
        }
      },
    }
  },
})

/** `ciscoAsa({ timezone })` in main.ts: the parser for Cisco ASA and Firepower Threat Defense syslog. */
export const ciscoAsa: DefinedParser<CiscoAsaOptions>['factory'] = parser.factory
/** What the runtime calls, wherever the user placed the parser. */
export const create: DefinedParser<CiscoAsaOptions>['create'] = parser.create

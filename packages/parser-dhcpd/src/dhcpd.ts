import { BeerError, addRelated, defineParser, isIp, toEvent } from '@beer/parser-sdk'
import type { ClaimingParserLogic, DefinedParser, LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { readV4, v4Verb } from './v4.ts'
import { readV6, v6Shape } from './v6.ts'
import { finish, set } from './fields.ts'
import type { Out } from './fields.ts'

export interface DhcpdOptions {
  /** Keep the frame as received in `event.original`. Default false; partial events always keep it. */
  original?: boolean
}

/** The ECS event this parser produces. */
export type DhcpdEvent = LogEvent

// ISC dhcpd's tag; Infoblox NIOS tags its DHCPv6 server dhcpdv6, some packages dhcpd6.
const TAGS = new Set(['dhcpd', 'dhcpd6', 'dhcpdv6'])

interface Route {
  text: string
  read: (out: Out, text: string) => void
  /** The host and tag a misread header left in the message. */
  hostname: string | undefined
  program: string | undefined
  pid: string | undefined
  extra: string | undefined
}

/** `DHCPACK on …`, `DHCPDISCOVER from …`: a DHCP verb and the word dhcpd writes after it. */
function headerless(text: string): boolean {
  const verb = v4Verb(text)
  if (verb === undefined || !verb.startsWith('DHCP')) return false
  const at = verb.length + 1
  return text.startsWith('from ', at) || text.startsWith('on ', at) || text.startsWith('for ', at) || text.startsWith('of ', at) || text.startsWith('to ', at)
}

function route(msg: SyslogMessage): Route | undefined {
  let text = msg.message
  let hostname: string | undefined
  let program: string | undefined
  let pid: string | undefined
  let extra: string | undefined
  if (!TAGS.has(msg.appname)) {
    if (msg.format === 'none' && msg.appname === '') {
      // A body without a header (a collector stripped it): only the DHCP verbs say it is dhcpd's.
      return headerless(text) ? { text, read: readV4, hostname, program, pid, extra } : undefined
    }
    // `host 10.0.0.1 dhcpd[1]: …` (Infoblox NIOS puts its address before the tag): the header took
    // the address for the tag and left the tag in the message.
    if (msg.format !== 'rfc3164' || msg.appname === '' || !text.startsWith('dhcpd')) return undefined
    const colon = text.indexOf(': ')
    if (colon < 5 || colon > 24) return undefined
    const tag = text.slice(0, colon)
    const b = tag.indexOf('[')
    program = b === -1 ? tag : tag.slice(0, b)
    if (!TAGS.has(program)) return undefined
    if (b !== -1) {
      if (!tag.endsWith(']')) return undefined
      pid = tag.slice(b + 1, -1)
      if (!/^\d{1,10}$/.test(pid)) return undefined
    }
    extra = msg.appname
    hostname = msg.hostname === '' ? msg.appname : msg.hostname
    text = text.slice(colon + 2)
  }
  if (text.charCodeAt(text.length - 1) <= 32) text = text.trimEnd()
  if (v4Verb(text) !== undefined) return { text, read: readV4, hostname, program, pid, extra }
  if (v6Shape(text)) return { text, read: readV6, hostname, program, pid, extra }
  return undefined
}

function options(o: DhcpdOptions | undefined): { original: boolean } {
  if (o === undefined || o === null) return { original: false }
  if (typeof o !== 'object' || Array.isArray(o)) {
    throw new BeerError('BEER_ERR_PARSER_DHCPD_OPTIONS', 'dhcpd: options must be an object, like { original: true }')
  }
  for (const key of Object.keys(o)) {
    if (key !== 'original') {
      throw new BeerError('BEER_ERR_PARSER_DHCPD_OPTIONS', `dhcpd: unknown option ${JSON.stringify(key)}; the one option is original`)
    }
  }
  if (o.original !== undefined && typeof o.original !== 'boolean') {
    throw new BeerError('BEER_ERR_PARSER_DHCPD_OPTIONS', 'dhcpd: original must be true or false')
  }
  return { original: o.original === true }
}

function base(msg: SyslogMessage, r: Route, original: boolean): Out {
  const ev = toEvent(msg, original ? { original: true } : undefined)
  const out: Out = { ev, problems: null, time: msg.timestamp !== -1 ? msg.timestamp : msg.receivedAt }
  const event = ev.event!
  event.module = 'dhcpd'
  event.dataset = 'dhcpd.log'
  if (r.program !== undefined) {
    const syslog = (ev.log?.syslog ?? {}) as Record<string, unknown>
    syslog.appname = r.program
    if (r.hostname !== undefined && r.hostname !== '') {
      syslog.hostname = r.hostname
      ev.host = { hostname: r.hostname }
    }
    if (r.pid !== undefined) syslog.procid = r.pid
    ev.process = r.pid === undefined ? { name: r.program } : { name: r.program, pid: Number(r.pid) }
    ev.message = r.text
    if (r.extra !== undefined && r.extra.length <= 45 && isIp(r.extra)) {
      set(out, 'host.ip', [r.extra])
      addRelated(ev, 'ip', r.extra)
    }
  }
  const host = r.hostname ?? msg.hostname
  set(out, 'observer.vendor', 'ISC')
  set(out, 'observer.product', 'DHCP Server')
  set(out, 'observer.type', 'dhcp')
  if (host !== '') {
    set(out, 'host.name', host)
    set(out, 'observer.hostname', host)
    addRelated(ev, 'hosts', host)
  }
  return out
}

function parse(msg: SyslogMessage, r: Route | undefined, original: boolean): LogEvent | null {
  if (r === undefined) {
    try {
      r = route(msg)
    } catch {
      r = undefined
    }
    if (r === undefined) return null
  }
  const out = base(msg, r, original)
  try {
    r.read(out, r.text)
  } catch (err) {
    // Only a bug in this parser gets here; the line still becomes an event, marked partial.
    ;(out.problems ??= []).push(`dhcpd parser failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  return finish(out, msg)
}

// No prefilter: besides the dhcpd tags, Infoblox lines carry the tag inside the message, and
// header-less bodies carry none. `isMine` looks at the tag, then at the first word.
const parser: DefinedParser<DhcpdOptions> = defineParser<DhcpdOptions>({
  name: 'dhcpd',
  url: import.meta.url,
  build(o): ClaimingParserLogic<Route> {
    const { original } = options(o)
    // The route the claim finds (which grammar the line follows) is the one parse reads it by.
    return {
      claim: route,
      parse: (msg, r) => parse(msg, r, original),
    }
  },
})

/** `dhcpd()` in main.ts: the parser for ISC dhcpd (DHCPv4 and DHCPv6) logs. */
export const dhcpd: DefinedParser<DhcpdOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<DhcpdOptions>['create'] = parser.create

import { BeerError, isTimezone, defineParser, markPartial, parseFailure, toEvent } from '@beer/parser-sdk'
import type { DefinedParser, LogEvent, ParserLogic, SyslogMessage } from '@beer/parser-sdk'
import { bindObserver, isBindText, readBind } from './bind.ts'
import type { Obj, Out } from './common.ts'
import { dnsmasqObserver, isDnsmasqQuery, readDnsmasq } from './dnsmasq.ts'

export interface DnsOptions {
  /**
   * Zone of the server's clock, for the zone-less time BIND writes with `print-time`
   * (`27-Nov-2026 10:00:00.123`): 'UTC' (default), 'local', a fixed offset ('+02:00') or an IANA
   * name ('Europe/Zurich'). Syslog messages take their time from the syslog header.
   */
  timezone?: string
}

/** The ECS event this parser produces. */
export type DnsEvent = LogEvent

/** Program names BIND's `named` logs under (`named-pkcs11` is the PKCS#11 build some distributions ship). */
const NAMED = new Set(['named', 'named-pkcs11'])

function options(o: DnsOptions | undefined): { timezone: string } {
  const fail = (why: string) => new BeerError('BEER_ERR_PARSER_DNS_OPTIONS', `dns: ${why}`)
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

const BIND = 1
const DNSMASQ = 2

/** Which server wrote the message, or 0 when it is not one this parser reads. */
function kindOf(msg: SyslogMessage): number {
  const app = msg.appname
  if (NAMED.has(app)) return msg.message !== '' ? BIND : 0
  if (app === 'dnsmasq') return isDnsmasqQuery(msg.message) ? DNSMASQ : 0
  return isBindText(msg.message) ? BIND : 0
}

function isMine(msg: SyslogMessage): boolean {
  return kindOf(msg) !== 0
}

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
      return parseFailure('dns', msg, err)
    }
  }

  private read(msg: SyslogMessage): LogEvent {
    const event = toEvent(msg)
    const out: Out = { event, problems: [] }
    const kind = kindOf(msg)
    if (kind === DNSMASQ) {
      dnsmasqObserver(event, msg.hostname)
      readDnsmasq(out, msg.message)
    } else if (kind === BIND) {
      bindObserver(event, msg.hostname)
      readBind(out, msg.message, this.timezone)
    } else {
      out.problems.push('not a BIND or dnsmasq message')
    }
    return markPartial(event, msg, out.problems)
  }
}

// No prefilter: BIND's file channels reach the collector under any tag, and isMine looks only at
// the tag and the first words of the message.
const parser: DefinedParser<DnsOptions> = defineParser<DnsOptions>({
  name: 'dns',
  url: import.meta.url,
  build(o): ParserLogic {
    const { timezone } = options(o)
    const reader = new Reader(timezone)
    return { isMine, parse: (msg) => reader.parse(msg) }
  },
})

/** `dns({ timezone })` in main.ts: the parser for BIND and dnsmasq logs. */
export const dns: DefinedParser<DnsOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<DnsOptions>['create'] = parser.create
export { isMine as isDnsMessage }

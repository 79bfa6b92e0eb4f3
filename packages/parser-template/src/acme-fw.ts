import { BeerError, addRelated, defineParser, ipOrUndefined, isTimezone, parseKv, setField, toEvent, toInt, zonedTimestamp } from '@beer/parser-sdk'
import type { DefinedParser, LogEvent, SyslogMessage } from '@beer/parser-sdk'

export interface AcmeFwOptions {
  /** Zone of the device clock, for its `time=` field: 'UTC' (default), '+02:00' or an IANA name. */
  timezone?: string
}

// The message types this parser reads. Others (a `type=system` line from a newer firmware) are
// left to the next parser or the plain-syslog fallback rather than half-read.
const TYPES = new Set(['traffic', 'auth'])

function isMine(msg: SyslogMessage): boolean {
  // The prefilter already checked the tag and the `type=` prefix: read the type word only.
  const end = msg.message.indexOf(' ', 5)
  return TYPES.has(msg.message.slice(5, end === -1 ? undefined : end))
}

function parse(msg: SyslogMessage, timezone: string): LogEvent {
  const kv = parseKv(msg.message)
  const event = toEvent(msg)
  // The device's own clock is closer to the event than the header's; fall back to the header.
  const time = zonedTimestamp(kv.time, timezone)
  if (time !== undefined) event['@timestamp'] = time

  setField(event, 'event.module', 'acme_fw')
  setField(event, 'event.dataset', 'acme_fw.log')
  setField(event, 'event.action', kv.action)
  setField(event, 'observer.vendor', 'Acme')
  setField(event, 'observer.product', 'FW')
  setField(event, 'observer.type', 'firewall')
  setField(event, 'observer.hostname', msg.hostname)

  const src = ipOrUndefined(kv.src)
  const dst = ipOrUndefined(kv.dst)
  setField(event, 'source.ip', src)
  setField(event, 'source.port', toInt(kv.sport))
  setField(event, 'destination.ip', dst)
  setField(event, 'destination.port', toInt(kv.dport))
  setField(event, 'user.name', kv.user)
  addRelated(event, 'ip', src, dst)
  addRelated(event, 'user', kv.user)

  if (kv.type === 'traffic') {
    setField(event, 'event.category', ['network'])
    setField(event, 'event.type', ['connection', kv.action === 'allow' ? 'allowed' : 'denied'])
    setField(event, 'network.transport', kv.proto)
    // ECS: source.bytes are the bytes the source sent.
    setField(event, 'source.bytes', toInt(kv.bytes_out))
    setField(event, 'destination.bytes', toInt(kv.bytes_in))
    setField(event, 'rule.name', kv.rule)
    setField(event, 'acme_fw.session_id', kv.session)
  } else {
    setField(event, 'event.category', ['authentication'])
    setField(event, 'event.type', [kv.action === 'login' ? 'start' : kv.action === 'logout' ? 'end' : 'info'])
    setField(event, 'event.outcome', kv.result === 'success' ? 'success' : 'failure')
    setField(event, 'event.reason', kv.reason)
    setField(event, 'acme_fw.auth.method', kv.method)
  }
  return event
}

const parser = defineParser<AcmeFwOptions>({
  name: 'acme-fw',
  url: import.meta.url,
  prefilter: { appname: ['acme-fw'], messagePrefix: ['type='] },
  build: (options) => {
    const timezone = options.timezone ?? 'UTC'
    // A zone this runtime cannot read is refused when the pipeline starts, not read as UTC.
    if (!isTimezone(timezone)) {
      throw new BeerError('BEER_ERR_PARSER_OPTIONS', `acme-fw: timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`)
    }
    return { isMine, parse: (msg) => parse(msg, timezone) }
  },
})

/** `acmeFw({ timezone })` in main.ts: the parser for Acme FW firewalls. */
export const acmeFw: DefinedParser<AcmeFwOptions>['factory'] = parser.factory
/** What the runtime calls, wherever the user placed the parser. */
export const create: DefinedParser<AcmeFwOptions>['create'] = parser.create

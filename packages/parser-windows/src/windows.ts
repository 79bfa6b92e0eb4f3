import { BeerError, isTimezone, defineParser, parseFailure } from '@beer/parser-sdk'
import type { ClaimingParserLogic, DefinedParser, LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { eventIdOf, looksLikeJsonEvent, readJson, readSnare, snareStart } from './record.ts'
import type { WinRecord } from './record.ts'
import { toEcs } from './security.ts'

export interface WindowsOptions {
  /**
   * Zone of the Windows hosts' clocks, for the zone-less times Snare and NXLog write
   * (`Fri Sep 17 16:37:25 2021`, `2021-09-17 16:37:25`): 'UTC' (default), 'local', a fixed offset
   * ('+02:00') or an IANA name ('Europe/Zurich'). Times with a zone are read as written.
   */
  timezone?: string
}

/** The ECS event this parser produces. */
export type WindowsEvent = LogEvent

const OPTIONS: ReadonlySet<string> = new Set(['timezone'])

function optionsOf(o: WindowsOptions | undefined): { timezone: string } {
  const fail = (why: string): never => {
    throw new BeerError('BEER_ERR_PARSER_WINDOWS_OPTIONS', `windows: ${why}`)
  }
  if (o !== undefined && (o === null || typeof o !== 'object' || Array.isArray(o))) fail('the options must be an object, like { timezone: \'Europe/Zurich\' }')
  for (const key of Object.keys(o ?? {})) if (!OPTIONS.has(key)) fail(`there is no option ${JSON.stringify(key)}; the option is timezone`)
  const timezone = o?.timezone ?? 'UTC'
  if (!isTimezone(timezone)) {
    fail(`timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`)
  }
  return { timezone }
}

/**
 * Snare (`MSWinEventLog` and a tab, as the tag or in the message) or a JSON Windows event. A
 * Microsoft product's CEF line, or any other JSON, is not claimed. Exported for the tests: this is
 * the claim test without the wrapper that turns a throw into a refusal.
 */
export function isMine(msg: SyslogMessage): boolean {
  return recordStart(msg) !== NOT_MINE
}

// What recordStart answers, besides where a Snare record starts.
const NOT_MINE = -1
const JSON_EVENT = -2
const SNARE_IN_MESSAGE = /MSWinEventLog/

/** Where the message's Snare record starts (after `MSWinEventLog`), JSON_EVENT, or NOT_MINE. */
function recordStart(msg: SyslogMessage): number {
  let start: number
  if (msg.appname.startsWith('MSWinEventLog')) {
    start = snareStart(msg.raw)
  } else {
    const text = msg.message
    const c = text.charCodeAt(0)
    if (c === 123 /* { */ || c === 32) start = looksLikeJsonEvent(text) ? JSON_EVENT : NOT_MINE
    else start = SNARE_IN_MESSAGE.test(text) ? snareStart(msg.raw) : NOT_MINE
  }
  return start
}

// The first value of a key in JSON text that does not parse.
const PICK: ReadonlyMap<string, RegExp> = new Map(
  ['EventID', 'event_id', 'SourceName', 'provider_name', 'Channel', 'channel', 'Hostname', 'computer_name'].map((key) => [
    key,
    new RegExp(`"${key}" ?: ?"?([^",}]{1,256})`),
  ]),
)

// A JSON event that does not parse (cut short, or broken by a relay): what its first fields say.
function brokenJson(msg: SyslogMessage): WinRecord {
  const t = msg.message
  const pick = (key: string): string | undefined => PICK.get(key)?.exec(t)?.[1]
  const id = pick('EventID') ?? pick('event_id')
  return {
    format: 'nxlog',
    eventId: id === undefined ? undefined : eventIdOf(id),
    provider: pick('SourceName') ?? pick('provider_name'),
    channel: pick('Channel') ?? pick('channel'),
    computer: pick('Hostname') ?? pick('computer_name'),
    recordId: undefined,
    time: undefined,
    outcome: undefined,
    level: undefined,
    message: undefined,
    task: undefined,
    logUser: undefined,
    logDomain: undefined,
    data: {},
    problems: ['the JSON object does not parse (cut short or malformed): only its first fields were read'],
  }
}

/** `claimed` is where the claim found the record (recordStart), undefined when it refused the message. */
function read(msg: SyslogMessage, claimed: number | undefined, timezone: string): LogEvent {
  let rec: WinRecord
  let start = claimed ?? NOT_MINE
  // A message isMine refuses, parsed all the same, is read as it always was.
  if (start === NOT_MINE) start = msg.appname.startsWith('MSWinEventLog') || !looksLikeJsonEvent(msg.message) ? snareStart(msg.raw) : JSON_EVENT
  if (start >= 0) rec = readSnare(msg, start, timezone)
  else rec = readJson(msg, timezone) ?? brokenJson(msg)
  return toEcs(msg, rec)
}

// No prefilter: Snare's `MSWinEventLog` is the tag (appname) behind an RFC 3164 header but part of
// the message behind RFC 5424 or no header, and JSON forwarders set any tag. isMine is a tag
// comparison and a few substring tests.
const parser: DefinedParser<WindowsOptions> = defineParser<WindowsOptions>({
  name: 'windows',
  url: import.meta.url,
  build(o): ClaimingParserLogic<number> {
    const { timezone } = optionsOf(o)
    return {
      // Where the record starts, found once for isMine and parse.
      claim(msg) {
        const start = recordStart(msg)
        return start === NOT_MINE ? undefined : start
      },
      parse(msg, start) {
        try {
          return read(msg, start, timezone)
        } catch (err) {
          // Only a bug gets here; the line still becomes an event, marked partial.
          return parseFailure('windows', msg, err)
        }
      },
    }
  },
})

/** `windows({ timezone })` in main.ts: the parser for Windows events sent by Snare or as JSON. */
export const windows: DefinedParser<WindowsOptions>['factory'] = parser.factory
/** What the runtime calls, wherever the user placed the parser. */
export const create: DefinedParser<WindowsOptions>['create'] = parser.create

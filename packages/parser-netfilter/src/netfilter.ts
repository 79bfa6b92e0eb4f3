import { BeerError, defineParser, toEvent } from '@beer/parser-sdk'
import type { ClaimingParserLogic, DefinedParser, LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { finish } from './fields.ts'
import type { Out } from './fields.ts'
import { readPacket } from './packet.ts'

/** What a log prefix word says the rule did. */
export type NetfilterVerdict = 'allowed' | 'denied' | 'logged'

export interface NetfilterOptions {
  /** Keep the frame as received in `event.original`. Default false; partial events always keep it. */
  original?: boolean
  /**
   * Words of your own log prefixes and what they mean, checked before the built-in ones
   * (`{ FW_IN_OK: 'allowed', BADGUY: 'denied' }`); case does not matter. A prefix is cut into
   * words at anything but letters, digits and `_`.
   */
  actions?: Record<string, NetfilterVerdict>
}

/** The ECS event this parser produces. */
export type NetfilterEvent = LogEvent

// The kernel logs with the `kernel` tag; ulogd's syslog output writes the same text under `ulogd`.
const TAGS = new Set(['kernel', 'ulogd'])

// The kernel's log prefix holds at most 127 characters (NF_LOG_PREFIXLEN), after at most a
// bracketed time since boot: `IN=` is never further into the message than this.
const MAX_START = 24 + 128

/**
 * Where `IN=<interface> OUT=` starts, or -1. The prefix is written right before it, with or
 * without a space (`DROP(src wan)IN=eth0`, `[WAN_IN-10-D]IN=eth0`). Interface names are at most
 * 15 characters (IFNAMSIZ - 1), so each candidate costs a bounded look, and only the first
 * characters of a message are looked at.
 */
export function packetStart(text: string): number {
  const end = Math.min(text.length - 3, MAX_START)
  for (let at = 0; at <= end; at++) {
    if (text.charCodeAt(at) !== 73 /* I */ || text.charCodeAt(at + 1) !== 78 /* N */ || text.charCodeAt(at + 2) !== 61 /* = */) continue
    const from = at + 3
    const limit = Math.min(text.length, from + 16)
    let j = from
    while (j < limit && text.charCodeAt(j) !== 32) j++
    if (j < limit && text.startsWith('OUT=', j + 1)) return at
  }
  return -1
}

interface Route {
  text: string
  start: number
}

function route(msg: SyslogMessage): Route | undefined {
  // A line without a header (a collector stripped it) is claimed on its text alone: nothing else
  // writes `IN=<if> OUT=<if>`.
  if (!TAGS.has(msg.appname) && !(msg.format === 'none' && msg.appname === '')) return undefined
  const text = msg.message
  const start = packetStart(text)
  return start === -1 ? undefined : { text, start }
}

function isWordChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95
}

const DENIED = ['DROP', 'REJECT', 'BLOCK', 'DENY', 'DENIED']
const ALLOWED = ['ACCEPT', 'ALLOW', 'PERMIT']
const LOGGED = ['AUDIT', 'LOG']

/**
 * What the rule did, from the words of its log prefix: the last word that says so wins
 * (`Shorewall:net2fw:DROP:`, `[UFW BLOCK]`, `DROP(src wan)`, `SFW2-INext-DROP-DEFLT`); EdgeOS
 * and UniFi end their prefix in `-A`, `-D` or `-R` (accept, drop, reject).
 */
function verdict(prefix: string, custom: Map<string, NetfilterVerdict>): NetfilterVerdict {
  // A firewall logs a handful of prefixes over and over: their verdicts are remembered (a pure
  // function's results, bounded; the output is the same with or without them).
  const known = VERDICTS.get(prefix)
  if (known !== undefined && known.custom === custom) return known.verdict
  const found = readVerdict(prefix, custom)
  if (VERDICTS.size >= 512) VERDICTS.clear()
  VERDICTS.set(prefix, { custom, verdict: found })
  return found
}

const VERDICTS = new Map<string, { custom: Map<string, NetfilterVerdict>; verdict: NetfilterVerdict }>()

function readVerdict(prefix: string, custom: Map<string, NetfilterVerdict>): NetfilterVerdict {
  const upper = prefix.toUpperCase()
  let found: NetfilterVerdict = 'logged'
  // Words: runs of letters, digits and '_', found by a scan (a regular expression split costs
  // more than linear time on a long prefix of short words).
  for (let i = 0; i < upper.length; ) {
    while (i < upper.length && !isWordChar(upper.charCodeAt(i))) i++
    const start = i
    while (i < upper.length && isWordChar(upper.charCodeAt(i))) i++
    if (i === start) break
    const w = upper.slice(start, i)
    const mine = custom.get(w)
    if (mine !== undefined) {
      found = mine
      continue
    }
    if (DENIED.some((d) => w.includes(d))) found = 'denied'
    else if (ALLOWED.some((a) => w.includes(a))) found = 'allowed'
    else if (LOGGED.includes(w)) found = 'logged'
  }
  // `[WAN_LOCAL-default-D]`: EdgeOS / UniFi firewall rule logs.
  const edge = /-([ADR])\]$/.exec(prefix)
  if (edge !== null && prefix.charCodeAt(0) === 91) found = edge[1] === 'A' ? 'allowed' : 'denied'
  return found
}

const KINDS: Record<NetfilterVerdict, { action: string; type: string[]; outcome: string }> = {
  denied: { action: 'packet-denied', type: ['connection', 'denied'], outcome: 'failure' },
  allowed: { action: 'packet-allowed', type: ['connection', 'allowed'], outcome: 'success' },
  logged: { action: 'packet-logged', type: ['connection', 'info'], outcome: 'unknown' },
}

function options(o: NetfilterOptions | undefined): { original: boolean; actions: Map<string, NetfilterVerdict> } {
  const fail = (text: string): never => {
    throw new BeerError('BEER_ERR_PARSER_NETFILTER_OPTIONS', `netfilter: ${text}`)
  }
  const actions = new Map<string, NetfilterVerdict>()
  if (o === undefined || o === null) return { original: false, actions }
  if (typeof o !== 'object' || Array.isArray(o)) fail('options must be an object, like { original: true }')
  for (const key of Object.keys(o)) {
    if (key !== 'original' && key !== 'actions') fail(`unknown option ${JSON.stringify(key)}; the options are original and actions`)
  }
  if (o.original !== undefined && typeof o.original !== 'boolean') fail('original must be true or false')
  if (o.actions !== undefined) {
    if (o.actions === null || typeof o.actions !== 'object' || Array.isArray(o.actions)) {
      fail("actions must be an object of prefix words, like { FW_IN_OK: 'allowed' }")
    }
    for (const [word, value] of Object.entries(o.actions)) {
      if (!/^[A-Za-z0-9_]{1,64}$/.test(word)) fail(`actions: ${JSON.stringify(word)} is not a prefix word (letters, digits and _)`)
      if (value !== 'allowed' && value !== 'denied' && value !== 'logged') {
        fail(`actions.${word} must be 'allowed', 'denied' or 'logged', not ${JSON.stringify(value)}`)
      }
      actions.set(word.toUpperCase(), value)
    }
  }
  return { original: o.original === true, actions }
}

/** `[12345.678901] `: the kernel's time since boot, in seconds, before the prefix. */
function uptime(text: string): { seconds: number | undefined; rest: number } {
  if (text.charCodeAt(0) !== 91) return NO_UPTIME
  const close = text.indexOf(']')
  if (close === -1 || close > 24) return NO_UPTIME
  let i = 1
  while (text.charCodeAt(i) === 32) i++
  // `<seconds>.<fraction>`, digits only (printk's `[%5lu.%06lu]`).
  const start = i
  let dot = -1
  for (; i < close; i++) {
    const c = text.charCodeAt(i)
    if (c === 46 && dot === -1) dot = i
    else if (c < 48 || c > 57) return NO_UPTIME
  }
  if (dot <= start || dot === close - 1) return NO_UPTIME
  return { seconds: Number(text.slice(start, close)), rest: text.charCodeAt(close + 1) === 32 ? close + 2 : close + 1 }
}

const NO_UPTIME = { seconds: undefined, rest: 0 }

/** The rule's name: the prefix without the brackets and trailing colon that many front-ends add. */
function ruleName(prefix: string): string {
  let name = prefix
  if (name.endsWith(':')) name = name.slice(0, -1).trimEnd()
  if (name.charCodeAt(0) === 91 && name.endsWith(']') && name.indexOf(']') === name.length - 1) name = name.slice(1, -1).trim()
  return name
}

function parse(msg: SyslogMessage, r: Route, original: boolean, custom: Map<string, NetfilterVerdict>): LogEvent {
  const ev = toEvent(msg, original ? { original: true } : undefined)
  const out: Out = { ev, problems: null }
  const event = ev.event!
  event.module = 'netfilter'
  event.dataset = 'netfilter.log'
  if (msg.hostname !== '') {
    ev.observer = { vendor: 'Linux', product: 'Netfilter', type: 'firewall', hostname: msg.hostname }
    ev.host = { hostname: msg.hostname, name: msg.hostname }
    ev.related = { hosts: [msg.hostname] }
  } else {
    ev.observer = { vendor: 'Linux', product: 'Netfilter', type: 'firewall' }
  }
  try {
    const { seconds, rest } = uptime(r.text)
    if (seconds !== undefined) ev.netfilter = { uptime: seconds }
    const prefix = r.start > rest ? r.text.slice(rest, r.start).trim() : ''
    const kind = KINDS[verdict(prefix, custom)]
    event.action = kind.action
    event.category = ['network']
    event.type = kind.type
    event.outcome = kind.outcome
    if (prefix !== '') {
      ;((ev.netfilter ??= {}) as Record<string, unknown>).log_prefix = prefix
      const name = ruleName(prefix)
      if (name !== '') ev.rule = { name }
    }
    readPacket(out, r.text.slice(r.start))
  } catch (err) {
    // Only a bug in this parser gets here; the line still becomes an event, marked partial.
    ;(out.problems ??= []).push(`netfilter parser failed: ${err instanceof Error ? err.message : String(err)}`)
  }
  return finish(out, msg)
}

// The prefilter refuses most lines on one `includes`; `isMine` then checks the tag and finds
// `IN=<if> OUT=`.
const parser: DefinedParser<NetfilterOptions> = defineParser<NetfilterOptions>({
  name: 'netfilter',
  url: import.meta.url,
  prefilter: { messageIncludes: ['IN='] },
  build(o): ClaimingParserLogic<Route> {
    const { original, actions } = options(o)
    // The route the claim finds (where the packet fields start) is the one parse reads it by.
    return {
      claim: route,
      parse: (msg, r) => (r === undefined ? null : parse(msg, r, original, actions)),
    }
  },
})

/** `netfilter()` in main.ts: the parser for Linux iptables / nftables packet logs. */
export const netfilter: DefinedParser<NetfilterOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<NetfilterOptions>['create'] = parser.create

import { BeerError, addRelated, defineParser, markPartial, parseFailure, setField, toEvent } from '@beer/parser-sdk'
import type { DefinedParser, LogEvent, ParserLogic, SyslogMessage } from '@beer/parser-sdk'
import { canonicalIp, isIp as isAddress } from '@beer/parser-sdk'
import { KEYS, SLOT, SLOTS } from './keys.ts'
import type { KeySpec } from './keys.ts'
import { MAX_PAIRS, findHeader, readHeader, readPairs, unescapeValue } from './scan.ts'
import type { Header, Pairs } from './scan.ts'
import { cefTime } from './time.ts'
import { isKnownTimezone } from './zone.ts'

export interface CefOptions {
  /**
   * Zone of the devices' clocks, for CEF times that carry none (`rt=Nov 27 2026 10:00:00`) when
   * the line has no `dtz`: 'UTC' (default), 'local', a fixed offset ('+02:00') or an IANA name.
   */
  timezone?: string
}

/** The ECS event this parser produces. */
export type CefEvent = LogEvent

type Obj = Record<string, unknown>

function options(o: CefOptions | undefined): { timezone: string } {
  const fail = (why: string) => new BeerError('BEER_ERR_PARSER_CEF_OPTIONS', `cef: ${why}`)
  if (o !== undefined && (o === null || typeof o !== 'object' || Array.isArray(o))) throw fail('the options must be an object, like { timezone: \'UTC\' }')
  for (const key of Object.keys(o ?? {})) {
    if (key !== 'timezone') throw fail(`there is no option ${JSON.stringify(key)}; the only option is timezone`)
  }
  const timezone = o?.timezone ?? 'UTC'
  if (typeof timezone !== 'string' || !isKnownTimezone(timezone)) {
    throw fail(
      `timezone ${JSON.stringify(timezone)} is not a zone: give 'UTC', 'local', an offset like '+02:00' or an IANA name like 'Europe/Zurich'`,
    )
  }
  return { timezone }
}

/**
 * Where the CEF text is. The syslog header parser reads `CEF:0|…` after a hostname as a TAG
 * named `CEF`; the frame itself always has it, after at most a header and a device's prefix.
 */
function locate(msg: SyslogMessage): number {
  return findHeader(msg.raw)
}

function isMine(msg: SyslogMessage): boolean {
  return locate(msg) !== -1
}

// Severity words (CEF v25: Unknown, Low, Medium, High, Very-High) as Elastic's decode_cef maps
// them: the bottom of each range of the 0–10 scale (0–3 Low, 4–6 Medium, 7–8 High, 9–10 Very-High).
const SEVERITY_WORDS: Record<string, number> = { low: 0, medium: 4, high: 7, 'very-high': 9 }

/**
 * When a CEF event is a detection (event.kind 'alert'): its category (`cat`) or its Device Event
 * Class ID names one. Only these two fields are read: they are the device's own classification,
 * while a Name or a message may mention a threat without being one.
 */
const DETECTION = /\b(alerts?|attacks?|threats?|malware|malicious|intrusions?|exploits?|detect(?:ed|ion|ions)?|virus|trojans?|worms?|ransomware|spyware|botnets?|suspicious|compromised?|deception|decoys?|honeypots?|lures?|ids|ips|c2|cnc|command and control)\b/i
const MALWARE = /\b(malware|virus|trojans?|worms?|ransomware|spyware|malicious file)\b/i
/** A logon, for the shared `logged-in` / `logon-failed` names: said by `cat` or the Name. */
const LOGON = /\b(log ?on|log ?in|sign[- ]?in|authentication)\b/i
const LOGOFF = /\b(log ?off|log ?out|sign[- ]?out|signoff)\b/i
const FAILED = /\b(fail(?:s|ed|ure)?|denied|invalid|rejected|unsuccessful|bad password|locked out)\b/i
const SUCCEEDED = /\b(success(?:ful|fully)?|succeeded|accepted|granted)\b/i

const OUTCOMES: Record<string, 'success' | 'failure'> = {
  success: 'success', successful: 'success', succeeded: 'success', succeed: 'success', ok: 'success', passed: 'success', pass: 'success',
  failure: 'failure', failed: 'failure', fail: 'failure', error: 'failure', denied: 'failure', unsuccessful: 'failure',
}

/** `act` values that say the device stopped what it saw (ECS event.type 'denied') or let it through ('allowed'). */
const DENIED = /^(block(?:ed)?|den(?:y|ied)|drop(?:ped)?|reject(?:ed)?|quarantined?|prevent(?:ed)?|terminated?|kill(?:ed)?|reset(?:-both|-client|-server)?)$/i
const ALLOWED = /^(allow(?:ed)?|permit(?:ted)?|accept(?:ed)?|pass(?:ed)?)$/i

const IANA: Record<string, string> = { '1': 'icmp', '2': 'igmp', '6': 'tcp', '17': 'udp', '47': 'gre', '50': 'esp', '51': 'ah', '58': 'ipv6-icmp', '132': 'sctp' }

/** MAC addresses in ECS form: upper case, hyphen-separated. */
function mac(text: string): string | undefined {
  if (text.length !== 17) return undefined
  let out = ''
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(i)
    if (i % 3 === 2) {
      if (c !== 58 && c !== 45) return undefined
      out += '-'
    } else if ((c >= 48 && c <= 57) || (c >= 65 && c <= 70)) out += text[i]
    else if (c >= 97 && c <= 102) out += String.fromCharCode(c - 32)
    else return undefined
  }
  return out
}

function int(text: string): number | undefined {
  const n = text.length
  if (n === 0 || n > 16) return undefined
  let i = text.charCodeAt(0) === 45 ? 1 : 0
  if (i === n) return undefined
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  const v = Number(text)
  return Number.isSafeInteger(v) ? v + 0 : undefined
}

function float(text: string): number | undefined {
  if (text.length === 0 || text.length > 32 || !/^-?\d+(\.\d+)?$/.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n + 0 : undefined
}

/** The hash field of a digest, by its length (hex digits). */
function hashField(hash: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hash)) return undefined
  switch (hash.length) {
    case 32:
      return 'md5'
    case 40:
      return 'sha1'
    case 64:
      return 'sha256'
    case 128:
      return 'sha512'
    default:
      return undefined
  }
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype'])

/** Sets a field by its path already split: for the dictionary's ECS fields, split once in keys.ts. */
function setPath(event: LogEvent, keys: readonly string[], value: unknown): void {
  let node = event as Obj
  const last = keys.length - 1
  for (let i = 0; i < last; i++) {
    const key = keys[i]!
    let next = node[key]
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {}
      node[key] = next
    }
    node = next as Obj
  }
  node[keys[last]!] = value
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
      return parseFailure('cef', msg, err)
    }
  }

  private read(msg: SyslogMessage): LogEvent {
    // The header parser takes `CEF:` for a program name, and a device's own prefix (`Nov 27 2026
    // 10:00:00 fw1 CEF:…`) for a TAG without its ':': neither is a process.
    const raw = msg.raw
    const app = msg.appname
    const noTag = app !== '' && (app === 'CEF' || (msg.format === 'rfc3164' && !raw.includes(app + ':') && !raw.includes(app + '[')))
    const event = toEvent(noTag ? { ...msg, appname: '' } : msg)
    const ev = event.event as Obj
    const problems: string[] = []
    const at = locate(msg)
    if (at === -1) {
      problems.push('no CEF header in the message')
      return finish(msg, event, problems)
    }
    const header = readHeader(raw, at)
    const device = app === 'CEF' ? undefined : prefixHost(msg.message)
    const cef: Obj = { version: header.version, device: this.device(header) }
    if (header.name !== '') cef.name = header.name
    if (header.severity !== '') cef.severity = header.severity
    event.cef = cef

    const observer: Obj = {}
    if (header.vendor !== '') observer.vendor = header.vendor
    if (header.product !== '') observer.product = header.product
    if (header.deviceVersion !== '') observer.version = header.deviceVersion
    // The device that wrote the line: the host its prefix names, else the syslog sender; the
    // extension's dvchost, read below, comes first.
    if (device !== undefined) {
      observer.hostname = device
      addRelated(event, 'hosts', device)
    } else if (msg.hostname !== '') observer.hostname = msg.hostname
    event.observer = observer
    ev.module = 'cef'
    ev.dataset = 'cef.log'
    if (header.classId !== '') ev.code = header.classId
    if (header.name !== '') {
      setField(event, 'rule.name', header.name)
      event.message = header.name
    }
    const severity = severityOf(header.severity)
    if (severity !== undefined) ev.severity = severity
    else if (header.severity !== '' && header.severity.toLowerCase() !== 'unknown') {
      problems.push(`the severity ${JSON.stringify(header.severity.slice(0, 32))} is neither 0–10 nor Low, Medium, High or Very-High`)
    }

    const pairs = readPairs(raw, header.extension)
    if (pairs.capped) problems.push(`the extension has more than ${MAX_PAIRS} key=value pairs; the rest is not read`)
    const lead = pairs.lead
    if (lead !== '') problems.push(`the extension starts with text that is no key=value pair: ${JSON.stringify(lead.length > 64 ? lead.slice(0, 64) + '…' : lead)}`)
    this.map(event, cef, header, pairs, msg, problems)
    return finish(msg, event, problems)
  }

  private device(h: Header): Obj {
    const d: Obj = {}
    if (h.vendor !== '') d.vendor = h.vendor
    if (h.product !== '') d.product = h.product
    if (h.deviceVersion !== '') d.version = h.deviceVersion
    if (h.classId !== '') d.event_class_id = h.classId
    return d
  }

  /**
   * The extension: every pair under `cef.extensions` by its full name, the dictionary's keys into
   * ECS, then the event's kind, category, type and action. One pass over the pairs; times wait for
   * `dtz`, which may come after them.
   */
  private map(event: LogEvent, cef: Obj, header: Header, pairs: Pairs, msg: SyslogMessage, problems: string[]): void {
    const ev = event.event as Obj
    // Every pair is kept under cef.extensions by its full name (numbers typed), as Elastic's
    // decode_cef keeps them; the dictionary's keys also fill their ECS fields.
    const ext: Obj = {}
    let extCount = 0
    // The values read again below, by slot.
    const slots: (string | undefined)[] = new Array(SLOTS.length)
    const bad = (name: string, value: string, what: string) =>
      problems.push(`${name} ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)} is not ${what}`)
    let times: [KeySpec, string][] | undefined
    for (let k = 0; k < pairs.keys.length; k++) {
      const key = pairs.keys[k]!
      const spec = KEYS.get(key)
      const name = spec === undefined ? key : spec.full
      // A repeated key keeps its first value; an empty value is no value. (A dictionary name is
      // no Object.prototype member, so a plain lookup tells whether it came before.)
      if (spec === undefined ? FORBIDDEN.has(name) || Object.hasOwn(ext, name) : ext[name] !== undefined) continue
      const value = unescapeValue(pairs.values[k]!)
      if (value === '') continue
      if (spec !== undefined && spec.slot !== undefined) slots[spec.slot] = value
      extCount++
      if (spec === undefined) {
        ext[name] = value
        continue
      }
      const ecs = spec.ecs
      switch (spec.type) {
        case 'int': {
          const n = int(value)
          ext[name] = n ?? value
          if (ecs === undefined) break
          if (n !== undefined) setPath(event, spec.path!, n)
          else bad(name, value, 'a whole number')
          break
        }
        case 'float': {
          const n = float(value)
          ext[name] = n ?? value
          if (ecs !== undefined && n !== undefined) setPath(event, spec.path!, n)
          break
        }
        case 'ip':
        case 'ipv6':
          ext[name] = value
          if (isAddress(value)) {
            const ip = canonicalIp(value)
            if (ecs !== undefined) setPath(event, spec.path!, ecs === 'observer.ip' ? [ip] : ip)
            addRelated(event, 'ip', ip)
          } else if (ecs !== undefined) bad(name, value, 'an address')
          break
        case 'mac': {
          ext[name] = value
          const m = ecs === undefined ? undefined : mac(value)
          if (m !== undefined) setPath(event, spec.path!, ecs === 'observer.mac' ? [m] : m)
          break
        }
        case 'time':
          ext[name] = value
          if (ecs !== undefined) (times ??= []).push([spec, value])
          break
        default:
          ext[name] = value
          if (ecs !== undefined) setPath(event, spec.path!, ecs === 'network.application' ? value.toLowerCase() : value)
      }
    }
    if (extCount > 0) cef.extensions = ext
    const ref = msg.timestamp !== -1 ? msg.timestamp : msg.receivedAt
    const dtz = slots[SLOT.deviceTimeZone]
    const zone = dtz !== undefined && dtz !== '' && isKnownTimezone(dtz) ? dtz : this.timezone
    let zoneUsed = false
    for (const [spec, value] of times ?? []) {
      const t = cefTime(value, zone, ref)
      if (t === undefined) continue
      setPath(event, spec.path!, t)
      if (!/[A-Za-z]{3,}$|Z$|[+-]\d\d:?\d\d$/.test(value) && !/^\d+$/.test(value)) zoneUsed = true
    }
    // Time: the device's receipt time, else the syslog header's (already set), else ours.
    const rt = slots[SLOT.deviceReceiptTime]
    if (rt !== undefined && rt !== '') {
      const t = cefTime(rt, zone, ref)
      if (t !== undefined) {
        event['@timestamp'] = t
        if (!/[A-Za-z]{3,}$|Z$|[+-]\d\d:?\d\d$/.test(rt) && !/^\d+$/.test(rt)) zoneUsed = true
      } else problems.push(`rt ${JSON.stringify(rt.slice(0, 40))} is not a time this parser reads`)
    }
    if (zoneUsed && ev.timezone === undefined) ev.timezone = zone
    // The remaining keys that need more than a copy.
    const msgText = slots[SLOT.message]
    if (msgText !== undefined && msgText !== '') event.message = msgText
    const proto = slots[SLOT.transportProtocol]
    if (proto !== undefined && proto !== '') {
      const number = /^\d{1,3}$/.test(proto) ? String(Number(proto)) : ''
      if (number !== '') {
        setField(event, 'network.iana_number', number)
        setField(event, 'network.transport', Object.hasOwn(IANA, number) ? IANA[number] : undefined)
      } else setField(event, 'network.transport', proto.toLowerCase())
    }
    // The device's own process, which says more than the syslog TAG the header gave.
    const pid = int(slots[SLOT.deviceProcessId] ?? '')
    const pname = slots[SLOT.deviceProcessName] ?? ''
    if (pid !== undefined || pname !== '') {
      const proc = (event.process ?? {}) as Obj
      if (pname !== '') proc.name = pname
      if (pid !== undefined) proc.pid = pid
      event.process = proc
    }
    const direction = slots[SLOT.deviceDirection]
    if (direction === '0') setField(event, 'network.direction', 'inbound')
    else if (direction === '1') setField(event, 'network.direction', 'outbound')
    const context = slots[SLOT.requestContext]
    if (context !== undefined && /^https?:\/\//i.test(context)) setField(event, 'http.request.referrer', context)
    for (const slot of [SLOT.fileHash, SLOT.oldFileHash]) {
      const hash = slots[slot]
      if (hash === undefined || hash === '') continue
      const field = hashField(hash)
      if (slot === SLOT.fileHash && field !== undefined) setField(event, `file.hash.${field}`, hash.toLowerCase())
      addRelated(event, 'hash', field !== undefined ? hash.toLowerCase() : hash)
    }
    addRelated(event, 'user', slots[SLOT.sourceUserName], slots[SLOT.destinationUserName])
    addRelated(event, 'hosts', slots[SLOT.sourceHostName], slots[SLOT.destinationHostName], slots[SLOT.deviceHostName])
    this.classify(event, header, slots)
  }

  private classify(event: LogEvent, header: Header, slots: (string | undefined)[]): void {
    const ev = event.event as Obj
    const cat = (slots[SLOT.deviceEventCategory] ?? '').slice(0, 256)
    const classId = header.classId.slice(0, 256)
    const act = slots[SLOT.deviceAction] ?? ''
    const outcomeText = (slots[SLOT.eventOutcome] ?? '').toLowerCase()
    // Own keys only: an `outcome=constructor` must not find Object.prototype's.
    const outcome = Object.hasOwn(OUTCOMES, outcomeText) ? OUTCOMES[outcomeText] : undefined
    if (outcome !== undefined) ev.outcome = outcome

    const name = header.name.slice(0, 256)
    const f = wordsOf(cat, classId, name)
    const alert = (f & ALERT) !== 0
    const logon = !alert && (f & LOGON_WORDS) !== 0
    const logonOutcome = outcome ?? ((f & FAILED_WORDS) !== 0 ? 'failure' : (f & SUCCEEDED_WORDS) !== 0 ? 'success' : undefined)
    if (logon && logonOutcome !== undefined) {
      ev.kind = 'event'
      ev.category = ['authentication']
      ev.type = ['start']
      ev.outcome = logonOutcome
      ev.action = logonOutcome === 'success' ? 'logged-in' : 'logon-failed'
      const user = slots[SLOT.destinationUserName] || slots[SLOT.sourceUserName]
      setField(event, 'user.name', user)
      return
    }

    const category: string[] = []
    if (alert) category.push('intrusion_detection')
    if ((f & MALWARE_WORDS) !== 0) category.push('malware')
    const has = (slot: number) => (slots[slot] ?? '') !== ''
    if (has(SLOT.requestUrl)) category.push('web')
    if (has(SLOT.sourceAddress) || has(SLOT.destinationAddress)) category.push('network')
    if (has(SLOT.filename) || has(SLOT.filePath) || has(SLOT.fileHash)) category.push('file')
    if (category.length === 0) category.push('host')
    ev.kind = alert ? 'alert' : 'event'
    ev.category = category
    ev.type = DENIED.test(act) ? ['info', 'denied'] : ALLOWED.test(act) ? ['info', 'allowed'] : ['info']
    // event.action: what the device did (`act`), else the signature id.
    const action = act !== '' ? act : header.classId
    if (action !== '') ev.action = action
  }
}

/**
 * The host a device names in its own prefix before `CEF:` (`Nov 27 2026 10:00:00 fw1 CEF:…`): the
 * word right before it, when it looks like a host name and not like part of a time.
 */
function prefixHost(message: string): string | undefined {
  const at = (message.length > 516 ? message.slice(0, 516) : message).indexOf('CEF:')
  if (at <= 1 || at > 512 || message.charCodeAt(at - 1) !== 32) return undefined
  const start = message.lastIndexOf(' ', at - 2) + 1
  const word = message.slice(start, at - 1)
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(word) && /[A-Za-z]/.test(word) ? word : undefined
}

const ALERT = 1
const MALWARE_WORDS = 2
const LOGON_WORDS = 4
const FAILED_WORDS = 8
const SUCCEEDED_WORDS = 16

/** What the detection and logon rules say of a category, a Device Event Class ID and a Name. */
function wordsOf(cat: string, classId: string, name: string): number {
  let f = 0
  if (DETECTION.test(cat) || DETECTION.test(classId)) {
    f |= ALERT
    if (MALWARE.test(cat) || MALWARE.test(classId)) f |= MALWARE_WORDS
    return f
  }
  // Most lines name no logon: the regular expressions run only when a word could match.
  if (!mayBeLogon(cat) && !mayBeLogon(name)) return f
  if ((LOGON.test(cat) || LOGON.test(name)) && !LOGOFF.test(cat) && !LOGOFF.test(name)) f |= LOGON_WORDS
  if (FAILED.test(name)) f |= FAILED_WORDS
  else if (SUCCEEDED.test(name)) f |= SUCCEEDED_WORDS
  return f
}

const MAY_BE_LOGON = /log|sign|auth/i

function mayBeLogon(text: string): boolean {
  return MAY_BE_LOGON.test(text)
}

function severityOf(text: string): number | undefined {
  if (/^\d{1,2}$/.test(text)) {
    const n = Number(text)
    return n <= 10 ? n : undefined
  }
  const word = text.toLowerCase()
  return Object.hasOwn(SEVERITY_WORDS, word) ? SEVERITY_WORDS[word] : undefined
}

/** Marks the event partial, with what could not be read, and keeps the frame as received. */
function finish(msg: SyslogMessage, event: LogEvent, problems: string[]): LogEvent {
  return markPartial(event, msg, problems)
}

// No prefilter: the `CEF:` prefix may come after a syslog header, a device's own prefix, or be
// read by the header parser as a program name. isMine looks for it in the first KiB of the frame.
const parser: DefinedParser<CefOptions> = defineParser<CefOptions>({
  name: 'cef',
  url: import.meta.url,
  build(o): ParserLogic {
    const { timezone } = options(o)
    const reader = new Reader(timezone)
    return { isMine, parse: (msg) => reader.parse(msg) }
  },
})

/** `cef({ timezone })` in main.ts, after every vendor parser: the parser for ArcSight CEF. */
export const cef: DefinedParser<CefOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<CefOptions>['create'] = parser.create
export { isMine as isCefMessage }

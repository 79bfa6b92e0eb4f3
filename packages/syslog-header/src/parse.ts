import type { FrameOrigin, HeaderFormat, HeaderOptions, StructuredData, SyslogMessage } from './message.ts'
import { readStructuredData, sdEnd } from './structured-data.ts'
import { epochOfFound, found, readBsd, readIso } from './timestamp.ts'
import { type Zone, UTC_ZONE, zoneFor } from './zone.ts'

// Hand-written scanning over char codes, no regular expressions: this runs once per received
// message and is the collector's hottest code (see bench/header-parse.bench.ts).

const SP = 32
const TAB = 9
const COLON = 58

// Character classes.
const HOST = 1 // RFC 1123 hostname characters: letters, digits, '.', '-', and '_' (seen in the wild)
const ALNUM = 2
const V6 = 4 // IPv6 literal characters: hex digits, ':' and '.'
const TAG_BAD = 8 // never part of a TAG: control characters and the punctuation of CSV, key=value and JSON payloads
const TAG_STOP = 16 // ends a TAG's name: ':', '[', space, tab
const WS = 32 // space, tab
// Indexed by any UTF-16 code unit, so that a lookup needs no range check (64 KiB; the ASCII part,
// the only one read often, stays in cache). Non-ASCII code units have no class.
const CLASS = new Uint8Array(65536)
for (let c = 0; c < 128; c++) {
  const digit = c >= 48 && c <= 57
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  const hex = digit || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
  if (digit || letter) CLASS[c]! |= HOST | ALNUM
  if (c === 46 || c === 45 || c === 95) CLASS[c]! |= HOST
  if (hex || c === COLON || c === 46) CLASS[c]! |= V6
  if (c === SP || c === TAB) CLASS[c]! |= WS
  if (c === COLON || c === 91 || c === SP || c === TAB) CLASS[c]! |= TAG_STOP
  else if (c < 32 || c === 127 || ',="\'{};<>\\|'.includes(String.fromCharCode(c))) CLASS[c]! |= TAG_BAD
}

// What the last successful readTag found (one record instead of a returned object).
const tag = { nameEnd: 0, pidStart: -1, pidEnd: -1, next: 0 }

/**
 * RFC 3164 §4.1.3 TAG at `i`: a program name, an optional `[pid]`, an optional ':', then one
 * separating space or tab, which is not part of the message. The name ends at ':', '[' or
 * whitespace, so `sshd(pam_unix)[12750]:` and `%ASA-6-302013:` are read whole.
 * `strict` (used when the frame has no timestamp, so nothing vouches for the header) accepts only
 * a TAG with a ':' or a `[pid]` followed by whitespace or the end.
 */
function readTag(raw: string, i: number, end: number, strict: boolean): boolean {
  const start = i
  let c = 0
  for (; i < end; i++) {
    c = raw.charCodeAt(i)
    const k = CLASS[c]!
    if (k & (TAG_STOP | TAG_BAD)) {
      if (k & TAG_BAD) return false
      break
    }
  }
  if (i === start) return false
  if (i >= end) c = 0
  tag.nameEnd = i
  tag.pidStart = -1
  if (c === 91) {
    let j = i + 1
    let d = 0
    for (; j < end; j++) {
      d = raw.charCodeAt(j)
      if (d === 93 || d === SP || d === TAB || d === 91) break
    }
    if (j >= end || d !== 93) return false
    tag.pidStart = i + 1
    tag.pidEnd = j
    i = j + 1
    c = i < end ? raw.charCodeAt(i) : 0
  }
  const colon = c === COLON
  if (colon) c = ++i < end ? raw.charCodeAt(i) : 0
  if (i < end) {
    if (c === SP || c === TAB) i++
    // "tag:msg" without a space is still a TAG (RFC 3164 §4.1.3 ends it at any non-name character).
    else if (!colon || strict) return false
  }
  if (strict && !colon && tag.pidStart < 0) return false
  tag.next = i
  return true
}

/**
 * Whether [start, stop) is a hostname: RFC 1123 characters ending in a letter or digit, or an
 * IPv6 literal. rsyslog's pmrfc3164 applies the same test; anything else in that place is taken
 * as the TAG of a message without HOSTNAME.
 */
function isHostname(raw: string, start: number, stop: number): boolean {
  return stop > start && scanWord(raw, start, stop) === stop && wordIsHost
}

let wordIsHost = false
/** The character that ended the last word scanned (0 at the end of the frame). */
let wordStop = 0

/**
 * Scans the word at i up to whitespace or `end`; returns its end and sets `wordIsHost` and
 * `wordStop`. A word that can be no hostname is only scanned up to where that shows (or to its
 * end when that is a ':' before a space, for `host:`), with `wordStop` 0.
 */
function scanWord(raw: string, i: number, end: number): number {
  // The classes every character of the word has in common: one AND per character, no branch but
  // the end of the word.
  let common = HOST | ALNUM | V6
  let prev = 0
  const start = i
  wordStop = 0
  for (; i < end; i++) {
    const c = raw.charCodeAt(i)
    const k = CLASS[c]!
    if (k & WS) {
      wordStop = c
      break
    }
    common &= k
    if (common === 0) {
      // Neither a hostname nor an IPv6 literal. Only `host:` (a final ':') still needs the end of
      // the word; for anything else the caller needs nothing more, so stop here.
      wordIsHost = false
      if (c === COLON && i + 1 < end && raw.charCodeAt(i + 1) === SP) {
        wordStop = SP
        return i + 1
      }
      return i
    }
    prev = c
  }
  const lastAlnum = (CLASS[prev]! & ALNUM) !== 0
  if (common & HOST) wordIsHost = lastAlnum
  else if (common & V6) wordIsHost = lastAlnum && isIPv6(raw, start, i)
  else wordIsHost = false
  return i
}

/** Whether a word of hex digits, ':' and '.' has the colons of an IPv6 literal ('::' or at least three); a time (12:34:56) has not. */
function isIPv6(raw: string, start: number, stop: number): boolean {
  let colons = 0
  for (let i = start; i < stop; i++) {
    if (raw.charCodeAt(i) === COLON) {
      if (raw.charCodeAt(i + 1) === COLON) return true
      colons++
    }
  }
  return colons >= 3
}

/** Whether [start, stop) has a '.' or ':' (an FQDN, an IPv4 or IPv6 address). */
function looksQualified(raw: string, start: number, stop: number): boolean {
  for (let i = start; i < stop; i++) {
    const c = raw.charCodeAt(i)
    if (c === 46 || c === COLON) return true
  }
  return false
}

/** End of the RFC 5424 header field at i (fields are separated by exactly one SP, §6). */
function fieldEnd(raw: string, i: number, end: number): number {
  const e = raw.indexOf(' ', i)
  return e < 0 || e > end ? end : e
}

function make(
  raw: string,
  origin: FrameOrigin,
  format: HeaderFormat,
  pri: number,
  version: number,
  timestamp: number,
  timestampText: string,
  timestampHasZone: boolean,
  hostname: string,
  appname: string,
  procid: string,
  msgid: string,
  structuredData: StructuredData | null,
  message: string,
): SyslogMessage {
  return {
    raw,
    receivedAt: origin.receivedAt,
    transport: origin.transport,
    sourceAddress: origin.sourceAddress,
    sourcePort: origin.sourcePort,
    listener: origin.listener,
    format,
    pri,
    facility: pri >= 0 ? pri >> 3 : -1,
    severity: pri >= 0 ? pri & 7 : -1,
    version,
    timestamp,
    timestampText,
    timestampHasZone,
    hostname,
    appname,
    procid,
    msgid,
    structuredData,
    message,
    truncated: origin.truncated === true,
  }
}

/**
 * Reads the syslog header of one frame: RFC 5424, RFC 3164, and the variants devices send
 * (no PRI, ISO timestamps or a year in the BSD one, no HOSTNAME, `host:`, Cisco `%ASA-…` tags).
 * Never throws: a frame with neither PRI nor timestamp comes back with `format: 'none'` and its
 * text as `message`. Trailing CR, LF and NUL are not part of any field.
 */
export function parseSyslog(raw: string, origin: FrameOrigin, options?: HeaderOptions): SyslogMessage {
  try {
    const zone = options === undefined || options.timezone === undefined ? UTC_ZONE : zoneFor(options.timezone)
    return parse(raw, origin, zone)
  } catch {
    // Only reachable with arguments that break the types (a non-string frame, a missing origin).
    return unparsed(raw, origin)
  }
}

function unparsed(raw: unknown, origin: FrameOrigin | undefined): SyslogMessage {
  const text = typeof raw === 'string' ? raw : ''
  const o = origin ?? ({} as Partial<FrameOrigin>)
  return make(
    text,
    {
      receivedAt: typeof o.receivedAt === 'number' ? o.receivedAt : 0,
      transport: o.transport ?? 'none',
      sourceAddress: typeof o.sourceAddress === 'string' ? o.sourceAddress : '',
      sourcePort: typeof o.sourcePort === 'number' ? o.sourcePort : 0,
      listener: typeof o.listener === 'string' ? o.listener : '',
      truncated: o.truncated === true,
    },
    'none', -1, 0, -1, '', false, '', '', '', '', null, text,
  )
}

function parse(raw: string, origin: FrameOrigin, zone: Zone): SyslogMessage {
  let end = raw.length
  for (let c = raw.charCodeAt(end - 1); c === 10 || c === 13 || c === 0; c = raw.charCodeAt(end - 1)) end--

  // RFC 5424 §6.2.1 / RFC 3164 §4.1.1 PRI: '<' 1*3DIGIT '>' with a value up to 191. Anything else
  // is not a PRI and stays in the text.
  let p = 0
  let pri = -1
  if (raw.charCodeAt(0) === 60) {
    let v = 0
    let i = 1
    let d = raw.charCodeAt(1) - 48
    for (; d >= 0 && d <= 9 && i < 4; d = raw.charCodeAt(++i) - 48) v = v * 10 + d
    // d is now the character after the digits, less 48: it must be '>'.
    if (i > 1 && i < end && d + 48 === 62 && v <= 191) {
      pri = v
      p = i + 1
      // RFC 5424 §6.2.2 VERSION: NONZERO-DIGIT 0*2DIGIT, then SP.
      const d0 = raw.charCodeAt(p) - 48
      if (d0 >= 1 && d0 <= 9) {
        let version = d0
        let j = p + 1
        for (let d = raw.charCodeAt(j) - 48; d >= 0 && d <= 9 && j < p + 3; d = raw.charCodeAt(++j) - 48) {
          version = version * 10 + d
        }
        if (j < end && raw.charCodeAt(j) === SP) {
          const m = parse5424(raw, end, j + 1, pri, version, origin, zone)
          if (m !== null) return m
        }
      }
    }
  }
  return parse3164(raw, end, p, pri, origin, zone)
}

/** RFC 5424 §6 after `<PRI>VERSION SP`; null when TIMESTAMP is neither '-' nor RFC 3339, so the frame is read as RFC 3164. */
function parse5424(
  raw: string,
  end: number,
  p: number,
  pri: number,
  version: number,
  origin: FrameOrigin,
  zone: Zone,
): SyslogMessage | null {
  let timestamp = -1
  let timestampText = ''
  let hasZone = false
  if (raw.charCodeAt(p) === 45 && (p + 1 >= end || raw.charCodeAt(p + 1) === SP)) {
    p += 2
  } else if (readIso(raw, p, end, false) && (found.textEnd >= end || raw.charCodeAt(found.textEnd) === SP)) {
    timestampText = raw.slice(p, found.textEnd)
    timestamp = epochOfFound(origin.receivedAt, zone)
    hasZone = found.offset === found.offset
    p = found.textEnd + 1
  } else {
    return null
  }

  // HOSTNAME, APP-NAME, PROCID, MSGID: SP-separated, '-' is NILVALUE (§6.2.4 to §6.2.7).
  let e = fieldEnd(raw, p, end)
  const hostname = e - p === 1 && raw.charCodeAt(p) === 45 ? '' : raw.slice(p, e)
  p = e + 1
  e = fieldEnd(raw, p, end)
  const appname = p >= end || (e - p === 1 && raw.charCodeAt(p) === 45) ? '' : raw.slice(p, e)
  p = e + 1
  e = fieldEnd(raw, p, end)
  const procid = p >= end || (e - p === 1 && raw.charCodeAt(p) === 45) ? '' : raw.slice(p, e)
  p = e + 1
  e = fieldEnd(raw, p, end)
  const msgid = p >= end || (e - p === 1 && raw.charCodeAt(p) === 45) ? '' : raw.slice(p, e)
  p = e + 1

  // STRUCTURED-DATA (§6.3): '-' or SD-ELEMENTs; what cannot be read as SD is kept as MSG.
  let sd: StructuredData | null = null
  if (p < end) {
    const c = raw.charCodeAt(p)
    if (c === 45 && (p + 1 >= end || raw.charCodeAt(p + 1) === SP)) {
      p += 2
    } else if (c === 91) {
      sd = readStructuredData(raw, p, end)
      if (sdEnd.at > p) {
        p = sdEnd.at
        if (raw.charCodeAt(p) === SP) p++
      }
    }
  }
  // §6.4: MSG may start with a BOM announcing UTF-8; it is not part of the text.
  if (raw.charCodeAt(p) === 0xfeff && p < end) p++
  const message = p < end ? raw.slice(p, end) : ''
  return make(raw, origin, 'rfc5424', pri, version, timestamp, timestampText, hasZone, hostname, appname, procid, msgid, sd, message)
}

function parse3164(raw: string, end: number, p: number, pri: number, origin: FrameOrigin, zone: Zone): SyslogMessage {
  // RFC 3164 §4.1.2 TIMESTAMP, or an RFC 3339 one in its place. HP ProCurve puts a space before it.
  let q = p
  if (pri >= 0 && raw.charCodeAt(q) === SP) q++
  let hasTimestamp = false
  let timestamp = -1
  let timestampText = ''
  let hasZone = false
  const c0 = raw.charCodeAt(q)
  if (c0 >= 48 && c0 <= 57 ? readIso(raw, q, end, true) : c0 >= 65 && readBsd(raw, q, end)) {
    let i = found.textEnd
    // A ':' after the time (`Mar 7 19:06:53: host`, Cisco) belongs to the timestamp's delimiter.
    let c = raw.charCodeAt(i)
    if (c === COLON && i < end) c = raw.charCodeAt(++i)
    if (i >= end || c === SP) {
      hasTimestamp = true
      timestampText = raw.slice(q, found.textEnd)
      timestamp = epochOfFound(origin.receivedAt, zone)
      hasZone = found.offset === found.offset
      p = i < end ? i + 1 : end
    }
  }
  if (!hasTimestamp && pri < 0) return unparsedFrame(raw, end, origin)

  let hostname = ''
  let tagRead = false
  const e = p < end ? scanWord(raw, p, end) : p
  if (e === p) {
    // No word: an empty HOSTNAME (two spaces after the timestamp, as Linux auth logs show), or a
    // first character no hostname has.
    if (hasTimestamp) while (p < end && raw.charCodeAt(p) === SP) p++
  } else {
    if (wordIsHost && (e >= end || wordStop === SP)) {
      // RFC 3164 §4.3.2: without a TIMESTAMP what follows PRI is all MSG, so a leading word is
      // only a HOSTNAME when a TAG with ':' or [pid] follows it.
      if (hasTimestamp || (e < end && readTag(raw, e + 1, end, true))) {
        hostname = raw.slice(p, e)
        tagRead = !hasTimestamp
        p = e < end ? e + 1 : end
      }
    } else if (
      e < end &&
      e - p > 1 &&
      wordStop === SP &&
      raw.charCodeAt(e - 1) === COLON &&
      isHostname(raw, p, e - 1) &&
      readTag(raw, e + 1, end, true)
    ) {
      // `host: tag: msg`. Only when the word is plainly a host (a dot, an IPv6 literal) or the
      // TAG plainly a tag (`[pid]`, Cisco's '%'), so that `kernel: audit: …` keeps `kernel` as TAG.
      if (looksQualified(raw, p, e - 1) || tag.pidStart >= 0 || raw.charCodeAt(e + 1) === 37) {
        hostname = raw.slice(p, e - 1)
        tagRead = true
        p = e + 1
      }
    }
  }

  let appname = ''
  let procid = ''
  if (!tagRead && hostname !== '' && raw.charCodeAt(p) === COLON && (p + 1 >= end || raw.charCodeAt(p + 1) === SP)) {
    // Cisco ASA with `logging device-id`: `host : %ASA-6-302013: …`.
    p = p + 2 < end ? p + 2 : end
  }
  if (tagRead || (p < end && readTag(raw, p, end, !hasTimestamp))) {
    appname = raw.slice(p, tag.nameEnd)
    if (tag.pidStart >= 0) procid = raw.slice(tag.pidStart, tag.pidEnd)
    p = tag.next
  }
  const message = p < end ? raw.slice(p, end) : ''
  return make(raw, origin, 'rfc3164', pri, 0, timestamp, timestampText, hasZone, hostname, appname, procid, '', null, message)
}

function unparsedFrame(raw: string, end: number, origin: FrameOrigin): SyslogMessage {
  return make(raw, origin, 'none', -1, 0, -1, '', false, '', '', '', '', null, end === raw.length ? raw : raw.slice(0, end))
}

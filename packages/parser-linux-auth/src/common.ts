import { addRelated, isIp, markPartial, toEvent } from '@beer/parser-sdk'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'

/** One message being read: the event so far and what could not be read. */
export interface Out {
  ev: LogEvent
  problems: string[] | null
}

/** What a line says happened, in the shared event vocabulary. */
export interface Kind {
  action?: string
  category: string[]
  type: string[]
  outcome?: 'success' | 'failure' | 'unknown'
}

export function classify(out: Out, kind: Kind): void {
  const event = out.ev.event!
  if (kind.action !== undefined) event.action = kind.action
  event.category = kind.category
  event.type = kind.type
  if (kind.outcome !== undefined) event.outcome = kind.outcome
}

// The ECS `process` field set, named through a constant: the repository's portability check reads
// the Node global's name followed by a dot as a use of it, even inside a string.
const PROCESS = 'process'

/** Sets an ECS `process.*` field (`real_user.id`, `command_line`…). */
export function setProcess(out: Out, field: string, value: unknown): void {
  set(out, PROCESS + '.' + field, value)
}

export function problem(out: Out, text: string): void {
  ;(out.problems ??= []).push(text)
}

// Field paths are this parser's own constants, never taken from input: they are split once and
// walked without the checks `setField` makes for paths built from input.
const PATHS = new Map<string, string[]>()

/** Sets a dotted field, skipping undefined, null, '' and NaN as `setField` does. */
export function set(out: Out, path: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || (typeof value === 'number' && value !== value)) return
  let keys = PATHS.get(path)
  if (keys === undefined) {
    keys = path.split('.')
    PATHS.set(path, keys)
  }
  let node = out.ev as Record<string, unknown>
  const last = keys.length - 1
  for (let i = 0; i < last; i++) {
    const key = keys[i]!
    let next = node[key]
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
      next = {}
      node[key] = next
    }
    node = next as Record<string, unknown>
  }
  node[keys[last]!] = value
}

export function relateUser(out: Out, ...names: (string | undefined)[]): void {
  addRelated(out.ev, 'user', ...names)
}

// RFC 1123 §2.1 host names: letters, digits and hyphens in dot-separated labels.
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/

/** True for a DNS host name (not an address): sshd writes one when UseDNS resolved the client. */
export function isHostName(text: string): boolean {
  return text.length <= 253 && HOST_NAME.test(text) && /[A-Za-z]/.test(text) && (text.length > 45 || !isIp(text))
}

/**
 * An address where a message names the other end: `source.ip` when it is an address,
 * `source.domain` when sshd resolved it to a name (UseDNS), and a problem otherwise.
 */
export function endpoint(out: Out, side: 'source' | 'destination', address: string | undefined, port?: string): void {
  if (address === undefined || address === '') return
  set(out, `${side}.address`, address)
  // No address is longer than 45 characters (RFC 4291 §2.2 with an IPv4 tail).
  if (address.length <= 45 && isIp(address)) {
    set(out, `${side}.ip`, address)
    addRelated(out.ev, 'ip', address)
  } else if (isHostName(address)) {
    set(out, `${side}.domain`, address)
    addRelated(out.ev, 'hosts', address)
  } else {
    problem(out, `${side} address ${JSON.stringify(address.slice(0, 64))} is neither an IP address nor a host name`)
  }
  if (port !== undefined) {
    const n = portNumber(port)
    if (n === undefined) problem(out, `${side} port ${JSON.stringify(port.slice(0, 16))} is not a port number`)
    else set(out, `${side}.port`, n)
  }
}

/** A TCP/UDP port, 0 to 65535. */
export function portNumber(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  const n = Number(text)
  return n <= 65535 ? n : undefined
}

/** A whole non-negative number, or undefined. */
export function count(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return Number(text)
}

/** Where a line came from once the header is read, repaired where a header swallowed the tag. */
export interface Origin {
  /** The program, as its tag names it (`sshd`, `su` of `su(pam_unix)`). */
  program: string
  /** The PAM module an old-style tag names (`pam_unix` of `su(pam_unix)`). */
  pamModule: string
  /** The text after the tag. */
  text: string
  hostname: string
  pid: string
  /** The header put the host in APP-NAME and the tag in the message: the line was repaired. */
  shifted: boolean
}

/** The event every line starts from: header fields, then `host.name` and the dataset. */
export function baseEvent(msg: SyslogMessage, origin: Origin, original: boolean): Out {
  const ev = toEvent(msg, original ? { original: true } : undefined)
  const out: Out = { ev, problems: null }
  const event = ev.event!
  event.module = 'system'
  event.dataset = 'system.auth'
  if (origin.shifted) {
    // The header read the host as APP-NAME and left the tag in the message (a timestamp the header
    // parser does not know, or an extra field before the tag): take them back.
    const syslog = (ev.log?.syslog ?? {}) as Record<string, unknown>
    if (origin.hostname !== '') {
      syslog.hostname = origin.hostname
      ev.host = { hostname: origin.hostname }
    }
    syslog.appname = origin.program
    if (origin.pid !== '') syslog.procid = origin.pid
    const pid = count(origin.pid)
    ev.process = pid === undefined ? { name: origin.program } : { name: origin.program, pid }
    ev.message = origin.text
  } else if (origin.pamModule !== '') {
    ev.process = { ...(ev.process as object), name: origin.program }
  }
  if (origin.hostname !== '') {
    set(out, 'host.name', origin.hostname)
    addRelated(ev, 'hosts', origin.hostname)
  }
  return out
}

/** Marks the event partial when something could not be read, as every beer parser does. */
export function finish(out: Out, msg: SyslogMessage): LogEvent {
  return markPartial(out.ev, msg, out.problems)
}

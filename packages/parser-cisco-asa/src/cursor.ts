import { isIp, toInt } from '@beer/parser-sdk'

/**
 * An IPv4 or IPv6 address. The length check first: the longest text form is 45 characters
 * (IPv6 with an IPv4 tail), and it keeps long garbage away from the address grammar.
 */
export function isAddress(text: string | undefined): text is string {
  return text !== undefined && text.length <= 45 && isIp(text)
}

/**
 * Reads a message from left to right with indexOf and literal comparisons: every step moves
 * forward, so a message is read in linear time, and a message cut short leaves `ok` false with
 * the fields read so far kept by the caller.
 */
export class Cursor {
  readonly s: string
  i = 0
  ok = true

  constructor(s: string) {
    this.s = s
  }

  /** Consumes `x` when the text continues with it; otherwise the read has failed. */
  lit(x: string): boolean {
    if (!this.ok) return false
    if (this.s.startsWith(x, this.i)) {
      this.i += x.length
      return true
    }
    this.ok = false
    return false
  }

  /** Consumes `x` when the text continues with it; no failure otherwise. */
  opt(x: string): boolean {
    if (this.ok && this.s.startsWith(x, this.i)) {
      this.i += x.length
      return true
    }
    return false
  }

  /** The text up to `delim` (consumed), or undefined and a failed read when there is none. */
  to(delim: string): string | undefined {
    if (!this.ok) return undefined
    const j = this.s.indexOf(delim, this.i)
    if (j === -1) {
      this.ok = false
      return undefined
    }
    const v = this.s.slice(this.i, j)
    this.i = j + delim.length
    return v
  }

  /** The next word (up to a space, consumed, or the end). Undefined at the end. */
  word(): string | undefined {
    if (!this.ok) return undefined
    if (this.i >= this.s.length) {
      this.ok = false
      return undefined
    }
    const j = this.s.indexOf(' ', this.i)
    const v = j === -1 ? this.s.slice(this.i) : this.s.slice(this.i, j)
    this.i = j === -1 ? this.s.length : j + 1
    return v
  }

  /** The rest of the text (may be empty). */
  rest(): string {
    if (!this.ok) return ''
    const v = this.s.slice(this.i)
    this.i = this.s.length
    return v
  }

  skipSpaces(): void {
    while (this.i < this.s.length && this.s.charCodeAt(this.i) === 32) this.i++
  }

  at(x: string): boolean {
    return this.ok && this.s.startsWith(x, this.i)
  }
}

/** One end of a connection as ASA writes it: `interface:address/port (mapped/port)(idfw user)`. */
export interface Endpoint {
  iface?: string
  ip?: string
  domain?: string
  port?: number
  mappedIp?: string
  mappedDomain?: string
  mappedPort?: number
  user?: string
  /** A port that is not a number from 0 to 65535. */
  badPort?: string
}

/** An address or a network object name: which ECS field it belongs in. */
function setAddress(e: Endpoint, text: string, mapped: boolean): void {
  if (text === '') return
  if (isAddress(text)) {
    if (mapped) e.mappedIp = text
    else e.ip = text
  } else if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(text)) {
    if (mapped) e.mappedDomain = text
    else e.domain = text
  }
}

/** `address/port` or `address`; IPv6 addresses hold no slash, so the last one ends the address. */
function addressPort(e: Endpoint, text: string, mapped: boolean): void {
  const slash = text.lastIndexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  setAddress(e, addr, mapped)
  if (slash !== -1) {
    const p = toInt(text.slice(slash + 1))
    if (p !== undefined && p >= 0 && p <= 65535) {
      if (mapped) e.mappedPort = p
      else e.port = p
    } else {
      e.badPort = text.slice(slash + 1)
    }
  }
}

/** Whether a parenthesised text is `address/port` (a mapped address) rather than a user name. */
function isMapped(text: string): boolean {
  const slash = text.lastIndexOf('/')
  return slash > 0 && toInt(text.slice(slash + 1)) !== undefined && !text.includes('\\') && !text.includes(' ')
}

/** An identity-firewall user, without the security group tag that may follow it (`LOCAL\alice, 5:Staff`). */
function userOf(text: string): string | undefined {
  let u = text
  const comma = u.indexOf(',')
  if (comma !== -1) u = u.slice(0, comma)
  u = u.trim()
  // A security group tag alone (`5:Staff`), or a masked name, is no user.
  if (u === '' || /^\d+:/.test(u) || u === '*****') return undefined
  return u
}

/**
 * Reads an endpoint at the cursor: `iface:address/port`, then an optional ` (mapped/port)` and
 * `(user)`. With `spacedUser`, ` (user)` after a space is the endpoint's user too; without it, it
 * is left for the caller (ASA's trailing AAA user). `(type N, code M)` is never a user.
 */
export function endpoint(c: Cursor, spacedUser: boolean, withInterface = true): Endpoint {
  const e: Endpoint = {}
  if (!c.ok) return e
  const s = c.s
  let j = c.i
  while (j < s.length) {
    const ch = s.charCodeAt(j)
    if (ch === 32 || ch === 40 /* ( */) break
    j++
  }
  let token = s.slice(c.i, j)
  c.i = j
  if (token === '') {
    c.ok = false
    return e
  }
  if (withInterface) {
    const colon = token.indexOf(':')
    if (colon > 0 && !isAddress(token.slice(0, token.lastIndexOf('/') === -1 ? token.length : token.lastIndexOf('/')))) {
      e.iface = token.slice(0, colon)
      token = token.slice(colon + 1)
    }
  }
  addressPort(e, token, false)
  for (;;) {
    const spaced = s.charCodeAt(c.i) === 32 && s.charCodeAt(c.i + 1) === 40
    const direct = s.charCodeAt(c.i) === 40
    if (!spaced && !direct) break
    const open = c.i + (spaced ? 2 : 1)
    const close = s.indexOf(')', open)
    if (close === -1) break
    const inner = s.slice(open, close)
    if (/^type \d+, code \d+$/.test(inner)) break
    if (isMapped(inner) && e.mappedIp === undefined && e.mappedDomain === undefined && spaced) {
      addressPort(e, inner, true)
    } else if (direct || spacedUser) {
      if (e.user !== undefined) break
      const u = userOf(inner)
      if (u !== undefined) e.user = u
    } else {
      break
    }
    c.i = close + 1
  }
  c.skipSpaces()
  return e
}

/** `DOMAIN\user` as name and domain; other forms (`user@example.org`) as the name alone. */
export function splitUser(u: string): { name: string; domain?: string } {
  const slash = u.indexOf('\\')
  if (slash > 0 && slash < u.length - 1) return { name: u.slice(slash + 1), domain: u.slice(0, slash) }
  return { name: u }
}

/** ASA durations: `h:mm:ss` (connections) or `1d 2h:03m:04s` (VPN sessions), in nanoseconds. */
export function durationNs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  let m = /^(\d{1,7}):(\d{2}):(\d{2})$/.exec(text)
  if (m !== null) return ((+m[1]! * 60 + +m[2]!) * 60 + +m[3]!) * 1e9
  m = /^(?:(\d{1,5})d ?)?(\d{1,7})h:(\d{1,2})m:(\d{1,2})s$/.exec(text)
  if (m !== null) return (((+(m[1] ?? 0) * 24 + +m[2]!) * 60 + +m[3]!) * 60 + +m[4]!) * 1e9
  return undefined
}

import { isForbiddenKey, type LogEvent } from '@beer/core'
import { ecsMac, mapAddress } from './addresses.ts'

/**
 * One line of the learning table: which events teach the map what. Plain data, so a site can
 * add its own in `main.ts` (and the enricher can still run in a worker). Field lists are tried in
 * order, the first present wins; a field holding a list gives its first element. A rule whose
 * address field is missing or not one address teaches nothing.
 */
export interface LearnRule {
  /** Named in `status` (counts per rule) and in the README. */
  name: string
  /** The `event.action` values it reads. */
  actions: string[]
  /** Learn only when every field named has one of the values (any element, for a list). */
  only?: Record<string, string[]>
  /** Skip when any field named has one of the values (any element, for a list). */
  unless?: Record<string, string[]>
  /** `'bind'`: the holder held the address from the event's time. `'end'`: the binding that held it then ends. */
  op: 'bind' | 'end'
  /** Source kind: picks the TTL, and which bindings an end ends (`dhcp`, `vpn`, `userid`, `login`, or your own). */
  kind: string
  /** Fields of the address. */
  ip: string[]
  /** Fields of the user name. */
  user?: string[]
  /** Fields of the user's domain. */
  domain?: string[]
  /** Fields of the holder's host name. */
  host?: string[]
  /** Fields of the holder's MAC address. */
  mac?: string[]
  /** Fields of the binding's stated end (ISO 8601), such as a lease's end. */
  until?: string[]
  /** Fields of the binding's length in seconds, such as a lease time; 0 or less is ignored. */
  seconds?: string[]
  /**
   * An end rule: when the event names no address but a user, end that user's binding of this
   * kind wherever it is (a VPN session's end that does not repeat the tunnel address).
   */
  byUser?: boolean
}

const GP = { 'panw.panos.type': ['GLOBALPROTECT'] }
const NOT_FAILED = { 'event.outcome': ['failure'] }

/**
 * The built-in table, in the event vocabulary the beer parsers share (README: "Learning rules").
 * Host names are taken only from fields that name the holder's machine: `host.name` is the
 * machine an event is about (a login's target), so only GlobalProtect, whose `host.name` is the
 * connecting endpoint, reads it.
 */
export const DEFAULT_RULES: readonly LearnRule[] = [
  // ISC dhcpd / Kea (parser-dhcpd): a lease granted; client.* is the client that got it.
  {
    name: 'dhcp-lease',
    actions: ['dhcp-ack', 'dhcpv6-reply'],
    unless: NOT_FAILED,
    op: 'bind',
    kind: 'dhcp',
    ip: ['client.ip'],
    host: ['client.domain'],
    mac: ['client.mac'],
    until: ['dhcpd.lease_end'],
    seconds: ['dhcpd.lease_time'],
  },
  { name: 'dhcp-end', actions: ['dhcp-release', 'dhcp-expire'], op: 'end', kind: 'dhcp', ip: ['client.ip'], mac: ['client.mac'] },
  // Cisco ASA AnyConnect (parser-cisco-asa): client.ip is the tunnel address, source.ip the public one.
  {
    name: 'vpn-assigned',
    actions: ['vpn-address-assigned'],
    unless: NOT_FAILED,
    op: 'bind',
    kind: 'vpn',
    ip: ['client.ip'],
    user: ['user.name', 'client.user.name'],
    domain: ['user.domain', 'client.user.domain'],
    host: ['client.domain'],
  },
  { name: 'vpn-ended', actions: ['vpn-session-ended'], op: 'end', kind: 'vpn', ip: ['client.ip'], user: ['user.name', 'client.user.name'], byUser: true },
  // ASA 113019 "Session disconnected" names the user and the public address, not the tunnel's.
  {
    name: 'asa-session-disconnected',
    actions: ['logged-out'],
    only: { 'event.module': ['cisco_asa'], 'event.code': ['113019'] },
    op: 'end',
    kind: 'vpn',
    ip: ['client.ip'],
    user: ['user.name'],
    byUser: true,
  },
  // PAN-OS GlobalProtect (parser-paloalto): source.ip is the Private IP the gateway gave the
  // endpoint, source.nat.ip its public address, host.name the endpoint's machine name.
  {
    name: 'globalprotect-connected',
    actions: ['gateway-connected', 'gateway-register'],
    only: GP,
    unless: NOT_FAILED,
    op: 'bind',
    kind: 'vpn',
    ip: ['source.ip'],
    user: ['source.user.name', 'user.name'],
    domain: ['source.user.domain', 'user.domain'],
    host: ['host.name'],
  },
  { name: 'globalprotect-logout', actions: ['gateway-logout'], only: GP, op: 'end', kind: 'vpn', ip: ['source.ip'], user: ['source.user.name', 'user.name'] },
  // PAN-OS User-ID (parser-paloalto): the firewall's own IP-to-user mapping, with its timeout.
  {
    name: 'userid-login',
    actions: ['login'],
    unless: NOT_FAILED,
    op: 'bind',
    kind: 'userid',
    ip: ['source.ip'],
    user: ['source.user.name', 'user.name'],
    domain: ['source.user.domain', 'user.domain'],
    seconds: ['panw.panos.timeout'],
  },
  { name: 'userid-logout', actions: ['logout'], op: 'end', kind: 'userid', ip: ['source.ip'], user: ['source.user.name', 'user.name'] },
  // Logins (parser-linux-auth, parser-windows): the user came from source.ip; host.name is the
  // target, so the source's name comes from source.domain (Windows' workstation name) only.
  {
    name: 'login',
    actions: ['logged-in'],
    only: { 'event.outcome': ['success'] },
    op: 'bind',
    kind: 'login',
    ip: ['source.ip'],
    user: ['user.name'],
    domain: ['user.domain'],
    host: ['source.domain'],
  },
]

/** What an event taught, ready for the map. Times in epoch milliseconds. */
export interface Lesson {
  rule: string
  op: 'bind' | 'end'
  kind: string
  /** Undefined only for an end by user (`byUser`). */
  ip: string | undefined
  user?: string
  domain?: string
  host?: string
  mac?: string
  /** A stated end, when the event gives one. */
  until?: number
  /** A stated length in milliseconds (a lease time), when the event gives one and no end. */
  lengthMs?: number
}

type Path = readonly string[]

interface Compiled {
  name: string
  op: 'bind' | 'end'
  kind: string
  only: [Path, Set<string>][]
  unless: [Path, Set<string>][]
  ip: Path[]
  user: Path[]
  domain: Path[]
  host: Path[]
  mac: Path[]
  until: Path[]
  seconds: Path[]
  byUser: boolean
}

/** The rules by action, compiled once, so an event costs one map look-up to find what may teach. */
export class RuleBook {
  readonly #byAction = new Map<string, Compiled[]>()

  constructor(rules: readonly LearnRule[]) {
    for (const r of rules) {
      const c: Compiled = {
        name: r.name,
        op: r.op,
        kind: r.kind,
        only: conditions(r.only),
        unless: conditions(r.unless),
        ip: paths(r.ip),
        user: paths(r.user),
        domain: paths(r.domain),
        host: paths(r.host),
        mac: paths(r.mac),
        until: paths(r.until),
        seconds: paths(r.seconds),
        byUser: r.byUser === true && r.op === 'end',
      }
      for (const action of r.actions) {
        const list = this.#byAction.get(action)
        if (list) list.push(c)
        else this.#byAction.set(action, [c])
      }
    }
  }

  /** Whether any rule reads events of this action. */
  reads(action: string): boolean {
    return this.#byAction.has(action)
  }

  /**
   * The lessons of one event (usually none or one). `ignored` is called with the rule's name when
   * a rule's conditions held but the event lacked a usable address.
   */
  lessons(event: LogEvent, action: string, ignored: (rule: string) => void): Lesson[] {
    const rules = this.#byAction.get(action)
    if (rules === undefined) return []
    const out: Lesson[] = []
    for (const r of rules) {
      if (!r.only.every(([p, values]) => hasValue(event, p, values))) continue
      if (r.unless.some(([p, values]) => hasValue(event, p, values))) continue
      const ip = mapAddress(first(event, r.ip))
      const user = name(first(event, r.user))
      if (ip === undefined && !(r.byUser && user !== undefined)) {
        ignored(r.name)
        continue
      }
      const lesson: Lesson = { rule: r.name, op: r.op, kind: r.kind, ip }
      if (user !== undefined) {
        lesson.user = user
        const domain = name(first(event, r.domain))
        if (domain !== undefined) lesson.domain = domain
      }
      const host = name(first(event, r.host))
      if (host !== undefined) lesson.host = host
      const mac = ecsMac(first(event, r.mac))
      if (mac !== undefined) lesson.mac = mac
      if (r.op === 'bind') {
        if (user === undefined && host === undefined && mac === undefined) {
          ignored(r.name)
          continue
        }
        const until = first(event, r.until)
        if (typeof until === 'string') {
          const t = Date.parse(until)
          if (Number.isFinite(t)) lesson.until = t
        }
        if (lesson.until === undefined) {
          const s = Number(first(event, r.seconds))
          if (Number.isFinite(s) && s > 0) lesson.lengthMs = s * 1000
        }
      }
      out.push(lesson)
    }
    return out
  }
}

function paths(list: readonly string[] | undefined): Path[] {
  return (list ?? []).map((p) => p.split('.'))
}

function conditions(c: Record<string, string[]> | undefined): [Path, Set<string>][] {
  return Object.entries(c ?? {}).map(([p, values]) => [p.split('.'), new Set(values)])
}

function at(event: LogEvent, path: Path): unknown {
  let v: unknown = event
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[path[i]!]
  }
  return Array.isArray(v) ? v[0] : v
}

function first(event: LogEvent, list: readonly Path[]): unknown {
  for (const p of list) {
    const v = at(event, p)
    if (v !== undefined && v !== null && v !== '') return v
  }
  return undefined
}

function hasValue(event: LogEvent, path: Path, values: Set<string>): boolean {
  let v: unknown = event
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return false
    v = (v as Record<string, unknown>)[path[i]!]
  }
  if (Array.isArray(v)) return v.some((x) => typeof x === 'string' && values.has(x))
  return typeof v === 'string' && values.has(v)
}

/** A user, domain or host name as events carry it; placeholders such as `-` name nobody. */
function name(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined
  const t = v.trim()
  if (t.length === 0 || t.length > 256 || t === '-' || t === '?' || isForbiddenKey(t)) return undefined
  return t
}

/** Why a rule from the options is unusable: the path inside it, the value, what was expected. */
export function checkRule(r: unknown): { path: string; value: unknown; expected: string } | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return { path: '', value: r, expected: 'an object (see the README: Learning rules)' }
  const o = r as Record<string, unknown>
  const strings = (v: unknown): boolean => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0)
  const fieldList = (v: unknown): boolean => strings(v) && (v as string[]).every((p) => p.split('.').every((s) => s.length > 0 && !isForbiddenKey(s)))
  if (typeof o.name !== 'string' || o.name.length === 0) return { path: '.name', value: o.name, expected: 'a non-empty string' }
  if (!strings(o.actions)) return { path: '.actions', value: o.actions, expected: "a list of event.action values, such as ['dhcp-ack']" }
  if (o.op !== 'bind' && o.op !== 'end') return { path: '.op', value: o.op, expected: "'bind' or 'end'" }
  if (typeof o.kind !== 'string' || !/^[a-z][a-z0-9_-]*$/.test(o.kind) || o.kind === 'static') {
    return { path: '.kind', value: o.kind, expected: "a lower-case source kind such as 'dhcp' or 'radius' (not 'static')" }
  }
  if (!fieldList(o.ip)) return { path: '.ip', value: o.ip, expected: "a list of field paths, such as ['client.ip']" }
  if (o.byUser !== undefined && typeof o.byUser !== 'boolean') return { path: '.byUser', value: o.byUser, expected: 'true or false' }
  for (const key of ['user', 'domain', 'host', 'mac', 'until', 'seconds'] as const) {
    if (o[key] !== undefined && !fieldList(o[key])) return { path: `.${key}`, value: o[key], expected: 'a list of field paths' }
  }
  for (const key of ['only', 'unless'] as const) {
    const c = o[key]
    if (c === undefined) continue
    if (c === null || typeof c !== 'object' || Array.isArray(c)) return { path: `.${key}`, value: c, expected: "an object of field path → values, such as { 'event.outcome': ['success'] }" }
    for (const [p, values] of Object.entries(c)) {
      if (!fieldList([p]) || !strings(values)) return { path: `.${key}`, value: c, expected: "an object of field path → values, such as { 'event.outcome': ['success'] }" }
    }
  }
  if (o.op === 'bind' && o.user === undefined && o.host === undefined && o.mac === undefined) {
    return { path: '', value: o.name, expected: 'a bind rule naming at least one of user, host, mac' }
  }
  return undefined
}

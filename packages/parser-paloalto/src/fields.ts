import { isIp } from '@beer/parser-sdk'
import type { Fields } from './record.ts'
import type { TimeReader } from './time.ts'

// The mappings run once per line on the collector's hot path: they read fields by position, write
// ECS fields with named property stores (each store site then stays monomorphic in V8, where a
// generic `obj[key] = value` helper would not), and cut strings only for the fields they keep.

/** What the mapping of one record works with. */
export interface Ctx {
  /** The record's fields, from FUTURE_USE on (index 7 is the first field after Generated Time). */
  readonly f: Fields
  readonly times: TimeReader
  /** Why the event is partial; null while nothing went wrong. */
  problems: string[] | null
  relatedIp: string[] | null
  relatedUser: string[] | null
  relatedHosts: string[] | null
  relatedHash: string[] | null
  /** Wall-clock time of the record's High Resolution Timestamp, NaN when it has none. */
  highResWall: number
}

export type Obj = Record<string, unknown>

const MAX_SHOWN = 64

/** Notes why the event is partial. */
export function problem(ctx: Ctx, text: string): void {
  if (ctx.problems === null) ctx.problems = [text]
  else ctx.problems.push(text)
}

/** Notes a field that could not be read; the event becomes partial and the field is left out. */
export function bad(ctx: Ctx, name: string, value: string, what: string): void {
  const shown = value.length > MAX_SHOWN ? value.slice(0, MAX_SHOWN) + '…' : value
  problem(ctx, `${name} ${JSON.stringify(shown)} is not ${what}`)
}

/** A whole number field (ports, counters): -1 when empty, or when not a number (noted, left out). */
export function num(ctx: Ctx, i: number, name: string): number {
  const n = ctx.f.int(i)
  if (n === -2) {
    bad(ctx, name, ctx.f.at(i), 'a whole number')
    return -1
  }
  return n
}

/** `num` as undefined when absent, for optional fields. */
export function int(ctx: Ctx, i: number, name: string): number | undefined {
  const n = num(ctx, i, name)
  return n === -1 ? undefined : n
}

/** An address field; undefined when empty, left out and noted when not an IP address. */
export function ip(ctx: Ctx, i: number, name: string): string | undefined {
  const v = ctx.f.str(i)
  if (v === undefined) return undefined
  if (isIp(v)) return v
  bad(ctx, name, v, 'an IP address')
  return undefined
}

/** An address that says something: valid, and not 0.0.0.0 or ::, PAN-OS's "no address" (no NAT, no tunnel address yet). */
export function someIp(ctx: Ctx, i: number, name: string): string | undefined {
  const v = ip(ctx, i, name)
  return v === '0.0.0.0' || v === '::' ? undefined : v
}

/** A time field as ISO 8601 in UTC; undefined when empty, left out and noted when unreadable. */
export function time(ctx: Ctx, i: number, name: string): string | undefined {
  const iso = ctx.times.isoAt(ctx.f, i)
  if (iso === undefined && !ctx.f.empty(i)) bad(ctx, name, ctx.f.at(i), 'a time')
  return iso
}

/** The High Resolution Timestamp (PAN-OS 9.1+) at i, remembered for `@timestamp`. */
export function highRes(ctx: Ctx, panos: Obj, i: number): void {
  if (ctx.f.empty(i)) return
  const hr = ctx.times.offsetAt(ctx.f, i)
  if (hr !== null) {
    ctx.highResWall = hr.wall
    panos.high_resolution_timestamp = ctx.times.isoMs(hr.utc)
    return
  }
  // Without an offset it is one more zone-less time.
  const v = time(ctx, i, 'high resolution timestamp')
  if (v !== undefined) panos.high_resolution_timestamp = v
}

function add(list: string[] | null, value: string): string[] {
  if (list === null) return [value]
  if (!list.includes(value)) list.push(value)
  return list
}

export function relateIp(ctx: Ctx, value: string | undefined): void {
  if (value !== undefined) ctx.relatedIp = add(ctx.relatedIp, value)
}
export function relateUser(ctx: Ctx, value: string | undefined): void {
  if (value !== undefined && value !== '') ctx.relatedUser = add(ctx.relatedUser, value)
}
export function relateHost(ctx: Ctx, value: string | undefined): void {
  if (value !== undefined && value !== '') ctx.relatedHosts = add(ctx.relatedHosts, value)
}
export function relateHash(ctx: Ctx, value: string | undefined): void {
  if (value !== undefined) ctx.relatedHash = add(ctx.relatedHash, value)
}

export interface User {
  name: string
  domain?: string
}

/**
 * `DOMAIN\user` (also with the backslash doubled, as some PAN-OS versions escape it), `user@domain`
 * or a bare name, as ECS `user.name` and `user.domain`.
 */
export function userOf(value: string): User {
  const b = value.indexOf('\\')
  if (b > 0) {
    let j = b + 1
    while (value.charCodeAt(j) === 92) j++
    if (j < value.length) return { name: value.slice(j), domain: value.slice(0, b) }
  }
  const at = value.lastIndexOf('@')
  if (at > 0 && at < value.length - 1) return { name: value.slice(0, at), domain: value.slice(at + 1) }
  return { name: value }
}

/** The user of a user field, added to related.user; undefined when the field is empty. */
export function userAt(ctx: Ctx, i: number): User | undefined {
  const v = ctx.f.str(i)
  if (v === undefined) return undefined
  const u = userOf(v)
  relateUser(ctx, u.name)
  return u
}

/** A copy for `user`, so that `user` and `source.user` are not one object twice in the event. */
export function copyUser(u: User): User {
  return u.domain === undefined ? { name: u.name } : { name: u.name, domain: u.domain }
}

/** A dotted path, split once when a table is built. */
export type Path = readonly string[]

export function putPath(obj: Obj, path: Path, value: unknown): void {
  let node = obj
  const last = path.length - 1
  for (let i = 0; i < last; i++) {
    const key = path[i]!
    let next = node[key] as Obj | undefined
    if (next === undefined) {
      next = {}
      node[key] = next
    }
    node = next
  }
  node[path[last]!] = value
}

/** Field index → `panw.panos` path, for the fields copied as they are. */
export type Table = readonly (readonly [number, Path])[]

export function table(entries: readonly (readonly [number, string])[]): Table {
  return entries.map(([i, p]) => [i, p.split('.')] as const)
}

/**
 * Copies the non-empty fields of a table into `panos`. For the fields most lines leave empty;
 * the ones most lines fill are written by name.
 */
export function copy(ctx: Ctx, panos: Obj, t: Table): void {
  const f = ctx.f
  const n = f.count
  for (let k = 0; k < t.length; k++) {
    const e = t[k]!
    const i = e[0]
    if (i >= n) return
    if (!f.anyText(i, i + 1)) continue
    const v = f.str(i)
    if (v !== undefined) putPath(panos, e[1], v)
  }
}

/** Device-group hierarchy levels that name a group ('0' means none), into `panos`. */
export function copyGroups(ctx: Ctx, panos: Obj, first: number): void {
  const f = ctx.f
  if (!f.empty(first) && !f.isChar(first, 48)) panos.device_group_hierarchy1 = f.str(first)
  if (!f.empty(first + 1) && !f.isChar(first + 1, 48)) panos.device_group_hierarchy2 = f.str(first + 1)
  if (!f.empty(first + 2) && !f.isChar(first + 2, 48)) panos.device_group_hierarchy3 = f.str(first + 2)
  if (!f.empty(first + 3) && !f.isChar(first + 3, 48)) panos.device_group_hierarchy4 = f.str(first + 3)
}

// PAN-OS "Flags" bits (Traffic and Threat log field descriptions), named as Elastic's panw
// integration names its `labels`.
const FLAGS: readonly (readonly [number, string])[] = [
  [0x80000000, 'pcap_included'],
  [0x40000000, 'connect_to_destination_host'],
  [0x20000000, 'file_submitted_to_WildFire'],
  [0x10000000, 'enterprise_credential_submission'],
  [0x08000000, 'source_flow_allow_list'],
  [0x02000000, 'ipv6_session'],
  [0x01000000, 'ssl_decrypted'],
  [0x00800000, 'url_filter_denied'],
  [0x00400000, 'nat_translated'],
  [0x00200000, 'captive_portal'],
  [0x00100000, 'non_standard_port_usage'],
  [0x00080000, 'x_forwarded_for'],
  [0x00040000, 'http_proxy'],
  [0x00020000, 'client_server_policy_based_forwarding'],
  [0x00010000, 'server_client_policy_based_forwarding'],
  [0x00008000, 'container_page'],
  [0x00002000, 'temporary_match'],
  [0x00000800, 'symmetric_return'],
  [0x00000400, 'decrypted_traffic'],
  [0x00000100, 'payload_outer_tunnel'],
]

let lastFlags = ''
let lastLabels: Obj | undefined

/** `labels` from the session Flags field (`0x400053`); undefined when none is set. */
export function flagLabels(ctx: Ctx, i: number): Obj | undefined {
  const v = ctx.f.str(i)
  if (v === undefined || v === '0x0' || v === '0') return undefined
  // Lines of one kind of session repeat their flags: the bits are decoded once per value.
  if (v !== lastFlags) {
    const hex = v.startsWith('0x') || v.startsWith('0X')
    const n = hex ? Number.parseInt(v.slice(2), 16) : Number(v)
    if (!Number.isSafeInteger(n) || n < 0 || (hex && !/^0x[0-9a-f]+$/i.test(v))) {
      bad(ctx, 'flags', v, 'a number')
      return undefined
    }
    let labels: Obj | undefined
    // Bit 31 would make `&` negative: test with division.
    for (const [bit, name] of FLAGS) if (Math.floor(n / bit) % 2 === 1) (labels ??= {})[name] = true
    lastFlags = v
    lastLabels = labels
  }
  return lastLabels === undefined ? undefined : { ...lastLabels }
}

/** ECS MAC format: upper-case hex pairs joined by '-'. */
export function mac(value: string): string {
  return value.replace(/[:.]/g, '-').toUpperCase()
}

/**
 * ECS `url.*` from the URL PAN-OS logs: mostly without scheme (`www.example.com/a/b.php?x=1`),
 * sometimes with one or with a port.
 */
export function urlOf(original: string): Obj {
  const url: Obj = { original }
  let rest = original
  const p = rest.indexOf('://')
  if (p > 0 && p <= 10 && /^[a-z][a-z0-9+.-]*$/i.test(rest.slice(0, p))) {
    url.scheme = rest.slice(0, p).toLowerCase()
    rest = rest.slice(p + 3)
  }
  let hostEnd = rest.length
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i)
    if (c === 47 || c === 63 || c === 35) {
      hostEnd = i
      break
    }
  }
  let host = rest.slice(0, hostEnd)
  let tail = rest.slice(hostEnd)
  const hash = tail.indexOf('#')
  if (hash !== -1) {
    if (hash < tail.length - 1) url.fragment = tail.slice(hash + 1)
    tail = tail.slice(0, hash)
  }
  const q = tail.indexOf('?')
  if (q !== -1) {
    if (q < tail.length - 1) url.query = tail.slice(q + 1)
    tail = tail.slice(0, q)
  }
  if (tail !== '') {
    url.path = tail
    const segment = tail.slice(tail.lastIndexOf('/') + 1)
    const dot = segment.lastIndexOf('.')
    if (dot !== -1 && dot < segment.length - 1) url.extension = segment.slice(dot + 1)
  }
  const at = host.lastIndexOf('@')
  if (at !== -1) host = host.slice(at + 1)
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    const port = close === -1 ? '' : host.slice(close + 1)
    if (/^:\d{1,5}$/.test(port)) url.port = Number(port.slice(1))
    host = close === -1 ? host.slice(1) : host.slice(1, close)
  } else {
    const colon = host.lastIndexOf(':')
    if (colon !== -1 && host.indexOf(':') === colon && /^\d{1,5}$/.test(host.slice(colon + 1))) {
      url.port = Number(host.slice(colon + 1))
      host = host.slice(0, colon)
    }
  }
  if (host !== '') url.domain = host
  return url
}

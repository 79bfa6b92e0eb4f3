import { toInt } from '@beer/parser-sdk'
import { Cursor, durationNs, endpoint, isAddress } from './cursor.ts'
import type { Endpoint } from './cursor.ts'
import { Out } from './out.ts'
import type { Obj } from './out.ts'

// Message layouts: Cisco ASA Series Syslog Messages (and the Firepower Threat Defense guide, which
// shares the ids), one section per message id. Each reader fills what it could read and leaves
// `c.ok` false when the message does not go on as documented.

const NETWORK = ['network'] as const
const AUTH = ['authentication'] as const
const CONNECTION_START = ['connection', 'start'] as const
const CONNECTION_END = ['connection', 'end'] as const
const CONNECTION_DENIED = ['connection', 'denied'] as const
const CONNECTION_ALLOWED = ['connection', 'allowed'] as const

function transport(proto: string | undefined): string | undefined {
  if (proto === undefined) return undefined
  const p = proto.toLowerCase()
  if (p === 'icmpv6' || p === 'icmp6') return 'ipv6-icmp'
  return /^[a-z0-9-]{1,16}$/.test(p) ? p : undefined
}

function direction(d: string | undefined): string | undefined {
  const v = d?.toLowerCase()
  return v === 'inbound' || v === 'outbound' ? v : undefined
}

// ── Connections (302013-302016, 302020, 302021) ───────────────────────────────────────────────

/**
 * 302013/302015: `Built {inbound|outbound} TCP|UDP connection <id> for <if>:<addr>/<port>
 * (<mapped>/<port>)[(idfw user)] to <if>:<addr>/<port> (<mapped>/<port>)[(idfw user)] [(user)]`.
 * The first end is the outside one: an outbound connection was opened by the second end.
 */
function built(c: Cursor, o: Out): void {
  o.action('connection-built', NETWORK, CONNECTION_START, 'success')
  c.lit('Built ')
  const dir = c.word()
  const proto = c.word()
  c.lit('connection ')
  const id = c.word()
  c.lit('for ')
  const first = endpoint(c, true)
  c.lit('to ')
  const second = endpoint(c, false)
  const outbound = dir?.toLowerCase() === 'outbound'
  connection(o, outbound ? second : first, outbound ? first : second, proto, id)
  if (c.ok) trailingUser(c, o)
  o.network.direction = direction(dir)
  if (dir !== undefined && o.network.direction === undefined) o.problems.push(`the direction ${JSON.stringify(dir)} is neither inbound nor outbound`)
}

/** A connection's two ends, in the order of ECS (source opened it). */
function connection(o: Out, src: Endpoint, dst: Endpoint, proto: string | undefined, id: string | undefined): void {
  o.endpoint(o.source, src)
  o.endpoint(o.destination, dst)
  o.ingress = src.iface
  o.egress = dst.iface
  o.network.transport = transport(proto)
  if (id !== undefined) {
    if (toInt(id) !== undefined) o.cisco.connection_id = id
    else o.problems.push(`the connection id ${JSON.stringify(id)} is not a number`)
  }
  for (const e of [src, dst]) if (e.badPort !== undefined) o.problems.push(`the port ${JSON.stringify(e.badPort)} is not a port number`)
}

/** ASA's trailing ` (user)`: the user authenticated for the connection (cut-through proxy). */
function trailingUser(c: Cursor, o: Out): void {
  c.skipSpaces()
  const rest = c.rest()
  if (rest.startsWith('(') && rest.endsWith(')')) o.setUser(rest.slice(1, -1))
}

/**
 * 302014/302016: `Teardown TCP|UDP connection <id> for <if>:<addr>/<port>[(idfw user)] to
 * <if>:<addr>/<port>[(idfw user)] duration <h:mm:ss> bytes <n> [<reason> [from <initiator>]] [(user)]`.
 * A teardown does not say which end opened the connection: source is the first end, as Elastic
 * maps it; join with the Built message on cisco.asa.connection_id for the direction.
 */
function teardown(c: Cursor, o: Out): void {
  o.action('connection-teardown', NETWORK, CONNECTION_END)
  c.lit('Teardown ')
  const proto = c.word()
  if (c.opt('state-bypass ')) o.cisco.state_bypass = true
  c.lit('connection ')
  const id = c.word()
  if (!c.opt('for ')) c.lit('from ')
  const first = endpoint(c, true)
  c.lit('to ')
  const second = endpoint(c, true)
  connection(o, first, second, proto, id)
  c.lit('duration ')
  const durationText = c.word()
  const duration = durationNs(durationText)
  if (duration !== undefined) o.event.duration = duration
  else if (durationText !== undefined) o.problems.push(`the duration ${JSON.stringify(durationText)} is not h:mm:ss`)
  c.lit('bytes ')
  const bytesText = c.word()
  const bytes = toInt(bytesText)
  if (bytes !== undefined) o.network.bytes = bytes
  else if (bytesText !== undefined) o.problems.push(`the byte count ${JSON.stringify(bytesText)} is not a number`)
  if (!c.ok) return
  let rest = c.rest().trim()
  const open = rest.lastIndexOf(' (')
  if (rest.endsWith(')') && (open !== -1 || rest.startsWith('('))) {
    o.setUser(rest.slice(open === -1 ? 1 : open + 2, -1))
    rest = open === -1 ? '' : rest.slice(0, open)
  }
  const from = rest.indexOf(' from ')
  if (from !== -1) {
    o.cisco.termination_initiator = rest.slice(from + 6)
    rest = rest.slice(0, from)
  }
  if (rest !== '') o.reason = rest
}

/**
 * 302020/302021: `Built {inbound|outbound} ICMP connection for faddr <addr>/<seq>[(user)] gaddr
 * <addr>/<type> laddr <addr>/<type>[ (user)] [type <t> code <c>]`; the teardown has no direction.
 * faddr is the foreign end, laddr the local one and gaddr its global (mapped) address. The numbers
 * after the slashes are ICMP sequence numbers and types, not ports.
 */
function icmp(c: Cursor, o: Out, isBuilt: boolean): void {
  if (isBuilt) o.action('connection-built', NETWORK, CONNECTION_START, 'success')
  else o.action('connection-teardown', NETWORK, CONNECTION_END)
  let dir: string | undefined
  if (isBuilt) {
    c.lit('Built ')
    dir = c.word()
  } else {
    c.lit('Teardown ')
  }
  const proto = c.word()
  c.lit('connection for faddr ')
  const foreign = endpoint(c, true)
  c.lit('gaddr ')
  const global = endpoint(c, true)
  c.lit('laddr ')
  const local = endpoint(c, true)
  for (const e of [foreign, global, local]) e.port = undefined
  // gaddr is laddr as the other side sees it: laddr's mapped address.
  if (global.ip !== undefined) local.mappedIp = global.ip
  if (dir?.toLowerCase() === 'outbound') connection(o, local, foreign, proto, undefined)
  else connection(o, foreign, local, proto, undefined)
  o.network.direction = direction(dir)
  if (!c.ok) return
  const rest = c.rest().trim()
  const m = /(?:^|\()type (\d{1,3}),? code (\d{1,3})\)?$/.exec(rest.length > 40 ? rest.slice(rest.length - 40) : rest)
  if (m !== null) {
    o.cisco.icmp_type = +m[1]!
    o.cisco.icmp_code = +m[2]!
  }
}

// ── Denies (106001, 106006, 106015, 106023, 106100) ───────────────────────────────────────────

function denied(o: Out): void {
  o.action('connection-denied', NETWORK, CONNECTION_DENIED, 'failure')
}

/** `addr/port` without an interface. */
function bare(c: Cursor, delim: string): Endpoint {
  const text = c.to(delim)
  const e: Endpoint = {}
  if (text === undefined) return e
  const slash = text.lastIndexOf('/')
  const addr = slash === -1 ? text : text.slice(0, slash)
  if (isAddress(addr)) e.ip = addr
  const p = slash === -1 ? undefined : toInt(text.slice(slash + 1))
  if (p !== undefined && p <= 65535) e.port = p
  return e
}

/** 106001: `Inbound TCP connection denied from <addr>/<port> to <addr>/<port> flags <flags> on interface <if>`. */
function m106001(c: Cursor, o: Out): void {
  denied(o)
  const dir = c.word()
  const proto = c.word()
  c.lit('connection denied from ')
  const src = bare(c, ' to ')
  const dst = bare(c, ' flags ')
  connection(o, src, dst, proto, undefined)
  o.network.direction = direction(dir)
  const flags = c.to(' on interface ')
  if (flags !== undefined) o.cisco.tcp_flags = flags.trim()
  const iface = c.rest().trim()
  if (iface !== '') o.ingress = iface
}

/** 106006: `Deny {inbound|outbound} UDP from <addr>/<port> to <addr>/<port> on interface <if>`. */
function m106006(c: Cursor, o: Out): void {
  denied(o)
  c.lit('Deny ')
  const dir = c.word()
  const proto = c.word()
  c.lit('from ')
  const src = bare(c, ' to ')
  const dst = bare(c, ' on interface ')
  connection(o, src, dst, proto, undefined)
  o.network.direction = direction(dir)
  const iface = c.rest().trim()
  if (iface !== '') o.ingress = iface
}

/** 106015: `Deny TCP (no connection) from <addr>/<port> to <addr>/<port> flags <flags> on interface <if>`. */
function m106015(c: Cursor, o: Out): void {
  denied(o)
  c.lit('Deny ')
  const proto = c.word()
  c.lit('(no connection) from ')
  o.reason = 'no connection'
  const src = bare(c, ' to ')
  const dst = bare(c, ' flags ')
  connection(o, src, dst, proto, undefined)
  const flags = c.to(' on interface ')
  if (flags !== undefined) o.cisco.tcp_flags = flags.trim()
  const iface = c.rest().trim()
  if (iface !== '') o.ingress = iface
}

/**
 * 106023: `Deny <protocol> src <if>:<addr>/<port>[(user)] dst <if>:<addr>/<port>[(user)]
 * [(type <t>, code <c>)] by access-group "<acl>" [<hash>, <hash>]`; the protocol may be
 * `protocol <number>`.
 */
function m106023(c: Cursor, o: Out): void {
  denied(o)
  c.lit('Deny ')
  let proto = c.word()
  if (proto === 'protocol') {
    const n = c.word()
    if (n !== undefined && toInt(n) !== undefined) o.network.iana_number = n
    proto = undefined
  }
  c.lit('src ')
  const src = endpoint(c, true)
  c.lit('dst ')
  const dst = endpoint(c, true)
  connection(o, src, dst, proto, undefined)
  const m = /^\(type (\d+), code (\d+)\) /.exec(c.s.slice(c.i, c.i + 40))
  if (m !== null && c.ok) {
    o.cisco.icmp_type = +m[1]!
    o.cisco.icmp_code = +m[2]!
    c.i += m[0].length
  }
  c.lit('by access-group "')
  const acl = c.to('"')
  if (acl !== undefined && acl !== '') o.rule(acl)
}

/**
 * 106100: `access-list <acl> {permitted|denied|est-allowed} <protocol> <if>/<addr>(<port>) ->
 * <if>/<addr>(<port>) hit-cnt <n> <interval> [<hash>, <hash>]`.
 */
function m106100(c: Cursor, o: Out): void {
  c.lit('access-list ')
  const acl = c.word()
  const verdict = c.word()
  if (verdict === 'denied') denied(o)
  else if (verdict !== undefined) o.action('connection-allowed', NETWORK, CONNECTION_ALLOWED, 'success')
  if (acl !== undefined && acl !== '') o.rule(acl)
  const proto = c.word()
  const src = aclEnd(c.to(' -> '))
  const dst = aclEnd(c.to(' '))
  connection(o, src, dst, proto, undefined)
  if (c.opt('hit-cnt ')) {
    const hits = toInt(c.word())
    if (hits !== undefined) o.cisco.hit_count = hits
  }
}

/** `<if>/<addr>(<port>)` of an access-list message. */
function aclEnd(text: string | undefined): Endpoint {
  const e: Endpoint = {}
  if (text === undefined) return e
  const slash = text.indexOf('/')
  const open = text.lastIndexOf('(')
  if (slash > 0) e.iface = text.slice(0, slash)
  const addr = text.slice(slash + 1, open === -1 ? text.length : open)
  if (isAddress(addr)) e.ip = addr
  if (open !== -1 && text.endsWith(')')) {
    const p = toInt(text.slice(open + 1, -1))
    if (p !== undefined && p <= 65535) e.port = p
  }
  return e
}

// ── NAT (305011, 305012) ──────────────────────────────────────────────────────────────────────

/**
 * 305011/305012: `Built|Teardown {dynamic|static} TCP|UDP|ICMP translation from
 * <if>:<addr>/<port>[(user)] to <if>:<mapped>/<port> [duration <h:mm:ss>]`: the real address
 * of the host and the address it is translated to.
 */
function translation(c: Cursor, o: Out, isBuilt: boolean): void {
  if (isBuilt) o.action('nat-translation-built', NETWORK, ['start'], 'success')
  else o.action('nat-translation-teardown', NETWORK, ['end'])
  c.lit(isBuilt ? 'Built ' : 'Teardown ')
  const kind = c.word()
  if (kind === 'dynamic' || kind === 'static') o.cisco.translation_type = kind
  const proto = c.word()
  c.lit('translation from ')
  const real = endpoint(c, true)
  c.lit('to ')
  const mapped = endpoint(c, false)
  if (transport(proto) === 'icmp' || transport(proto) === 'ipv6-icmp') {
    // ICMP translations write the ICMP identifier where other protocols have ports.
    real.port = undefined
    mapped.port = undefined
  }
  o.endpoint(o.source, {
    ...real,
    ...(mapped.ip !== undefined && { mappedIp: mapped.ip }),
    ...(mapped.port !== undefined && { mappedPort: mapped.port }),
  })
  o.ingress = real.iface
  o.egress = mapped.iface
  o.network.transport = transport(proto)
  if (!isBuilt && c.opt('duration ')) {
    const d = durationNs(c.word())
    if (d !== undefined) o.event.duration = d
  }
}

// ── AAA and VPN ───────────────────────────────────────────────────────────────────────────────

/** The value after `key = ` up to ` : `, `, ` or the end (AAA messages). */
function eq(text: string, key: string): string | undefined {
  let at = text.indexOf(key + ' =')
  if (at === -1) return undefined
  at += key.length + 2
  while (text.charCodeAt(at) === 32) at++
  let end = text.length
  const colon = text.indexOf(' :', at)
  if (colon !== -1) end = colon
  const comma = text.indexOf(', ', at)
  if (comma !== -1 && comma < end) end = comma
  const v = text.slice(at, end).trim()
  return v === '' ? undefined : v
}

function loggedIn(o: Out): void {
  o.action('logged-in', AUTH, ['start'], 'success')
}

function logonFailed(o: Out): void {
  o.action('logon-failed', AUTH, ['start'], 'failure')
}

function loggedOut(o: Out): void {
  o.action('logged-out', AUTH, ['end'], 'success')
}

/** 113004/113012: `AAA user {authentication|authorization|accounting} Successful : server = <ip> : user = <user>`. */
function aaaSuccess(c: Cursor, o: Out): void {
  loggedIn(o)
  const text = c.rest()
  aaa(o, text)
  if (text.includes('local database')) o.cisco.aaa_server = 'local database'
}

/** 113005/113015: `AAA user authentication Rejected : reason = <r> : server = <ip> : user = <user> : user IP = <ip>`. */
function aaaRejected(c: Cursor, o: Out): void {
  logonFailed(o)
  const text = c.rest()
  aaa(o, text)
  o.reason = eq(text, 'reason')
}

function aaa(o: Out, text: string): void {
  const type = /^AAA user (\w+) /.exec(text)
  if (type !== null) o.cisco.aaa_type = type[1]
  const server = eq(text, 'server')
  if (isAddress(server)) o.address(o.destination, server)
  o.setUser(eq(text, 'user') ?? eq(text, 'User'))
  const ip = eq(text, 'user IP') ?? eq(text, 'User IP')
  if (isAddress(ip)) o.address(o.source, ip)
  if (o.user.name === undefined && server === undefined) o.problems.push('no user or server in the AAA message')
}

/** 113008: `AAA transaction status ACCEPT : user = <user>`. */
function m113008(c: Cursor, o: Out): void {
  loggedIn(o)
  o.setUser(eq(c.rest(), 'user'))
}

/**
 * The prefix of VPN session messages: `Group <g> User <u> IP <ip> ` (or without the angle
 * brackets), or `TunnelGroup <tg> GroupPolicy <gp> User <u> IP <ip> `. Returns the rest.
 */
function session(c: Cursor, o: Out): string | undefined {
  const s = c.s
  if (s.startsWith('TunnelGroup <', c.i)) {
    c.lit('TunnelGroup <')
    const tg = c.to('> ')
    if (tg !== undefined && tg !== '') o.cisco.tunnel_group = tg
    c.lit('GroupPolicy <')
    const gp = c.to('> ')
    if (gp !== undefined && gp !== '') o.cisco.group_policy = gp
  } else if (s.startsWith('Group <', c.i)) {
    c.lit('Group <')
    const g = c.to('> ')
    if (g !== undefined && g !== '') o.cisco.group_policy = g
  } else if (c.opt('Group ')) {
    const g = c.word()
    if (g !== undefined && g !== '') o.cisco.group_policy = g
  }
  let bracketed = false
  if (c.opt('User <')) {
    bracketed = true
    o.setUser(c.to('> '))
  } else {
    c.lit('User ')
    o.setUser(c.word())
  }
  if (bracketed || c.at('IP <')) {
    c.lit('IP <')
    const ip = c.to('>')
    if (isAddress(ip)) o.address(o.source, ip)
    c.skipSpaces()
  } else {
    c.lit('IP ')
    const ip = c.word()
    if (isAddress(ip)) o.address(o.source, ip)
  }
  return c.ok ? c.rest() : undefined
}

/** 113019: `Group = <g>, Username = <u>, IP = <ip>, Session disconnected. Session Type: <t>, Duration: <d>, Bytes xmt: <n>, Bytes rcv: <n>, Reason: <r>`. */
function m113019(c: Cursor, o: Out): void {
  loggedOut(o)
  c.lit('Group = ')
  const g = c.to(', ')
  if (g !== undefined && g !== '') o.cisco.tunnel_group = g
  c.lit('Username = ')
  o.setUser(c.to(', '))
  c.lit('IP = ')
  const ip = c.to(', ')
  if (isAddress(ip)) o.address(o.source, ip)
  c.lit('Session disconnected. Session Type: ')
  const type = c.to(', ')
  if (type !== undefined) o.cisco.session_type = type
  c.lit('Duration: ')
  const d = durationNs(c.to(', '))
  if (d !== undefined) o.event.duration = d
  c.lit('Bytes xmt: ')
  // xmt: what the ASA sent to the client (the source), rcv: what it received from it.
  const xmt = toInt(c.to(', '))
  c.lit('Bytes rcv: ')
  const rcv = toInt(c.to(', '))
  if (xmt !== undefined) o.destination.bytes = xmt
  if (rcv !== undefined) o.source.bytes = rcv
  if (xmt !== undefined && rcv !== undefined) o.network.bytes = xmt + rcv
  c.lit('Reason: ')
  const reason = c.rest().trim()
  if (reason !== '') o.reason = reason
}

/** 113039: `Group <g> User <u> IP <ip> AnyConnect parent session started.` */
function m113039(c: Cursor, o: Out): void {
  o.action('vpn-session-started', ['session'], ['start'], 'success')
  const rest = session(c, o)
  if (rest !== undefined && !rest.startsWith('AnyConnect parent session started')) o.reason = rest.trim()
}

/** 611101/611102: `User authentication {succeeded|failed}: IP address: <ip>, Uname: <user>`; 611103 `User logged out: Uname: <user>`. */
function m6111xx(c: Cursor, o: Out, id: string): void {
  if (id === '611101') loggedIn(o)
  else if (id === '611102') logonFailed(o)
  else loggedOut(o)
  const text = c.rest()
  const ipAt = text.indexOf('IP address: ')
  if (ipAt !== -1) {
    const end = text.indexOf(',', ipAt)
    const ip = text.slice(ipAt + 12, end === -1 ? text.length : end).trim()
    if (isAddress(ip)) o.address(o.source, ip)
  }
  const userAt = text.indexOf('Uname: ')
  if (userAt !== -1) o.setUser(text.slice(userAt + 7))
  else o.problems.push('no Uname in the message')
}

/** 605004/605005: `Login {denied|permitted} from <ip>/<port> to <if>:<ip>/<service> for user "<user>"`. */
function m60500x(c: Cursor, o: Out, id: string): void {
  if (id === '605005') loggedIn(o)
  else logonFailed(o)
  c.lit('Login ')
  c.word()
  c.lit('from ')
  const src = bare(c, ' to ')
  o.endpoint(o.source, src)
  const to = c.to(' for user "')
  if (to !== undefined) {
    const colon = to.indexOf(':')
    const slash = to.lastIndexOf('/')
    // Management access to the firewall itself: the interface it came in on.
    if (colon > 0) o.ingress = to.slice(0, colon)
    const ip = to.slice(colon + 1, slash === -1 ? to.length : slash)
    if (isAddress(ip)) o.address(o.destination, ip)
    const service = slash === -1 ? '' : to.slice(slash + 1)
    if (/^[a-z]{1,16}$/.test(service)) o.network.protocol = service
  }
  o.setUser(c.to('"'))
}

/** 716001 `WebVPN session started.`, 716002 `WebVPN session terminated: <reason>.` after the session prefix. */
function m71600x(c: Cursor, o: Out, id: string): void {
  if (id === '716001') o.action('vpn-session-started', ['session'], ['start'], 'success')
  else loggedOut(o)
  const rest = session(c, o)
  if (rest === undefined) return
  const colon = rest.indexOf(': ')
  if (id === '716002' && colon !== -1) o.reason = rest.slice(colon + 2).replace(/\.$/, '').trim()
}

/** 716039: `Group <g> User <u> IP <ip> Authentication: rejected, Session Type: <t>.` */
function m716039(c: Cursor, o: Out): void {
  logonFailed(o)
  if (c.at('Authentication: rejected, group = ')) {
    const text = c.rest()
    const g = /group = (\S+)/.exec(text)
    if (g !== null) o.cisco.group_policy = g[1]
    const u = /user = (\S+)/.exec(text)
    if (u !== null) o.setUser(u[1])
    return
  }
  const rest = session(c, o)
  const type = rest === undefined ? null : /Session Type: ([^.,]+)/.exec(rest)
  if (type !== null) o.cisco.session_type = type[1]
}

/** 722022/722023: `… TCP|UDP SVC connection {established|terminated} {with|without} compression`. */
function m72202x(c: Cursor, o: Out, id: string): void {
  if (id === '722022') o.action('vpn-session-started', ['session'], ['start'], 'success')
  else loggedOut(o)
  const rest = session(c, o)
  if (rest === undefined) return
  const proto = rest.slice(0, rest.indexOf(' '))
  if (proto === 'TCP' || proto === 'UDP') o.network.transport = proto.toLowerCase()
}

/**
 * 722051: `Group <g> User <u> IP <public> IPv4 Address <assigned> IPv6 address <assigned> assigned
 * to session`. The assigned (tunnel) address goes to client.ip, the public one to source.ip; an
 * IPv6 address assigned beside an IPv4 one gives a second event.
 */
function m722051(c: Cursor, o: Out): void {
  o.action('vpn-address-assigned', ['network', 'session'], ['start', 'info'], 'success')
  const rest = session(c, o)
  if (rest === undefined) return
  const v4 = /IPv4 Address <([^>]{1,64})>/.exec(rest)?.[1]
  const v6 = /IPv6 address <([^>]{1,64})>/i.exec(rest)?.[1]
  const a4 = isAddress(v4) && v4 !== '0.0.0.0' ? v4 : undefined
  const a6 = isAddress(v6) && v6 !== '::' ? v6 : undefined
  if (a4 === undefined && a6 === undefined) {
    o.problems.push('no assigned address in the message')
    return
  }
  o.address(o.client, a4 ?? a6)
  if (a4 !== undefined && a6 !== undefined) o.assignedAlso = a6
}

/** 734001: `DAP: User <u>, Addr <ip>, Connection <type>: The following DAP records were selected for this connection: <records>`. */
function m734001(c: Cursor, o: Out): void {
  loggedIn(o)
  c.lit('DAP: User ')
  o.setUser(c.to(', '))
  c.lit('Addr ')
  const ip = c.to(', ')
  if (isAddress(ip)) o.address(o.source, ip)
  c.lit('Connection ')
  const type = c.to(': ')
  if (type !== undefined) o.cisco.connection_type = type
  const records = c.rest().replace(/^The following DAP records were selected for this connection:\s*/, '').trim()
  if (records !== '') o.cisco.dap_records = records.split(/,\s*/).filter((r) => r !== '')
}

// ── Firepower connection events (430002, 430003) ──────────────────────────────────────────────

/** `Key: value, Key: value, …` of FTD's security events; a value may hold commas. */
function ftdPairs(text: string): Map<string, string> {
  const out = new Map<string, string>()
  let i = 0
  const n = text.length
  // The next `: ` after a comma: found once and reused while it lies ahead, so that a value
  // full of commas is still read in linear time.
  let colonAhead = -1
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++
    const colon = text.indexOf(': ', i)
    if (colon === -1 || colon - i > 40) break
    const key = text.slice(i, colon)
    if (!/^[A-Za-z][A-Za-z0-9_ ]*$/.test(key)) break
    let j = colon + 2
    let end = n
    for (;;) {
      const comma = text.indexOf(', ', j)
      if (comma === -1) break
      if (colonAhead < comma + 2) colonAhead = text.indexOf(': ', comma + 2)
      if (colonAhead === -1) break
      // The next pair starts with a key and `: ` within 40 characters.
      if (colonAhead - comma <= 42 && /^[A-Za-z][A-Za-z0-9_ ]*$/.test(text.slice(comma + 2, colonAhead))) {
        end = comma
        break
      }
      j = comma + 2
    }
    let value = text.slice(colon + 2, end).trim()
    if (end === n && value.endsWith(',')) value = value.slice(0, -1)
    if (!out.has(key)) out.set(key, value)
    i = end + 2
  }
  return out
}

const BLOCKING = /^(Block|Block with reset|Interactive Block|Interactive Block with reset)$/

/** 430002/430003: FTD connection start and end events, as `Key: value` pairs. */
function m43000x(c: Cursor, o: Out, id: string): void {
  const kv = ftdPairs(c.rest())
  const action = kv.get('AccessControlRuleAction')
  if (action !== undefined && BLOCKING.test(action.replace(/^<br\/>/, ''))) denied(o)
  else if (id === '430002') o.action('connection-built', NETWORK, CONNECTION_START, 'success')
  else o.action('connection-teardown', NETWORK, CONNECTION_END)
  const src: Endpoint = {}
  const dst: Endpoint = {}
  const sip = kv.get('SrcIP')
  const dip = kv.get('DstIP')
  if (isAddress(sip)) src.ip = sip
  if (isAddress(dip)) dst.ip = dip
  const sp = toInt(kv.get('SrcPort'))
  const dp = toInt(kv.get('DstPort'))
  if (sp !== undefined && sp <= 65535) src.port = sp
  if (dp !== undefined && dp <= 65535) dst.port = dp
  src.iface = kv.get('IngressInterface')
  dst.iface = kv.get('EgressInterface')
  connection(o, src, dst, kv.get('Protocol'), kv.get('ConnectionID'))
  const rule = kv.get('AccessControlRuleName')
  if (rule !== undefined && rule !== '') o.rule(rule)
  const policy = kv.get('ACPolicy')
  if (policy !== undefined && policy !== '') o.cisco.ac_policy = policy
  if (action !== undefined) o.cisco.rule_action = action
  const user = kv.get('User')
  if (user !== undefined && !/^(No Authentication Required|Not Found|Unknown)$/.test(user)) {
    const u: Obj = {}
    o.setUser(user, u)
    if (u.name !== undefined) o.source.user = u
  }
  const ib = toInt(kv.get('InitiatorBytes'))
  const rb = toInt(kv.get('ResponderBytes'))
  if (ib !== undefined) o.source.bytes = ib
  if (rb !== undefined) o.destination.bytes = rb
  if (ib !== undefined && rb !== undefined) o.network.bytes = ib + rb
  const zone = kv.get('IngressZone')
  if (zone !== undefined) o.observer.ingress = { zone }
  const ezone = kv.get('EgressZone')
  if (ezone !== undefined) o.observer.egress = { zone: ezone }
}

/** The reader of each message id this parser maps; other ids keep the common fields. */
export function readMessage(id: string, body: string, o: Out): boolean {
  const c = new Cursor(body)
  switch (id) {
    case '302013':
    case '302015':
      built(c, o)
      break
    case '302014':
    case '302016':
      teardown(c, o)
      break
    case '302020':
      icmp(c, o, true)
      break
    case '302021':
      icmp(c, o, false)
      break
    case '106001':
      m106001(c, o)
      break
    case '106006':
      m106006(c, o)
      break
    case '106015':
      m106015(c, o)
      break
    case '106023':
      m106023(c, o)
      break
    case '106100':
      m106100(c, o)
      break
    case '305011':
      translation(c, o, true)
      break
    case '305012':
      translation(c, o, false)
      break
    case '113004':
    case '113012':
      aaaSuccess(c, o)
      break
    case '113005':
    case '113015':
      aaaRejected(c, o)
      break
    case '113008':
      m113008(c, o)
      break
    case '113019':
      m113019(c, o)
      break
    case '113039':
      m113039(c, o)
      break
    case '611101':
    case '611102':
    case '611103':
      m6111xx(c, o, id)
      break
    case '605004':
    case '605005':
      m60500x(c, o, id)
      break
    case '716001':
    case '716002':
      m71600x(c, o, id)
      break
    case '716039':
      m716039(c, o)
      break
    case '722022':
    case '722023':
      m72202x(c, o, id)
      break
    case '722051':
      m722051(c, o)
      break
    case '734001':
      m734001(c, o)
      break
    case '430002':
    case '430003':
      m43000x(c, o, id)
      break
    default:
      return false
  }
  if (!c.ok) o.problems.push(`message ${id} does not go on as documented after ${JSON.stringify(body.slice(Math.max(0, c.i - 24), c.i))}`)
  return true
}

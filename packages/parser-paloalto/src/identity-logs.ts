// GLOBALPROTECT, USERID, HIPMATCH and AUTHENTICATION logs: who is behind an address. Positions
// follow the PAN-OS 11.1 syslog field descriptions ("GlobalProtect Log Fields", "User-ID Log
// Fields", "HIP Match Log Fields", "Authentication Log Fields"); shorter lines from older versions
// simply end earlier.
import {
  copy, copyGroups, copyUser, highRes, int, ip, mac, num, relateHost, relateIp, relateUser, someIp, table, time, userAt, userOf,
} from './fields.ts'
import type { Ctx, Obj, Table, User } from './fields.ts'
import type { Out } from './session-logs.ts'

function networkType(out: Out, address: string | undefined): void {
  if (address !== undefined) out.ev.network = { type: address.includes(':') ? 'ipv6' : 'ipv4' }
}

/** `source` (with its user) and `user`, when there is anything to say. */
function finish(out: Out, source: Obj, user: User | undefined): void {
  if (source.ip !== undefined || source.nat !== undefined || source.port !== undefined || user !== undefined) out.ev.source = source
  if (user !== undefined) {
    source.user = user
    out.ev.user = copyUser(user)
  }
}

// --- GLOBALPROTECT ---------------------------------------------------------------------------

const GP_TAIL: Table = table([
  [10, 'auth_method'],
  [11, 'tunnel_type'],
  [13, 'source.region'],
  [20, 'serial_number'],
  [21, 'client_ver'],
  [26, 'error_message'],
  [29, 'location'],
  [31, 'connect_method'],
  [33, 'portal'],
  [34, 'sequence_number'],
  [35, 'action_flags'],
  [37, 'selection_type'],
  [39, 'priority'],
  [40, 'attempted_gateways'],
  [41, 'gateway'],
  [46, 'vsys_name'],
  [48, 'vsys_id'],
  [49, 'cluster_name'],
])

/**
 * The endpoint's addresses: Private IP is the address the gateway gave the client inside the
 * tunnel, which later TRAFFIC logs show as their source, so it is `source.ip` (as Elastic maps
 * it); Public IP, the address the client connected from, is `source.nat.ip`. IPv6 fills in when
 * the IPv4 field is empty or 0.0.0.0, which stands for "none yet".
 */
export function mapGlobalProtect(ctx: Ctx, out: Out): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const vsys = f.str(7)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const eventId = f.str(8)
  const stage = f.str(9)
  if (stage !== undefined) panos.stage = stage
  const user = userAt(ctx, 12)

  const source: Obj = {}
  const privateIp = someIp(ctx, 17, 'private IP') ?? someIp(ctx, 18, 'private IPv6')
  const publicIp = someIp(ctx, 15, 'public IP') ?? someIp(ctx, 16, 'public IPv6')
  const host: Obj = {}
  if (privateIp !== undefined) {
    source.ip = privateIp
    host.ip = [privateIp]
    relateIp(ctx, privateIp)
  }
  if (publicIp !== undefined) {
    // Before the gateway gives an address (portal and gateway logins), the public address is
    // the only one: where the login came from, as every parser's logins have it in source.ip.
    if (privateIp === undefined) source.ip = publicIp
    else source.nat = { ip: publicIp }
    relateIp(ctx, publicIp)
  }
  const machine = f.str(14)
  if (machine !== undefined) {
    host.name = machine
    relateHost(ctx, machine)
  }
  const hostId = f.str(19)
  if (hostId !== undefined) host.id = hostId
  const osFamily = f.str(22)
  const osFull = f.str(23)
  if (osFamily !== undefined || osFull !== undefined) {
    const os: Obj = {}
    if (osFamily !== undefined) os.family = osFamily
    if (osFull !== undefined) os.full = osFull
    host.os = os
  }
  const repeat = num(ctx, 24, 'repeat count')
  if (repeat !== -1) panos.repeat_count = repeat
  const reason = f.str(25)
  if (reason !== undefined) event.reason = reason
  const description = f.str(27)
  if (description !== undefined) ev.message = description
  const status = f.str(28)
  const duration = num(ctx, 30, 'login duration')
  if (duration !== -1) event.duration = duration * 1e9
  const errorCode = num(ctx, 32, 'error code')
  if (errorCode !== -1) panos.error_code = errorCode
  copy(ctx, panos, GP_TAIL)
  highRes(ctx, panos, 36)
  const response = int(ctx, 38, 'response time')
  if (response !== undefined) panos.response_time = response
  copyGroups(ctx, panos, 42)
  const device = f.str(47)
  if (device !== undefined) observer.hostname = device

  event.kind = 'event'
  // Portal and gateway authentication are logins: they also belong to the authentication category.
  event.category = eventId !== undefined && eventId.endsWith('-auth') ? ['network', 'authentication'] : ['network']
  // gateway-config-release removes the user's address mapping: for the identity map, an end.
  event.type = stage === 'login' ? ['start'] : stage === 'logout' || eventId === 'gateway-config-release' ? ['end'] : ['info']
  if (eventId !== undefined) {
    event.action = eventId
    event.code = eventId
  }
  if (status === 'success' || status === 'failure') event.outcome = status
  else if (status !== undefined) panos.status = status

  finish(out, source, user)
  if (host.ip !== undefined || host.name !== undefined || host.id !== undefined || host.os !== undefined) ev.host = host
  // The tunnel address the gateway assigned, where every VPN parser puts it for the identity map.
  if (privateIp !== undefined) ev.client = { ip: privateIp }
  networkType(out, privateIp ?? publicIp)
}

// --- USERID ----------------------------------------------------------------------------------

const USERID_TAIL: Table = table([
  [10, 'datasourcename'],
  [16, 'datasource'],
  [17, 'datasourcetype'],
  [18, 'sequence_number'],
  [19, 'action_flags'],
  [24, 'vsys_name'],
  [26, 'vsys_id'],
  [27, 'factortype'],
  [30, 'ugflags'],
  [31, 'user_by_source'],
  [32, 'tag.name'],
  [34, 'origin_datasource'],
  [36, 'cluster_name'],
])

/** A User-ID mapping: `source.ip` ↔ `user.name`, learned from a directory, an agent, GlobalProtect… */
export function mapUserId(ctx: Ctx, out: Out, subtype: string | undefined): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const vsys = f.str(7)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const source: Obj = {}
  const address = ip(ctx, 8, 'source address')
  if (address !== undefined) {
    source.ip = address
    relateIp(ctx, address)
  }
  const user = userAt(ctx, 9) ?? userAt(ctx, 31)
  const eventId = f.str(11)
  if (eventId !== undefined) event.code = eventId
  const repeat = num(ctx, 12, 'repeat count')
  if (repeat !== -1) panos.repeat_count = repeat
  const timeout = num(ctx, 13, 'timeout')
  if (timeout !== -1) panos.timeout = timeout
  // "Source Port" and "Destination Port" in the field descriptions: the port range a terminal-server
  // agent maps, 0 when the mapping is for the whole address.
  const sport = num(ctx, 14, 'source port')
  if (sport !== -1) source.port = sport
  const dport = num(ctx, 15, 'destination port')
  if (dport !== -1) ev.destination = { port: dport }
  copy(ctx, panos, USERID_TAIL)
  copyGroups(ctx, panos, 20)
  const device = f.str(25)
  if (device !== undefined) observer.hostname = device
  const completion = time(ctx, 28, 'factor completion time')
  if (completion !== undefined) panos.factorcompletiontime = completion
  const factor = num(ctx, 29, 'factor number')
  if (factor !== -1) panos.factorno = factor
  highRes(ctx, panos, 33)

  event.kind = 'event'
  // A mapping the firewall learned, not a login it saw: network, where start and end are allowed types.
  event.category = ['network']
  event.type = subtype === 'login' ? ['start'] : subtype === 'logout' ? ['end'] : ['info']
  if (subtype !== undefined) event.action = subtype
  finish(out, source, user)
  networkType(out, address)
}

// --- HIPMATCH --------------------------------------------------------------------------------

const HIP_TAIL: Table = table([
  [12, 'matchname'],
  [14, 'matchtype'],
  [17, 'sequence_number'],
  [18, 'action_flags'],
  [23, 'vsys_name'],
  [25, 'vsys_id'],
  [28, 'serial_number'],
  [31, 'cluster_name'],
])

export function mapHipMatch(ctx: Ctx, out: Out): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const user = userAt(ctx, 7)
  const vsys = f.str(8)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const host: Obj = {}
  const machine = f.str(9)
  if (machine !== undefined) {
    host.name = machine
    relateHost(ctx, machine)
  }
  const os = f.str(10)
  if (os !== undefined) host.os = { full: os }
  const source: Obj = {}
  const address = someIp(ctx, 26, 'source IPv6 address') ?? ip(ctx, 11, 'source address')
  if (address !== undefined) {
    source.ip = address
    relateIp(ctx, address)
  }
  const repeat = num(ctx, 13, 'repeat count')
  if (repeat !== -1) panos.repeat_count = repeat
  copy(ctx, panos, HIP_TAIL)
  copyGroups(ctx, panos, 19)
  const device = f.str(24)
  if (device !== undefined) observer.hostname = device
  const hostId = f.str(27)
  if (hostId !== undefined) host.id = hostId
  const m = f.str(29)
  if (m !== undefined) host.mac = [mac(m)]
  highRes(ctx, panos, 30)

  event.kind = 'event'
  event.category = ['network']
  event.type = ['info']
  finish(out, source, user)
  if (host.name !== undefined || host.id !== undefined || host.os !== undefined || host.mac !== undefined) ev.host = host
  networkType(out, address)
}

// --- AUTHENTICATION --------------------------------------------------------------------------

const AUTH_TAIL: Table = table([
  [10, 'normalize_user'],
  [11, 'object.id'],
  [12, 'authentication.policy'],
  [14, 'authentication.id'],
  [15, 'vendor'],
  [16, 'log_profile'],
  [17, 'server_profile'],
  [19, 'client_type'],
  [20, 'event.result'],
  [22, 'sequence_number'],
  [23, 'action_flags'],
  [28, 'vsys_name'],
  [30, 'vsys_id'],
  [31, 'authentication.protocol'],
  [34, 'src.category'],
  [35, 'src.profile'],
  [36, 'src.model'],
  [37, 'src.vendor'],
  [38, 'src.os.family'],
  [39, 'src.os.version'],
  [40, 'src.host'],
  [42, 'region'],
  [45, 'flow_id'],
  [46, 'cluster_name'],
])

/** The result words PAN-OS writes in the Event field of an authentication log. */
function authOutcome(result: string | undefined): string | undefined {
  if (result === undefined) return undefined
  if (result === 'auth-success') return 'success'
  if (result === 'auth-fail') return 'failure'
  // Failure words first: `password-expired` is no success.
  if (/fail|timeout|time out|denied|deny|reject|error|lock|invalid|expired/i.test(result)) return 'failure'
  if (/succe|allow|pass/i.test(result)) return 'success'
  return undefined
}

export function mapAuthentication(ctx: Ctx, out: Out): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const vsys = f.str(7)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const source: Obj = {}
  const address = ip(ctx, 8, 'source address')
  if (address !== undefined) {
    source.ip = address
    relateIp(ctx, address)
  }
  // The user as typed, else as normalized (`DOMAIN\user`); both are related users.
  const user = userAt(ctx, 9) ?? userAt(ctx, 10)
  const normalized = f.str(10)
  if (normalized !== undefined) relateUser(ctx, userOf(normalized).name)
  const repeat = num(ctx, 13, 'repeat count')
  if (repeat !== -1) panos.repeat_count = repeat
  const description = f.str(18)
  if (description !== undefined) event.reason = description
  const factor = num(ctx, 21, 'factor number')
  if (factor !== -1) panos.factorno = factor
  copy(ctx, panos, AUTH_TAIL)
  copyGroups(ctx, panos, 24)
  const device = f.str(29)
  if (device !== undefined) observer.hostname = device
  const ruleUuid = f.str(32)
  if (ruleUuid !== undefined) ev.rule = { uuid: ruleUuid }
  highRes(ctx, panos, 33)
  const srcMac = f.str(41)
  if (srcMac !== undefined) ((panos.src ??= {}) as Obj).mac = mac(srcMac)
  relateHost(ctx, f.str(40))
  const agent = f.str(44)
  if (agent !== undefined) ev.user_agent = { original: agent }

  event.kind = 'event'
  event.category = ['authentication']
  event.type = ['start']
  const result = f.str(20)
  const outcome = authOutcome(result)
  if (outcome !== undefined) {
    event.outcome = outcome
    event.action = outcome === 'success' ? 'logged-in' : 'logon-failed'
  }
  if (result !== undefined) event.code = result
  finish(out, source, user)
  networkType(out, address)
}

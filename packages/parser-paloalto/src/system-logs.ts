// SYSTEM and CONFIG logs: the firewall's own events and its configuration changes. Positions follow
// the PAN-OS 11.1 syslog field descriptions ("System Log Fields", "Config Log Fields").
import { isIp } from '@beer/parser-sdk'
import { copy, copyGroups, highRes, relateHost, relateIp, relateUser, table, userOf } from './fields.ts'
import type { Ctx, Table } from './fields.ts'
import { severity } from './session-logs.ts'
import type { Out } from './session-logs.ts'

// --- SYSTEM ----------------------------------------------------------------------------------

const SYSTEM_TAIL: Table = table([
  [9, 'object.id'],
  [12, 'module'],
  [15, 'sequence_number'],
  [16, 'action_flags'],
  [21, 'vsys_name'],
])

const FOR_USER = /\bfor user '([^']*)'|\bauthenticating user (\S+?)(?: from|,|$)/
const FROM = /\bFrom: ([0-9A-Fa-f:.]+?)\.?$|\bfrom ([0-9A-Fa-f:.]+?)[,.]?\s/
const SERVER = /\bserver address '([^']*)'|\bServer Address (\S+?)[,.]?$/i
const PROFILE = /\bauth(?:entication)? profile '?([^',]+)'?/i
const SERVER_PROFILE = /\bserver profile '?([^',]+)'?/i
const REASON = /\bReason: (.+?\.)(?:\s|$)/

/**
 * Authentication events of the firewall itself (subtype `auth`: administrators, GlobalProtect
 * portal and captive portal logins) say who logged in from where only in the description:
 * `authenticated for user 'alice'. auth profile 'corp', … From: 192.0.2.7.`
 */
function authDescription(ctx: Ctx, out: Out, description: string, eventId: string | undefined): void {
  const { ev, event, panos } = out
  const user = FOR_USER.exec(description)
  const name = user === null ? undefined : (user[1] ?? user[2])
  if (name !== undefined && name !== '') {
    const u = userOf(name)
    ev.user = u
    relateUser(ctx, u.name)
  }
  const from = FROM.exec(description)
  const address = from === null ? undefined : (from[1] ?? from[2])
  if (address !== undefined && isIp(address)) {
    ev.source = { ip: address }
    relateIp(ctx, address)
  }
  const server = SERVER.exec(description)
  const serverAddress = server === null ? undefined : (server[1] ?? server[2])
  if (serverAddress !== undefined && serverAddress !== '') {
    ev.server = isIp(serverAddress) ? { address: serverAddress, ip: serverAddress } : { address: serverAddress, domain: serverAddress }
    if (isIp(serverAddress)) relateIp(ctx, serverAddress)
    else relateHost(ctx, serverAddress)
  }
  const profile = PROFILE.exec(description)
  if (profile !== null) panos.authentication = { profile: profile[1]!.trim() }
  const serverProfile = SERVER_PROFILE.exec(description)
  if (serverProfile !== null) panos.server_profile = serverProfile[1]!.trim()
  const reason = REASON.exec(description)
  if (reason !== null) event.reason = reason[1]!
  event.category = ['authentication']
  if (eventId === 'auth-success' || eventId === 'auth-fail') {
    event.type = ['start']
    event.outcome = eventId === 'auth-success' ? 'success' : 'failure'
  } else {
    event.type = ['info']
  }
}

export function mapSystem(ctx: Ctx, out: Out, subtype: string | undefined): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const vsys = f.str(7)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const eventId = f.str(8)
  severity(ctx, ev, event, 13)
  const description = f.str(14)
  if (description !== undefined) ev.message = description
  copy(ctx, panos, SYSTEM_TAIL)
  copyGroups(ctx, panos, 17)
  const device = f.str(22)
  if (device !== undefined) observer.hostname = device
  highRes(ctx, panos, 25)

  event.kind = 'event'
  if (eventId !== undefined) {
    event.action = eventId
    event.code = eventId
  }
  if (subtype === 'auth' && description !== undefined) {
    authDescription(ctx, out, description, eventId)
  } else {
    event.category = ['configuration']
    event.type = ['info']
  }
}

// --- CONFIG ----------------------------------------------------------------------------------

const CONFIG_TAIL: Table = table([
  [11, 'client_type'],
  [12, 'result'],
  [13, 'path'],
  [14, 'before_change_detail'],
  [15, 'after_change_detail'],
  [16, 'sequence_number'],
  [17, 'action_flags'],
  [22, 'vsys_name'],
  [24, 'device_group_id'],
  [25, 'comment'],
])

// Without the before/after change detail (PAN-OS before 8.0, and Panorama templates that leave
// them out), everything from Sequence Number on sits two places earlier.
const CONFIG_TAIL_SHORT: Table = table([
  [11, 'client_type'],
  [12, 'result'],
  [13, 'path'],
  [14, 'sequence_number'],
  [15, 'action_flags'],
  [20, 'vsys_name'],
  [22, 'device_group_id'],
  [23, 'comment'],
])

const HEX = /^0x[0-9a-f]+$/i

export function mapConfig(ctx: Ctx, out: Out): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const short = HEX.test(f.at(15)) && !HEX.test(f.at(17))
  const shift = short ? -2 : 0
  // Host: the address the administrator worked from.
  const host = f.str(7)
  if (host !== undefined) {
    if (isIp(host)) {
      ev.source = { ip: host }
      relateIp(ctx, host)
    } else {
      ev.source = { address: host }
    }
  }
  const vsys = f.str(8)
  if (vsys !== undefined) panos.virtual_sys = vsys
  const cmd = f.str(9)
  if (cmd !== undefined) panos.cmd = cmd
  const admin = f.str(10)
  if (admin !== undefined) {
    ev.user = { name: admin }
    relateUser(ctx, admin)
  }
  copy(ctx, panos, short ? CONFIG_TAIL_SHORT : CONFIG_TAIL)
  copyGroups(ctx, panos, 18 + shift)
  const device = f.str(23 + shift)
  if (device !== undefined) observer.hostname = device
  highRes(ctx, panos, 27 + shift)

  event.kind = 'event'
  event.category = ['configuration']
  event.type = ['change']
  if (cmd !== undefined) event.action = 'cmd-' + cmd
  const result = f.str(12)
  if (result === 'Succeeded') event.outcome = 'success'
  else if (result === 'Failed' || result === 'Unauthorized') event.outcome = 'failure'
}

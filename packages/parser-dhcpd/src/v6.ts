// ISC dhcpd -6 lines (server/dhcpv6.c of ISC DHCP 4.x):
//   <Type> message from <addr> port <n>, transaction ID 0x<id>
//   Relay-forward message from <addr> port <n>, link address <addr>, peer address <addr>
//   Encapsulated <Type> message from <addr> port <n> from client DUID <duid>, transaction ID 0x<id>
//   Sending <Type> to <addr> port <n>
//   Encapsulating <Type> message to send to <addr> port <n>
//   <Type> NA|TA: address <addr> to client with duid <duid> iaid = <n> valid for <s> seconds   (or `static`)
//   <Type> PD: address <prefix>/<len> to client with duid <duid> iaid = <n> valid for <s> seconds
// Types as dhcpv6_type_names writes them: Solicit, Advertise, Request, Confirm, Renew, Rebind,
// Reply, Release, Decline, Reconfigure, Information-request, Relay-forward, Relay-reply, …
import { ecsMac } from '@beer/parser-sdk'
import { address, count, leaseTime, problem, set } from './fields.ts'
import type { Out } from './fields.ts'

const TYPES = new Set([
  'Solicit',
  'Advertise',
  'Request',
  'Confirm',
  'Renew',
  'Rebind',
  'Reply',
  'Release',
  'Decline',
  'Reconfigure',
  'Information-request',
  'Relay-forward',
  'Relay-reply',
  'Leasequery',
  'Leasequery-reply',
  'Leasequery-done',
  'Leasequery-data',
  'DHCPv4-query',
  'DHCPv4-response',
])

interface V6Line {
  type: string
  shape: 'in' | 'relayed-in' | 'out' | 'relayed-out' | 'lease'
  rest: string
}

function split(text: string): V6Line | undefined {
  const sp = text.indexOf(' ')
  if (sp === -1) return undefined
  const first = text.slice(0, sp)
  if (first === 'Sending' || first === 'Encapsulated' || first === 'Encapsulating') {
    const sp2 = text.indexOf(' ', sp + 1)
    if (sp2 === -1) return undefined
    const type = text.slice(sp + 1, sp2)
    if (!TYPES.has(type)) return undefined
    const rest = text.slice(sp2 + 1)
    if (first === 'Sending') {
      // Infoblox NIOS writes `Sending <Type> message to …`.
      if (rest.startsWith('to ')) return { type, shape: 'out', rest: rest.slice(3) }
      return rest.startsWith('message to ') ? { type, shape: 'out', rest: rest.slice(11) } : undefined
    }
    if (first === 'Encapsulated') return rest.startsWith('message from ') ? { type, shape: 'relayed-in', rest: rest.slice(13) } : undefined
    return rest.startsWith('message to send to ') ? { type, shape: 'relayed-out', rest: rest.slice(19) } : undefined
  }
  if (!TYPES.has(first)) return undefined
  const rest = text.slice(sp + 1)
  if (rest.startsWith('message from ')) return { type: first, shape: 'in', rest: rest.slice(13) }
  if (rest.startsWith('NA: ') || rest.startsWith('TA: ') || rest.startsWith('PD: ')) return { type: first, shape: 'lease', rest }
  return undefined
}

export function v6Shape(text: string): boolean {
  return split(text) !== undefined
}

/** `<addr> port <n>` at the start of `text`, and what follows (after a comma or space). */
function addrPort(text: string): { addr: string; port: string | undefined; rest: string } {
  const sp = text.indexOf(' ')
  if (sp === -1) return { addr: text.replace(/,$/, ''), port: undefined, rest: '' }
  const addr = text.slice(0, sp)
  if (!text.startsWith('port ', sp + 1)) return { addr, port: undefined, rest: text.slice(sp + 1) }
  let end = text.indexOf(' ', sp + 6)
  if (end === -1) end = text.length
  let port = text.slice(sp + 6, end)
  if (port.endsWith(',')) port = port.slice(0, -1)
  return { addr, port, rest: text.slice(end + 1) }
}

/** The MAC a DUID-LLT (type 1) or DUID-LL (type 3) of an Ethernet interface carries (RFC 8415 §11.2, §11.4). */
function duidMac(duid: string): string | undefined {
  const mac = ecsMac(duid)
  if (mac === undefined) return undefined
  if (mac.startsWith('00-01-00-01-') && mac.length === 14 * 3 - 1) return mac.slice(24)
  if (mac.startsWith('00-03-00-01-') && mac.length === 10 * 3 - 1) return mac.slice(12)
  return undefined
}

function duid(out: Out, text: string | undefined): void {
  if (text === undefined || text === '') return
  set(out, 'dhcpd.duid', text)
  set(out, 'client.mac', duidMac(text))
}

export function readV6(out: Out, text: string): void {
  const line = split(text)!
  const type = line.type
  set(out, 'event.action', `dhcpv6-${type.toLowerCase()}`)
  set(out, 'event.category', ['network'])
  set(out, 'event.type', ['protocol'])
  set(out, 'network.protocol', 'dhcpv6')
  set(out, 'network.type', 'ipv6')
  set(out, 'dhcpd.message_type', type)
  let rest = line.rest
  switch (line.shape) {
    case 'in':
    case 'relayed-in': {
      // From the client (or, for Relay-forward and encapsulated messages, from the relay agent).
      const { addr, port, rest: after } = addrPort(rest)
      const relayed = line.shape === 'relayed-in' || type === 'Relay-forward'
      address(out, relayed ? 'dhcpd.relay.ip' : 'source.ip', addr, relayed ? 'relay address' : 'client address')
      if (!relayed) set(out, 'source.port', count(port))
      rest = after
      if (rest.startsWith('from client DUID ')) {
        const comma = rest.indexOf(', ')
        duid(out, comma === -1 ? rest.slice(17) : rest.slice(17, comma))
        rest = comma === -1 ? '' : rest.slice(comma + 2)
      }
      if (type === 'Relay-forward') {
        // `link address <addr>, peer address <addr>`: the link the client is on, and the client.
        const link = rest.indexOf('link address ')
        const peer = rest.indexOf('peer address ')
        if (link !== -1) address(out, 'dhcpd.link_address', rest.slice(link + 13, rest.indexOf(',', link) === -1 ? undefined : rest.indexOf(',', link)), 'link address')
        if (peer !== -1) address(out, 'source.ip', rest.slice(peer + 13).split(',')[0], 'peer address')
        if (link === -1 || peer === -1) problem(out, 'no link or peer address')
      } else if (rest.startsWith('transaction ID 0x')) {
        set(out, 'dhcpd.transaction_id', rest.slice(17))
      } else {
        problem(out, 'no transaction ID')
      }
      break
    }
    case 'out':
    case 'relayed-out': {
      const { addr, port } = addrPort(rest)
      address(out, 'destination.ip', addr, 'destination address')
      set(out, 'destination.port', count(port))
      if (port === undefined) problem(out, 'no port after the address')
      break
    }
    case 'lease': {
      // `NA: address <a> to client with duid <d> iaid = <n> valid for <s> seconds`.
      set(out, 'dhcpd.lease_type', rest.slice(0, 2))
      rest = rest.slice(4)
      const to = rest.indexOf(' to client with duid ')
      let addr = to === -1 ? rest : rest.slice(0, to)
      if (addr.startsWith('address ')) addr = addr.slice(8)
      else if (addr.startsWith('prefix ')) addr = addr.slice(7)
      const slash = addr.indexOf('/')
      if (slash !== -1) {
        set(out, 'dhcpd.prefix_length', count(addr.slice(slash + 1)))
        addr = addr.slice(0, slash)
      }
      address(out, 'client.ip', addr, 'client address')
      if (to === -1) {
        problem(out, 'no client DUID')
        break
      }
      const tail = rest.slice(to + 21)
      const iaid = tail.indexOf(' iaid = ')
      duid(out, iaid === -1 ? tail : tail.slice(0, iaid))
      if (iaid === -1) {
        problem(out, 'no IAID')
        break
      }
      const after = tail.slice(iaid + 8)
      const sp = after.indexOf(' ')
      const n = sp === -1 ? after : after.slice(0, sp)
      // dhcpd prints the IAID as a signed 32-bit number.
      set(out, 'dhcpd.iaid', /^-?\d{1,10}$/.test(n) ? Number(n) : undefined)
      const what = sp === -1 ? '' : after.slice(sp + 1)
      if (what === 'static') set(out, 'dhcpd.static', true)
      else if (what.startsWith('valid for ') && what.endsWith(' seconds')) leaseTime(out, count(what.slice(10, -8)))
      else problem(out, 'no lifetime or "static" after the IAID')
      break
    }
  }
  set(out, 'event.outcome', 'success')
}

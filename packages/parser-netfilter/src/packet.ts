// The packet part of a netfilter LOG / nftables `log` line, as the kernel's nf_log_syslog.c
// (formerly nf_log_ipv4.c, nf_log_ipv6.c, nf_log_arp.c) writes it after the prefix:
//   IN=<if> OUT=<if> [PHYSIN=<if>] [PHYSOUT=<if>] [MAC=<dst>:<src>:<type> | MACSRC= MACDST= MACPROTO=]
//   IPv4: SRC= DST= LEN= TOS= PREC= TTL= ID= [CE] [DF] [MF] [FRAG:<n>] [OPT (<hex>)] PROTO=<p> …
//   IPv6: SRC= DST= LEN= TC= HOPLIMIT= FLOWLBL= PROTO=<p> …
//   TCP:  SPT= DPT= [SEQ= ACK=] WINDOW= RES= [CWR ECE URG ACK PSH RST SYN FIN] URGP= [OPT (<hex>)]
//   UDP:  SPT= DPT= LEN=        ICMP/ICMPv6: TYPE= CODE= [ID= SEQ=] [PARAMETER=|GATEWAY=|MTU=] [[<inner packet>]]
//   ESP/AH: SPI=               then [UID= GID=] [MARK=]
//   ARP: ARP HTYPE= PTYPE= OPCODE= [MACSRC= IPSRC= MACDST= IPDST=]
// Keys before PROTO= describe the IP header, keys after it the transport header: `LEN` and `ID`
// appear in both, and mean different things.
import { addRelated, canonicalIp, ecsMac, isIp } from '@beer/parser-sdk'
import { count, problem } from './fields.ts'
import type { Out } from './fields.ts'

// IANA protocol numbers (https://www.iana.org/assignments/protocol-numbers) and the ECS
// network.transport names for those the kernel prints by name or number.
const BY_NAME = new Map<string, [string, string]>([
  ['TCP', ['tcp', '6']],
  ['UDP', ['udp', '17']],
  ['UDPLITE', ['udplite', '136']],
  ['ICMP', ['icmp', '1']],
  ['ICMPV6', ['ipv6-icmp', '58']],
  ['SCTP', ['sctp', '132']],
  ['DCCP', ['dccp', '33']],
  ['ESP', ['esp', '50']],
  ['AH', ['ah', '51']],
  ['IGMP', ['igmp', '2']],
  ['GRE', ['gre', '47']],
])
const BY_NUMBER = new Map<string, string>([
  ['1', 'icmp'],
  ['2', 'igmp'],
  ['4', 'ipv4'],
  ['6', 'tcp'],
  ['17', 'udp'],
  ['33', 'dccp'],
  ['41', 'ipv6'],
  ['47', 'gre'],
  ['50', 'esp'],
  ['51', 'ah'],
  ['58', 'ipv6-icmp'],
  ['89', 'ospf'],
  ['103', 'pim'],
  ['112', 'vrrp'],
  ['132', 'sctp'],
  ['136', 'udplite'],
])

const TCP_FLAGS = new Set(['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'])
const IP_FLAGS = new Set(['CE', 'DF', 'MF'])

// More words than any packet line has: a line of thousands costs no more than its first ones.
const MAX_WORDS = 160

function address(out: Out, side: 'source' | 'destination', text: string, what: string): void {
  if (text === '') return
  // No address is longer than 45 characters (RFC 4291 §2.2 with an IPv4 tail).
  if (!isIp(text)) {
    problem(out, `${what} ${JSON.stringify(text.slice(0, 64))} is not an IP address`)
    return
  }
  const ip = canonicalIp(text)
  obj(out.ev as Obj, side).ip = ip
  addRelated(out.ev, 'ip', ip)
}


function port(out: Out, side: 'source' | 'destination', text: string): void {
  const n = count(text)
  if (n === undefined || n > 65535) problem(out, `${side} port ${JSON.stringify(text.slice(0, 16))} is not a port number`)
  else obj(out.ev as Obj, side).port = n
}

function mac(out: Out, side: 'source' | 'destination', text: string): void {
  const m = ecsMac(text)
  if (m === undefined) problem(out, `${JSON.stringify(text.slice(0, 64))} is not a MAC address`)
  else obj(out.ev as Obj, side).mac = m
}

/** `MAC=<dst 6 octets>:<src 6 octets>:<ethertype 2 octets>` of an Ethernet frame; other link layers are kept as logged. */
function linkHeader(out: Out, text: string): void {
  if (text === '') return
  const ev = out.ev as Obj
  const frame = ethernet(text)
  if (frame !== null) {
    obj(ev, 'destination').mac = frame.destination
    obj(ev, 'source').mac = frame.source
    obj(ev, 'netfilter').ether_type = frame.etherType
  } else {
    obj(ev, 'netfilter').mac = text
  }
}

interface Ethernet {
  destination: string
  source: string
  etherType: string
}

// A firewall logs frames between a few hosts and its gateways: the same MAC= text comes again and
// again, and is read once. A small table, emptied when full (a key cut from a line keeps that line
// in memory).
const MAX_FRAMES = 64
const frames = new Map<string, Ethernet | null>()

/** The Ethernet header's two addresses and type, or null for another link layer. */
function ethernet(text: string): Ethernet | null {
  if (text.length > 3 * 64) return null
  let frame = frames.get(text)
  if (frame === undefined) {
    const m = ecsMac(text)
    frame =
      m !== undefined && m.length === 14 * 3 - 1
        ? { destination: m.slice(0, 17), source: m.slice(18, 35), etherType: '0x' + m.slice(36, 38).toLowerCase() + m.slice(39).toLowerCase() }
        : null
    if (frames.size >= MAX_FRAMES) frames.clear()
    frames.set(text, frame)
  }
  return frame
}

type Obj = Record<string, unknown>

/** The object at `ev[key]`, created when absent. */
function obj(parent: Obj, key: string): Obj {
  let o = parent[key] as Obj | undefined
  if (o === undefined || o === null || typeof o !== 'object') {
    o = {}
    parent[key] = o
  }
  return o
}

/** Sets a field on an object, skipping undefined and '' as `set` does. */
function put(o: Obj, key: string, value: unknown): void {
  if (value !== undefined && value !== '') o[key] = value
}

// Key ids, so that a repeated key is found with a bit test and the switch compares numbers.
const KEYS = new Map<string, number>([
  ['IN', 1],
  ['OUT', 2],
  ['PHYSIN', 3],
  ['PHYSOUT', 4],
  ['MAC', 5],
  ['MACSRC', 6],
  ['MACDST', 7],
  ['MACPROTO', 8],
  ['IPSRC', 9],
  ['IPDST', 10],
  ['HTYPE', 11],
  ['PTYPE', 12],
  ['OPCODE', 13],
  ['UID', 14],
  ['GID', 15],
  ['MARK', 16],
  ['PROTO', 17],
  ['SRC', 18],
  ['DST', 19],
  ['LEN', 20],
  ['TOS', 21],
  ['PREC', 22],
  ['TTL', 23],
  ['ID', 24],
  ['TC', 25],
  ['HOPLIMIT', 26],
  ['FLOWLBL', 27],
  ['SPT', 28],
  ['DPT', 29],
  ['SEQ', 30],
  ['ACK', 31],
  ['WINDOW', 32],
  ['RES', 33],
  ['URGP', 34],
  ['TYPE', 35],
  ['CODE', 36],
  ['PARAMETER', 37],
  ['GATEWAY', 38],
  ['MTU', 39],
  ['SPI', 40],
])

// The keys of up to six letters by their letters as a number (base 32, 'A' = 1): found without
// cutting the key out of the line and hashing it. Longer keys are looked up by name.
const SHORT_KEYS: ReadonlyMap<number, number> = new Map(
  [...KEYS].map(([key, id]): [number, number] => [letterCode(key, 0, key.length), id]).filter(([code]) => code !== -1),
)

/** `text[from, to)` as a number when it is one to six capital letters, else -1. */
function letterCode(text: string, from: number, to: number): number {
  if (to - from > 6) return -1
  let code = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c < 65 || c > 90) return -1
    code = code * 32 + (c - 64)
  }
  return code
}

/** The id of the key `text[from, to)`, or undefined when it is no key this parser reads. */
function keyId(text: string, from: number, to: number): number | undefined {
  const code = letterCode(text, from, to)
  return code !== -1 ? SHORT_KEYS.get(code) : KEYS.get(text.slice(from, to))
}

/** Reads the packet part, from `IN=` on. */
export function readPacket(out: Out, text: string): void {
  const ev = out.ev as Obj
  const nf = obj(ev, 'netfilter')
  let tcp: Obj | undefined
  let icmp: Obj | undefined
  let i = 0
  const n = text.length
  let phase = 0 // 0 link, 1 IP header, 2 transport header
  let proto = ''
  let arp = false
  let words = 0
  let sawSrc = false
  const tcpFlags: string[] = []
  const ipFlags: string[] = []
  // Keys seen, one bit per key id and header: the kernel writes each key once per header, and a
  // repeated one keeps its first value.
  let seenLow = 0
  let seenHigh = 0
  let seenL4Low = 0
  let seenL4High = 0
  let repeated: string | undefined
  while (i < n && words < MAX_WORDS) {
    if (text.charCodeAt(i) === 32) {
      i++
      continue
    }
    let end = text.indexOf(' ', i)
    if (end === -1) end = n
    // `[<inner packet>]` of an ICMP error and `INCOMPLETE [<n> bytes]`: skipped to their `]`, so
    // that the inner packet's SRC=/DST= do not replace the outer ones.
    if (text.charCodeAt(i) === 91 /* [ */) {
      const close = text.indexOf(']', i)
      if (phase === 2 && (proto === 'ICMP' || proto === 'ICMPV6') && text.startsWith('[SRC=', i)) {
        icmp ??= obj(nf, 'icmp')
        icmp.embedded = true
      }
      if (close === -1) {
        problem(out, 'a "[" is not closed')
        break
      }
      i = close + 1
      words++
      continue
    }
    const eq = text.indexOf('=', i)
    words++
    if (eq === -1 || eq > end) {
      const word = text.slice(i, end)
      i = end + 1
      if (word === 'ARP') {
        arp = true
        put(obj(ev, 'network'), 'protocol', 'arp')
      } else if (word === 'INCOMPLETE') {
        nf.incomplete = true
      } else if (word === 'OPT') {
        // `OPT (<hex>)`: IP or TCP options.
        if (text.charCodeAt(i) === 40) {
          const close = text.indexOf(')', i)
          const hex = close === -1 ? text.slice(i + 1) : text.slice(i + 1, close)
          if (phase === 2) put((tcp ??= obj(nf, 'tcp')), 'options', hex)
          else put(obj(nf, 'ip'), 'options', hex)
          i = close === -1 ? n : close + 2
        }
      } else if (phase === 2 && proto === 'TCP' && TCP_FLAGS.has(word)) {
        tcpFlags.push(word)
      } else if (phase !== 2 && IP_FLAGS.has(word)) {
        ipFlags.push(word)
      } else if (word.startsWith('FRAG:')) {
        put(nf, 'fragment_offset', count(word.slice(5)))
      }
      continue
    }
    const keyStart = i
    i = end + 1
    const id = keyId(text, keyStart, eq)
    if (id === undefined) continue
    const value = text.slice(eq + 1, end)
    if (phase === 2) {
      const bit = id < 31 ? 1 << id : 0
      const high = id >= 31 ? 1 << (id - 31) : 0
      if ((seenL4Low & bit) !== 0 || (seenL4High & high) !== 0) {
        repeated ??= text.slice(keyStart, eq)
        continue
      }
      seenL4Low |= bit
      seenL4High |= high
    } else {
      const bit = id < 31 ? 1 << id : 0
      const high = id >= 31 ? 1 << (id - 31) : 0
      if ((seenLow & bit) !== 0 || (seenHigh & high) !== 0) {
        repeated ??= text.slice(keyStart, eq)
        continue
      }
      seenLow |= bit
      seenHigh |= high
    }
    switch (id) {
      case 1:
        if (value !== '') obj(obj(obj(ev, 'observer'), 'ingress'), 'interface').name = value
        continue
      case 2:
        if (value !== '') obj(obj(obj(ev, 'observer'), 'egress'), 'interface').name = value
        continue
      case 3:
        put(nf, 'physin', value)
        continue
      case 4:
        put(nf, 'physout', value)
        continue
      case 5:
        linkHeader(out, value)
        continue
      case 6:
        if (value !== '') mac(out, 'source', value)
        continue
      case 7:
        if (value !== '') mac(out, 'destination', value)
        continue
      case 8:
        put(nf, 'ether_type', '0x' + value.toLowerCase())
        continue
      case 9:
        address(out, 'source', value, 'ARP sender address')
        continue
      case 10:
        address(out, 'destination', value, 'ARP target address')
        continue
      case 11:
      case 12:
      case 13:
        put(obj(nf, 'arp'), text.slice(keyStart, eq).toLowerCase(), id === 12 ? value : count(value))
        continue
      case 14:
        put(nf, 'uid', count(value))
        continue
      case 15:
        put(nf, 'gid', count(value))
        continue
      case 16:
        put(nf, 'mark', value)
        continue
      case 17:
        phase = 2
        proto = value.toUpperCase()
        transport(out, value)
        continue
      default:
    }
    if (phase !== 2) {
      phase = 1
      switch (id) {
        case 18:
          sawSrc = true
          address(out, 'source', value, 'source address')
          if (value.includes(':')) put(obj(ev, 'network'), 'type', 'ipv6')
          else if (value.includes('.')) put(obj(ev, 'network'), 'type', 'ipv4')
          break
        case 19:
          address(out, 'destination', value, 'destination address')
          break
        case 20: {
          // The IP packet's length: this one packet, sent by the source.
          const len = count(value)
          if (len === undefined) {
            problem(out, `LEN=${value.slice(0, 16)} is not a length`)
            break
          }
          const source = obj(ev, 'source')
          const network = obj(ev, 'network')
          source.bytes = len
          source.packets = 1
          network.bytes = len
          network.packets = 1
          break
        }
        case 21:
          put(nf, 'tos', value)
          break
        case 22:
          put(nf, 'prec', value)
          break
        case 23:
          put(nf, 'ttl', count(value))
          break
        case 24:
          put(nf, 'id', count(value))
          break
        case 25:
          put(nf, 'tc', count(value))
          break
        case 26:
          put(nf, 'hop_limit', count(value))
          break
        case 27:
          put(nf, 'flow_label', count(value))
          break
        default:
      }
      continue
    }
    switch (id) {
      case 28:
        port(out, 'source', value)
        break
      case 29:
        port(out, 'destination', value)
        break
      case 30:
        if (proto === 'TCP') put((tcp ??= obj(nf, 'tcp')), 'seq', count(value))
        else put((icmp ??= obj(nf, 'icmp')), 'seq', count(value))
        break
      case 31:
        put((tcp ??= obj(nf, 'tcp')), 'ack', count(value))
        break
      case 32:
        put((tcp ??= obj(nf, 'tcp')), 'window', count(value))
        break
      case 33:
        put((tcp ??= obj(nf, 'tcp')), 'res', value)
        break
      case 34:
        put((tcp ??= obj(nf, 'tcp')), 'urgp', count(value))
        break
      case 20:
        put(obj(nf, 'udp'), 'length', count(value))
        break
      case 35:
        put((icmp ??= obj(nf, 'icmp')), 'type', count(value))
        break
      case 36:
        put((icmp ??= obj(nf, 'icmp')), 'code', count(value))
        break
      case 24:
        put((icmp ??= obj(nf, 'icmp')), 'id', count(value))
        break
      case 37:
        put((icmp ??= obj(nf, 'icmp')), 'parameter', count(value))
        break
      case 38:
        put((icmp ??= obj(nf, 'icmp')), 'gateway', value)
        break
      case 39:
        put((icmp ??= obj(nf, 'icmp')), 'mtu', count(value))
        break
      case 40:
        put(nf, 'spi', value)
        break
      default:
    }
  }
  if (repeated !== undefined) problem(out, `${repeated}= appears twice; the first value is kept`)
  if (tcpFlags.length > 0) (tcp ??= obj(nf, 'tcp')).flags = tcpFlags
  if (ipFlags.length > 0) nf.fragment_flags = ipFlags
  // A header whose fields could not be read leaves no empty object behind.
  for (const key of Object.keys(nf)) {
    const v = nf[key]
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) delete nf[key]
  }
  if (Object.keys(nf).length === 0) delete ev.netfilter
  if (!arp) {
    // Every IPv4 and IPv6 packet line names its source and its protocol: a line without them was cut.
    if (!sawSrc) problem(out, 'no SRC= in the packet')
    else if (proto === '') problem(out, 'no PROTO= in the packet')
  }
}

function transport(out: Out, value: string): void {
  const network = obj(out.ev as Obj, 'network')
  const known = BY_NAME.get(value.toUpperCase())
  if (known !== undefined) {
    network.transport = known[0]
    network.iana_number = known[1]
    return
  }
  const name = BY_NUMBER.get(value)
  if (name !== undefined) network.transport = name
  if (count(value) !== undefined) network.iana_number = value
  else if (value !== '') network.transport = value.toLowerCase()
}

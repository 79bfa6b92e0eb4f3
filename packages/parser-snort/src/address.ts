import { canonicalIp, isIp as isAddress } from '@beer/parser-sdk'

// One side of Snort's and Suricata's `src -> dst`, address and port.

/** What `readEndpoint` found; one record reused instead of an object per address. */
export const endpoint = { ip: '', port: -1 }

function port(text: string): number {
  const n = text.length
  if (n === 0 || n > 5) return -1
  let v = 0
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48
    if (!(d >= 0 && d <= 9)) return -1
    v = v * 10 + d
  }
  return v <= 65535 ? v : -1
}

function colons(text: string): number {
  let n = 0
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) n++
  return n
}

/**
 * Reads one side of `src -> dst`: `192.0.2.1:4242`, `192.0.2.1` (no port: ICMP, fragments),
 * `[2001:db8::1]:80`, or an IPv6 address followed by `:port` without brackets, as Snort's
 * `inet_ntoax` and Suricata's `PrintInet` print it (Suricata writes all eight groups, so a ninth
 * is the port). `hasPorts` says whether the protocol carries ports, which decides
 * `2001:db8::1:80`. Returns false when no address can be read.
 */
export function readEndpoint(text: string, hasPorts: boolean): boolean {
  endpoint.ip = ''
  endpoint.port = -1
  // The longest form is an IPv6 address with an IPv4 tail, in brackets, with a port.
  if (text.length > 56) return false
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']')
    if (close === -1) return false
    const ip = text.slice(1, close)
    if (!isAddress(ip)) return false
    endpoint.ip = canonicalIp(ip)
    if (text.charCodeAt(close + 1) === 58) endpoint.port = port(text.slice(close + 2))
    return true
  }
  const last = text.lastIndexOf(':')
  if (last === -1) {
    if (!isAddress(text)) return false
    endpoint.ip = text
    return true
  }
  const n = colons(text)
  if (n === 1) {
    // IPv4 with a port.
    const ip = text.slice(0, last)
    if (!isAddress(ip)) return false
    endpoint.ip = ip
    endpoint.port = port(text.slice(last + 1))
    return true
  }
  const whole = isAddress(text)
  const head = text.slice(0, last)
  const p = port(text.slice(last + 1))
  if (p >= 0 && isAddress(head) && (!whole || n === 8 || (hasPorts && head.includes('::') === text.includes('::')))) {
    endpoint.ip = canonicalIp(head)
    endpoint.port = p
    return true
  }
  if (!whole) return false
  endpoint.ip = canonicalIp(text)
  return true
}

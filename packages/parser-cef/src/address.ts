import { isIp } from '@beer/parser-sdk'

/** Dotted-quad IPv4, checked on the characters: the SDK's `isIp` reads the same at several times the cost. */
function isIpv4(s: string): boolean {
  const n = s.length
  if (n < 7 || n > 15) return false
  let dots = 0
  let digits = 0
  let value = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false
      digits = 0
      value = 0
    } else {
      const d = c - 48
      if (d < 0 || d > 9 || (digits === 1 && value === 0)) return false
      value = value * 10 + d
      if (++digits > 3 || value > 255) return false
    }
  }
  return dots === 3 && digits > 0
}

/** An IPv4 or IPv6 address in text form. */
export function isAddress(s: string): boolean {
  return s.includes(':') ? isIp(s) : isIpv4(s)
}

/**
 * An IPv6 address in its RFC 5952 text form (lower case, no leading zeros, the longest run of
 * zero groups as `::`), so that the same address compares equal in `related.ip` whichever tool
 * wrote it; Suricata writes all eight groups in full. Other text is returned as is.
 */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':') || ip.includes('.')) return ip
  let known = canonical.get(ip)
  if (known === undefined) {
    if (canonical.size >= 1024) canonical.clear()
    known = canonicalOf(ip)
    canonical.set(ip, known)
  }
  return known
}

// Addresses repeat from line to line: their canonical forms are remembered.
const canonical = new Map<string, string>()

function canonicalOf(ip: string): string {
  const halves = ip.toLowerCase().split('::')
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1]!.split(':') : []
  const groups = halves.length > 1 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head
  if (groups.length !== 8) return ip
  const g = groups.map((x) => x.replace(/^0+(?=.)/, ''))
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === '0') j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  if (best === -1) return g.join(':')
  return g.slice(0, best).join(':') + '::' + g.slice(best + bestLen).join(':')
}

/**
 * Address-in-network tests for conditions. IPv4 as one 32-bit number; IPv6 as eight 16-bit groups,
 * compared group by group over the prefix. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) also
 * matches IPv4 networks, as the same host seen through a dual-stack socket.
 */

export function parseIPv4(s: string): number | undefined {
  let n = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0) return undefined
      n = n * 256 + part
      part = 0
      digits = 0
      dots++
      continue
    }
    if (c < 48 || c > 57) return undefined
    part = part * 10 + (c - 48)
    digits++
    if (part > 255 || digits > 3) return undefined
  }
  if (dots !== 3 || digits === 0) return undefined
  return n * 256 + part
}

export function parseIPv6(s: string): number[] | undefined {
  const zone = s.indexOf('%')
  if (zone !== -1) s = s.slice(0, zone)
  let tail: number[] = []
  // An embedded IPv4 address in the last 32 bits.
  const lastColon = s.lastIndexOf(':')
  if (lastColon !== -1 && s.indexOf('.', lastColon) !== -1) {
    const v4 = parseIPv4(s.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [Math.floor(v4 / 65536), v4 % 65536]
    const prefix = s.slice(0, lastColon + 1)
    // '::ffff:' keeps its '::'; '1:2:3:4:5:6:' loses the colon before the address.
    s = prefix.endsWith('::') ? prefix : prefix.slice(0, -1)
  }
  const halves = s.split('::')
  if (halves.length > 2) return undefined
  const group = (txt: string): number[] | undefined => {
    if (txt === '') return []
    const out: number[] = []
    for (const g of txt.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
      out.push(parseInt(g, 16))
    }
    return out
  }
  const head = group(halves[0]!)
  const rest = halves.length === 2 ? group(halves[1]!) : []
  if (!head || !rest) return undefined
  const known = head.length + rest.length + tail.length
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail]
}

/** A test for "is this address in one of these networks"; `bad` is called for a network it cannot read. */
export function cidrMatcher(networks: readonly unknown[], bad: (n: unknown) => never): (ip: string) => boolean {
  const v4: { base: number; mask: number }[] = []
  const v6: { groups: number[]; bits: number }[] = []
  for (const n of networks) {
    if (typeof n !== 'string') bad(n)
    const slash = n.indexOf('/')
    const addr = slash === -1 ? n : n.slice(0, slash)
    const bitsText = slash === -1 ? undefined : n.slice(slash + 1)
    if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) bad(n)
    const a4 = parseIPv4(addr)
    if (a4 !== undefined) {
      const bits = bitsText === undefined ? 32 : Number(bitsText)
      if (bits > 32) bad(n)
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
      v4.push({ base: (a4 & mask) >>> 0, mask })
      continue
    }
    const a6 = parseIPv6(addr)
    if (a6 === undefined) bad(n)
    const bits = bitsText === undefined ? 128 : Number(bitsText)
    if (bits > 128) bad(n)
    v6.push({ groups: a6, bits })
  }
  const in4 = (x: number): boolean => {
    for (const { base, mask } of v4) if (((x & mask) >>> 0) === base) return true
    return false
  }
  const in6 = (g: number[]): boolean => {
    for (const net of v6) {
      let left = net.bits
      let ok = true
      for (let i = 0; i < 8 && left > 0; i++, left -= 16) {
        const take = Math.min(16, left)
        const mask = (0xffff << (16 - take)) & 0xffff
        if ((g[i]! & mask) !== (net.groups[i]! & mask)) {
          ok = false
          break
        }
      }
      if (ok) return true
    }
    return false
  }
  return (ip) => {
    if (ip.indexOf(':') === -1) {
      const x = parseIPv4(ip)
      return x !== undefined && v4.length > 0 && in4(x)
    }
    const g = parseIPv6(ip)
    if (g === undefined) return false
    if (v6.length > 0 && in6(g)) return true
    // ::ffff:a.b.c.d
    if (v4.length > 0 && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return in4(g[6]! * 65536 + g[7]!)
    }
    return false
  }
}

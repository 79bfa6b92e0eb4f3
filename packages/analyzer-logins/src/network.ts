// The network an address belongs to, as a user's "usual networks" are counted: an IPv4 /24 (one
// office floor, one home ISP block) or an IPv6 /64 (RFC 4291 §2.5.4: the subnet prefix of a
// global unicast address is 64 bits, one LAN).

/** `'192.0.2.0/24'`, `'2001:db8:1:2::/64'`, or undefined when `ip` is not an address. */
export function networkOf(ip: string): string | undefined {
  if (ip.includes(':')) {
    // RFC 4291 §2.5.5.2: an IPv4-mapped address is the IPv4 host.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
    if (mapped) return ipv4Network(mapped[1]!)
    return ipv6Network(ip)
  }
  return ipv4Network(ip)
}

function ipv4Network(ip: string): string | undefined {
  // By hand: this runs for every login, and split() with a regular expression per part costs
  // several times as much.
  let dots = 0
  let digits = 0
  let value = 0
  let third = 0
  let zeros = false
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined
      if (dots === 3) third = i
      digits = 0
      value = 0
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) zeros = true
      value = value * 10 + (c - 48)
      if (++digits > 3 || value > 255) return undefined
    } else return undefined
  }
  if (dots !== 3 || digits === 0) return undefined
  // Leading zeros ('010') are read as decimal and written without, as inet_pton would refuse them.
  const head = ip.slice(0, third)
  return zeros ? `${head.split('.').map(Number).join('.')}.0/24` : `${head}.0/24`
}

function ipv6Network(ip: string): string | undefined {
  const zone = ip.indexOf('%')
  const text = (zone >= 0 ? ip.slice(0, zone) : ip).toLowerCase()
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : []
  // An embedded IPv4 tail (::1.2.3.4) takes two groups.
  const last = (halves.length === 2 ? tail : head).at(-1)
  const groups = (halves.length === 2 ? head.length + tail.length : head.length) + (last?.includes('.') ? 1 : 0)
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined
  const words: number[] = []
  for (const g of head) words.push(hex(g))
  if (halves.length === 2) for (let i = groups; i < 8; i++) words.push(0)
  for (const g of tail) words.push(hex(g))
  const prefix = words.slice(0, 4)
  if (prefix.some((w) => Number.isNaN(w))) return undefined
  // Shortest form of the /64 (RFC 5952 §4): leading zeros dropped, trailing zero groups folded.
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0) prefix.pop()
  return prefix.length === 0 ? '::/64' : `${prefix.map((w) => w.toString(16)).join(':')}::/64`
}

function hex(group: string): number {
  if (group.includes('.')) return 0
  return /^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : Number.NaN
}

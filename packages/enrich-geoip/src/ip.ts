/**
 * IP address text to numbers, by hand: the enricher parses every address of every event before
 * the prefix lookup, and a character loop costs a fraction of a regular expression or of
 * splitting into parts.
 *
 * `out` receives the address: for IPv4, `out[0]`; for IPv6, four 32-bit words, most significant
 * first.
 */

/** What {@link parseIp} found. `0`: not an address. */
export type Family = 0 | 4 | 6

const groups = new Uint16Array(8)

/**
 * Parses dotted-quad IPv4 (RFC 791; no leading zeros, as Node's `net.isIPv4`, since `010` reads as
 * octal in some tools) and IPv6 text (RFC 4291 §2.2, with `::` and a trailing dotted quad). An
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2) is returned as the IPv4
 * address it carries. A zone index (`fe80::1%eth0`, RFC 4007 §11) is ignored.
 */
export function parseIp(text: string, out: Uint32Array): Family {
  const n = text.length
  if (n < 2 || n > 64) return 0
  // A ':' within the first five characters tells IPv6 from IPv4.
  for (let i = 0; i < 5 && i < n; i++) {
    if (text.charCodeAt(i) === 58 /* : */) return parseV6(text, out)
  }
  const v4 = parseV4(text, 0, n)
  if (v4 < 0) return 0
  out[0] = v4
  return 4
}

/** The IPv4 address in text[from, to) as an unsigned 32-bit number, or -1. */
function parseV4(text: string, from: number, to: number): number {
  let addr = 0
  let octet = 0
  let digits = 0
  let dots = 0
  let leadingZero = false
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (digits === 0) leadingZero = c === 48
      else if (leadingZero) return -1
      octet = octet * 10 + (c - 48)
      if (++digits > 3 || octet > 255) return -1
    } else if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return -1
      addr = addr * 256 + octet
      octet = 0
      digits = 0
    } else {
      return -1
    }
  }
  if (digits === 0 || dots !== 3) return -1
  return addr * 256 + octet
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

function parseV6(text: string, out: Uint32Array): Family {
  let end = text.indexOf('%')
  if (end === 0 || end === text.length - 1) return 0
  if (end < 0) end = text.length
  let count = 0
  /** Index in `groups` where `::` stands, or -1. */
  let gap = -1
  let i = 0
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return 0
    gap = 0
    i = 2
    if (i === end) {
      groups.fill(0)
      return finishV6(out)
    }
  }
  for (;;) {
    // One group: 1 to 4 hex digits, or a dotted quad ending the address.
    let value = 0
    let digits = 0
    let j = i
    for (; j < end; j++) {
      const h = hexValue(text.charCodeAt(j))
      if (h < 0) break
      value = value * 16 + h
      digits++
    }
    if (j < end && text.charCodeAt(j) === 46 /* . */) {
      if (count > 6) return 0
      const v4 = parseV4(text, i, end)
      if (v4 < 0) return 0
      groups[count++] = v4 >>> 16
      groups[count++] = v4 & 0xffff
      break
    }
    if (digits === 0 || digits > 4 || count === 8) return 0
    groups[count++] = value
    if (j === end) break
    if (text.charCodeAt(j) !== 58) return 0
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return 0
      gap = count
      i = j + 2
      if (i === end) break
    } else {
      i = j + 1
      if (i === end) return 0
    }
  }
  if (gap < 0) {
    if (count !== 8) return 0
  } else {
    if (count > 7) return 0
    // Move the groups after '::' to the end and fill the gap with zeros.
    const tail = count - gap
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k]!
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0
  }
  return finishV6(out)
}

function finishV6(out: Uint32Array): Family {
  const g = groups
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    out[0] = ((g[6]! << 16) | g[7]!) >>> 0
    return 4
  }
  out[0] = ((g[0]! << 16) | g[1]!) >>> 0
  out[1] = ((g[2]! << 16) | g[3]!) >>> 0
  out[2] = ((g[4]! << 16) | g[5]!) >>> 0
  out[3] = ((g[6]! << 16) | g[7]!) >>> 0
  return 6
}

/** Dotted-quad text of an IPv4 address. */
export function formatV4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`
}

/** A network in CIDR notation, parsed. */
export interface Cidr {
  family: 4 | 6
  /** Address words (one for IPv4, four for IPv6), host bits cleared. */
  words: Uint32Array
  /** Prefix length. */
  bits: number
}

/**
 * Parses `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128). Returns an error text
 * for a bad one; host bits set below the prefix are an error too, since `10.1.2.3/8` is more often
 * a typo than a wish for `10.0.0.0/8`.
 */
export function parseCidr(text: string): Cidr | string {
  const t = text.trim()
  const slash = t.indexOf('/')
  const addrText = slash < 0 ? t : t.slice(0, slash)
  const words = new Uint32Array(4)
  if (addrText.includes('%')) return `'${text}' has a zone index; give a plain network`
  const isV6Text = addrText.includes(':')
  const family = parseIp(addrText, words)
  if (family === 0) return `'${text}' is not an IPv4 or IPv6 network`
  let bits: number
  const max = family === 4 ? 32 : 128
  if (slash < 0) bits = max
  else {
    const b = t.slice(slash + 1)
    if (!/^\d{1,3}$/.test(b)) return `'${text}' has no valid prefix length after '/'`
    bits = Number(b)
    // ::ffff:10.0.0.0/104 is the IPv4 network 10.0.0.0/8.
    if (family === 4 && isV6Text) bits -= 96
    if (bits < 0 || bits > max) return `'${text}' has a prefix length out of range (0 to ${max})`
  }
  const n = family === 4 ? 1 : 4
  for (let w = 0; w < n; w++) {
    const keep = Math.max(0, Math.min(32, bits - w * 32))
    const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0
    if ((words[w]! & ~mask) >>> 0 !== 0) {
      return `'${text}' has host bits set below the /${slash < 0 ? max : t.slice(slash + 1)} prefix`
    }
  }
  return { family, words: family === 4 ? words.slice(0, 1) : words, bits }
}

/**
 * A whole number from a decimal field (`42`, `-7`), or undefined when it is empty or anything else:
 * `Number()` alone would also read ' 7', '0x10', '1e3' and '-0'.
 */
export function toInt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = text.length
  let i = n > 0 && text.charCodeAt(0) === 45 /* - */ ? 1 : 0
  if (i === n) return undefined
  for (; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  const v = Number(text)
  // + 0 turns -0 into 0, which JSON would write anyway.
  return Number.isSafeInteger(v) ? v + 0 : undefined
}

/** A number from a hexadecimal field (`0x8000000000000000` flags and the like), or undefined. */
export function toIntHex(text: string | undefined): number | undefined {
  if (text === undefined || !/^0x[0-9a-f]+$/i.test(text)) return undefined
  const n = Number.parseInt(text.slice(2), 16)
  return Number.isSafeInteger(n) ? n : undefined
}


/** Dotted-quad IPv4 (no leading zeros), checked on the characters: most addresses in logs are IPv4. */
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

/** True for an IPv4 or IPv6 address in text form (no zone index, no port). */
export function isIp(text: string | undefined): boolean {
  // 45 characters is the longest IPv6 text form (with an IPv4 tail); longer input is refused
  // before any splitting, so that a 64 KiB run of colons costs nothing.
  if (text === undefined || text === '' || text.length > 45) return false
  return text.includes(':') ? isIpv6(text) : isIpv4(text)
}

/**
 * RFC 4291 §2.2 text form, read on the characters: groups of 1 to 4 hex digits separated by ':',
 * at most one '::' standing for one or more zero groups, and an IPv4 address in place of the last
 * two groups.
 */
function isIpv6(s: string): boolean {
  const n = s.length
  if (n < 2) return false
  let groups = 0
  let compressed = false
  let i = 0
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false
    compressed = true
    i = 2
  }
  while (i < n) {
    let j = i
    while (j < n && j - i <= 4 && isHexDigit(s.charCodeAt(j))) j++
    if (j < n && s.charCodeAt(j) === 46) {
      // The IPv4 tail: the rest of the text, counting as two groups.
      if (!isIpv4(s.slice(i))) return false
      groups += 2
      break
    }
    if (j === i || j - i > 4) return false
    groups++
    if (j === n) break
    if (s.charCodeAt(j) !== 58) return false
    if (s.charCodeAt(j + 1) === 58) {
      if (compressed) return false
      compressed = true
      i = j + 2
    } else {
      i = j + 1
      // A single ':' must be followed by a group.
      if (i === n) return false
    }
  }
  return compressed ? groups < 8 : groups === 8
}

/** The address when it is a valid IP, else undefined: for optional address fields. */
export function ipOrUndefined(text: string | undefined): string | undefined {
  return isIp(text) ? text : undefined
}

/**
 * An IPv6 address in the text form RFC 5952 §4 recommends (lower case, no leading zeros, the
 * longest run of two or more zero groups as `::`), so that one address compares equal in
 * `related.ip` whichever product wrote it: the kernel and Suricata write all eight groups in full.
 * IPv4, IPv6 with an IPv4 tail and text that is no address are returned as they are.
 */
export function canonicalIp(ip: string): string {
  if (!ip.includes(':') || ip.includes('.')) return ip
  let known = canonical.get(ip)
  if (known === undefined) {
    // Addresses repeat from line to line; the table is bounded, and emptied when full.
    if (canonical.size >= 1024) canonical.clear()
    known = canonicalOf(ip)
    canonical.set(ip, known)
  }
  return known
}

const canonical = new Map<string, string>()

function canonicalOf(ip: string): string {
  const halves = ip.toLowerCase().split('::')
  if (halves.length > 2) return ip
  const head = halves[0] === '' ? [] : halves[0]!.split(':')
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1]!.split(':') : []
  if (halves.length > 1 && head.length + tail.length > 7) return ip
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

/**
 * A hardware address as ECS writes MACs, upper-case hex pairs joined by hyphens
 * (`00-11-22-33-44-55`), from `00:11:22:33:44:55` (any number of octets, one or two digits each,
 * as dhcpd and the kernel print them). Undefined when the text is not such an address.
 */
export function ecsMac(text: string): string | undefined {
  const n = text.length
  if (n === 0 || n > 3 * 64) return undefined
  // The common shape, two hex digits per octet: checked in one pass and converted at once.
  if (n % 3 === 2) {
    let ok = true
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      if (i % 3 === 2 ? c !== 58 : !isHexDigit(c)) {
        ok = false
        break
      }
    }
    if (ok) return text.toUpperCase().replaceAll(':', '-')
  }
  let out = ''
  let start = 0
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 58
    if (c === 58 /* : */) {
      const len = i - start
      if (len < 1 || len > 2) return undefined
      const octet = text.slice(start, i).toUpperCase()
      out += (out === '' ? '' : '-') + (len === 1 ? '0' + octet : octet)
      start = i + 1
      continue
    }
    if (!isHexDigit(c)) return undefined
  }
  return out
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
}

import { isIP } from 'node:net'

/**
 * An address as the map keys it: IPv4 dotted, IPv6 lower-case in the form Node prints it, an
 * IPv4-mapped IPv6 address as its IPv4 address. Undefined for anything that is not one address, and
 * for addresses that name no single machine (unspecified, loopback), which no binding should claim.
 */
export function mapAddress(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return undefined
  let v = value
  const family = isIP(v)
  if (family === 4) {
    if (v === '0.0.0.0' || v.startsWith('127.') || v === '255.255.255.255') return undefined
    return v
  }
  if (family !== 6) return undefined
  v = v.toLowerCase()
  // A zone index (fe80::1%eth0) names a link of the sender, not part of the address.
  const zone = v.indexOf('%')
  if (zone !== -1) v = v.slice(0, zone)
  if (v.startsWith('::ffff:') && isIP(v.slice(7)) === 4) return mapAddress(v.slice(7))
  if (v === '::' || v === '::1') return undefined
  return v
}

const HEX12 = /^[0-9a-f]{12}$/

/**
 * A MAC address in the ECS form (`AA-BB-CC-DD-EE-FF`): upper-case hexadecimal pairs joined by
 * hyphens, from colon, hyphen, dot (Cisco `aabb.ccdd.eeff`) or bare forms. Undefined otherwise.
 */
export function ecsMac(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const hex = value.toLowerCase().replace(/[:\-.]/g, '')
  if (!HEX12.test(hex) || hex === '000000000000') return undefined
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1-')
}

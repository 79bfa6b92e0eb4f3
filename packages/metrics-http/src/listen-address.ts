import { isIP } from 'node:net'
import { BeerError } from '@beer/core'

export interface ListenAddress {
  host: string
  port: number
}

/** Reads `host:port`, with IPv6 in brackets (`[::1]:9464`). */
export function parseListen(listen: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim())
  const port = m ? Number(m[3]) : NaN
  if (!m || port > 65535) {
    throw new BeerError(
      'BEER_ERR_METRICS_OPTIONS',
      `metrics: listen '${listen}' is not host:port; write '127.0.0.1:9464', or '[::1]:9464' for IPv6`,
      { listen },
    )
  }
  return { host: m[1] ?? m[2]!, port }
}

/**
 * Loopback only: 127.0.0.0/8 (RFC 1122 §3.2.1.3), ::1 (RFC 4291 §2.5.3), their IPv4-mapped form,
 * and the name `localhost` (RFC 6761 §6.3 says it resolves to loopback). Any other name could
 * resolve anywhere, so it counts as remote.
 */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) {
    // The URL parser writes an IPv6 address in its one canonical form (RFC 5952), so
    // `0:0::1` and `::ffff:127.0.0.1` compare as `::1` and `::ffff:7f00:1`.
    let canonical: string
    try {
      canonical = new URL(`http://[${h}]/`).hostname.slice(1, -1)
    } catch {
      return false // a zone index (`fe80::1%eth0`) is link-local, not loopback
    }
    return canonical === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(canonical)
  }
  return false
}

import { BeerError } from '@beer/core'

export type ListenerProtocol = 'udp' | 'tcp' | 'tls' | 'unix'

export interface ListenAddress {
  protocol: ListenerProtocol
  /** IP address or host name to bind (brackets of an IPv6 literal removed); '' for unix. */
  host: string
  port: number
  /** Socket path for unix. */
  path: string
  /** The URL as the user wrote it, used as the listener's name. */
  url: string
}

const DEFAULT_PORT: Record<string, number> = { udp: 514, tcp: 514, tls: 6514 }

/**
 * Reads `udp://host:port`, `tcp://host:port`, `tls://host:port` (RFC 5425's port 6514 by default)
 * and `unix:///path/to/socket`. IPv6 literals go in brackets: `udp://[::1]:5514`.
 */
export function parseListenUrl(url: string): ListenAddress {
  const m = /^([a-z]+):\/\/(.*)$/i.exec(url.trim())
  if (!m) throw bad(url, 'expected protocol://address, e.g. udp://0.0.0.0:514')
  const protocol = m[1]!.toLowerCase()
  const rest = m[2]!
  if (protocol === 'unix') {
    if (!rest.startsWith('/') && !rest.startsWith('.')) throw bad(url, 'expected unix:///absolute/path or unix://./relative/path')
    return { protocol, host: '', port: 0, path: rest, url }
  }
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') {
    throw bad(url, `unknown protocol '${protocol}'; use udp, tcp, tls or unix`)
  }
  let host: string
  let portText: string | undefined
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']')
    if (close < 0) throw bad(url, "an IPv6 address needs a closing ']'")
    host = rest.slice(1, close)
    const after = rest.slice(close + 1)
    if (after !== '' && !after.startsWith(':')) throw bad(url, "expected ':port' after the IPv6 address")
    portText = after ? after.slice(1) : undefined
  } else {
    const colon = rest.lastIndexOf(':')
    if (rest.indexOf(':') !== colon) throw bad(url, 'put an IPv6 address in brackets: udp://[::1]:514')
    host = colon >= 0 ? rest.slice(0, colon) : rest
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined
  }
  host = host.replace(/\/$/, '')
  if (portText !== undefined) portText = portText.replace(/\/$/, '')
  if (host === '') throw bad(url, 'the host is missing; use 0.0.0.0 (all IPv4), [::] (all IPv6) or an address')
  const port = portText === undefined || portText === '' ? DEFAULT_PORT[protocol]! : Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw bad(url, `port '${portText}' is not a number from 0 to 65535`)
  return { protocol, host, port, path: '', url }
}

function bad(url: string, why: string): BeerError {
  return new BeerError('BEER_ERR_LISTEN_URL', `listener '${url}': ${why}`, { url })
}

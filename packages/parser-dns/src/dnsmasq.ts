// dnsmasq's query log (`log-queries`), written by cache.c log_query():
//
//   query[A] www.example.org from 192.0.2.10
//   forwarded www.example.org to 198.51.100.53
//   dnssec-query[DS] example.org to 198.51.100.53
//   reply www.example.org is 203.0.113.5        (and `is <CNAME>`, `is NXDOMAIN`, `is NODATA-IPv6`)
//   cached www.example.org is 203.0.113.5       (`cached-stale` with use-stale-cache)
//   config blocked.example.org is NXDOMAIN      (address=/server= in the configuration)
//   /etc/hosts printer.example.org is 192.0.2.80
//
// With `log-queries=extra` each line starts with the query's serial number and the client's
// `address/port`. DHCP lines come tagged `dnsmasq-dhcp` and are not read here.
import { addRelated } from '@beer/parser-sdk'
import type { LogEvent } from '@beer/parser-sdk'
import { canonicalIp, isIp as isAddress } from '@beer/parser-sdk'
import { RCODES, action, client, question, server, set } from './common.ts'
import type { Obj, Out } from './common.ts'

/** Where the verb starts after the `log-queries=extra` prefix (`12 192.0.2.10/53422 `), or 0. */
function afterExtra(text: string): number {
  let i = 0
  while (i < text.length && i < 10 && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++
  if (i === 0 || text.charCodeAt(i) !== 32) return 0
  const sp = text.indexOf(' ', i + 1)
  if (sp === -1 || sp - i > 50) return 0
  const slash = text.lastIndexOf('/', sp)
  return slash > i ? sp + 1 : 0
}

/** The verb of a query-log line at `i`: its length, or 0. */
function verb(text: string, i: number): number {
  const c = text.charCodeAt(i)
  switch (c) {
    case 113: // q
      return text.startsWith('query[', i) ? 6 : 0
    case 102: // f
      return text.startsWith('forwarded ', i) ? 10 : 0
    case 114: // r
      return text.startsWith('reply ', i) ? 6 : 0
    case 99: // c
      if (text.startsWith('cached ', i)) return 7
      if (text.startsWith('cached-stale ', i)) return 13
      return text.startsWith('config ', i) ? 7 : 0
    case 100: // d
      return text.startsWith('dnssec-query[', i) ? 13 : 0
    case 47: {
      // A hosts file: `/etc/hosts NAME is VALUE`.
      const sp = text.indexOf(' ', i)
      return sp !== -1 && sp - i < 256 && text.indexOf(' is ', sp) !== -1 ? sp + 1 - i : 0
    }
    default:
      return 0
  }
}

/** Whether a `dnsmasq` message is a query-log line this parser reads. */
export function isDnsmasqQuery(text: string): boolean {
  const i = afterExtra(text)
  const v = verb(text, i)
  if (v === 0) return false
  // The line must have its second part: `from`, `to` or `is`.
  return text.indexOf(' ', i + v) !== -1
}

/** Reads one dnsmasq query-log line into the event. */
export function readDnsmasq(out: Out, text: string): void {
  const start = afterExtra(text)
  if (start > 0) {
    const sp = text.indexOf(' ')
    set(out, 'dnsmasq.query_id', Number(text.slice(0, sp)))
    const endpoint = text.slice(sp + 1, start - 1)
    const slash = endpoint.lastIndexOf('/')
    client(out, endpoint.slice(0, slash), endpoint.slice(slash + 1))
  }
  const v = verb(text, start)
  const head = text.slice(start, start + v)
  let i = start + v
  let type: string | undefined
  if (head.endsWith('[')) {
    const close = text.indexOf('] ', i)
    if (close === -1 || close - i > 32) {
      out.problems.push('the query type is not closed')
      action(out, 'dns-query')
      return
    }
    type = text.slice(i, close)
    // dnsmasq writes a type it has no name for as `type=65` (RFC 3597 calls it TYPE65).
    if (type.startsWith('type=')) type = 'TYPE' + type.slice(5)
    i = close + 2
  }
  const sp = text.indexOf(' ', i)
  const name = text.slice(i, sp === -1 ? undefined : sp)
  const rest = sp === -1 ? '' : text.slice(sp + 1)
  if (head === 'query[') {
    action(out, 'dns-query')
    set(out, 'dns.type', 'query')
    question(out, name, type)
    if (rest.startsWith('from ')) {
      if (start === 0) client(out, rest.slice(5))
    } else out.problems.push('the query has no "from ADDRESS"')
    return
  }
  if (head === 'forwarded ' || head === 'dnssec-query[') {
    action(out, 'dns-forwarded')
    set(out, 'dns.type', 'query')
    question(out, name, type)
    if (head === 'dnssec-query[') set(out, 'dnsmasq.dnssec', true)
    if (rest.startsWith('to ')) server(out, rest.slice(3))
    else out.problems.push('the forwarded query has no "to ADDRESS"')
    return
  }
  // An answer: from upstream, the cache, the configuration or a hosts file.
  action(out, 'dns-answer')
  set(out, 'dns.type', 'answer')
  const source = head === 'reply ' ? 'upstream' : head === 'cached ' ? 'cache' : head === 'cached-stale ' ? 'cache-stale' : head === 'config ' ? 'config' : 'hosts'
  set(out, 'dnsmasq.source', source)
  if (source === 'hosts') set(out, 'dnsmasq.file', head.slice(0, -1))
  if (!rest.startsWith('is ')) {
    question(out, name)
    out.problems.push('the answer has no "is VALUE"')
    return
  }
  const value = rest.slice(3)
  answer(out, name, value)
}

function answer(out: Out, name: string, value: string): void {
  const event = out.event
  if (isAddress(value)) {
    const ip = canonicalIp(value)
    question(out, name)
    set(out, 'dns.answers', [{ data: ip, type: ip.includes(':') ? 'AAAA' : 'A' }])
    set(out, 'dns.resolved_ip', [ip])
    addRelated(event, 'ip', ip)
    return
  }
  if (isAddress(name)) {
    // A reverse lookup: dnsmasq writes the address, not the in-addr.arpa name.
    question(out, canonicalIp(name), 'PTR')
    addRelated(event, 'ip', canonicalIp(name))
    if (/^[A-Za-z0-9._-]+$/.test(value) && value.length < 256) {
      set(out, 'dns.answers', [{ data: value, type: 'PTR' }])
      addRelated(event, 'hosts', value)
      return
    }
  } else question(out, name)
  set(out, 'dnsmasq.result', value)
  if (value.length > 2 && value.charCodeAt(0) === 60 && value.endsWith('>')) {
    set(out, 'dns.answers', [{ type: value.slice(1, -1) }])
    return
  }
  if (RCODES.has(value)) set(out, 'dns.response_code', value)
  else if (value.startsWith('NODATA')) set(out, 'dns.response_code', 'NOERROR')
}

export function dnsmasqObserver(event: LogEvent, hostname: string): void {
  const observer: Obj = { vendor: 'dnsmasq', product: 'dnsmasq', type: 'dns' }
  if (hostname !== '') observer.hostname = hostname
  event.observer = observer
  const ev = event.event as Obj
  ev.module = 'dnsmasq'
  ev.dataset = 'dnsmasq.log'
}

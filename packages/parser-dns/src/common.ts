import { addRelated, setField } from '@beer/parser-sdk'
import type { LogEvent } from '@beer/parser-sdk'
import { canonicalIp, isIp as isAddress } from '@beer/parser-sdk'

export type Obj = Record<string, unknown>

/** What one message is being turned into, and why it may be partial. */
export interface Out {
  event: LogEvent
  problems: string[]
}

/** The event kinds this parser names, with the ECS categorisation each carries. */
export type Action =
  | 'dns-query'
  | 'dns-answer'
  | 'dns-forwarded'
  | 'dns-rpz-rewrite'
  | 'dns-query-denied'
  | 'dns-zone-transfer'
  | 'dns-zone-loaded'
  | 'dns-notify'
  | 'dns-update'
  | 'dns-error'
  | 'dns-server-message'

const CATEGORY: Record<Action, readonly string[]> = {
  'dns-query': ['network'],
  'dns-answer': ['network'],
  'dns-forwarded': ['network'],
  'dns-rpz-rewrite': ['network'],
  'dns-query-denied': ['network'],
  'dns-zone-transfer': ['network'],
  'dns-zone-loaded': ['configuration'],
  'dns-notify': ['network'],
  'dns-update': ['network'],
  'dns-error': ['network'],
  'dns-server-message': ['network'],
}

const TYPE: Record<Action, readonly string[]> = {
  'dns-query': ['protocol'],
  'dns-answer': ['protocol'],
  'dns-forwarded': ['protocol'],
  'dns-rpz-rewrite': ['info'],
  'dns-query-denied': ['protocol', 'denied'],
  'dns-zone-transfer': ['protocol'],
  'dns-zone-loaded': ['change'],
  'dns-notify': ['protocol'],
  'dns-update': ['change'],
  'dns-error': ['error'],
  'dns-server-message': ['info'],
}

/** Sets event.action with its category and type; `type` overrides the action's usual type. */
export function action(out: Out, name: Action, outcome?: 'success' | 'failure' | 'unknown', type?: readonly string[]): void {
  const ev = out.event.event as Obj
  ev.action = name
  ev.category = [...CATEGORY[name]]
  ev.type = [...(type ?? TYPE[name])]
  if (outcome !== undefined) ev.outcome = outcome
  else delete ev.outcome
}

/** Sets a dotted field on the event being built, skipping undefined, null and '' (`setField`). */
export function set(out: Out, path: string, value: unknown): void {
  setField(out.event as LogEvent, path, value)
}

/** An address field (client.ip, server.ip…) when the text is an address; noted as a problem when it is not. */
export function ip(out: Out, path: string, text: string | undefined, what: string): string | undefined {
  if (text === undefined || text === '') return undefined
  if (!isAddress(text)) {
    out.problems.push(`${what} ${JSON.stringify(text.length > 64 ? text.slice(0, 64) + '…' : text)} is not an address`)
    return undefined
  }
  const value = canonicalIp(text)
  set(out, path, value)
  addRelated(out.event, 'ip', value)
  return value
}

/** A port number 0–65535, or undefined. */
export function port(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const n = text.length
  if (n === 0 || n > 5) return undefined
  let v = 0
  for (let i = 0; i < n; i++) {
    const d = text.charCodeAt(i) - 48
    if (!(d >= 0 && d <= 9)) return undefined
    v = v * 10 + d
  }
  return v <= 65535 ? v : undefined
}

/** The client of a query: client.* and, as Elastic does for DNS, source.* too. */
export function client(out: Out, address: string, portText?: string): void {
  const value = ip(out, 'client.ip', address, 'the client address')
  if (value === undefined) return
  set(out, 'source.ip', value)
  const p = port(portText)
  if (p !== undefined) {
    set(out, 'client.port', p)
    set(out, 'source.port', p)
  } else if (portText !== undefined && portText !== '') {
    out.problems.push(`the client port ${JSON.stringify(portText.slice(0, 16))} is not a port`)
  }
}

/** The server a query went to: server.* and destination.*. */
export function server(out: Out, address: string, portText?: string): void {
  const value = ip(out, 'server.ip', address, 'the server address')
  if (value === undefined) return
  set(out, 'destination.ip', value)
  const p = port(portText)
  if (p !== undefined) {
    set(out, 'server.port', p)
    set(out, 'destination.port', p)
  }
}

/** dns.question.name (without the root's trailing dot), also in related.hosts. */
export function question(out: Out, name: string, type?: string, klass?: string): void {
  const n = name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name
  set(out, 'dns.question.name', n)
  set(out, 'dns.question.type', type)
  set(out, 'dns.question.class', klass)
  // Reverse-lookup names (in-addr.arpa, ip6.arpa) name an address, not a host.
  if (n !== '' && n !== '.' && !n.endsWith('.arpa') && !isAddress(n)) addRelated(out.event, 'hosts', n)
}

/** Splits `name/TYPE/CLASS` (or `name/TYPE`), as BIND writes a question in its messages. */
export function splitQuestion(text: string): [string, string | undefined, string | undefined] {
  const c = text.lastIndexOf('/')
  if (c <= 0) return [text, undefined, undefined]
  const b = text.lastIndexOf('/', c - 1)
  if (b <= 0) return [text.slice(0, c), text.slice(c + 1), undefined]
  return [text.slice(0, b), text.slice(b + 1, c), text.slice(c + 1)]
}

/** `address#port`, as BIND writes an endpoint. */
export function splitHashPort(text: string): [string, string | undefined] {
  const h = text.lastIndexOf('#')
  return h === -1 ? [text, undefined] : [text.slice(0, h), text.slice(h + 1)]
}

export const RCODES: ReadonlySet<string> = new Set(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'BADVERS', 'BADCOOKIE'])

import { addRelated, ecsMac, isIp, markPartial, setField } from '@beer/parser-sdk'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'

/** One message being read: the event so far, what could not be read, and the header's time. */
export interface Out {
  ev: LogEvent
  problems: string[] | null
  /** Epoch milliseconds of the event (the header's time, else the receive time). */
  time: number
}

/** Sets a dotted field on the event being built, skipping undefined, null, '' and NaN (`setField`). */
export function set(out: Out, path: string, value: unknown): void {
  setField(out.ev, path, value)
}

export function problem(out: Out, text: string): void {
  ;(out.problems ??= []).push(text)
}

/** The client's hardware address, or a problem when the line has something else there. */
export function clientMac(out: Out, text: string | undefined): void {
  if (text === undefined || text === '') return
  const mac = ecsMac(text)
  if (mac === undefined) problem(out, `client hardware address ${JSON.stringify(text.slice(0, 64))} is not a MAC address`)
  else set(out, 'client.mac', mac)
}

/** An address field: the value when it is an IP address, a problem otherwise. */
export function address(out: Out, path: string, text: string | undefined, what: string): string | undefined {
  if (text === undefined || text === '') return undefined
  // No address is longer than 45 characters (RFC 4291 §2.2 with an IPv4 tail); isIp is not asked
  // about 64 KiB of colons.
  if (text.length > 45 || !isIp(text)) {
    problem(out, `${what} ${JSON.stringify(text.slice(0, 64))} is not an IP address`)
    return undefined
  }
  set(out, path, text)
  addRelated(out.ev, 'ip', text)
  return text
}

/** The client's host name, as dhcpd writes it in parentheses. */
export function clientName(out: Out, name: string | undefined): void {
  if (name === undefined || name === '') return
  set(out, 'client.domain', name)
  addRelated(out.ev, 'hosts', name)
}

/** `via <interface|relay address>`: a relay agent's address (giaddr), or the interface the request came in on. */
export function via(out: Out, text: string | undefined): void {
  if (text === undefined || text === '') return
  if (text.length <= 45 && isIp(text)) {
    set(out, 'dhcpd.relay.ip', text)
    addRelated(out.ev, 'ip', text)
  } else {
    set(out, 'observer.ingress.interface.name', text)
  }
}

/** The lease time, and the time the lease ends: the event's time plus the lease. */
export function leaseTime(out: Out, seconds: number | undefined): void {
  if (seconds === undefined) return
  set(out, 'dhcpd.lease_time', seconds)
  const end = out.time + seconds * 1000
  if (Number.isFinite(end) && Math.abs(end) <= 8.64e15) set(out, 'dhcpd.lease_end', new Date(end).toISOString())
}

/** A whole non-negative number, or undefined. */
export function count(text: string | undefined): number | undefined {
  if (text === undefined || text.length === 0 || text.length > 15) return undefined
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return Number(text)
}

/** Marks the event partial when something could not be read, as every beer parser does. */
export function finish(out: Out, msg: SyslogMessage): LogEvent {
  return markPartial(out.ev, msg, out.problems)
}

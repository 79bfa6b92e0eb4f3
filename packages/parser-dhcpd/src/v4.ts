// ISC dhcpd's DHCPv4 lines (server/dhcp.c, server/bootp.c, server/ddns.c of ISC DHCP 4.x), with
// the fields Infoblox NIOS adds (TransID, uid, relay, lease-duration, offered-duration):
//   DHCPDISCOVER from <mac> [(<host>)] via <if|relay>[: <reason>]
//   DHCPOFFER on <ip> to <mac> [(<host>)] via <if|relay>
//   DHCPREQUEST for <ip> [(<server>)] from <mac> [(<host>)] via <if|relay>[: <reason>]
//   DHCPACK on <ip> to <mac> [(<host>)] via <if|relay>    DHCPACK to <ip> (<mac>) via <if>  (after INFORM)
//   DHCPNAK on <ip> to <mac> via <if|relay>
//   DHCPRELEASE of <ip> from <mac> [(<host>)] via <if> (found|not found)
//   DHCPDECLINE of <ip> from <mac> [(<host>)] via <if>: <reason>
//   DHCPINFORM from <ip> via <if|relay>
//   DHCPEXPIRE on <ip> to <mac>
//   BOOTREQUEST from <mac> via <if>    BOOTREPLY for <ip> to <host> (<mac>) via <if>
// and the dynamic DNS updates dhcpd makes for a lease (`Added new forward map from <name> to <ip>`).
import { addRelated, isIp } from '@beer/parser-sdk'
import { address, clientMac, clientName, count, leaseTime, problem, set, via } from './fields.ts'
import type { Out } from './fields.ts'

const ACTIONS: Record<string, string> = {
  DHCPDISCOVER: 'dhcp-discover',
  DHCPOFFER: 'dhcp-offer',
  DHCPREQUEST: 'dhcp-request',
  DHCPACK: 'dhcp-ack',
  DHCPNAK: 'dhcp-nak',
  DHCPRELEASE: 'dhcp-release',
  RELEASE: 'dhcp-release',
  DHCPDECLINE: 'dhcp-decline',
  DHCPINFORM: 'dhcp-inform',
  DHCPEXPIRE: 'dhcp-expire',
  DHCPLEASEQUERY: 'dhcp-leasequery',
  BOOTREQUEST: 'bootp-request',
  BOOTREPLY: 'bootp-reply',
}

const DDNS = [
  'Added new forward map from ',
  'Added reverse map from ',
  'Removed forward map from ',
  'Removed reverse map on ',
  'Unable to add forward map from ',
  'Unable to add reverse map from ',
  'Unable to remove forward map from ',
  'Unable to remove reverse map on ',
  'Reverse map update for ',
  'Forward map from ',
  'Abandoning IP address ',
]

/** The verb (`DHCPACK`) or DDNS phrase a DHCPv4 line starts with, or undefined. */
export function v4Verb(text: string): string | undefined {
  const c = text.charCodeAt(0)
  if (c === 68 /* D */ || c === 66 /* B */ || c === 82 /* R */) {
    const sp = text.indexOf(' ')
    const verb = sp === -1 ? text : text.slice(0, sp)
    // `DHCPDECLINE` alone, or `DHCPACK some text`, is still dhcpd's line: it is read, as partial.
    if (verb in ACTIONS && (verb !== 'RELEASE' || text.startsWith('RELEASE on '))) return verb
  }
  if (c === 65 || c === 82 || c === 85 || c === 70) {
    for (const p of DDNS) if (text.startsWith(p)) return p
  }
  return undefined
}

/** The words after which each verb names what. */
const SHAPES: Record<string, string[]> = {
  DHCPDISCOVER: ['from', 'mac', 'host', 'via'],
  DHCPOFFER: ['on', 'ip', 'to', 'mac', 'host', 'via'],
  DHCPACK: ['on', 'ip', 'to', 'mac', 'host', 'via'],
  DHCPNAK: ['on', 'ip', 'to', 'mac', 'host', 'via'],
  DHCPEXPIRE: ['on', 'ip', 'to', 'mac', 'host', 'via'],
  RELEASE: ['on', 'ip', 'to', 'mac', 'host', 'via'],
  DHCPREQUEST: ['for', 'ip', 'server', 'from', 'mac', 'host', 'via'],
  DHCPRELEASE: ['of', 'ip', 'from', 'mac', 'host', 'via'],
  DHCPDECLINE: ['of', 'ip', 'from', 'mac', 'host', 'via'],
  DHCPINFORM: ['from', 'ip', 'via'],
  DHCPLEASEQUERY: ['from', 'ip', 'via'],
  BOOTREQUEST: ['from', 'mac', 'host', 'via'],
  BOOTREPLY: ['for', 'ip', 'to', 'bootname', 'paren-mac', 'via'],
}

/**
 * The first `max` space-separated words: every shape and every field Infoblox adds fits in far
 * fewer, and a line of thousands of words costs no more than its first ones.
 */
function words(text: string, max: number): string[] {
  const out: string[] = []
  let start = 0
  while (out.length < max) {
    const sp = text.indexOf(' ', start)
    if (sp === -1) {
      out.push(text.slice(start))
      break
    }
    out.push(text.slice(start, sp))
    start = sp + 1
  }
  return out
}

/** `(<text>)` starting at token k, possibly spread over several tokens: the text and the next token index. */
function group(tokens: string[], k: number): { text: string; next: number } | undefined {
  const first = tokens[k]
  if (first === undefined || first.charCodeAt(0) !== 40) return undefined
  if (first.length > 1 && first.endsWith(')')) return { text: first.slice(1, -1), next: k + 1 }
  // A host name with spaces (a client may send any bytes): up to the token that closes it, not far.
  for (let j = k + 1; j < tokens.length && j < k + 8; j++) {
    if (tokens[j]!.endsWith(')')) return { text: tokens.slice(k, j + 1).join(' ').slice(1, -1), next: j + 1 }
  }
  return undefined
}

export function readV4(out: Out, text: string): void {
  const verb = v4Verb(text)!
  if (!(verb in ACTIONS)) {
    readDdns(out, text, verb)
    return
  }
  const action = ACTIONS[verb]!
  set(out, 'event.action', action)
  set(out, 'event.category', ['network'])
  set(out, 'event.type', ['protocol'])
  set(out, 'network.protocol', verb.startsWith('BOOT') ? 'bootp' : 'dhcp')
  set(out, 'network.type', 'ipv4')
  set(out, 'dhcpd.message_type', verb)
  // `: <reason>` ends a line whose request was not served; v4 addresses hold no ': '.
  const colon = text.indexOf(': ')
  const main = colon === -1 ? text : text.slice(0, colon)
  let failed = verb === 'DHCPNAK'
  if (colon !== -1) {
    const why = text.slice(colon + 2).trim()
    if (why !== '') {
      set(out, 'event.reason', why)
      failed = true
    }
  }
  const tokens = words(main, 96)
  let k = 1
  let shape = SHAPES[verb]!
  // `DHCPACK to <ip> (<mac>) via <if>`: the answer to a DHCPINFORM.
  if (verb === 'DHCPACK' && tokens[1] === 'to') shape = ['to', 'ip', 'paren-mac', 'via']
  for (let s = 0; s < shape.length; s++) {
    const want = shape[s]!
    const tok = tokens[k]
    switch (want) {
      case 'ip':
        if (tok === undefined) break
        address(out, 'client.ip', tok, 'client address')
        k++
        continue
      case 'mac':
        if (tok === undefined) break
        clientMac(out, tok)
        k++
        continue
      case 'paren-mac': {
        const g = group(tokens, k)
        if (g === undefined) break
        clientMac(out, g.text)
        k = g.next
        continue
      }
      case 'host': {
        const g = group(tokens, k)
        if (g !== undefined) {
          clientName(out, g.text)
          k = g.next
        }
        continue
      }
      case 'bootname':
        if (tok === undefined) break
        clientName(out, tok)
        k++
        continue
      case 'server': {
        // DHCPREQUEST names the server the client chose (option 54) in parentheses.
        const g = group(tokens, k)
        if (g !== undefined) {
          address(out, 'dhcpd.server_ip', g.text, 'server identifier')
          k = g.next
        }
        continue
      }
      case 'via':
        if (tok !== 'via') {
          // DHCPEXPIRE and Infoblox's RELEASE have no `via`; the others are cut short without it.
          if (verb !== 'DHCPEXPIRE' && verb !== 'RELEASE' && verb !== 'DHCPLEASEQUERY') problem(out, 'no "via" in the line')
          s = shape.length
          continue
        }
        via(out, tokens[k + 1])
        if (tokens[k + 1] === undefined) problem(out, 'nothing after "via"')
        k += 2
        continue
      default:
        // A fixed word: `from`, `on`, `to`, `for`, `of`.
        if (tok === want) {
          k++
          continue
        }
    }
    problem(out, tok === undefined ? `the line ends before "${want}"` : `"${tok.slice(0, 32)}" where "${want}" was expected`)
    k = tokens.length
    break
  }
  const shaped = out.problems === null
  // Infoblox NIOS and newer ISC releases add fields after the address. A repeated field keeps its
  // first value.
  const seen = new Set<string>()
  for (; k < tokens.length; k++) {
    const tok = tokens[k]!
    const next = tokens[k + 1]
    if (seen.has(tok)) {
      if (tok !== '(RENEW)' && tok !== '(found)' && tok !== '(not') k++
      continue
    }
    seen.add(tok)
    switch (tok) {
      case 'TransID':
        set(out, 'dhcpd.transaction_id', next)
        k++
        break
      case 'uid':
        set(out, 'dhcpd.uid', next)
        k++
        break
      case 'relay':
        // Infoblox: the relay agent's address, or the interface when the client is on the link.
        if (next !== undefined && next.length <= 45 && isIp(next)) via(out, next)
        else if (!hasIngress(out)) via(out, next)
        k++
        break
      case 'lease-duration': {
        const n = count(next)
        if (n === undefined) problem(out, `lease-duration ${JSON.stringify((next ?? '').slice(0, 24))} is not a number of seconds`)
        leaseTime(out, n)
        k++
        break
      }
      case 'offered-duration':
        set(out, 'dhcpd.offered_duration', count(next))
        k++
        break
      case '(RENEW)':
        set(out, 'dhcpd.renew', true)
        break
      case '(found)':
        set(out, 'dhcpd.lease_found', true)
        break
      case '(not':
        if (next === 'found)') {
          set(out, 'dhcpd.lease_found', false)
          failed = true
          k++
        }
        break
      default:
    }
  }
  // A line whose words are not where dhcpd writes them says too little to tell how it ended.
  set(out, 'event.outcome', !shaped ? 'unknown' : failed ? 'failure' : 'success')
}

function hasIngress(out: Out): boolean {
  return (out.ev.observer as { ingress?: unknown } | undefined)?.ingress !== undefined
}

/** dhcpd's dynamic DNS updates, and `Abandoning IP address <ip>: <reason>`. */
function readDdns(out: Out, text: string, phrase: string): void {
  const abandon = phrase === 'Abandoning IP address '
  set(out, 'event.action', abandon ? 'dhcp-lease-abandoned' : 'dhcp-dns-update')
  set(out, 'event.category', ['network'])
  set(out, 'event.type', ['info'])
  set(out, 'network.protocol', abandon ? 'dhcp' : 'dns')
  let rest = text.slice(phrase.length)
  let failed = phrase.startsWith('Unable') || phrase === 'Reverse map update for ' || abandon
  const colon = rest.indexOf(': ')
  if (colon !== -1) {
    set(out, 'event.reason', rest.slice(colon + 2))
    rest = rest.slice(0, colon)
    if (phrase === 'Forward map from ') failed = true
  }
  const by = rest.indexOf(' by server ')
  if (by !== -1) {
    set(out, 'dhcpd.ddns.server', rest.slice(by + 11))
    rest = rest.slice(0, by)
  }
  if (phrase === 'Forward map from ' && rest.endsWith(' FAILED')) rest = rest.slice(0, -7)
  if (abandon || phrase === 'Reverse map update for ') {
    const sp = rest.indexOf(' ')
    address(out, 'client.ip', sp === -1 ? rest : rest.slice(0, sp), 'client address')
    return finishOutcome(out, failed)
  }
  if (phrase.endsWith(' on ')) {
    // `Removed reverse map on <ptr name>`.
    set(out, 'dhcpd.ddns.ptr', rest)
    return finishOutcome(out, failed)
  }
  const to = rest.lastIndexOf(' to ')
  const from = to === -1 ? rest : rest.slice(0, to)
  const target = to === -1 ? undefined : rest.slice(to + 4)
  if (phrase.toLowerCase().includes('forward')) {
    set(out, 'dhcpd.ddns.direction', 'forward')
    set(out, 'client.domain', from)
    addRelated(out.ev, 'hosts', from)
    address(out, 'client.ip', target, 'client address')
  } else {
    set(out, 'dhcpd.ddns.direction', 'reverse')
    set(out, 'dhcpd.ddns.ptr', from)
    if (target !== undefined) {
      set(out, 'client.domain', target)
      addRelated(out.ev, 'hosts', target)
    }
  }
  if (to === -1) problem(out, 'no " to " in the update')
  finishOutcome(out, failed)
}

function finishOutcome(out: Out, failed: boolean): void {
  set(out, 'event.outcome', failed ? 'failure' : 'success')
}

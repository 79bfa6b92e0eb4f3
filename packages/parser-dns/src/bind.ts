// ISC BIND 9 (`named`) messages, 9.9 to 9.20. The query log (category `queries`) is written by
// lib/ns/query.c as
//
//   client [@0xPTR ]ADDR#PORT[/key KEY] (QNAME): [view VIEW: ]query: QNAME CLASS TYPE FLAGS (SERVER)[ [ECS …]]
//
// where the client object pointer came in 9.11, the `(QNAME)` in 9.10 and `E(version)`, `K`, `V`
// in 9.10 to 9.11. FLAGS: `+`/`-` recursion desired or not, `S` signed, `E(n)` EDNS version n,
// `T` TCP, `D` DNSSEC OK, `C` checking disabled, `V` valid server cookie, `K` a cookie without one.
// With `print-time`, `print-category` and `print-severity` a file channel puts
// `27-Nov-2026 10:00:00.123 queries: info: ` before the text.
import { addRelated, zonedTimestamp } from '@beer/parser-sdk'
import type { LogEvent } from '@beer/parser-sdk'
import { canonicalIp, isIp as isAddress } from '@beer/parser-sdk'
import { RCODES, action, client, question, server, set, splitHashPort, splitQuestion } from './common.ts'
import type { Obj, Out } from './common.ts'

/** BIND's logging categories (ARM, "The category Phrase"): what `print-category` writes first. */
const CATEGORIES = new Set([
  'client', 'cname', 'config', 'database', 'default', 'delegation-only', 'dispatch', 'dnssec', 'dnstap', 'edns-disabled',
  'general', 'lame-servers', 'network', 'notify', 'nsid', 'queries', 'query-errors', 'rate-limit', 'resolver', 'responses',
  'rpz', 'rpz-passthru', 'security', 'serve-stale', 'spill', 'sslkeylog', 'trust-anchor-telemetry', 'unmatched', 'update',
  'update-security', 'xfer-in', 'xfer-out', 'zoneload',
])

/** What `print-severity` writes. */
const SEVERITIES = new Set(['critical', 'error', 'warning', 'notice', 'info', 'dynamic', 'debug'])

/** How a message body that is BIND's own starts (after time, category and severity). */
function bindBody(text: string, i: number): boolean {
  return text.startsWith('client ', i) || text.startsWith('zone ', i) || text.startsWith('rpz: ', i) || text.startsWith("transfer of '", i) || text.startsWith('view ', i)
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** What `readPrintTime` found. */
const printed = { end: 0, text: '' }

/** `DD-Mon-YYYY HH:MM:SS[.mmm] ` (BIND's `print-time yes`), as `YYYY-MM-DD HH:MM:SS.mmm` for zonedTimestamp. */
function readPrintTime(text: string, i: number): boolean {
  if (text.charCodeAt(i + 2) !== 45 || text.charCodeAt(i + 6) !== 45 || text.charCodeAt(i + 11) !== 32) return false
  const month = MONTHS.indexOf(text.slice(i + 3, i + 6)) + 1
  if (month === 0) return false
  const day = text.slice(i, i + 2)
  const year = text.slice(i + 7, i + 11)
  const clock = text.slice(i + 12, i + 20)
  if (!/^\d\d$/.test(day) || !/^\d{4}$/.test(year) || !/^\d\d:\d\d:\d\d$/.test(clock)) return false
  let end = i + 20
  let fraction = ''
  if (text.charCodeAt(end) === 46) {
    const m = /^\d{1,3}/.exec(text.slice(end + 1, end + 4))
    if (m === null) return false
    fraction = '.' + m[0]
    end += 1 + m[0].length
  }
  if (text.charCodeAt(end) !== 32) return false
  printed.end = end + 1
  printed.text = `${year}-${month < 10 ? '0' : ''}${month}-${day} ${clock}${fraction}`
  return true
}

/** The end of a category or severity word and its ': ' at `i`, or -1. */
function label(text: string, i: number, set: Set<string>): number {
  // Categories and severities are short words: look no further than 24 characters.
  let colon = -1
  for (let k = i, end = Math.min(text.length - 1, i + 24); k < end; k++) {
    if (text.charCodeAt(k) === 58 && text.charCodeAt(k + 1) === 32) {
      colon = k
      break
    }
  }
  if (colon === -1) return -1
  let word = text.slice(i, colon)
  if (set === SEVERITIES && word.startsWith('debug ')) word = 'debug'
  return set.has(word) ? colon + 2 : -1
}

/** Where the prefixes end: print-time, category, severity. */
const prefix = { end: 0, time: '', category: '', severity: '' }

function readPrefixes(text: string): void {
  let i = 0
  prefix.time = ''
  prefix.category = ''
  prefix.severity = ''
  if (readPrintTime(text, 0)) {
    prefix.time = printed.text
    i = printed.end
  }
  const c = label(text, i, CATEGORIES)
  // `rpz: ZONE: reload start` is a message of its own, not the category: only take `rpz:` as one
  // when a severity or a message body follows it.
  if (c !== -1 && (text.charCodeAt(i) !== 114 || !text.startsWith('rpz: ', i) || label(text, c, SEVERITIES) !== -1 || bindBody(text, c))) {
    prefix.category = text.slice(i, c - 2)
    i = c
  }
  const s = label(text, i, SEVERITIES)
  if (s !== -1) {
    prefix.severity = text.slice(i, s - 2)
    i = s
  }
  prefix.end = i
}

/**
 * Whether a message without the `named` tag is BIND's: a file channel's line with print-time or
 * print-category, followed by a BIND message (`client …`, `zone …`, `rpz: …`, `transfer of …`).
 */
export function isBindText(text: string): boolean {
  const c0 = text.charCodeAt(0)
  if (!((c0 >= 48 && c0 <= 57) || (c0 >= 97 && c0 <= 122))) return false
  readPrefixes(text)
  if (prefix.time === '' && prefix.category === '') return false
  return bindBody(text, prefix.end)
}

/** Reads one BIND message into the event. */
export function readBind(out: Out, text: string, timezone: string): void {
  const ev = out.event.event as Obj
  let end = text.length
  while (end > 0 && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--
  if (end < text.length) text = text.slice(0, end)
  readPrefixes(text)
  if (prefix.time !== '') {
    const ts = zonedTimestamp(prefix.time, timezone)
    if (ts !== undefined) {
      out.event['@timestamp'] = ts
      ev.timezone = timezone
    }
  }
  if (prefix.category !== '') set(out, 'log.logger', prefix.category)
  if (prefix.severity !== '') set(out, 'log.level', prefix.severity)
  let i = prefix.end
  i = view(out, text, i)
  const body = text.slice(i)
  if (prefix.end > 0) out.event.message = body
  if (body.startsWith('client ')) return readClient(out, body)
  if (body.startsWith('rpz: ')) return rpzMessage(out, body)
  if (body.startsWith('zone ')) return zone(out, body)
  if (body.startsWith("transfer of '")) return transferIn(out, body)
  if (body.startsWith('validating ')) return validating(out, body)
  const resolving = body.indexOf(" resolving '")
  if (resolving !== -1) return resolver(out, body, resolving)
  if (body.startsWith('DNS format error from ')) return formatError(out, body)
  action(out, 'dns-server-message')
}

/** `view NAME: ` (with the extra spaces some builds write after it). */
function view(out: Out, text: string, i: number): number {
  if (!text.startsWith('view ', i)) return i
  const colon = text.indexOf(': ', i + 5)
  if (colon === -1 || colon - i > 80) return i
  set(out, 'bind.view', text.slice(i + 5, colon))
  i = colon + 2
  while (text.charCodeAt(i) === 32) i++
  return i
}

/** `client [@0xPTR ]ADDR#PORT[/key KEY][ (QNAME)]: [view VIEW: ]…` */
function readClient(out: Out, text: string): void {
  let i = 7
  if (text.charCodeAt(i) === 64 /* @ */) {
    const sp = text.indexOf(' ', i)
    if (sp === -1) return cut(out, 'the line ends after the client object')
    i = sp + 1
  }
  const hash = text.indexOf('#', i)
  const colon = text.indexOf(': ', i)
  if (hash === -1 || colon === -1 || hash > colon || hash - i > 64) {
    // `client ADDR: …`? Nothing BIND writes; read what can be read.
    if (colon !== -1) client(out, text.slice(i, colon))
    else return cut(out, 'the line ends inside the client address')
    return clientMessage(out, text.slice(colon + 2))
  }
  let j = hash + 1
  while (j < colon && text.charCodeAt(j) >= 48 && text.charCodeAt(j) <= 57) j++
  client(out, text.slice(i, hash), text.slice(hash + 1, j))
  if (text.startsWith('/key ', j)) {
    let k = j + 5
    while (k < colon && text.charCodeAt(k) !== 32) k++
    set(out, 'bind.tsig_key', text.slice(j + 5, k))
    j = k
  }
  let qname = ''
  if (text.startsWith(' (', j)) {
    const close = text.indexOf('): ', j)
    if (close !== -1) {
      qname = text.slice(j + 2, close)
      j = close + 1
    }
  }
  if (text.charCodeAt(j) !== 58) return cut(out, 'the client part does not end with ":"')
  j += 2
  j = view(out, text, j)
  clientMessage(out, text.slice(j))
  // The name in parentheses is the client's query: the question when the message names none.
  if (qname !== '' && (out.event.dns as Obj | undefined)?.question === undefined) question(out, qname)
}

function cut(out: Out, why: string): void {
  out.problems.push(why)
  action(out, 'dns-server-message')
}

/** What BIND says about a client: its query, an RPZ rewrite, a denial, a failure, an update, a transfer. */
function clientMessage(out: Out, rest: string): void {
  if (rest.startsWith('query: ')) return query(out, rest, 7, false)
  if (rest.startsWith('answer: ')) return query(out, rest, 8, true)
  if (rest.startsWith('rpz ') || rest.startsWith('disabled rpz ')) return rpz(out, rest)
  if (rest.startsWith('query failed (')) return queryFailed(out, rest)
  if (rest.startsWith('query ') && (rest.endsWith(' denied') || rest.includes(' denied ('))) {
    const q = quoted(rest)
    if (q !== undefined) question(out, ...splitQuestion(q))
    if (rest.startsWith('query (cache) ')) set(out, 'bind.denied', 'cache')
    return action(out, 'dns-query-denied', 'failure')
  }
  if (rest.startsWith('query (cache)') || rest.startsWith("query '")) {
    out.problems.push('the line ends before what became of the query')
    return action(out, 'dns-server-message')
  }
  if (rest.startsWith("zone transfer '")) {
    // `zone transfer 'ZONE/AXFR/IN' denied`: the request, as name/type/class.
    const q = quoted(rest)
    if (q !== undefined) {
      const [name, type, klass] = splitQuestion(q)
      question(out, name, type, klass)
      set(out, 'bind.zone.name', name)
    }
    const denied = rest.includes(' denied')
    return action(out, 'dns-zone-transfer', denied ? 'failure' : 'unknown', denied ? ['protocol', 'denied'] : undefined)
  }
  if (rest.startsWith("transfer of '") || rest.startsWith('bad zone transfer request')) {
    const q = quoted(rest)
    if (q !== undefined) zoneName(out, q)
    const denied = rest.includes(' denied')
    const failed = denied || rest.startsWith('bad ') || rest.includes('failed')
    const ok = rest.includes(' ended') || rest.includes('completed')
    return action(out, 'dns-zone-transfer', failed ? 'failure' : ok ? 'success' : 'unknown', denied ? ['protocol', 'denied'] : undefined)
  }
  if (rest.startsWith("update '") || rest.startsWith("updating zone '") || rest.startsWith('signer ') || rest.startsWith("update forwarding '")) {
    const q = quoted(rest)
    if (q !== undefined) zoneName(out, q)
    const denied = rest.includes(' denied')
    const failed = denied || rest.includes('failed') || rest.includes('refused')
    return action(out, 'dns-update', failed ? 'failure' : rest.includes('approved') || rest.startsWith('updating') ? 'success' : 'unknown', denied ? ['change', 'denied'] : undefined)
  }
  if (rest.startsWith('received notify for zone ') || rest.startsWith('notify ')) {
    const q = quoted(rest)
    if (q !== undefined) zoneName(out, q)
    return action(out, 'dns-notify')
  }
  action(out, 'dns-server-message')
}

/** The text between the first pair of single quotes. */
function quoted(text: string): string | undefined {
  const a = text.indexOf("'")
  if (a === -1) return undefined
  const b = text.indexOf("'", a + 1)
  return b === -1 ? undefined : text.slice(a + 1, b)
}

/** `zone/CLASS[/VIEW]` into bind.zone.* */
function zoneName(out: Out, text: string): void {
  const slash = text.indexOf('/')
  if (slash === -1) return set(out, 'bind.zone.name', text)
  set(out, 'bind.zone.name', text.slice(0, slash))
  const rest = text.slice(slash + 1)
  const s2 = rest.indexOf('/')
  set(out, 'bind.zone.class', s2 === -1 ? rest : rest.slice(0, s2))
  if (s2 !== -1) set(out, 'bind.view', rest.slice(s2 + 1))
}

/** ECS dns.header_flags of a query's flags, in the order ECS lists them. */
function flags(out: Out, text: string): void {
  const list: string[] = []
  if (text.charCodeAt(0) === 43 /* + */) list.push('RD')
  if (text.includes('C')) list.push('CD')
  if (text.includes('D')) list.push('DO')
  if (list.length > 0) set(out, 'dns.header_flags', list)
  set(out, 'bind.query.flags', text)
  set(out, 'network.transport', text.includes('T') ? 'tcp' : 'udp')
  const e = text.indexOf('E(')
  if (e !== -1) {
    const close = text.indexOf(')', e)
    const v = Number(text.slice(e + 2, close))
    if (close !== -1 && Number.isInteger(v)) set(out, 'bind.query.edns_version', v)
  }
}

/** `query: QNAME CLASS TYPE FLAGS (SERVER)[ [ECS …]]`, and `answer: … -> RCODE RRs`. */
function query(out: Out, text: string, at: number, answer: boolean): void {
  action(out, answer ? 'dns-answer' : 'dns-query')
  set(out, 'dns.type', answer ? 'answer' : 'query')
  const a = text.indexOf(' ', at)
  const b = a === -1 ? -1 : text.indexOf(' ', a + 1)
  const c = b === -1 ? -1 : text.indexOf(' ', b + 1)
  if (c === -1) {
    const parts = text.slice(at).split(' ')
    question(out, parts[0] ?? '', parts[2], parts[1])
    out.problems.push('the query ends before its flags')
    return
  }
  question(out, text.slice(at, a), text.slice(b + 1, c), text.slice(a + 1, b))
  const d = text.indexOf(' ', c + 1)
  flags(out, text.slice(c + 1, d === -1 ? undefined : d))
  if (d === -1 || text.charCodeAt(d + 1) !== 40) {
    out.problems.push('the query ends before the server address')
    return
  }
  const close = text.indexOf(')', d + 2)
  if (close === -1) {
    out.problems.push('the server address is not closed')
    return
  }
  server(out, text.slice(d + 2, close))
  let rest = text.slice(close + 1)
  if (rest.startsWith(' [ECS ')) {
    const end = rest.indexOf(']')
    if (end !== -1) {
      set(out, 'bind.query.ecs', rest.slice(6, end))
      rest = rest.slice(end + 1)
    }
  }
  if (!answer) return
  if (!rest.startsWith(' -> ')) {
    out.problems.push('the answer has no "-> RCODE"')
    return
  }
  const sp = rest.indexOf(' ', 4)
  const rcode = rest.slice(4, sp === -1 ? undefined : sp)
  if (RCODES.has(rcode)) set(out, 'dns.response_code', rcode)
  if (sp !== -1) answers(out, rest.slice(sp + 1))
}

/** The records after an answer's RCODE: `NAME TTL TYPE DATA…` each. */
function answers(out: Out, text: string): void {
  const tokens = text.split(' ')
  const list: Obj[] = []
  const start = (k: number) => k + 2 < tokens.length && /^\d{1,10}$/.test(tokens[k + 1]!) && /^[A-Z][A-Z0-9]*$/.test(tokens[k + 2]!)
  for (let k = 0; k < tokens.length && list.length < 64; ) {
    if (!start(k)) {
      k++
      continue
    }
    let e = k + 3
    while (e < tokens.length && !start(e)) e++
    const name = tokens[k]!
    const rr: Obj = { name: name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name, ttl: Number(tokens[k + 1]), type: tokens[k + 2] }
    const data = tokens.slice(k + 3, e).join(' ')
    if (data !== '') rr.data = data
    list.push(rr)
    k = e
  }
  if (list.length === 0) return
  set(out, 'dns.answers', list)
  const resolved: string[] = []
  for (const rr of list) {
    if ((rr.type === 'A' || rr.type === 'AAAA') && typeof rr.data === 'string' && isAddress(rr.data)) {
      const a = canonicalIp(rr.data)
      rr.data = a
      if (!resolved.includes(a)) resolved.push(a)
      addRelated(out.event, 'ip', a)
    }
  }
  if (resolved.length > 0) set(out, 'dns.resolved_ip', resolved)
}

/** Policies that keep the client from the real answer (lib/dns/rpz.c dns_rpz_policy2str). */
const RPZ_DENY = new Set(['NXDOMAIN', 'NODATA', 'DROP', 'Local-Data', 'CNAME'])

/**
 * `[disabled ]rpz TRIGGER POLICY rewrite QNAME/TYPE/CLASS via OWNER[ (CNAME to: TARGET)]`
 * (lib/ns/query.c rpz_log_rewrite), or a failed lookup: `rpz TRIGGER[/TRIGGER] rewrite QNAME via
 * OWNER … failed: RESULT` (rpz_log_fail).
 */
function rpz(out: Out, text: string): void {
  let i = 0
  const disabled = text.startsWith('disabled ')
  if (disabled) i = 9
  const tokens = text.slice(i).split(' ', 8)
  const trigger = tokens[1] ?? ''
  set(out, 'bind.rpz.trigger', trigger)
  if (disabled) set(out, 'bind.rpz.disabled', true)
  const failed = tokens[2] === 'rewrite'
  const policy = failed ? '' : tokens[2] ?? ''
  const qtext = failed ? tokens[3] : tokens[4]
  const owner = failed ? tokens[5] : tokens[6]
  if (qtext === undefined) {
    action(out, 'dns-rpz-rewrite', undefined, ['info'])
    out.problems.push('the rewrite ends before the query name')
    return
  }
  const [qname, qtype, qclass] = splitQuestion(qtext)
  question(out, qname, qtype, qclass)
  set(out, 'dns.type', 'query')
  if (owner !== undefined) {
    set(out, 'bind.rpz.owner', owner)
    const z = rpzZone(qname, owner)
    if (z !== undefined) set(out, 'rule.name', z)
  }
  if (failed) {
    const f = text.lastIndexOf(': ')
    const result = f === -1 ? '' : text.slice(f + 2)
    if (RCODES.has(result)) set(out, 'dns.response_code', result)
    const via = owner === undefined ? -1 : text.indexOf(' via ' + owner, i)
    if (via !== -1) set(out, 'event.reason', text.slice(via + owner!.length + 6) || undefined)
    action(out, 'dns-error', 'failure')
    return
  }
  set(out, 'bind.rpz.policy', policy)
  const cname = text.indexOf(' (CNAME to: ')
  if (cname !== -1 && text.endsWith(')')) set(out, 'bind.rpz.cname_target', text.slice(cname + 12, -1))
  action(out, 'dns-rpz-rewrite', undefined, !disabled && RPZ_DENY.has(policy) ? ['denied'] : ['info'])
}

const RPZ_LABELS = ['.rpz-client-ip.', '.rpz-ip.', '.rpz-nsip.', '.rpz-nsdname.']

/**
 * The policy zone of a rewrite: the owner name is the trigger (the query name, a wildcard, or an
 * `rpz-ip`-style label) followed by the zone's name.
 */
function rpzZone(qname: string, owner: string): string | undefined {
  const o = owner.endsWith('.') ? owner.slice(0, -1) : owner
  for (const l of RPZ_LABELS) {
    const k = o.indexOf(l)
    if (k !== -1) return o.slice(k + l.length) || undefined
  }
  const q = qname.endsWith('.') ? qname.slice(0, -1) : qname
  if (o.startsWith(q + '.')) return o.slice(q.length + 1)
  if (o.startsWith('*.')) {
    // `*.example.org.zone` for `www.example.org`: the longest tail of the name that starts the owner.
    const rest = o.slice(2)
    for (let dot = q.indexOf('.'); dot !== -1; dot = q.indexOf('.', dot + 1)) {
      const tail = q.slice(dot + 1)
      if (rest.startsWith(tail + '.')) return rest.slice(tail.length + 1)
    }
  }
  return undefined
}

/** `query failed (REASON) for QNAME/CLASS/TYPE at FILE:LINE` (lib/ns/query.c, category query-errors). */
function queryFailed(out: Out, text: string): void {
  const close = text.indexOf(') for ')
  action(out, 'dns-error', 'failure')
  if (close === -1) return
  const reason = text.slice(14, close)
  set(out, 'event.reason', reason)
  const upper = reason.toUpperCase()
  if (RCODES.has(upper)) set(out, 'dns.response_code', upper)
  const at = text.indexOf(' at ', close + 6)
  const q = text.slice(close + 6, at === -1 ? undefined : at)
  // Here BIND writes the class before the type.
  const [name, klass, type] = splitQuestion(q)
  question(out, name, type, klass)
  set(out, 'dns.type', 'query')
}

/** `rpz: ZONE: reload start`, `… reload done: success`, `… new zone version came too soon…` */
function rpzMessage(out: Out, text: string): void {
  const colon = text.indexOf(': ', 5)
  const name = text.slice(5, colon === -1 ? undefined : colon)
  set(out, 'bind.zone.name', name)
  const rest = colon === -1 ? '' : text.slice(colon + 2)
  if (rest.startsWith('reload')) {
    const outcome = rest.includes('fail') || rest.includes('error') ? 'failure' : rest.includes('success') ? 'success' : 'unknown'
    return action(out, 'dns-zone-loaded', outcome)
  }
  if (/fail|error/.test(rest)) return action(out, 'dns-error', 'failure')
  action(out, 'dns-server-message')
}

/** `zone NAME/CLASS[/VIEW]: TEXT` (zone maintenance: loads, transfers, notifies, refreshes). */
function zone(out: Out, text: string): void {
  const colon = text.indexOf(': ', 5)
  if (colon === -1) {
    zoneName(out, text.slice(5))
    return action(out, 'dns-server-message')
  }
  zoneName(out, text.slice(5, colon))
  const rest = text.slice(colon + 2)
  const serial = /serial (\d{1,10})/.exec(rest.slice(0, 200))
  if (serial !== null) set(out, 'bind.zone.serial', Number(serial[1]))
  if (rest.startsWith('loaded serial')) return action(out, 'dns-zone-loaded', 'success')
  if (rest.includes('not loaded due to errors') || (rest.startsWith('loading from master file') && rest.includes('failed'))) {
    set(out, 'event.reason', rest)
    return action(out, 'dns-zone-loaded', 'failure')
  }
  if (rest.startsWith('Transfer started') || rest.startsWith('transferred serial') || rest.startsWith('zone transfer finished') || rest.startsWith('Transfer completed')) {
    const ok = rest.startsWith('transferred') || rest.includes('success') || rest.startsWith('Transfer completed')
    return action(out, 'dns-zone-transfer', ok ? 'success' : rest.includes('fail') ? 'failure' : 'unknown')
  }
  if (rest.startsWith('sending notifies') || rest.startsWith('notify from ') || rest.startsWith('notify to ')) {
    const from = /^notify (?:from|to) (\S+?)#(\d{1,5})/.exec(rest.slice(0, 120))
    if (from !== null) server(out, from[1]!, from[2])
    return action(out, 'dns-notify')
  }
  const primary = /(?:master|primary) (\S+?)#(\d{1,5})/.exec(rest.slice(0, 300))
  if (primary !== null) server(out, primary[1]!, primary[2])
  if (rest.startsWith('refresh: ')) {
    const rcode = /unexpected rcode \((\w+)\)/i.exec(rest.slice(0, 200))
    if (rcode !== null && RCODES.has(rcode[1]!.toUpperCase())) set(out, 'dns.response_code', rcode[1]!.toUpperCase())
    set(out, 'event.reason', rest.slice(9))
    return action(out, 'dns-error', 'failure')
  }
  // `NAME/TYPE: bad owner name (check-names)` and the like.
  const inner = rest.indexOf(': ')
  if (inner !== -1 && inner < 300 && rest.slice(0, inner).includes('/') && !rest.slice(0, inner).includes(' ')) {
    const [name, type] = splitQuestion(rest.slice(0, inner))
    question(out, name, type)
    set(out, 'event.reason', rest.slice(inner + 2))
    return action(out, 'dns-error', 'failure')
  }
  if (/fail|error|expired|bad |cannot|unable|refused/i.test(rest.slice(0, 300))) {
    set(out, 'event.reason', rest)
    return action(out, 'dns-error', 'failure')
  }
  action(out, 'dns-server-message')
}

/** `transfer of 'ZONE/CLASS[/VIEW]' from ADDR#PORT: TEXT` (xfer-in). */
function transferIn(out: Out, text: string): void {
  const q = quoted(text)
  if (q !== undefined) zoneName(out, q)
  const from = / from (\S+?)#(\d{1,5}): /.exec(text.slice(0, 400))
  if (from !== null) server(out, from[1]!, from[2])
  const colon = text.indexOf(': ', q === undefined ? 0 : q.length + 13)
  const rest = colon === -1 ? '' : text.slice(colon + 2)
  if (rest !== '') set(out, 'event.reason', rest)
  const status = /^Transfer status: (\S+)/.exec(rest)
  const failed = rest.includes('failed') || (status !== null && status[1] !== 'success')
  const ok = rest.startsWith('Transfer completed') || (status !== null && status[1] === 'success')
  action(out, 'dns-zone-transfer', failed ? 'failure' : ok ? 'success' : 'unknown')
}

/** `validating NAME/TYPE: TEXT` (DNSSEC validation trouble, category dnssec). */
function validating(out: Out, text: string): void {
  const colon = text.indexOf(': ', 11)
  const [name, type] = splitQuestion(text.slice(11, colon === -1 ? undefined : colon))
  question(out, name, type)
  set(out, 'dns.type', 'query')
  if (colon !== -1) set(out, 'event.reason', text.slice(colon + 2))
  action(out, 'dns-error', 'failure')
}

/** `WHAT resolving 'NAME/TYPE/CLASS': ADDR#PORT` (the resolver and lame-servers categories). */
function resolver(out: Out, text: string, at: number): void {
  const what = text.slice(0, at)
  const q = quoted(text.slice(at))
  if (q !== undefined) {
    const [name, type, klass] = splitQuestion(q)
    question(out, name, type, klass)
    set(out, 'dns.type', 'query')
  }
  // The server asked comes last: `…': 192.0.2.1#53`, `…(in 'zone'?): 192.0.2.1#53`.
  const end = text.lastIndexOf(': ')
  if (end !== -1 && end > at && text.indexOf('#', end) !== -1) {
    const [addr, p] = splitHashPort(text.slice(end + 2).trim())
    if (addr !== '') server(out, addr, p)
  }
  set(out, 'event.reason', what)
  const rcode = /\((\w+)\)/.exec(what.slice(0, 100))
  if (rcode !== null && RCODES.has(rcode[1]!)) set(out, 'dns.response_code', rcode[1])
  if (what.startsWith('success')) return action(out, 'dns-server-message')
  action(out, 'dns-error', 'failure')
}

/** `DNS format error from ADDR#PORT resolving NAME/TYPE[ for client ADDR#PORT]: REASON` */
function formatError(out: Out, text: string): void {
  const m = /^DNS format error from (\S+?)#(\d{1,5}) resolving (\S+?)(?: for client (\S+?)#(\d{1,5}))?: (.*)$/.exec(text.slice(0, 1000))
  action(out, 'dns-error', 'failure')
  set(out, 'dns.response_code', 'FORMERR')
  if (m === null) return
  server(out, m[1]!, m[2])
  const [name, type] = splitQuestion(m[3]!)
  question(out, name, type)
  if (m[4] !== undefined) client(out, m[4], m[5])
  set(out, 'event.reason', m[6])
}

/** Every event of a BIND message: the observer. */
export function bindObserver(event: LogEvent, hostname: string): void {
  const observer: Obj = { vendor: 'ISC', product: 'BIND', type: 'dns' }
  if (hostname !== '') observer.hostname = hostname
  event.observer = observer
  const ev = event.event as Obj
  ev.module = 'bind'
  ev.dataset = 'bind.log'
}

// TRAFFIC, THREAT and DECRYPTION logs: one session each, sharing their first fields. Positions
// follow the PAN-OS 11.1 syslog field descriptions ("Traffic Log Fields", "Threat Log Fields",
// "Decryption Log Fields"); older PAN-OS versions send a prefix of the same list, newer ones add
// fields at the end, which are not read. Placeholders PAN-OS writes for "none" in tunnel, SCTP and
// parent-session fields (0, N/A, 1970/01/01 00:00:00) are left out.
import type { LogEvent } from '@beer/core'
import { isIp } from '@beer/parser-sdk'
import {
  copy, copyGroups, copyUser, flagLabels, highRes, int, ip, mac, num, relateHash, relateHost, relateIp, someIp, table,
  time, urlOf, userAt,
} from './fields.ts'
import type { Ctx, Obj, Table } from './fields.ts'

export interface Out {
  ev: LogEvent
  event: Obj
  observer: Obj
  panos: Obj
}

// PAN-OS writes a few actions with a space in TRAFFIC logs; Elastic's integration normalises them.
const ACTION_SPELLING: Record<string, string> = {
  'drop icmp': 'drop-icmp',
  'drop ICMP': 'drop-icmp',
  'reset both': 'reset-both',
  'reset client': 'reset-client',
  'reset server': 'reset-server',
}

// Compared with `===` rather than looked up in a Set: a field's text is a new string each line, and
// hashing it costs more than a few comparisons.
const ALLOWED = 1
const DENIED = 2
function actionKind(action: string): number {
  switch (action) {
    case 'allow':
    case 'alert':
    case 'continue':
      return ALLOWED
    case 'deny':
    case 'drop':
    case 'reset-both':
    case 'reset-client':
    case 'reset-server':
    case 'block-url':
    case 'drop-icmp':
    case 'drop-all-packets':
    case 'block-ip':
    case 'random-drop':
    case 'sinkhole':
    case 'block':
    case 'block-continue':
    case 'block-override':
    case 'override-lockout':
      return DENIED
    default:
      return 0
  }
}

interface Head {
  source: Obj
  destination: Obj
  network: Obj
  action: string | undefined
}

/**
 * Fields 7 to 30, the same in the three logs: addresses, NAT, rule, users, application, zones,
 * interfaces, session id, ports, flags, protocol, action.
 */
function head(ctx: Ctx, out: Out): Head {
  const { ev, observer, panos } = out
  const f = ctx.f
  const source: Obj = {}
  const destination: Obj = {}
  const network: Obj = {}

  const src = ip(ctx, 7, 'source address')
  const dst = ip(ctx, 8, 'destination address')
  if (src !== undefined) {
    source.ip = src
    relateIp(ctx, src)
    network.type = src.includes(':') ? 'ipv6' : 'ipv4'
  }
  const sport = num(ctx, 24, 'source port')
  if (sport !== -1) source.port = sport
  if (dst !== undefined) {
    destination.ip = dst
    relateIp(ctx, dst)
  }
  const dport = num(ctx, 25, 'destination port')
  if (dport !== -1) destination.port = dport
  // 0.0.0.0 as NAT address means no translation: neither it nor its port is kept.
  const natSrc = someIp(ctx, 9, 'NAT source IP')
  if (natSrc !== undefined) {
    const port = num(ctx, 26, 'NAT source port')
    source.nat = port === -1 ? { ip: natSrc } : { ip: natSrc, port }
    relateIp(ctx, natSrc)
  }
  const natDst = someIp(ctx, 10, 'NAT destination IP')
  if (natDst !== undefined) {
    const port = num(ctx, 27, 'NAT destination port')
    destination.nat = port === -1 ? { ip: natDst } : { ip: natDst, port }
    relateIp(ctx, natDst)
  }

  const rule = f.str(11)
  if (rule !== undefined) ev.rule = { name: rule }
  const user = userAt(ctx, 12)
  if (user !== undefined) source.user = user
  const target = userAt(ctx, 13)
  if (target !== undefined) destination.user = target

  const app = f.str(14)
  if (app !== undefined) network.application = app.toLowerCase()
  const vsys = f.str(15)
  if (vsys !== undefined) panos.virtual_sys = vsys

  const fromZone = f.str(16)
  const inIf = f.str(18)
  if (inIf !== undefined) observer.ingress = fromZone === undefined ? { interface: { name: inIf } } : { zone: fromZone, interface: { name: inIf } }
  else if (fromZone !== undefined) observer.ingress = { zone: fromZone }
  const toZone = f.str(17)
  const outIf = f.str(19)
  if (outIf !== undefined) observer.egress = toZone === undefined ? { interface: { name: outIf } } : { zone: toZone, interface: { name: outIf } }
  else if (toZone !== undefined) observer.egress = { zone: toZone }

  const profile = f.str(20)
  if (profile !== undefined) panos.log_profile = profile
  const session = f.str(22)
  if (session !== undefined) panos.flow_id = session
  const repeat = num(ctx, 23, 'repeat count')
  if (repeat !== -1) panos.repeat_count = repeat
  const labels = flagLabels(ctx, 28)
  if (labels !== undefined) ev.labels = labels
  const proto = f.str(29)
  if (proto !== undefined) network.transport = proto.toLowerCase()
  let action = f.str(30)
  if (action !== undefined) {
    if (action.includes(' ')) action = ACTION_SPELLING[action] ?? action
    panos.action = action
  }
  return { source, destination, network, action }
}

function finish(ev: LogEvent, event: Obj, h: Head): void {
  const { source, destination, network, action } = h
  if (source.ip !== undefined || source.port !== undefined || source.user !== undefined) ev.source = source
  if (destination.ip !== undefined || destination.port !== undefined || destination.user !== undefined) ev.destination = destination
  if (network.transport !== undefined || network.application !== undefined || network.type !== undefined) ev.network = network
  const user = source.user as { name: string; domain?: string } | undefined
  if (user !== undefined) ev.user = copyUser(user)
  if (action !== undefined) event.outcome = actionKind(action) === ALLOWED ? 'success' : 'failure'
}

/** ECS `event.type` from a PAN-OS action, then the ones a subtype adds. */
function types(action: string | undefined, add: readonly string[] | undefined): string[] | undefined {
  const list: string[] = []
  if (action !== undefined) {
    const kind = actionKind(action)
    if (kind === ALLOWED) list.push('allowed')
    else if (kind === DENIED) list.push('denied')
  }
  if (add !== undefined) for (const t of add) if (!list.includes(t)) list.push(t)
  return list.length > 0 ? list : undefined
}

/** A comma-separated list (URL Category List), trimmed, without empty items; undefined when empty. */
function listOf(text: string): string[] | undefined {
  let list: string[] | undefined
  let start = 0
  for (;;) {
    const c = text.indexOf(',', start)
    const item = (c === -1 ? text.slice(start) : text.slice(start, c)).trim()
    if (item !== '') (list ??= []).push(item)
    if (c === -1) return list
    start = c + 1
  }
}

/** A field kept unless it holds PAN-OS's placeholder for "none". */
function some(ctx: Ctx, i: number, none: string): string | undefined {
  const v = ctx.f.str(i)
  return v === none ? undefined : v
}

function sctp(ctx: Ctx, panos: Obj, assoc: number, chunks: number): void {
  const id = some(ctx, assoc, '0')
  const total = chunks < 0 ? -1 : num(ctx, chunks, 'SCTP chunks')
  if (id === undefined && total <= 0) return
  const s: Obj = {}
  if (id !== undefined) s.assoc_id = id
  if (total > 0) {
    s.chunks = total
    const sent = num(ctx, chunks + 1, 'SCTP chunks sent')
    const received = num(ctx, chunks + 2, 'SCTP chunks received')
    if (sent !== -1) s.chunks_sent = sent
    if (received !== -1) s.chunks_received = received
  }
  panos.sctp = s
}

/** Tunnel and parent-session fields: only when the session is inside a tunnel. */
function tunnel(ctx: Ctx, panos: Obj, imsi: number, parent: number, type: number): void {
  const tunnelType = some(ctx, type, 'N/A')
  if (tunnelType !== undefined) panos.tunnel_type = tunnelType
  const id = some(ctx, imsi, '0')
  if (id !== undefined) panos.imsi = id
  const imei = ctx.f.str(imsi + 1)
  if (imei !== undefined) panos.imei = imei
  const parentId = some(ctx, parent, '0')
  if (parentId !== undefined) {
    const p: Obj = { id: parentId }
    if (ctx.f.str(parent + 1) !== '1970/01/01 00:00:00') {
      const start = time(ctx, parent + 1, 'parent start time')
      if (start !== undefined) p.start_time = start
    }
    panos.parent_session = p
  }
}

/** Device identity fields (PAN-OS 10.0+), eight for the source and eight for the destination. */
function devices(ctx: Ctx, panos: Obj, src: number, dst: number): void {
  const f = ctx.f
  if (!f.anyText(src, src + 8) && !f.anyText(dst, dst + 8)) return
  copy(ctx, panos, deviceTable(src, dst))
  relateHost(ctx, f.str(src + 6))
  relateHost(ctx, f.str(dst + 6))
  const m1 = f.str(src + 7)
  const m2 = f.str(dst + 7)
  if (m1 !== undefined) ((panos.src ??= {}) as Obj).mac = mac(m1)
  if (m2 !== undefined) ((panos.dst ??= {}) as Obj).mac = mac(m2)
}

const DEVICE_FIELDS = ['category', 'profile', 'model', 'vendor', 'os.family', 'os.version', 'host']
const deviceTables = new Map<number, Table>()
function deviceTable(src: number, dst: number): Table {
  let t = deviceTables.get(src)
  if (t === undefined) {
    t = table([
      ...DEVICE_FIELDS.map((p, k) => [src + k, 'src.' + p] as const),
      ...DEVICE_FIELDS.map((p, k) => [dst + k, 'dst.' + p] as const),
    ])
    deviceTables.set(src, t)
  }
  return t
}

/** The application's characteristics (PAN-OS 10.0+), at nine consecutive positions. */
function application(ctx: Ctx, panos: Obj, first: number): void {
  const f = ctx.f
  if (f.count <= first) return
  const sub = f.str(first)
  const category = f.str(first + 1)
  const technology = f.str(first + 2)
  const risk = num(ctx, first + 3, 'application risk')
  const characteristics = f.str(first + 4)
  const container = f.str(first + 5)
  const tunneled = f.str(first + 6)
  const saas = f.str(first + 7)
  const sanctioned = f.str(first + 8)
  if (sub === undefined && category === undefined && technology === undefined && risk === -1 && tunneled === undefined) return
  const app: Obj = {}
  if (sub !== undefined) app.sub_category = sub
  if (category !== undefined) app.category = category
  if (technology !== undefined) app.technology = technology
  if (risk !== -1) app.risk_level = risk
  if (characteristics !== undefined) app.characteristics = characteristics
  if (container !== undefined) app.container = container
  if (tunneled !== undefined) app.tunneled = tunneled
  if (saas !== undefined) app.is_saas = saas
  if (sanctioned !== undefined) app.is_sanctioned = sanctioned
  panos.application = app
}

function ruleUuid(ctx: Ctx, ev: LogEvent, i: number): void {
  const uuid = ctx.f.str(i)
  if (uuid === undefined) return
  const rule = ev.rule as Obj | undefined
  if (rule === undefined) ev.rule = { uuid }
  else rule.uuid = uuid
}

/** The client address an X-Forwarded-For header named; kept as text when it is not one address. */
function xff(ctx: Ctx, panos: Obj, i: number): void {
  const v = ctx.f.str(i)
  if (v === undefined) return
  if (isIp(v)) {
    panos.xff = { ip: v }
    relateIp(ctx, v)
  } else {
    panos.x_forwarded_for = v
  }
}

/** Locations PAN-OS names by country or private range; a GeoIP enricher fills `*.geo`. */
function locations(ctx: Ctx, panos: Obj, i: number): void {
  const src = ctx.f.str(i)
  const dst = ctx.f.str(i + 1)
  if (src !== undefined) panos.source = { location: src }
  if (dst !== undefined) panos.destination = { location: dst }
}

// --- TRAFFIC ---------------------------------------------------------------------------------

// Fields most lines leave empty (SD-WAN, containers, external lists…).
const TRAFFIC_RARE: Table = table([
  [54, 'source_vm_uuid'],
  [55, 'destination_vm_uuid'],
  [68, 'policy.id'],
  [69, 'link.switches'],
  [70, 'sdwan.cluster.name'],
  [71, 'sdwan.device_type'],
  [72, 'sdwan.cluster.type'],
  [73, 'sdwan.site'],
  [74, 'dynamic_user.group.name'],
  [92, 'container.id'],
  [93, 'pod.namespace'],
  [94, 'pod.name'],
  [95, 'src.external_dynamic_list'],
  [96, 'dst.external_dynamic_list'],
  [97, 'host.id'],
  [98, 'serial_number'],
  [99, 'src.dynamic_address_group'],
  [100, 'dst.dynamic_address_group'],
  [101, 'session.owner'],
  [103, 'nssai_sst'],
  [104, 'nssai_sd'],
  [114, 'is_offloaded'],
])

const STARTED: readonly [string, readonly string[]] = ['flow_started', ['start', 'connection']]
const TERMINATED: readonly [string, readonly string[]] = ['flow_terminated', ['end', 'connection']]
const DROPPED: readonly [string, readonly string[]] = ['flow_dropped', ['denied', 'connection']]
const DENIED_FLOW: readonly [string, readonly string[]] = ['flow_denied', ['denied', 'connection']]

function trafficAction(subtype: string | undefined): readonly [string, readonly string[]] | undefined {
  switch (subtype) {
    case 'end':
      return TERMINATED
    case 'start':
      return STARTED
    case 'drop':
      return DROPPED
    case 'deny':
      return DENIED_FLOW
    default:
      return undefined
  }
}

export function mapTraffic(ctx: Ctx, out: Out, subtype: string | undefined): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const h = head(ctx, out)
  const { source, destination, network } = h

  const bytes = num(ctx, 31, 'bytes')
  if (bytes !== -1) network.bytes = bytes
  const sent = num(ctx, 32, 'bytes sent')
  if (sent !== -1) source.bytes = sent
  const received = num(ctx, 33, 'bytes received')
  if (received !== -1) destination.bytes = received
  const packets = num(ctx, 34, 'packets')
  if (packets !== -1) network.packets = packets
  const packetsSent = num(ctx, 44, 'packets sent')
  if (packetsSent !== -1) source.packets = packetsSent
  const packetsReceived = num(ctx, 45, 'packets received')
  if (packetsReceived !== -1) destination.packets = packetsReceived

  const start = time(ctx, 35, 'start time')
  const startMs = ctx.times.lastEpoch
  const elapsed = num(ctx, 36, 'elapsed time')
  if (start !== undefined) event.start = start
  if (elapsed !== -1) {
    event.duration = elapsed * 1e9
    if (start !== undefined) event.end = ctx.times.isoMs(startMs + elapsed * 1000)
  }
  const category = f.str(37)
  if (category !== undefined) panos.url = { category }
  const sequence = f.str(39)
  if (sequence !== undefined) panos.sequence_number = sequence
  const actionFlags = f.str(40)
  if (actionFlags !== undefined) panos.action_flags = actionFlags
  locations(ctx, panos, 41)
  const endReason = f.str(46)
  if (endReason !== undefined) panos.endreason = endReason
  copyGroups(ctx, panos, 47)
  const vsysName = f.str(51)
  if (vsysName !== undefined) panos.vsys_name = vsysName
  const device = f.str(52)
  if (device !== undefined) observer.hostname = device
  const actionSource = f.str(53)
  if (actionSource !== undefined) panos.action_source = actionSource
  tunnel(ctx, panos, 56, 58, 60)
  sctp(ctx, panos, 61, 62)
  ruleUuid(ctx, ev, 65)
  if (!f.empty(66) && !f.isChar(66, 48)) ev.http = { version: '2' }
  const changes = num(ctx, 67, 'link change count')
  if (changes > 0) panos.link = { change_count: changes }
  if (f.count > 68) {
    copy(ctx, panos, TRAFFIC_RARE)
    xff(ctx, panos, 75)
    devices(ctx, panos, 76, 84)
    highRes(ctx, panos, 102)
    application(ctx, panos, 105)
  }

  event.kind = 'event'
  event.category = ['network']
  const a = trafficAction(subtype)
  if (a !== undefined) event.action = a[0]
  const list = types(h.action, a?.[1])
  if (list !== undefined) event.type = list
  finish(ev, event, h)
}

// --- THREAT ----------------------------------------------------------------------------------

const THREAT_RARE: Table = table([
  [61, 'source_vm_uuid'],
  [62, 'destination_vm_uuid'],
  [74, 'http_headers'],
  [78, 'dynamic_user.group.name'],
  [96, 'container.id'],
  [97, 'pod.namespace'],
  [98, 'pod.name'],
  [99, 'src.external_dynamic_list'],
  [100, 'dst.external_dynamic_list'],
  [101, 'host.id'],
  [102, 'serial_number'],
  [103, 'domain_edl'],
  [104, 'src.dynamic_address_group'],
  [105, 'dst.dynamic_address_group'],
  [108, 'reason'],
  [109, 'justification'],
  [110, 'nssai_sst'],
  [120, 'cloud_report.id'],
])

/** event.action per THREAT subtype, as Elastic's panw integration names them. */
function threatAction(subtype: string): string | undefined {
  switch (subtype) {
    case 'url':
      return 'url_filtering'
    case 'vulnerability':
      return 'exploit_detected'
    case 'spyware':
      return 'spyware_detected'
    case 'virus':
      return 'virus_detected'
    case 'file':
      return 'file_match'
    case 'wildfire':
      return 'wildfire_verdict'
    case 'wildfire-virus':
      return 'wildfire_virus_detected'
    case 'data':
      return 'data_match'
    case 'scan':
      return 'scan_detected'
    case 'flood':
      return 'flood_detected'
    case 'packet':
      return 'packet_attack'
    default:
      return undefined
  }
}

/** PAN-OS severities; the numbers are those of Elastic's integration (1 critical … 5 informational). */
function severityNumber(s: string): number {
  switch (s.length < 16 ? s.toLowerCase() : '') {
    case 'informational':
      return 5
    case 'low':
      return 4
    case 'medium':
      return 3
    case 'high':
      return 2
    case 'critical':
      return 1
    default:
      return 0
  }
}

/** `Threat ID` is `name(id)`; a URL log's is `(9999)`. */
function threat(ctx: Ctx, panos: Obj): void {
  const v = ctx.f.str(32)
  if (v === undefined) return
  let name = v
  let id: string | undefined
  if (v.charCodeAt(v.length - 1) === 41) {
    const open = v.lastIndexOf('(')
    const digits = open === -1 ? '' : v.slice(open + 1, -1).trim()
    if (open !== -1 && /^\d+$/.test(digits)) {
      id = digits
      name = v.slice(0, open).trim()
    }
  }
  // Threat ID 9999 is URL filtering (PAN-OS "Threat Log Fields").
  if (name === '' && id === '9999') name = 'URL-filtering'
  panos.threat = id === undefined ? { name } : name === '' ? { id } : { id, name }
}

export function severity(ctx: Ctx, ev: LogEvent, event: Obj, i: number): void {
  const s = ctx.f.str(i)
  if (s === undefined) return
  ev.log = { level: s }
  const n = severityNumber(s)
  if (n !== 0) event.severity = n
}

function fileOf(v: string): Obj {
  if (v.includes('/') || v.includes('\\')) {
    const slash = Math.max(v.lastIndexOf('/'), v.lastIndexOf('\\'))
    return slash < v.length - 1 ? { path: v, name: v.slice(slash + 1) } : { path: v }
  }
  return { name: v }
}

function namesFile(subtype: string | undefined): boolean {
  return subtype === 'file' || subtype === 'virus' || subtype === 'vulnerability' || subtype === 'wildfire' || subtype === 'wildfire-virus' || subtype === 'data'
}

/** The URL/Filename field: a URL for url logs (and virus or vulnerability logs naming one), else a file. */
function misc(ctx: Ctx, ev: LogEvent, panos: Obj, destination: Obj, subtype: string | undefined): void {
  const v = ctx.f.str(31)
  if (v === undefined) return
  if (subtype === 'url' || ((subtype === 'virus' || subtype === 'vulnerability') && v.includes('/'))) {
    const url = urlOf(v)
    ev.url = url
    const domain = url.domain as string | undefined
    if (domain !== undefined && !isIp(domain)) destination.domain = domain
  } else if (namesFile(subtype)) {
    const file = fileOf(v)
    const old = ev.file as Obj | undefined
    if (old !== undefined) Object.assign(old, file)
    else ev.file = file
  } else {
    // Scan, flood, packet, spyware (a domain for DNS signatures) and others: kept as logged.
    panos.misc = v
  }
}

export function mapThreat(ctx: Ctx, out: Out, subtype: string | undefined): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const h = head(ctx, out)
  const { destination } = h

  threat(ctx, panos)
  const category = f.str(33)
  if (category !== undefined) panos.url = { category }
  severity(ctx, ev, event, 34)
  const direction = f.str(35)
  if (direction !== undefined) panos.network = { direction }
  const sequence = f.str(36)
  if (sequence !== undefined) panos.sequence_number = sequence
  const actionFlags = f.str(37)
  if (actionFlags !== undefined) panos.action_flags = actionFlags
  locations(ctx, panos, 38)
  const contentType = f.str(41)
  if (contentType !== undefined) panos.http_content_type = contentType
  const pcap = some(ctx, 42, '0')
  if (pcap !== undefined) {
    const network = panos.network as Obj | undefined
    if (network === undefined) panos.network = { pcap_id: pcap }
    else network.pcap_id = pcap
  }
  const digest = f.str(43)
  if (digest !== undefined) {
    panos.file = { hash: digest }
    relateHash(ctx, digest)
    if (digest.length === 64 && /^[0-9a-f]{64}$/i.test(digest)) ev.file = { hash: { sha256: digest.toLowerCase() } }
  }
  misc(ctx, ev, panos, destination, subtype)
  const urlIndex = some(ctx, 45, '0')
  if (urlIndex !== undefined) panos.url_idx = urlIndex
  const userAgent = f.str(46)
  if (userAgent !== undefined) ev.user_agent = { original: userAgent }
  const fileType = f.str(47)
  if (fileType !== undefined) {
    const file = panos.file as Obj | undefined
    if (file === undefined) panos.file = { type: fileType }
    else file.type = fileType
  }
  const forwarded = f.str(48)
  if (forwarded !== undefined) {
    // The X-Forwarded-For header as the client sent it: an address, or a list of them.
    if (isIp(forwarded)) {
      h.network.forwarded_ip = forwarded
      relateIp(ctx, forwarded)
    } else {
      panos.x_forwarded_for = forwarded
    }
  }
  const referrer = f.str(49)
  const method = f.str(63)
  if (referrer !== undefined || method !== undefined) {
    const request: Obj = {}
    if (method !== undefined) request.method = method
    if (referrer !== undefined) request.referrer = referrer
    ev.http = { request }
  }
  const sender = f.str(50)
  const subject = f.str(51)
  const recipient = f.str(52)
  if (sender !== undefined || subject !== undefined || recipient !== undefined) {
    const email: Obj = {}
    if (sender !== undefined) email.from = { address: [sender] }
    if (recipient !== undefined) email.to = { address: [recipient] }
    if (subject !== undefined) email.subject = subject
    ev.email = email
  }
  const cloud = f.str(44)
  const report = some(ctx, 53, '0')
  if (cloud !== undefined || report !== undefined) {
    const wildfire: Obj = {}
    if (cloud !== undefined) wildfire.name = cloud
    if (report !== undefined) wildfire.report_id = report
    panos.wildfire = wildfire
  }
  copyGroups(ctx, panos, 54)
  const vsysName = f.str(58)
  if (vsysName !== undefined) panos.vsys_name = vsysName
  const device = f.str(59)
  if (device !== undefined) observer.hostname = device
  tunnel(ctx, panos, 64, 66, 68)
  const threatCategory = f.str(69)
  if (threatCategory !== undefined) panos.threat_category = threatCategory
  const content = f.str(70)
  if (content !== undefined) panos.content_version = content
  sctp(ctx, panos, 72, -1)
  const ppid = some(ctx, 73, '4294967295')
  if (ppid !== undefined) panos.payload_protocol_id = ppid
  const categories = f.str(75)
  if (categories !== undefined) {
    const list = listOf(categories)
    if (list !== undefined) panos.url_category_list = list
  }
  ruleUuid(ctx, ev, 76)
  if (!f.empty(77) && !f.isChar(77, 48)) {
    const http = ev.http as Obj | undefined
    if (http === undefined) ev.http = { version: '2' }
    else http.version = '2'
  }
  if (f.count > 78) {
    copy(ctx, panos, THREAT_RARE)
    xff(ctx, panos, 79)
    devices(ctx, panos, 80, 88)
    const partial = some(ctx, 106, '0')
    if (partial !== undefined) panos.partial_hash = partial
    highRes(ctx, panos, 107)
    application(ctx, panos, 111)
  }

  event.kind = 'alert'
  event.category = ['intrusion_detection', 'threat', 'network']
  if (subtype !== undefined) {
    const action = threatAction(subtype)
    if (action !== undefined) event.action = action
  }
  const list = types(h.action, undefined)
  if (list !== undefined) event.type = list
  finish(ev, event, h)
}

// --- DECRYPTION ------------------------------------------------------------------------------

const DECRYPTION_TAIL: Table = table([
  [34, 'source_vm_uuid'],
  [35, 'destination_vm_uuid'],
  [37, 'hs_stage_c2f'],
  [38, 'hs_stage_f2s'],
  [40, 'tls.key_exchange_algorithm'],
  [42, 'tls.auth'],
  [43, 'policy.name'],
  [45, 'tls.error_type'],
  [46, 'root_certificate_status'],
  [47, 'chain_status'],
  [48, 'proxy_type'],
  [59, 'certificate.flags'],
  [62, 'root_common_name.value'],
  [64, 'error_message'],
  [65, 'container.id'],
  [66, 'pod.namespace'],
  [67, 'pod.name'],
  [68, 'src.external_dynamic_list'],
  [69, 'dst.external_dynamic_list'],
  [70, 'src.dynamic_address_group'],
  [71, 'dst.dynamic_address_group'],
  [89, 'sequence_number'],
  [90, 'action_flags'],
  [95, 'vsys_name'],
  [97, 'vsys_id'],
])

const HASH_FIELD: Record<number, string> = { 32: 'md5', 40: 'sha1', 64: 'sha256' }

export function mapDecryption(ctx: Ctx, out: Out): void {
  const { ev, event, observer, panos } = out
  const f = ctx.f
  const h = head(ctx, out)
  const tunnelType = some(ctx, 31, 'N/A')
  if (tunnelType !== undefined) panos.tunnel_type = tunnelType
  copy(ctx, panos, DECRYPTION_TAIL)
  ruleUuid(ctx, ev, 36)

  // The server's certificate as the firewall saw it during the handshake.
  const tls: Obj = {}
  const version = f.str(39)
  if (version !== undefined) {
    const m = /^(TLS|SSL)\s*v?(\d(?:\.\d)?)$/i.exec(version)
    if (m !== null) {
      tls.version_protocol = m[1]!.toLowerCase()
      tls.version = m[2]!
    } else {
      panos.tls = { ...(panos.tls as Obj | undefined), version }
    }
  }
  const cipher = f.str(41)
  if (cipher !== undefined) tls.cipher = cipher
  const curve = f.str(44)
  if (curve !== undefined) tls.curve = curve
  const x509: Obj = {}
  const serial = f.str(49)
  if (serial !== undefined) x509.serial_number = serial
  const notBefore = time(ctx, 51, 'certificate start date')
  if (notBefore !== undefined) x509.not_before = notBefore
  const notAfter = time(ctx, 52, 'certificate end date')
  if (notAfter !== undefined) x509.not_after = notAfter
  const certVersion = f.str(53)
  if (certVersion !== undefined) x509.version_number = certVersion.replace(/^V/i, '')
  const keySize = int(ctx, 54, 'certificate key size')
  if (keySize !== undefined) x509.public_key_size = keySize
  const cn = f.str(60)
  if (cn !== undefined) x509.subject = { common_name: [cn] }
  const issuer = f.str(61)
  if (issuer !== undefined) x509.issuer = { common_name: [issuer] }
  const server: Obj = {}
  const fingerprint = f.str(50)
  if (fingerprint !== undefined) {
    const kind = HASH_FIELD[fingerprint.length]
    if (kind !== undefined) server.hash = { [kind]: fingerprint }
    relateHash(ctx, fingerprint)
  }
  if (Object.keys(x509).length > 0) server.x509 = x509
  if (Object.keys(server).length > 0) tls.server = server
  const sni = f.str(63)
  if (sni !== undefined) tls.client = { server_name: sni }
  if (Object.keys(tls).length > 0) ev.tls = tls

  highRes(ctx, panos, 72)
  devices(ctx, panos, 73, 81)
  copyGroups(ctx, panos, 91)
  const device = f.str(96)
  if (device !== undefined) observer.hostname = device
  application(ctx, panos, 98)

  event.kind = 'event'
  event.category = ['network']
  const list = types(h.action, undefined)
  if (list !== undefined) event.type = list
  finish(ev, event, h)
  // A decryption log with an error message records a failed handshake or decryption.
  event.outcome = f.empty(64) ? 'success' : 'failure'
}

import { isIp, markPartial, toEvent, toInt, toIntHex } from '@beer/parser-sdk'
import type { LogEvent, SyslogMessage, ToEventOptions } from '@beer/parser-sdk'
import type { WinRecord } from './record.ts'
import { EVENTS, LOGON_TYPES, failureReasonText, hexKey, kerberosText, ntStatusText } from './tables.ts'
import type { EventSpec } from './tables.ts'

type Obj = Record<string, unknown>

const KERBEROS_IDS: ReadonlySet<string> = new Set(['4768', '4769', '4771'])

// IANA protocol numbers of the Filtering Platform events' Protocol field.
const TRANSPORTS: Readonly<Record<string, string>> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp' }
// Direction as rendered text or as its message code (%%14592 Inbound, %%14593 Outbound, msobjs.dll).
const DIRECTIONS: Readonly<Record<string, string>> = {
  'Inbound': 'inbound',
  'Outbound': 'outbound',
  '%%14592': 'inbound',
  '%%14593': 'outbound',
}

/**
 * An event data value, or undefined for the placeholders Windows writes for "none". Called as
 * `clean(data.Name)`: a named load at each call site is cheaper than one shared `data[name]`.
 */
function clean(v: string | undefined): string | undefined {
  if (v === undefined || v === '' || v === '-') return undefined
  const last = v.charCodeAt(v.length - 1)
  const t = v.charCodeAt(0) <= 32 || last <= 32 ? v.trim() : v
  return t === '' || t === '-' || t === 'N/A' ? undefined : t
}

/**
 * Whether a value is written (undefined and '' are left out): a test rather than a setter taking
 * the key, so that each field is written with its own named store, `o.name = v`.
 */
function has(v: string | undefined): v is string {
  return v !== undefined && v !== ''
}

/** Whether an object has a key: no array allocated, unlike Object.keys. */
function filled(o: Obj): boolean {
  for (const _ in o) return true
  return false
}

/** An address as Windows writes it: IPv4-mapped IPv6 (`::ffff:192.0.2.10`) as the IPv4 address. */
function address(v: string | undefined): string | undefined {
  if (v === undefined || v.length > 52) return undefined
  const a = v.length > 7 && v.slice(0, 7).toLowerCase() === '::ffff:' && v.includes('.') ? v.slice(7) : v
  return isIp(a) ? a : undefined
}

function port(v: string | undefined): number | undefined {
  const p = toInt(v)
  return p !== undefined && p > 0 && p <= 65535 ? p : undefined
}

/** The CN of an LDAP distinguished name (`CN=Alice Smith,OU=Staff,DC=example,DC=org`), else the name. */
function memberName(v: string | undefined): string | undefined {
  if (v === undefined) return undefined
  // 'CN=' in any case: the first two letters with the lower-case bit set, then '='.
  if (v.length < 3 || (v.charCodeAt(0) | 32) !== 99 || (v.charCodeAt(1) | 32) !== 110 || v.charCodeAt(2) !== 61) return v
  // RFC 4514 §2.4: a comma inside a value is escaped with a backslash.
  let i = 3
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c === 92) i++
    else if (c === 44) break
  }
  const raw = v.slice(3, i)
  const cn = raw.includes('\\') ? raw.replace(/\\(.)/g, '$1') : raw
  return cn === '' ? undefined : cn
}

function basename(path: string): string {
  const i = path.lastIndexOf('\\')
  return i === -1 ? path : path.slice(i + 1)
}

/** `list` with `v` added once (a new list when there was none); empty values are left out. */
function addOnce(list: string[] | null, v: string | undefined): string[] | null {
  if (v === undefined || v === '') return list
  if (list === null) return [v]
  if (!list.includes(v)) list.push(v)
  return list
}

function isSecurity(rec: WinRecord): boolean {
  const channel = rec.channel
  return channel === undefined || channel === 'Security' || (channel.length === 8 && channel.toLowerCase() === 'security')
}

function outcomeOf(spec: EventSpec | undefined, rec: WinRecord, status: string | undefined): string | undefined {
  if (spec === undefined) return rec.outcome
  switch (spec.outcome) {
    case 'success':
    case 'failure':
      return spec.outcome
    case 'status': {
      const key = hexKey(status)
      if (key !== undefined) return key === '0x0' ? 'success' : 'failure'
      return rec.outcome ?? 'unknown'
    }
    default:
      return rec.outcome ?? 'success'
  }
}

// The header names the sender (a relay, or the forwarder's tag); the event names the Windows host
// and its process.
const WITHOUT_SENDER: ToEventOptions = { hostAndProcess: false }

/** The ECS event of a Windows record, on top of the syslog header's event. */
export function toEcs(msg: SyslogMessage, rec: WinRecord): LogEvent {
  const ev: LogEvent = toEvent(msg, WITHOUT_SENDER)
  const data = rec.data
  const id = rec.eventId
  const security = isSecurity(rec)
  const spec = id !== undefined && security ? EVENTS.get(id) : undefined
  // related.ip, .user and .hosts, each a list once it has a value. Every field below is written
  // with a named store (`o.name = v`), not through a shared setter, so that each store site sees
  // one object shape; the objects are made when their first field is (none stays empty).
  let relatedIp: string[] | null = null
  let relatedUser: string[] | null = null
  let relatedHosts: string[] | null = null

  if (rec.time !== undefined) ev['@timestamp'] = rec.time
  const event = ev.event as Obj
  event.kind = 'event'
  event.module = 'windows'
  event.dataset = security ? 'windows.security' : 'windows.eventlog'
  if (has(id)) event.code = id
  if (has(rec.provider)) event.provider = rec.provider
  if (spec !== undefined) {
    event.action = spec.action
    event.category = spec.category.slice()
    event.type = spec.type.slice()
  }
  const status = clean(data.Status)
  const outcome = outcomeOf(spec, rec, status)
  if (has(outcome)) event.outcome = outcome

  const winlog: Obj = {}
  if (has(rec.channel)) winlog.channel = rec.channel
  if (has(id)) winlog.event_id = id
  if (has(rec.provider)) winlog.provider_name = rec.provider
  if (has(rec.computer)) winlog.computer_name = rec.computer
  if (has(rec.recordId)) winlog.record_id = rec.recordId
  if (has(rec.task)) winlog.task = rec.task
  // The event data as it came (the record's own object), the privilege list as a list: one
  // privilege a line in the text, as Elastic splits it ('-', no privilege, is not stored).
  const privileges = data.PrivilegeList
  if (privileges !== undefined) (data as Obj).PrivilegeList = privileges.split(/\s+/, 64).filter((p) => p !== '')
  if (filled(data)) winlog.event_data = data

  if (rec.computer !== undefined) {
    ev.host = { name: rec.computer }
    relatedHosts = addOnce(relatedHosts, rec.computer)
  }

  // Accounts. Logons describe the account logged on (Target*); management events the actor
  // (Subject*) as user.* and the account changed as user.target.* (ECS user fields usage).
  let user: Obj | undefined
  let target: Obj | undefined
  let source: Obj | undefined
  const kind = spec?.kind
  const subjectName = clean(data.SubjectUserName)
  const targetName = clean(data.TargetUserName)
  const targetId = clean(data.TargetUserSid) ?? clean(data.TargetSid)
  let userName: string | undefined
  let targetUserName: string | undefined
  let sourceDomain: string | undefined
  if (kind === 'logon') {
    if (has(targetName)) (user ??= {}).name = userName = targetName
    const domain = clean(data.TargetDomainName)
    if (has(domain)) (user ??= {}).domain = domain
    if (has(targetId)) (user ??= {}).id = targetId
  } else {
    if (has(subjectName)) (user ??= {}).name = userName = subjectName
    const domain = clean(data.SubjectDomainName)
    if (has(domain)) (user ??= {}).domain = domain
    const sid = clean(data.SubjectUserSid)
    if (has(sid)) (user ??= {}).id = sid
    if (kind === 'group') {
      let group: Obj | undefined
      if (has(targetName)) (group ??= {}).name = targetName
      const groupDomain = clean(data.TargetDomainName)
      if (has(groupDomain)) (group ??= {}).domain = groupDomain
      if (has(targetId)) (group ??= {}).id = targetId
      if (group !== undefined && (group.name !== undefined || group.id !== undefined)) ev.group = group
      const member = memberName(clean(data.MemberName))
      if (has(member)) (target ??= {}).name = targetUserName = member
      const memberSid = clean(data.MemberSid)
      if (has(memberSid)) (target ??= {}).id = memberSid
      relatedUser = addOnce(relatedUser, member)
    } else if (kind !== 'subject') {
      if (has(targetName)) (target ??= {}).name = targetUserName = targetName
      const targetDomain = clean(data.TargetDomainName)
      // 4740 writes the caller computer (where the bad passwords came from) in TargetDomainName.
      if (id === '4740') {
        if (has(targetDomain)) (source ??= {}).domain = sourceDomain = targetDomain
      } else if (has(targetDomain)) {
        ;(target ??= {}).domain = targetDomain
      }
      if (has(targetId)) (target ??= {}).id = targetId
    }
    if (userName === undefined && spec === undefined) {
      if (has(rec.logUser)) (user ??= {}).name = userName = rec.logUser
      if (has(rec.logDomain)) (user ??= {}).domain = rec.logDomain
    }
  }
  if (target !== undefined) (user ??= {}).target = target
  if (user !== undefined) ev.user = user
  relatedUser = addOnce(relatedUser, userName)
  relatedUser = addOnce(relatedUser, targetUserName)
  if (kind !== 'group') relatedUser = addOnce(relatedUser, targetName)
  relatedUser = addOnce(relatedUser, subjectName)

  // Where the logon came from.
  const ipText = clean(data.IpAddress)
  const ip = address(ipText)
  if (ip === undefined && ipText !== undefined) rec.problems.push(`IpAddress ${JSON.stringify(ipText.slice(0, 64))} is not an address`)
  if (has(ip)) {
    ;(source ??= {}).ip = ip
    const p = port(clean(data.IpPort))
    if (p !== undefined) source.port = p
  }
  if (sourceDomain === undefined) {
    const workstation = clean(data.WorkstationName) ?? clean(data.Workstation)
    if (has(workstation)) (source ??= {}).domain = sourceDomain = workstation
  }
  // Windows Filtering Platform events (5150-5159) name both ends of the connection.
  const wfpSource = ip === undefined ? address(clean(data.SourceAddress)) : undefined
  const wfpDestination = ip === undefined ? address(clean(data.DestAddress)) : undefined
  if (wfpSource !== undefined || wfpDestination !== undefined) {
    if (has(wfpSource)) {
      ;(source ??= {}).ip = wfpSource
      const p = port(clean(data.SourcePort))
      if (p !== undefined) source.port = p
    }
    if (has(wfpDestination)) {
      const destination: Obj = { ip: wfpDestination }
      const p = port(clean(data.DestPort))
      if (p !== undefined) destination.port = p
      ev.destination = destination
    }
    let network: Obj | undefined
    const proto = clean(data.Protocol)
    if (proto !== undefined && toInt(proto) !== undefined && proto !== '') (network ??= {}).iana_number = proto
    const transport = proto === undefined ? undefined : TRANSPORTS[proto]
    if (has(transport)) (network ??= {}).transport = transport
    const direction = DIRECTIONS[clean(data.Direction) ?? '']
    if (has(direction)) (network ??= {}).direction = direction
    if (network !== undefined) ev.network = network
    relatedIp = addOnce(relatedIp, wfpSource)
    relatedIp = addOnce(relatedIp, wfpDestination)
  }
  if (source !== undefined) ev.source = source
  relatedIp = addOnce(relatedIp, ip)
  relatedHosts = addOnce(relatedHosts, sourceDomain)
  if (id === '4648') {
    const server = clean(data.TargetServerName)
    if (server !== undefined && server.toLowerCase() !== 'localhost') {
      ev.destination = { domain: server }
      relatedHosts = addOnce(relatedHosts, server)
    }
  }

  // The process that asked for the logon or made the change (elsewhere ProcessId may be another
  // process: the creator of a new process in 4688).
  const proc = spec === undefined ? undefined : processOf(data)
  if (proc !== undefined) ev.process = proc
  const logon = logonOf(data, id, kind, outcome, status, event)
  if (logon !== undefined) winlog.logon = logon
  ev.winlog = winlog

  if (rec.level !== undefined) ((ev.log ??= {}) as Obj).level = rec.level
  if (rec.message !== undefined) ev.message = rec.message

  if (relatedIp !== null || relatedUser !== null || relatedHosts !== null) {
    const r: Obj = {}
    if (relatedIp !== null) r.ip = relatedIp
    if (relatedUser !== null) r.user = relatedUser
    if (relatedHosts !== null) r.hosts = relatedHosts
    ev.related = r
  }

  const problems = rec.problems
  if (id === undefined && problems.length === 0) problems.push('no event id')
  return markPartial(ev, msg, problems)
}

// The steps below are functions of their own so that the compiler can inline the small helpers
// (clean, has) into them: toEcs is too large for it to inline anything more into.

/** The process that asked for the logon or made the change, or undefined. */
function processOf(data: Record<string, string>): Obj | undefined {
  const pid = clean(data.ProcessId)
  const exe = clean(data.ProcessName)
  if (pid === undefined && exe === undefined) return undefined
  let proc: Obj | undefined
  // Process id 0 with no name: no process (network logons).
  const n = pid === undefined ? undefined : (toIntHex(pid) ?? toInt(pid))
  if ((n !== 0 || exe !== undefined) && n !== undefined) (proc ??= {}).pid = n
  if (exe !== undefined) {
    ;(proc ??= {}).executable = exe
    const name = basename(exe)
    if (name !== '') proc.name = name
  }
  return proc
}

/**
 * Logon details as Elastic's winlog module names them (type, id, failure), or undefined; the
 * failure's reason is also `event.reason`.
 */
function logonOf(data: Record<string, string>, id: string | undefined, kind: EventSpec['kind'] | undefined, outcome: string | undefined, status: string | undefined, event: Obj): Obj | undefined {
  let logon: Obj | undefined
  const logonType = clean(data.LogonType)
  if (logonType !== undefined) {
    const type = LOGON_TYPES[String(toInt(logonType) ?? logonType)]
    if (has(type)) (logon ??= {}).type = type
  }
  if (kind === 'logon' || kind === 'subject' || kind === 'account' || kind === 'group') {
    const logonId = kind === 'logon' ? clean(data.TargetLogonId) : clean(data.SubjectLogonId)
    if (has(logonId)) (logon ??= {}).id = logonId
  }
  let failure: Obj | undefined
  let reason: string | undefined
  if (id === '4625') {
    const why = failureReasonText(clean(data.FailureReason))
    if (has(why)) (failure ??= {}).reason = why
    const statusText = ntStatusText(status)
    if (has(statusText)) (failure ??= {}).status = statusText
    const sub = clean(data.SubStatus)
    if (hexKey(sub) !== '0x0') {
      const subText = ntStatusText(sub)
      if (has(subText)) (failure ??= {}).sub_status = subText
    }
    reason = failure === undefined ? undefined : ((failure.reason ?? failure.sub_status ?? failure.status) as string | undefined)
  } else if (id === '4776' && outcome === 'failure') {
    const statusText = ntStatusText(status)
    if (has(statusText)) failure = { status: (reason = statusText) }
  } else if (id !== undefined && KERBEROS_IDS.has(id) && outcome === 'failure') {
    const statusText = kerberosText(status)
    if (has(statusText)) failure = { status: (reason = statusText) }
  }
  if (failure !== undefined) (logon ??= {}).failure = failure
  if (has(reason)) event.reason = reason
  return logon
}

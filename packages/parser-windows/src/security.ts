import { isIp, toEvent, toInt, toIntHex } from '@beer/parser-sdk'
import type { LogEvent, SyslogMessage } from '@beer/parser-sdk'
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

/** An event data value, or undefined for the placeholders Windows writes for "none". */
function val(data: Record<string, string>, name: string): string | undefined {
  const v = data[name]
  if (v === undefined || v === '' || v === '-') return undefined
  const last = v.charCodeAt(v.length - 1)
  const t = v.charCodeAt(0) <= 32 || last <= 32 ? v.trim() : v
  return t === '' || t === '-' || t === 'N/A' ? undefined : t
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
  if (!/^cn=/i.test(v)) return v
  // RFC 4514 §2.4: a comma inside a value is escaped with a backslash.
  let i = 3
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c === 92) i++
    else if (c === 44) break
  }
  const cn = v.slice(3, i).replace(/\\(.)/g, '$1')
  return cn === '' ? undefined : cn
}

function basename(path: string): string {
  const i = path.lastIndexOf('\\')
  return i === -1 ? path : path.slice(i + 1)
}

class Related {
  ip: string[] | null = null
  user: string[] | null = null
  hosts: string[] | null = null
  add(kind: 'ip' | 'user' | 'hosts', v: string | undefined): void {
    if (v === undefined || v === '') return
    const list = (this[kind] ??= [])
    if (!list.includes(v)) list.push(v)
  }
}

function put(o: Obj, key: string, v: unknown): void {
  if (v !== undefined && v !== '') o[key] = v
}

function isSecurity(rec: WinRecord): boolean {
  return rec.channel === undefined || rec.channel.toLowerCase() === 'security'
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

/** The ECS event of a Windows record, on top of the syslog header's event. */
export function toEcs(msg: SyslogMessage, rec: WinRecord): LogEvent {
  // The header names the sender and its tag; the event names the Windows host and its process.
  // (A copy without them rather than `delete`, which slows every later write to the object.)
  const { host: _host, process: _process, ...ev }: LogEvent = toEvent(msg)
  const data = rec.data
  const id = rec.eventId
  const security = isSecurity(rec)
  const spec = id !== undefined && security ? EVENTS.get(id) : undefined
  const related = new Related()

  if (rec.time !== undefined) ev['@timestamp'] = rec.time
  const event = ev.event as Obj
  event.kind = 'event'
  event.module = 'windows'
  event.dataset = security ? 'windows.security' : 'windows.eventlog'
  put(event, 'code', id)
  put(event, 'provider', rec.provider)
  if (spec !== undefined) {
    event.action = spec.action
    event.category = [...spec.category]
    event.type = [...spec.type]
  }
  const status = val(data, 'Status')
  put(event, 'outcome', outcomeOf(spec, rec, status))

  const winlog: Obj = {}
  put(winlog, 'channel', rec.channel)
  put(winlog, 'event_id', id)
  put(winlog, 'provider_name', rec.provider)
  put(winlog, 'computer_name', rec.computer)
  put(winlog, 'record_id', rec.recordId)
  put(winlog, 'task', rec.task)
  // The event data as it came (the record's own object), the privilege list as a list: one
  // privilege a line in the text, as Elastic splits it ('-', no privilege, is not stored).
  const privileges = data.PrivilegeList
  if (privileges !== undefined) (data as Obj).PrivilegeList = privileges.split(/\s+/, 64).filter((p) => p !== '')
  if (filled(data)) winlog.event_data = data

  if (rec.computer !== undefined) {
    ev.host = { name: rec.computer }
    related.add('hosts', rec.computer)
  }

  // Accounts. Logons describe the account logged on (Target*); management events the actor
  // (Subject*) as user.* and the account changed as user.target.* (ECS user fields usage).
  const user: Obj = {}
  const target: Obj = {}
  const source: Obj = {}
  const kind = spec?.kind
  const subjectName = val(data, 'SubjectUserName')
  const targetName = val(data, 'TargetUserName')
  const targetId = val(data, 'TargetUserSid') ?? val(data, 'TargetSid')
  if (kind === 'logon') {
    put(user, 'name', targetName)
    put(user, 'domain', val(data, 'TargetDomainName'))
    put(user, 'id', targetId)
  } else {
    put(user, 'name', subjectName)
    put(user, 'domain', val(data, 'SubjectDomainName'))
    put(user, 'id', val(data, 'SubjectUserSid'))
    if (kind === 'group') {
      const group: Obj = {}
      put(group, 'name', targetName)
      put(group, 'domain', val(data, 'TargetDomainName'))
      put(group, 'id', targetId)
      if (group.name !== undefined || group.id !== undefined) ev.group = group
      const member = memberName(val(data, 'MemberName'))
      put(target, 'name', member)
      put(target, 'id', val(data, 'MemberSid'))
      related.add('user', member)
    } else if (kind !== 'subject') {
      put(target, 'name', targetName)
      // 4740 writes the caller computer (where the bad passwords came from) in TargetDomainName.
      if (id === '4740') put(source, 'domain', val(data, 'TargetDomainName'))
      else put(target, 'domain', val(data, 'TargetDomainName'))
      put(target, 'id', targetId)
    }
    if (user.name === undefined && spec === undefined) {
      put(user, 'name', rec.logUser)
      put(user, 'domain', rec.logDomain)
    }
  }
  if (filled(target)) user.target = target
  if (filled(user)) ev.user = user
  related.add('user', user.name as string | undefined)
  related.add('user', target.name as string | undefined)
  if (kind !== 'group') related.add('user', targetName)
  related.add('user', subjectName)

  // Where the logon came from.
  const ipText = val(data, 'IpAddress')
  const ip = address(ipText)
  if (ip === undefined && ipText !== undefined) rec.problems.push(`IpAddress ${JSON.stringify(ipText.slice(0, 64))} is not an address`)
  put(source, 'ip', ip)
  if (ip !== undefined) put(source, 'port', port(val(data, 'IpPort')))
  if (source.domain === undefined) put(source, 'domain', val(data, 'WorkstationName') ?? val(data, 'Workstation'))
  // Windows Filtering Platform events (5150-5159) name both ends of the connection.
  const wfpSource = address(val(data, 'SourceAddress'))
  const wfpDestination = address(val(data, 'DestAddress'))
  if (ip === undefined && (wfpSource !== undefined || wfpDestination !== undefined)) {
    put(source, 'ip', wfpSource)
    if (wfpSource !== undefined) put(source, 'port', port(val(data, 'SourcePort')))
    const destination: Obj = {}
    put(destination, 'ip', wfpDestination)
    if (wfpDestination !== undefined) put(destination, 'port', port(val(data, 'DestPort')))
    if (filled(destination)) ev.destination = destination
    const network: Obj = {}
    const proto = val(data, 'Protocol')
    put(network, 'iana_number', proto !== undefined && toInt(proto) !== undefined ? proto : undefined)
    put(network, 'transport', proto === undefined ? undefined : TRANSPORTS[proto])
    put(network, 'direction', DIRECTIONS[val(data, 'Direction') ?? ''])
    if (filled(network)) ev.network = network
    related.add('ip', wfpSource)
    related.add('ip', wfpDestination)
  }
  if (filled(source)) ev.source = source
  related.add('ip', ip)
  related.add('hosts', source.domain as string | undefined)
  if (id === '4648') {
    const server = val(data, 'TargetServerName')
    if (server !== undefined && server.toLowerCase() !== 'localhost') {
      ev.destination = { domain: server }
      related.add('hosts', server)
    }
  }

  // The process that asked for the logon or made the change (elsewhere ProcessId may be another
  // process: the creator of a new process in 4688).
  const pid = spec === undefined ? undefined : val(data, 'ProcessId')
  const exe = spec === undefined ? undefined : val(data, 'ProcessName')
  if (pid !== undefined || exe !== undefined) {
    const proc: Obj = {}
    // Process id 0 with no name: no process (network logons).
    const n = pid === undefined ? undefined : (toIntHex(pid) ?? toInt(pid))
    if (n !== 0 || exe !== undefined) put(proc, 'pid', n)
    if (exe !== undefined) {
      proc.executable = exe
      put(proc, 'name', basename(exe))
    }
    if (filled(proc)) ev.process = proc
  }

  // Logon details, as Elastic's winlog module names them.
  const logon: Obj = {}
  const logonType = val(data, 'LogonType')
  if (logonType !== undefined) put(logon, 'type', LOGON_TYPES[String(toInt(logonType) ?? logonType)])
  if (kind === 'logon' || kind === 'subject' || kind === 'account' || kind === 'group') {
    put(logon, 'id', kind === 'logon' ? val(data, 'TargetLogonId') : val(data, 'SubjectLogonId'))
  }
  const failure: Obj = {}
  let reason: string | undefined
  if (id === '4625') {
    put(failure, 'reason', failureReasonText(val(data, 'FailureReason')))
    put(failure, 'status', ntStatusText(status))
    const sub = val(data, 'SubStatus')
    if (hexKey(sub) !== '0x0') put(failure, 'sub_status', ntStatusText(sub))
    reason = (failure.reason ?? failure.sub_status ?? failure.status) as string | undefined
  } else if (id === '4776' && event.outcome === 'failure') {
    put(failure, 'status', ntStatusText(status))
    reason = failure.status as string | undefined
  } else if (id !== undefined && KERBEROS_IDS.has(id) && event.outcome === 'failure') {
    put(failure, 'status', kerberosText(status))
    reason = failure.status as string | undefined
  }
  if (filled(failure)) logon.failure = failure
  if (filled(logon)) winlog.logon = logon
  put(event, 'reason', reason)
  ev.winlog = winlog

  if (rec.level !== undefined) ((ev.log ??= {}) as Obj).level = rec.level
  if (rec.message !== undefined) ev.message = rec.message

  if (related.ip !== null || related.user !== null || related.hosts !== null) {
    const r: Obj = {}
    if (related.ip !== null) r.ip = related.ip
    if (related.user !== null) r.user = related.user
    if (related.hosts !== null) r.hosts = related.hosts
    ev.related = r
  }

  const problems = rec.problems
  if (id === undefined && problems.length === 0) problems.push('no event id')
  if (msg.truncated) problems.push('the frame was cut at the maximum message size')
  if (problems.length > 0) {
    ev.beer = { partial: true }
    ev.error = { message: problems.join('; ') }
    event.original = msg.raw
  }
  return ev
}

import { LOGON_IDS, SUBJECT_IS_TARGET } from './tables.ts'

// Snare sends the rendered event text, not the event data. Windows renders the Security events'
// data as "Section:" headings followed by "Label:<TAB><TAB>value" lines; Snare turns every tab, CR
// and LF into a space (its field delimiter is the tab), so the text arrives as
//   "Subject:   Security ID:  S-1-5-18   Account Name:  SYSTEM   Account Domain:     Logon ID:  0x3E7"
// (an empty value leaves a run of spaces). This reads such text, or the same text with its tabs
// kept, back into the event data names of the event's XML (SubjectUserName, IpAddress, …) so that
// Snare and JSON forwarders give the same fields. English texts only: the labels are matched.

type Role = 'wfp' | 'top' | 'subject' | 'target' | 'member' | 'group' | 'network' | 'process' | 'auth' | 'failure' | 'service' | 'additional' | 'logon' | 'server' | 'other'

const SECTION_TABLE: Readonly<Record<string, Role>> = {
  'Subject': 'subject',
  'Creator Subject': 'subject',
  'New Logon': 'target',
  'Account For Which Logon Failed': 'target',
  'Target Account': 'target',
  'New Account': 'target',
  'Account That Was Locked Out': 'target',
  'Account Whose Credentials Were Used': 'target',
  'Target Subject': 'target',
  'Account Information': 'target',
  'Member': 'member',
  'Group': 'group',
  'New Group': 'group',
  'Deleted Group': 'group',
  'Network Information': 'network',
  'Process Information': 'process',
  'Detailed Authentication Information': 'auth',
  'Failure Information': 'failure',
  'Service Information': 'service',
  'Additional Information': 'additional',
  'Logon Information': 'logon',
  'Target Server': 'server',
}

const ANY_TABLE: Readonly<Record<string, string>> = {
  'Logon Type': 'LogonType',
  'Impersonation Level': 'ImpersonationLevel',
  'Privileges': 'PrivilegeList',
}

const LABEL_TABLE: Readonly<Record<Role, Readonly<Record<string, string>>>> = {
  top: {
    'Authentication Package': 'PackageName',
    'Logon Account': 'TargetUserName',
    'Source Workstation': 'Workstation',
    'Error Code': 'Status',
  },
  subject: {
    'Security ID': 'SubjectUserSid',
    'Account Name': 'SubjectUserName',
    'Account Domain': 'SubjectDomainName',
    'Logon ID': 'SubjectLogonId',
  },
  target: {
    'Security ID': 'TargetUserSid',
    'Account Name': 'TargetUserName',
    'Account Domain': 'TargetDomainName',
    'Logon ID': 'TargetLogonId',
    'Linked Logon ID': 'TargetLinkedLogonId',
    'Network Account Name': 'TargetOutboundUserName',
    'Network Account Domain': 'TargetOutboundDomainName',
    'Logon GUID': 'LogonGuid',
    'Supplied Realm Name': 'TargetDomainName',
    'User ID': 'TargetSid',
  },
  member: { 'Security ID': 'MemberSid', 'Account Name': 'MemberName' },
  group: {
    'Security ID': 'TargetSid',
    'Group Name': 'TargetUserName',
    'Account Name': 'TargetUserName',
    'Group Domain': 'TargetDomainName',
    'Account Domain': 'TargetDomainName',
  },
  network: {
    'Workstation Name': 'WorkstationName',
    'Source Network Address': 'IpAddress',
    'Source Port': 'IpPort',
    'Client Address': 'IpAddress',
    'Client Port': 'IpPort',
    'Network Address': 'IpAddress',
    'Port': 'IpPort',
  },
  process: {
    'Process ID': 'ProcessId',
    'Process Name': 'ProcessName',
    'Caller Process ID': 'ProcessId',
    'Caller Process Name': 'ProcessName',
  },
  auth: {
    'Logon Process': 'LogonProcessName',
    'Authentication Package': 'AuthenticationPackageName',
    'Transited Services': 'TransmittedServices',
    'Package Name (NTLM only)': 'LmPackageName',
    'Key Length': 'KeyLength',
  },
  failure: { 'Failure Reason': 'FailureReason', 'Status': 'Status', 'Sub Status': 'SubStatus' },
  service: { 'Service Name': 'ServiceName', 'Service ID': 'ServiceSid' },
  additional: {
    'Ticket Options': 'TicketOptions',
    'Result Code': 'Status',
    'Failure Code': 'Status',
    'Ticket Encryption Type': 'TicketEncryptionType',
    'Pre-Authentication Type': 'PreAuthType',
    'Caller Computer Name': 'TargetDomainName',
    'Transited Services': 'TransmittedServices',
  },
  logon: {
    'Restricted Admin Mode': 'RestrictedAdminMode',
    'Virtual Account': 'VirtualAccount',
    'Elevated Token': 'ElevatedToken',
  },
  server: { 'Target Server Name': 'TargetServerName', 'Additional Information': 'TargetInfo' },
  // Windows Filtering Platform events (5150-5159) name both ends of a connection.
  wfp: {
    'Direction': 'Direction',
    'Source Address': 'SourceAddress',
    'Source Port': 'SourcePort',
    'Destination Address': 'DestAddress',
    'Destination Port': 'DestPort',
    'Protocol': 'Protocol',
  },
  other: {},
}

// The longest label Windows renders is under 48 characters.
const MAX_LABEL = 48

// Roles as small integers, so that a label's event data name in a section is an array element.
const ROLES: readonly Role[] = ['wfp', 'top', 'subject', 'target', 'member', 'group', 'network', 'process', 'auth', 'failure', 'service', 'additional', 'logon', 'server', 'other']
const TOP = ROLES.indexOf('top')
const TARGET = ROLES.indexOf('target')
const SUBJECT = ROLES.indexOf('subject')
const WFP = ROLES.indexOf('wfp')
const NETWORK = ROLES.indexOf('network')
const OTHER = ROLES.indexOf('other')

/** What a label can be: a section heading, a field in some sections, a field anywhere. */
interface LabelInfo {
  label: string
  /** The role of the section this label heads, or -1. */
  section: number
  /**
   * The event data name by role, as its number (NAME_IDS; a field anywhere has it in every role),
   * -1 where none.
   */
  ids: Int32Array
  /** A field label, which may stand with an empty value (then "Label:" before another label is no section). */
  field: boolean
}

/**
 * A label's shape: its length and its first, middle and last characters. Each known label has its
 * own (checked when the table is built), so a segment is found in the table by four character
 * reads and one comparison, instead of a loop over its characters.
 */
function shapeKey(s: string, start: number, end: number): number {
  const len = end - start
  const first = s.charCodeAt(start) & 127
  const middle = s.charCodeAt(start + (len >> 1)) & 127
  const last = s.charCodeAt(end - 1) & 127
  return len + 64 * (first + 128 * (middle + 128 * last))
}

// Every event data name a label gives, as a small number (its index in NAMES): which ones a
// description has given already is then an array element, not a lookup on the object being filled.
const NAME_IDS = new Map<string, number>()
const NAMES: string[] = []
function nameId(name: string): number {
  let id = NAME_IDS.get(name)
  if (id === undefined) {
    id = NAMES.push(name) - 1
    NAME_IDS.set(name, id)
  }
  return id
}
const TARGET_USER_SID = nameId('TargetUserSid')
const TARGET_SID = nameId('TargetSid')

// Every known label by its shape.
const INDEX: ReadonlyMap<number, LabelInfo> = (() => {
  const byLabel = new Map<string, { section: Role | undefined; any: string | undefined; byRole: Partial<Record<Role, string>> }>()
  const info = (label: string) => {
    let i = byLabel.get(label)
    if (i === undefined) {
      i = { section: undefined, any: undefined, byRole: {} }
      byLabel.set(label, i)
    }
    return i
  }
  for (const [label, role] of Object.entries(SECTION_TABLE)) info(label).section = role
  for (const [label, name] of Object.entries(ANY_TABLE)) info(label).any = name
  for (const [role, table] of Object.entries(LABEL_TABLE)) {
    for (const [label, name] of Object.entries(table)) info(label).byRole[role as Role] = name
  }
  const index = new Map<number, LabelInfo>()
  for (const [label, i] of byLabel) {
    const key = shapeKey(label, 0, label.length)
    if (!labelLike(label, 0, label.length)) throw new Error(`windows: ${JSON.stringify(label)} would not be read as a label`)
    if (index.has(key)) throw new Error(`windows: the labels ${JSON.stringify(label)} and ${JSON.stringify(index.get(key)!.label)} share a shape`)
    const ids = Int32Array.from(ROLES, (role) => {
      const name = i.any ?? i.byRole[role]
      return name === undefined ? -1 : nameId(name)
    })
    const field = i.section === undefined && (i.any !== undefined || Object.keys(i.byRole).length > 0)
    index.set(key, { label, section: i.section === undefined ? -1 : ROLES.indexOf(i.section), ids, field })
  }
  return index
})()

/** A label-like text that is no known label: it heads an unknown section, or names no field. */
const UNKNOWN: LabelInfo = { label: '', section: -1, ids: new Int32Array(ROLES.length).fill(-1), field: false }

// Which names the description being read has given: stored[id] === reading. A number per call
// rather than clearing the array (reading is synchronous).
const stored = new Uint32Array(NAME_IDS.size)
let reading = 0

// The name a target account's id is written under: TargetUserSid in logons, TargetSid in account
// management and Kerberos events.
function targetSidId(eventId: string): number {
  return LOGON_IDS.has(eventId) ? TARGET_USER_SID : TARGET_SID
}

/** A segment that can be a label: a short run of words starting with a capital letter. */
function labelLike(s: string, start: number, end: number): boolean {
  if (end - start < 1 || end - start > MAX_LABEL) return false
  const c0 = s.charCodeAt(start)
  if (c0 < 65 || c0 > 90) return false
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i)
    // letters, digits, space, ( ) - / '
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32 || c === 40 || c === 41 || c === 45 || c === 47 || c === 39)) {
      return false
    }
  }
  return true
}

/**
 * The label that `s` holds from `start` to `end`: a known label's info, UNKNOWN for a label-like
 * text that is none, or undefined when the text cannot be a label.
 */
function labelAt(s: string, start: number, end: number): LabelInfo | undefined {
  if (end - start < 1 || end - start > MAX_LABEL) return undefined
  const info = INDEX.get(shapeKey(s, start, end))
  // (Cutting the label out and comparing is faster than startsWith, or than a charCodeAt loop.)
  if (info !== undefined && s.slice(start, end) === info.label) return info
  return labelLike(s, start, end) ? UNKNOWN : undefined
}

/**
 * The event data named in a rendered description, into an empty object. Values are kept as written
 * ('-' included, as Windows writes it); a label seen twice keeps its first value.
 */
export function readDescription(text: string, eventId: string, into: Record<string, string>): void {
  if (++reading === 0xffffffff) {
    stored.fill(0)
    reading = 1
  }
  let role = TOP
  // "Label:" with nothing after it yet: the value follows, or it was a section heading.
  let pending: LabelInfo | undefined
  let lastName: string | undefined
  let lastId = -1
  // A value continued by single tokens (a privilege list): joined once at the end, at most
  // MAX_LIST tokens (Windows defines some 36 privileges).
  let listName: string | undefined
  let listId = -1
  let list: string[] = []
  let seenLabel = false
  const subjectRole = SUBJECT_IS_TARGET.has(eventId) ? TARGET : SUBJECT
  const targetSid = targetSidId(eventId)
  const wfp = eventId.length === 4 && eventId.startsWith('515')

  const n = text.length
  // Where the next tab, LF, CR, double space, ': ' and space are (n when there is none): each found
  // once and reused until passed, so the text is scanned in linear time (by the runtime's native
  // search, faster than a loop over charCodeAt). The searches are written out here rather than in
  // a helper, which this function is too large for the compiler to inline.
  let tab = -1
  let lf = -1
  let cr = -1
  let dbl = -1
  let colonSpace = -1
  let space = -1
  let i = 0
  while (i < n) {
    let c = text.charCodeAt(i)
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++i)
    if (i >= n) break
    // A segment ends at a tab, CR or LF, or at two spaces in a row.
    if (tab < i) {
      tab = text.indexOf('\t', i)
      if (tab === -1) tab = n
    }
    if (lf < i) {
      lf = text.indexOf('\n', i)
      if (lf === -1) lf = n
    }
    if (cr < i) {
      cr = text.indexOf('\r', i)
      if (cr === -1) cr = n
    }
    if (dbl < i) {
      dbl = text.indexOf('  ', i)
      if (dbl === -1) dbl = n
    }
    let j = tab < lf ? tab : lf
    if (cr < j) j = cr
    if (dbl < j) j = dbl
    let end = j
    if (text.charCodeAt(end - 1) === 32) end--
    const from = i
    i = j

    // Classified on the text itself, so that only the value is cut out of it: "Label:" alone,
    // "Label: value", or a segment without a label.
    let info: LabelInfo | undefined
    let value: string | undefined
    if (text.charCodeAt(end - 1) === 58 /* : */) info = labelAt(text, from, end - 1)
    // "Label: value" in one segment. Every label starts with a capital letter: values that do not
    // (names, numbers, '-') are not searched for ': '.
    const c0 = text.charCodeAt(from)
    if (info === undefined && c0 >= 65 && c0 <= 90) {
      if (colonSpace < from) {
        colonSpace = text.indexOf(': ', from)
        if (colonSpace === -1) colonSpace = n
      }
      const colon = colonSpace
      if (colon < end) {
        info = labelAt(text, from, colon)
        if (info !== undefined) value = text.slice(colon + 2, end).trim()
      }
    }
    if (info !== undefined) {
      if (pending !== undefined) {
        // "Label:" directly followed by another label: an empty value, or a section heading.
        if (!pending.field) {
          const section = pending.section
          role = section === SUBJECT ? subjectRole : section === NETWORK && wfp ? WFP : section === -1 ? OTHER : section
        }
        seenLabel = true
        lastName = undefined
        lastId = -1
        pending = undefined
      }
      if (value === undefined) {
        pending = info
        continue
      }
    } else if (pending !== undefined) {
      info = pending
      value = text.slice(from, end)
      pending = undefined
    } else {
      // Lists continue as single tokens (privilege names, %%codes); prose after the data ends it.
      if (lastName !== undefined) {
        if (space < from) {
          space = text.indexOf(' ', from)
          if (space === -1) space = n
        }
        if (space >= end) {
          if (listName !== lastName) {
            flushList(into, listName, listId, list)
            listName = lastName
            listId = lastId
            list = stored[lastId] === reading ? [into[lastName]!] : []
          }
          if (list.length < MAX_LIST) list.push(text.slice(from, end))
          continue
        }
      }
      if (seenLabel) break
      continue
    }
    seenLabel = true
    lastId = info.ids[role]!
    if (lastId === TARGET_USER_SID) lastId = targetSid
    lastName = lastId === -1 ? undefined : NAMES[lastId]
    // '-' as the privilege list is no privilege: not stored, as a list of none.
    if (lastName !== undefined && stored[lastId] !== reading && !(lastName === 'PrivilegeList' && value === '-')) {
      stored[lastId] = reading
      into[lastName] = value
    }
  }
  flushList(into, listName, listId, list)
}

const MAX_LIST = 64

function flushList(into: Record<string, string>, name: string | undefined, id: number, list: string[]): void {
  if (name !== undefined && list.length > 0) {
    stored[id] = reading
    into[name] = list.join(' ')
  }
}

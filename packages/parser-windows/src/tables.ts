// Lookup tables for Windows Security events: how each event id is named and categorised, and the
// words behind the codes Windows writes (logon types, NTSTATUS and Kerberos result codes).

/** How an event id is named and categorised, and whose account `user.*` describes. */
export interface EventSpec {
  action: string
  category: readonly string[]
  type: readonly string[]
  /**
   * `logon`: user.* is the account logged on (Target*); `subject`: user.* is the Subject (4672);
   * `account`: user.* is the actor (Subject*) and user.target.* the account changed;
   * `group`: user.* is the actor, group.* the group, user.target.* the member.
   */
  kind: 'logon' | 'subject' | 'account' | 'group'
  /** `status`: outcome from the Status code (0x0 is success); otherwise a fixed outcome. */
  outcome: 'success' | 'failure' | 'status' | 'audit'
}

const AUTH = ['authentication'] as const
const IAM = ['iam'] as const
const START = ['start'] as const
const END = ['end'] as const
const USER_CHANGE = ['user', 'change'] as const
const GROUP_CHANGE = ['group', 'change'] as const
const GROUP_CREATION = ['group', 'creation'] as const
const GROUP_DELETION = ['group', 'deletion'] as const

function spec(action: string, category: readonly string[], type: readonly string[], kind: EventSpec['kind'], outcome: EventSpec['outcome']): EventSpec {
  return { action, category, type, kind, outcome }
}

// Names follow Elastic's winlog security module (event.action), so that one vocabulary covers
// Windows, Linux and network devices. Event semantics: Microsoft's "Audit ... events" reference
// pages for each id (learn.microsoft.com/windows/security/threat-protection/auditing/event-NNNN).
export const EVENTS: ReadonlyMap<string, EventSpec> = new Map<string, EventSpec>([
  ['4624', spec('logged-in', AUTH, START, 'logon', 'success')],
  ['4625', spec('logon-failed', AUTH, START, 'logon', 'failure')],
  ['4634', spec('logged-out', AUTH, END, 'logon', 'success')],
  ['4647', spec('logged-out', AUTH, END, 'logon', 'success')],
  ['4648', spec('logged-in-explicit', AUTH, START, 'logon', 'success')],
  ['4672', spec('logged-in-special', IAM, ['admin'], 'subject', 'success')],
  ['4768', spec('kerberos-authentication-ticket-requested', AUTH, START, 'logon', 'status')],
  ['4769', spec('kerberos-service-ticket-requested', AUTH, START, 'logon', 'status')],
  ['4771', spec('kerberos-preauth-failed', AUTH, START, 'logon', 'failure')],
  ['4776', spec('credential-validated', AUTH, START, 'logon', 'status')],
  ['4720', spec('added-user-account', IAM, ['user', 'creation'], 'account', 'audit')],
  ['4722', spec('enabled-user-account', IAM, USER_CHANGE, 'account', 'audit')],
  ['4723', spec('changed-password', IAM, USER_CHANGE, 'account', 'audit')],
  ['4724', spec('reset-password', IAM, USER_CHANGE, 'account', 'audit')],
  ['4725', spec('disabled-user-account', IAM, USER_CHANGE, 'account', 'audit')],
  ['4726', spec('deleted-user-account', IAM, ['user', 'deletion'], 'account', 'audit')],
  ['4738', spec('modified-user-account', IAM, USER_CHANGE, 'account', 'audit')],
  ['4740', spec('locked-out-user-account', IAM, USER_CHANGE, 'account', 'audit')],
  ['4767', spec('unlocked-user-account', IAM, USER_CHANGE, 'account', 'audit')],
  ['4727', spec('added-group-account', IAM, GROUP_CREATION, 'group', 'audit')],
  ['4731', spec('added-group-account', IAM, GROUP_CREATION, 'group', 'audit')],
  ['4754', spec('added-group-account', IAM, GROUP_CREATION, 'group', 'audit')],
  ['4730', spec('deleted-group-account', IAM, GROUP_DELETION, 'group', 'audit')],
  ['4734', spec('deleted-group-account', IAM, GROUP_DELETION, 'group', 'audit')],
  ['4758', spec('deleted-group-account', IAM, GROUP_DELETION, 'group', 'audit')],
  ['4735', spec('modified-group-account', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4737', spec('modified-group-account', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4755', spec('modified-group-account', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4728', spec('added-member-to-group', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4732', spec('added-member-to-group', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4756', spec('added-member-to-group', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4729', spec('removed-member-from-group', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4733', spec('removed-member-from-group', IAM, GROUP_CHANGE, 'group', 'audit')],
  ['4757', spec('removed-member-from-group', IAM, GROUP_CHANGE, 'group', 'audit')],
])

/** Event ids whose Target* account is the account logged on or off (TargetUserSid, not TargetSid). */
export const LOGON_IDS: ReadonlySet<string> = new Set(['4624', '4625', '4634', '4647', '4648'])

/** 4634 and 4647 name the account logged off "Subject" in their text, but Target* in their data. */
export const SUBJECT_IS_TARGET: ReadonlySet<string> = new Set(['4634', '4647'])

/** LogonType numbers (event 4624 reference page), as snake_case names. */
export const LOGON_TYPES: Readonly<Record<string, string>> = {
  '2': 'interactive',
  '3': 'network',
  '4': 'batch',
  '5': 'service',
  '7': 'unlock',
  '8': 'network_cleartext',
  '9': 'new_credentials',
  '10': 'remote_interactive',
  '11': 'cached_interactive',
  '12': 'cached_remote_interactive',
  '13': 'cached_unlock',
}

// NTSTATUS codes of failed logons and credential validation (events 4625 and 4776), in the words
// Elastic's winlog module uses for winlog.logon.failure.status / sub_status.
const NTSTATUS: Readonly<Record<string, string>> = {
  '0xc000005e': 'There are currently no logon servers available to service the logon request.',
  '0xc0000064': 'User logon with misspelled or bad user account',
  '0xc000006a': 'User logon with misspelled or bad password',
  '0xc000006d': 'This is either due to a bad username or authentication information',
  '0xc000006e': 'Unknown user name or bad password.',
  '0xc000006f': 'User logon outside authorized hours',
  '0xc0000070': 'User logon from unauthorized workstation',
  '0xc0000071': 'User logon with expired password',
  '0xc0000072': 'User logon to account disabled by administrator',
  '0xc00000dc': 'Indicates the Sam Server was in the wrong state to perform the desired operation.',
  '0xc0000133': 'Clocks between DC and other computer too far out of sync',
  '0xc000015b': 'The user has not been granted the requested logon type (aka logon right) at this machine',
  '0xc000018c': 'The logon request failed because the trust relationship between the primary domain and the trusted domain failed.',
  '0xc0000192': 'An attempt was made to logon, but the Netlogon service was not started.',
  '0xc0000193': 'User logon with expired account',
  '0xc0000224': 'User is required to change password at next logon',
  '0xc0000225': 'Evidently a bug in Windows and not a risk',
  '0xc0000234': 'User logon with account locked',
  '0xc00002ee': 'Failure Reason: An Error occurred during Logon',
  '0xc0000413': 'Logon Failure: The machine you are logging onto is protected by an authentication firewall. The specified account is not allowed to authenticate to the machine.',
  '0x0': 'Status OK.',
}

// Kerberos result codes of events 4768, 4769 and 4771 (RFC 4120 §7.5.9, RFC 4556 for 70-76).
const KERBEROS: Readonly<Record<string, string>> = {
  '0x0': 'KDC_ERR_NONE',
  '0x1': 'KDC_ERR_NAME_EXP',
  '0x2': 'KDC_ERR_SERVICE_EXP',
  '0x3': 'KDC_ERR_BAD_PVNO',
  '0x6': 'KDC_ERR_C_PRINCIPAL_UNKNOWN',
  '0x7': 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
  '0x8': 'KDC_ERR_PRINCIPAL_NOT_UNIQUE',
  '0xc': 'KDC_ERR_POLICY',
  '0xd': 'KDC_ERR_BADOPTION',
  '0xe': 'KDC_ERR_ETYPE_NOTSUPP',
  '0xf': 'KDC_ERR_SUMTYPE_NOSUPP',
  '0x10': 'KDC_ERR_PADATA_TYPE_NOSUPP',
  '0x12': 'KDC_ERR_CLIENT_REVOKED',
  '0x17': 'KDC_ERR_KEY_EXPIRED',
  '0x18': 'KDC_ERR_PREAUTH_FAILED',
  '0x19': 'KDC_ERR_PREAUTH_REQUIRED',
  '0x1f': 'KRB_AP_ERR_BAD_INTEGRITY',
  '0x20': 'KRB_AP_ERR_TKT_EXPIRED',
  '0x25': 'KRB_AP_ERR_SKEW',
  '0x29': 'KRB_AP_ERR_MODIFIED',
  '0x3c': 'KRB_ERR_GENERIC',
  '0x44': 'KDC_ERR_WRONG_REALM',
  '0x4b': 'KDC_ERR_CLIENT_NAME_MISMATCH',
}

// FailureReason of event 4625 as the event data writes it (%%2304..%%2313, msobjs.dll).
const FAILURE_REASONS: Readonly<Record<string, string>> = {
  '%%2304': 'An Error occurred during Logon.',
  '%%2305': 'The specified user account has expired.',
  '%%2306': 'The NetLogon component is not active.',
  '%%2307': 'Account locked out.',
  '%%2308': 'The user has not been granted the requested logon type at this machine.',
  '%%2309': "The specified account's password has expired.",
  '%%2310': 'Account currently disabled.',
  '%%2311': 'Account logon time restriction violation.',
  '%%2312': 'User not allowed to logon at this computer.',
  '%%2313': 'Unknown user name or bad password.',
}

/** Canonical lower-case hex (`0xC000006A` and `0xc000006a` alike), or undefined when not hex. */
export function hexKey(code: string | undefined): string | undefined {
  if (code === undefined || code.length < 3 || code.length > 18) return undefined
  if (code.charCodeAt(0) !== 48 || (code.charCodeAt(1) | 32) !== 120) return undefined
  let i = 2
  while (i < code.length - 1 && code.charCodeAt(i) === 48) i++
  const digits = code.slice(i).toLowerCase()
  return /^[0-9a-f]+$/.test(digits) ? '0x' + digits : undefined
}

export function ntStatusText(code: string | undefined): string | undefined {
  const key = hexKey(code)
  return key === undefined ? undefined : NTSTATUS[key]
}

export function kerberosText(code: string | undefined): string | undefined {
  const key = hexKey(code)
  return key === undefined ? undefined : KERBEROS[key]
}

/** The text of a FailureReason: as written when it is text already, else from its %%code. */
export function failureReasonText(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || value === '-') return undefined
  if (value.startsWith('%%')) return FAILURE_REASONS[value.trim()]
  return value
}

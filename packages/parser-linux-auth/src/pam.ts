// Linux-PAM module messages: `pam_<module>(<service>:<type>): <text>` (pam_unix, pam_sss,
// pam_faillock, pam_systemd… through pam_syslog(3)), the old `<program>(pam_unix)[pid]: <text>`
// tag of Linux-PAM < 0.99, and sshd's own `PAM <n> more authentication failures; …` and
// `PAM service(<service>) ignoring max retries; <n> > <m>`. Texts from pam_unix's
// support.c/pam_unix_auth.c/pam_unix_sess.c/pam_unix_passwd.c.
import { parseKv } from '@beer/parser-sdk'
import { classify, count, endpoint, problem, relateUser, set, setProcess } from './common.ts'
import type { Out } from './common.ts'

export interface PamLine {
  module: string
  service: string
  /** The management group: auth, account, session, chauthtok (password), setcred. */
  type: string
  text: string
}

/** Reads `pam_<module>(<service>:<type>): <text>`, or undefined when the text has another shape. */
export function pamLine(text: string): PamLine | undefined {
  if (!text.startsWith('pam_')) return undefined
  const open = text.indexOf('(')
  if (open < 5 || open > 40) return undefined
  for (let i = 4; i < open; i++) {
    const c = text.charCodeAt(i)
    // Module names: lowercase letters, digits and '_' (pam_unix, pam_sss, pam_tally2).
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) return undefined
  }
  const close = text.indexOf('): ', open)
  if (close === -1 || close - open > 128) {
    // `pam_unix(sshd:session): ` with nothing after, or a line cut inside the parentheses.
    if (text.endsWith('):') && text.length - open <= 130) return split(text, open, text.length - 2, '')
    return undefined
  }
  return split(text, open, close, text.slice(close + 3))
}

function split(text: string, open: number, close: number, body: string): PamLine | undefined {
  const inner = text.slice(open + 1, close)
  const colon = inner.lastIndexOf(':')
  if (colon === -1) return undefined
  return { module: text.slice(0, open), service: inner.slice(0, colon), type: inner.slice(colon + 1), text: body }
}

/** The management group an old-style line's text belongs to (its tag does not say). */
export function inferType(text: string): string {
  if (text.startsWith('session ')) return 'session'
  if (text.startsWith('password changed')) return 'chauthtok'
  return 'auth'
}

/** `name(uid=N)` or `name` or `(uid=N)`: the name and the id. */
function nameAndUid(text: string): { name: string; uid: string | undefined } {
  const p = text.lastIndexOf('(uid=')
  if (p !== -1 && text.endsWith(')')) return { name: text.slice(0, p), uid: text.slice(p + 5, -1) }
  return { name: text, uid: undefined }
}

/** pam_unix's `logname= uid= euid= tty= ruser= rhost= user=` (pam_unix_auth.c, support.c). */
function requestFields(out: Out, text: string): void {
  const kv = parseKv(text)
  const user = kv.user
  if (user !== undefined && user !== '') {
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  if (kv.rhost !== undefined && kv.rhost !== '') endpoint(out, 'source', kv.rhost)
  // uid/euid are the requesting process's real and effective user ids, not the account's.
  setProcess(out, 'real_user.id', kv.uid)
  setProcess(out, 'user.id', kv.euid)
  set(out, 'system.auth.pam.logname', kv.logname)
  set(out, 'system.auth.pam.tty', kv.tty)
  set(out, 'system.auth.pam.ruser', kv.ruser)
  relateUser(out, kv.logname, kv.ruser)
}

/** Fills the event for a PAM module line. */
export function readPam(out: Out, line: PamLine): void {
  set(out, 'system.auth.pam.module', line.module)
  set(out, 'system.auth.pam.service', line.service)
  set(out, 'system.auth.pam.type', line.type)
  const text = line.text
  if (text.startsWith('session opened for user ')) {
    classify(out, { action: 'session-opened', category: ['session'], type: ['start'], outcome: 'success' })
    const rest = text.slice(24)
    const by = rest.lastIndexOf(' by ')
    const user = nameAndUid(by === -1 ? rest : rest.slice(0, by))
    if (user.name !== '') {
      set(out, 'user.name', user.name)
      relateUser(out, user.name)
    }
    set(out, 'user.id', user.uid)
    if (by === -1) {
      problem(out, 'no "by" after the user name')
      return
    }
    // `by <login name>(uid=<real uid>)`: who opened it (pam_unix_sess.c: getlogin() and getuid()).
    const opener = nameAndUid(rest.slice(by + 4))
    setProcess(out, 'real_user.name', opener.name)
    setProcess(out, 'real_user.id', opener.uid)
    relateUser(out, opener.name)
    return
  }
  if (text.startsWith('session closed for user ')) {
    classify(out, { action: 'session-closed', category: ['session'], type: ['end'], outcome: 'success' })
    const user = nameAndUid(text.slice(24))
    if (user.name !== '') {
      set(out, 'user.name', user.name)
      relateUser(out, user.name)
    }
    set(out, 'user.id', user.uid)
    return
  }
  if (text.startsWith('authentication failure;')) {
    // The program that asked PAM logs its own verdict (sshd `Failed password`, `FAILED SU`, sudo
    // `incorrect password attempts`): that line is the `logon-failed`, this one the detail, so that
    // one attempt is one failure for the analyzers.
    classify(out, { action: 'pam-authentication-failure', category: ['authentication'], type: ['info'], outcome: 'failure' })
    requestFields(out, text.slice(23))
    return
  }
  if (text.startsWith('check pass; user unknown')) {
    classify(out, { action: 'pam-user-unknown', category: ['authentication'], type: ['info'], outcome: 'failure' })
    set(out, 'event.reason', 'user unknown')
    return
  }
  if (text.startsWith('password changed for ')) {
    classify(out, { action: 'changed-password', category: ['iam'], type: ['user', 'change'], outcome: 'success' })
    const user = text.slice(21)
    set(out, 'user.target.name', user)
    relateUser(out, user)
    return
  }
  if (text.startsWith('Consecutive login failures for user ')) {
    // pam_faillock: `… for user <user> account temporarily locked`.
    classify(out, { action: 'locked-out-user-account', category: ['iam'], type: ['user', 'change'], outcome: 'success' })
    const rest = text.slice(36)
    const sp = rest.indexOf(' ')
    const user = sp === -1 ? rest : rest.slice(0, sp)
    set(out, 'user.target.name', user)
    set(out, 'user.name', user)
    relateUser(out, user)
    if (sp !== -1) set(out, 'event.reason', rest.slice(sp + 1))
    return
  }
  if (text.startsWith('Failed to create session: ')) {
    // pam_systemd: logind refused the session.
    classify(out, { action: 'session-opened', category: ['session'], type: ['start'], outcome: 'failure' })
    set(out, 'event.reason', text.slice(26))
    return
  }
  // Another text of a module line: the module, service and group, and the text as the message.
  switch (line.type) {
    case 'session':
      classify(out, { category: ['session'], type: ['info'] })
      break
    case 'chauthtok':
    case 'password':
      classify(out, { category: ['iam'], type: ['user', 'info'] })
      break
    default:
      classify(out, { category: ['authentication'], type: ['info'] })
  }
}

/** sshd's `PAM <n> more authentication failure[s]; logname= … rhost=<address>[  user=<user>]`. */
export function readPamRepeated(out: Out, text: string): void {
  classify(out, { action: 'pam-repeated-failures', category: ['authentication'], type: ['info'], outcome: 'failure' })
  const rest = text.slice(4)
  const sp = rest.indexOf(' ')
  set(out, 'system.auth.pam.failures', count(rest.slice(0, sp)))
  const semi = rest.indexOf(';')
  if (semi !== -1) requestFields(out, rest.slice(semi + 1))
}

/** sshd's `PAM service(<service>) ignoring max retries; <n> > <m>`. */
export function readPamMaxRetries(out: Out, text: string): void {
  classify(out, { action: 'pam-max-retries', category: ['authentication'], type: ['info'], outcome: 'failure' })
  const close = text.indexOf(')')
  set(out, 'system.auth.pam.service', text.slice(12, close))
  const semi = text.indexOf('; ', close)
  if (semi !== -1) {
    const parts = text.slice(semi + 2).split(' > ')
    set(out, 'system.auth.pam.failures', count(parts[0]))
    set(out, 'system.auth.pam.max_retries', count(parts[1]))
  }
  set(out, 'event.reason', 'ignoring max retries')
}

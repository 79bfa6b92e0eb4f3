// OpenSSH sshd messages (auth2.c, auth.c, sshd.c, packet.c, serverloop.c, session.c of OpenSSH
// 5 to 9.x), as they read after the tag. The shapes: `Accepted|Failed|Postponed|Partial <method>
// for [invalid user ]<user> from <address> port <port> ssh2[: <key type> <fingerprint>]`,
// `Invalid user <user> from <address>[ port <port>]`, the closes and disconnects, and the
// protocol failures a scanner causes. A user name may hold spaces (an attacker chooses it), so
// names are read up to the *last* ` from ` / address, never to the first space.
import { addRelated, isIp } from '@beer/parser-sdk'
import { classify, count, endpoint, problem, relateUser, set } from './common.ts'
import type { Out } from './common.ts'

export type Handler = (out: Out, text: string) => void

const AUTH = ['authentication']
const NETWORK = ['network']
const SESSION = ['session']

/** `<address> port <port>` at the end of `text` (the port optional): what comes before, the address, the port. */
function addressAtEnd(text: string): { head: string; address: string; port: string | undefined } {
  let body = text
  let port: string | undefined
  const p = text.lastIndexOf(' port ')
  if (p !== -1 && p + 6 < text.length && text.indexOf(' ', p + 6) === -1) {
    port = text.slice(p + 6)
    body = text.slice(0, p)
  }
  const sp = body.lastIndexOf(' ')
  return sp === -1 ? { head: '', address: body, port } : { head: body.slice(0, sp), address: body.slice(sp + 1), port }
}

/** `<address>[ port <port>]` at the start of `text`, and what follows. */
function addressAtStart(text: string): { address: string; port: string | undefined; rest: string } {
  const sp = text.indexOf(' ')
  if (sp === -1) return { address: stripColon(text), port: undefined, rest: '' }
  const address = text.slice(0, sp)
  if (text.startsWith('port ', sp + 1)) {
    const end = text.indexOf(' ', sp + 6)
    const port = end === -1 ? text.slice(sp + 6) : text.slice(sp + 6, end)
    return { address, port: stripColon(port), rest: end === -1 ? '' : text.slice(end + 1) }
  }
  return { address: stripColon(address), port: undefined, rest: text.slice(sp + 1) }
}

function stripColon(s: string): string {
  return s.endsWith(':') ? s.slice(0, -1) : s
}

/** `invalid user X` / `illegal user X` / `authenticating user X` / `user X` before an address. */
function userBefore(out: Out, head: string): void {
  for (const p of ['invalid user ', 'illegal user ', 'authenticating user ', 'user ']) {
    if (head.startsWith(p)) {
      const user = head.slice(p.length)
      if (p !== 'user ' && p !== 'authenticating user ') set(out, 'system.auth.ssh.invalid_user', true)
      if (user !== '') {
        set(out, 'user.name', user)
        relateUser(out, user)
      }
      return
    }
    if (head === p.trimEnd()) {
      if (p !== 'user ' && p !== 'authenticating user ') set(out, 'system.auth.ssh.invalid_user', true)
      return
    }
  }
}

function reason(out: Out, text: string | undefined): void {
  if (text === undefined) return
  const t = text.trim()
  if (t !== '') set(out, 'event.reason', t)
}

/** `Accepted|Failed|Postponed|Partial <method> for [invalid user ]<user>[ from <address> port <port> <proto>[: <signature>]]`. */
function attemptOf(verb: 'Accepted' | 'Failed' | 'Postponed' | 'Partial'): Handler {
  return (out, text) => {
    const rest = text.slice(verb.length + 1)
    const sp = rest.indexOf(' ')
    const method = rest.slice(0, sp)
    let who = rest.slice(sp + 5)
    switch (verb) {
      case 'Accepted':
        classify(out, { action: 'logged-in', category: AUTH, type: ['start'], outcome: 'success' })
        break
      case 'Failed':
        classify(out, { action: 'logon-failed', category: AUTH, type: ['start'], outcome: 'failure' })
        break
      case 'Postponed':
        classify(out, { action: 'ssh-auth-postponed', category: AUTH, type: ['info'], outcome: 'unknown' })
        break
      default:
        classify(out, { action: 'ssh-auth-partial', category: AUTH, type: ['info'], outcome: 'unknown' })
    }
    set(out, 'system.auth.ssh.method', method)
    for (const p of ['invalid user ', 'illegal user ']) {
      if (who.startsWith(p)) {
        who = who.slice(p.length)
        set(out, 'system.auth.ssh.invalid_user', true)
      }
    }
    const from = who.lastIndexOf(' from ')
    if (from === -1) {
      // `Accepted google_authenticator for root`: a module that logs no address.
      if (who !== '') {
        set(out, 'user.name', who)
        relateUser(out, who)
      }
      return
    }
    const user = who.slice(0, from)
    if (user !== '') {
      set(out, 'user.name', user)
      relateUser(out, user)
    }
    let tail = who.slice(from + 6)
    // `: RSA SHA256:…` after the protocol names the key; `ssh2` alone ends the line.
    const colon = tail.indexOf(': ')
    if (colon !== -1) {
      set(out, 'system.auth.ssh.signature', tail.slice(colon + 2))
      tail = tail.slice(0, colon)
    }
    const { address, port, rest: after } = addressAtStart(tail)
    endpoint(out, 'source', address, port)
    if (after === 'ssh2' || after === 'ssh1') set(out, 'network.protocol', 'ssh')
    // Every sshd release writes the port after the address: a line without it was cut.
    if (port === undefined) problem(out, 'no port after the address')
  }
}

/** `Invalid user <user> from <address>[ port <port>]` (OpenSSH >= 7.5 adds the port). */
const invalidUser: Handler = (out, text) => {
  // Not the attempt itself: sshd follows it with `Failed password for invalid user …` (the one
  // `logon-failed` per attempt), so that counting failures counts each attempt once.
  classify(out, { action: 'ssh-invalid-user', category: AUTH, type: ['info'], outcome: 'failure' })
  set(out, 'system.auth.ssh.invalid_user', true)
  set(out, 'event.reason', 'invalid user')
  const rest = text.slice(13)
  const from = rest.lastIndexOf(' from ')
  if (from === -1) {
    // `Invalid user  from …` has an empty name; a line without ` from ` was cut.
    if (rest !== '') {
      set(out, 'user.name', rest)
      relateUser(out, rest)
    }
    problem(out, 'no source address')
    return
  }
  const user = rest.slice(0, from)
  if (user !== '') {
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  const { address, port } = addressAtStart(rest.slice(from + 6))
  endpoint(out, 'source', address, port)
}

/** `input_userauth_request: invalid user <user>`: the same refusal again, without an address. */
const userauthInvalid: Handler = (out, text) => {
  classify(out, { action: 'ssh-invalid-user', category: AUTH, type: ['info'], outcome: 'failure' })
  set(out, 'system.auth.ssh.invalid_user', true)
  const user = text.slice(text.indexOf(' user ') + 6)
  if (user !== '') {
    set(out, 'user.name', user)
    relateUser(out, user)
  }
}

/** `Connection closed|reset by [<who> ]<address>[ port <port>]`, `Disconnected from …`, `Closing connection to …`. */
function closedOf(prefixLength: number, logout: boolean): Handler {
  return (out, text) => {
    const { head, address, port } = addressAtEnd(text.slice(prefixLength))
    const postAuth = logout && head.startsWith('user ')
    userBefore(out, head)
    if (postAuth && !isPreauth(out)) {
      // OpenSSH >= 7.5 writes `Disconnected from user <user> <address> port <port>` when a
      // logged-in session ends: the logout.
      classify(out, { action: 'logged-out', category: AUTH, type: ['end'], outcome: 'success' })
    } else {
      classify(out, { action: 'ssh-disconnected', category: NETWORK, type: ['connection', 'end'], outcome: 'success' })
    }
    endpoint(out, 'source', address, port)
  }
}

function isPreauth(out: Out): boolean {
  return (out.ev.system as { auth?: { ssh?: { stage?: string } } } | undefined)?.auth?.ssh?.stage === 'preauth'
}

/** `Received disconnect from <address>[ port <port>]:<code>: <reason>` (older: `<address>: <code>: <reason>`). */
const receivedDisconnect: Handler = (out, text) => {
  classify(out, { action: 'ssh-disconnected', category: NETWORK, type: ['connection', 'end'], outcome: 'success' })
  const rest = text.slice(25)
  // The address ends at the first ':' that follows ' port N' or, without a port, at ': '.
  let address: string
  let port: string | undefined
  let after: string
  const p = rest.indexOf(' port ')
  const sp = rest.indexOf(' ')
  if (p !== -1 && p === sp) {
    address = rest.slice(0, p)
    const c = rest.indexOf(':', p + 6)
    port = c === -1 ? rest.slice(p + 6) : rest.slice(p + 6, c)
    after = c === -1 ? '' : rest.slice(c + 1)
  } else {
    // IPv6 addresses hold colons: the address ends at ': ' (or at a space, in a line cut short).
    const c = rest.indexOf(': ')
    address = c !== -1 && (sp === -1 || c < sp) ? rest.slice(0, c) : sp === -1 ? rest : rest.slice(0, sp)
    after = c === -1 ? '' : rest.slice(c + 2)
  }
  endpoint(out, 'source', address, port)
  const c2 = after.indexOf(':')
  const code = count((c2 === -1 ? after : after.slice(0, c2)).trim())
  set(out, 'system.auth.ssh.disconnect.code', code)
  if (c2 !== -1) reason(out, after.slice(c2 + 1))
  if (after === '') problem(out, 'no disconnect code or reason')
}

/** `Disconnecting: <reason>`, `Disconnecting <who> <address> port <port>: <reason>`. */
const disconnecting: Handler = (out, text) => {
  classify(out, { action: 'ssh-disconnected', category: NETWORK, type: ['connection', 'end'], outcome: 'failure' })
  if (text.startsWith('Disconnecting: ')) {
    const why = text.slice(15)
    reason(out, why)
    // `Too many authentication failures for <user>` (OpenSSH < 7.5).
    const f = why.lastIndexOf(' for ')
    if (why.startsWith('Too many authentication failures') && f !== -1) {
      const user = why.slice(f + 5)
      set(out, 'user.name', user)
      relateUser(out, user)
    }
    return
  }
  const rest = text.slice(14)
  const c = rest.lastIndexOf(': ')
  const who = c === -1 ? rest : rest.slice(0, c)
  if (c !== -1) reason(out, rest.slice(c + 2))
  const { head, address, port } = addressAtEnd(who)
  userBefore(out, head)
  endpoint(out, 'source', address, port)
}

/** `maximum authentication attempts exceeded for [invalid user ]<user> from <address> port <port> ssh2`. */
const attemptsExceeded: Handler = (out, text) => {
  classify(out, { action: 'ssh-auth-attempts-exceeded', category: AUTH, type: ['info'], outcome: 'failure' })
  set(out, 'event.reason', 'maximum authentication attempts exceeded')
  let who = text.slice(45)
  for (const p of ['invalid user ', 'illegal user ']) {
    if (who.startsWith(p)) {
      who = who.slice(p.length)
      set(out, 'system.auth.ssh.invalid_user', true)
    }
  }
  const from = who.lastIndexOf(' from ')
  const user = from === -1 ? who : who.slice(0, from)
  if (user !== '') {
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  if (from !== -1) {
    const { address, port } = addressAtStart(who.slice(from + 6))
    endpoint(out, 'source', address, port)
  }
}

/** `User <user> from <address> not allowed because <reason>` (AllowUsers, DenyUsers, groups, shell). */
const notAllowed: Handler = (out, text) => {
  classify(out, { action: 'ssh-user-not-allowed', category: AUTH, type: ['info'], outcome: 'failure' })
  const n = text.lastIndexOf(' not allowed because ')
  const who = text.slice(5, n)
  reason(out, text.slice(n + 1))
  const from = who.lastIndexOf(' from ')
  const user = from === -1 ? who : who.slice(0, from)
  if (user !== '') {
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  if (from !== -1) endpoint(out, 'source', who.slice(from + 6))
}

/** Failures before authentication starts: bad banners, no shared algorithm, corrupt packets. */
function protocolErrorOf(kind: 'identification' | 'banner' | 'negotiate' | 'dispatch' | 'packet' | 'read'): Handler {
  return (out, text) => {
    classify(out, { action: 'ssh-protocol-error', category: NETWORK, type: ['connection', 'error'], outcome: 'failure' })
    switch (kind) {
      case 'identification': {
        // `Did not receive identification string from <address>[ port <port>]`,
        // `Bad protocol version identification '<banner>' from <address> port <port>`,
        // `Protocol major versions differ for <address> port <port>: …`.
        const from = text.lastIndexOf(' from ')
        const at = from !== -1 ? from + 6 : text.indexOf(' for ') + 5
        const colon = text.indexOf(': ', at)
        const { address, port } = addressAtStart(colon === -1 ? text.slice(at) : text.slice(at, colon))
        endpoint(out, 'source', address, port)
        reason(out, colon === -1 ? (from !== -1 ? text.slice(0, from) : text) : text.slice(colon + 2))
        return
      }
      case 'negotiate': {
        // `Unable to negotiate with <address>[ port <port>]: <reason>`; `Unable to negotiate a key exchange method`.
        if (text.startsWith('Unable to negotiate with ')) {
          const rest = text.slice(25)
          const colon = rest.indexOf(': ')
          const { address, port } = addressAtStart(colon === -1 ? rest : rest.slice(0, colon))
          endpoint(out, 'source', address, port)
          if (colon !== -1) reason(out, rest.slice(colon + 2))
        } else {
          reason(out, text)
        }
        return
      }
      case 'dispatch':
      case 'banner': {
        // `ssh_dispatch_run_fatal: Connection from [<who> ]<address> port <port>: <reason>`,
        // `banner exchange: Connection from <address> port <port>: <reason>`.
        const c = text.indexOf('Connection from ')
        if (c === -1) {
          reason(out, text.slice(text.indexOf(': ') + 2))
          return
        }
        const rest = text.slice(c + 16)
        const colon = rest.lastIndexOf(': ')
        const { head, address, port } = addressAtEnd(colon === -1 ? rest : rest.slice(0, colon))
        userBefore(out, head)
        endpoint(out, 'source', address, port)
        if (colon !== -1) reason(out, rest.slice(colon + 2))
        return
      }
      case 'read': {
        // `Read error from remote host <address>[ port <port>]: <reason>`.
        const rest = text.slice(28)
        const colon = rest.indexOf(': ')
        const { address, port } = addressAtStart(colon === -1 ? rest : rest.slice(0, colon))
        endpoint(out, 'source', address, port)
        if (colon !== -1) reason(out, rest.slice(colon + 2))
        return
      }
      default:
        reason(out, text.endsWith('.') ? text.slice(0, -1) : text)
    }
  }
}

/** `Timeout before authentication for <address> port <port>`. */
const authTimeout: Handler = (out, text) => {
  classify(out, { action: 'ssh-disconnected', category: NETWORK, type: ['connection', 'end'], outcome: 'failure' })
  set(out, 'event.reason', 'Timeout before authentication')
  const { address, port } = addressAtStart(text.slice(34))
  endpoint(out, 'source', address, port)
}

/** `Connection from <address> port <port> on <address> port <port>[ rdomain "<name>"]`. */
const connectionFrom: Handler = (out, text) => {
  classify(out, { action: 'ssh-connection', category: NETWORK, type: ['connection', 'start'], outcome: 'success' })
  const rest = text.slice(16)
  const on = rest.indexOf(' on ')
  const src = addressAtStart(on === -1 ? rest : rest.slice(0, on))
  endpoint(out, 'source', src.address, src.port)
  if (on !== -1) {
    const dst = addressAtStart(rest.slice(on + 4))
    endpoint(out, 'destination', dst.address, dst.port)
  } else {
    problem(out, 'no local address')
  }
}

/**
 * `reverse mapping checking getaddrinfo for <name> [<address>] failed[ - POSSIBLE BREAK-IN ATTEMPT!]`
 * and `Address <address> maps to <name>, but this does not map back to the address …`.
 */
const reverseMapping: Handler = (out, text) => {
  classify(out, { action: 'ssh-reverse-dns-mismatch', category: NETWORK, type: ['info'], outcome: 'unknown' })
  let name: string
  let address: string
  if (text.startsWith('Address ')) {
    const m = text.indexOf(' maps to ')
    address = text.slice(8, m)
    const comma = text.indexOf(',', m + 9)
    name = comma === -1 ? text.slice(m + 9) : text.slice(m + 9, comma)
  } else {
    const rest = text.slice(41)
    const b = rest.indexOf(' [')
    const e = rest.indexOf(']', b)
    name = b === -1 ? rest : rest.slice(0, b)
    address = b === -1 || e === -1 ? '' : rest.slice(b + 2, e)
  }
  if (address.length <= 45 && isIp(address)) {
    set(out, 'source.ip', address)
    addRelated(out.ev, 'ip', address)
  } else {
    problem(out, 'no client address')
  }
  set(out, 'source.domain', name)
  addRelated(out.ev, 'hosts', name)
}

/** `Starting session: <what> for <user> from <address> port <port> id <n>`, `Close session: user <user> from …`. */
function sessionLineOf(start: boolean): Handler {
  return (out, text) => {
    classify(out, {
      action: start ? 'ssh-session-started' : 'ssh-session-closed',
      category: SESSION,
      type: ['info'],
      outcome: 'success',
    })
    const body = text.slice(start ? 18 : 15)
    const from = body.lastIndexOf(' from ')
    const head = from === -1 ? body : body.slice(0, from)
    const f = start ? head.lastIndexOf(' for ') : -1
    const user = start ? (f === -1 ? undefined : head.slice(f + 5)) : head.startsWith('user ') ? head.slice(5) : undefined
    if (start && f !== -1) set(out, 'system.auth.ssh.session', head.slice(0, f))
    if (user !== undefined && user !== '') {
      set(out, 'user.name', user)
      relateUser(out, user)
    }
    if (from !== -1) {
      const { address, port } = addressAtStart(body.slice(from + 6))
      endpoint(out, 'source', address, port)
    }
  }
}

/** `subsystem request for <name> by user <user>[ failed, subsystem not found]`. */
const subsystem: Handler = (out, text) => {
  const failed = text.endsWith(' failed, subsystem not found')
  classify(out, { action: 'ssh-subsystem-request', category: SESSION, type: ['info'], outcome: failed ? 'failure' : 'success' })
  const body = failed ? text.slice(22, -28) : text.slice(22)
  const by = body.indexOf(' by user ')
  set(out, 'system.auth.ssh.subsystem', by === -1 ? body : body.slice(0, by))
  if (by !== -1) {
    const user = body.slice(by + 9)
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  if (failed) set(out, 'event.reason', 'subsystem not found')
}

/** `PAM: <what> for [illegal user ]<user> from <address>`: sshd's report of a PAM conversation that failed. */
const pamReport: Handler = (out, text) => {
  classify(out, { action: 'ssh-pam-failure', category: AUTH, type: ['info'], outcome: 'failure' })
  const body = text.slice(5)
  const from = body.lastIndexOf(' from ')
  const head = from === -1 ? body : body.slice(0, from)
  let f = head.lastIndexOf(' for illegal user ')
  let skip = 18
  if (f === -1) {
    f = head.lastIndexOf(' for invalid user ')
  }
  if (f === -1) {
    f = head.lastIndexOf(' for ')
    skip = 5
  } else {
    set(out, 'system.auth.ssh.invalid_user', true)
  }
  reason(out, f === -1 ? head : head.slice(0, f))
  if (f !== -1) {
    const user = head.slice(f + skip)
    set(out, 'user.name', user)
    relateUser(out, user)
  }
  if (from !== -1) endpoint(out, 'source', body.slice(from + 6))
}

/** `Authentication refused: <reason>` (StrictModes: a key file others can write). */
const refused: Handler = (out, text) => {
  classify(out, { action: 'ssh-auth-refused', category: AUTH, type: ['info'], outcome: 'failure' })
  reason(out, text.slice(24))
}

/** `Accepted key <type> <fingerprint> found at <file>:<line>`: a key matched; the login is a later line. */
const keyMatched: Handler = (out, text) => {
  classify(out, { action: 'ssh-key-matched', category: AUTH, type: ['info'], outcome: 'success' })
  const f = text.indexOf(' found at ')
  set(out, 'system.auth.ssh.signature', f === -1 ? text.slice(13) : text.slice(13, f))
  if (f !== -1) set(out, 'file.path', text.slice(f + 10).replace(/:\d+$/, ''))
}

const accepted = attemptOf('Accepted')
const failed = attemptOf('Failed')
const postponed = attemptOf('Postponed')
const partial = attemptOf('Partial')
const closedBy = closedOf(21, false)
const resetBy = closedOf(20, false)
const closingTo = closedOf(22, false)
const disconnectedFrom = closedOf(18, true)
const identification = protocolErrorOf('identification')
const banner = protocolErrorOf('banner')
const negotiate = protocolErrorOf('negotiate')
const dispatch = protocolErrorOf('dispatch')
const packet = protocolErrorOf('packet')
const readError = protocolErrorOf('read')
const sessionStarted = sessionLineOf(true)
const sessionClosed = sessionLineOf(false)

/**
 * The handler for an sshd message, or undefined when the text is not one this parser reads.
 * Checks are `startsWith` on fixed words, so refusing a line costs a few comparisons.
 */
export function sshdHandler(text: string): Handler | undefined {
  switch (text.charCodeAt(0)) {
    case 65: // A
      if (text.startsWith('Accepted key ')) return keyMatched
      if (text.startsWith('Accepted ') && forAfterMethod(text, 9)) return accepted
      if (text.startsWith('Address ') && text.includes(' maps to ')) return reverseMapping
      if (text.startsWith('Authentication refused: ')) return refused
      return undefined
    case 66: // B
      if (text.startsWith('Bad protocol version identification ')) return identification
      if (text.startsWith('Bad packet length ')) return packet
      return undefined
    case 67: // C
      if (text.startsWith('Connection closed by ')) return closedBy
      if (text.startsWith('Connection reset by ')) return resetBy
      if (text.startsWith('Connection from ')) return connectionFrom
      if (text.startsWith('Corrupted MAC on input')) return packet
      if (text.startsWith('Close session: ')) return sessionClosed
      if (text.startsWith('Closing connection to ')) return closingTo
      return undefined
    case 68: // D
      if (text.startsWith('Disconnected from ')) return disconnectedFrom
      if (text.startsWith('Disconnecting: ') || text.startsWith('Disconnecting ')) return disconnecting
      if (text.startsWith('Did not receive identification string from ')) return identification
      return undefined
    case 70: // F
      if (text.startsWith('Failed ') && forAfterMethod(text, 7)) return failed
      return undefined
    case 73: // I
      if (text.startsWith('Invalid user ') || text.startsWith('Illegal user ')) return invalidUser
      return undefined
    case 80: // P
      if (text.startsWith('Postponed ') && forAfterMethod(text, 10)) return postponed
      if (text.startsWith('Partial ') && forAfterMethod(text, 8)) return partial
      if (text.startsWith('Protocol major versions differ for ')) return identification
      if (text.startsWith('PAM: ')) return pamReport
      return undefined
    case 82: // R
      if (text.startsWith('Received disconnect from ')) return receivedDisconnect
      if (text.startsWith('Read error from remote host ')) return readError
      return undefined
    case 83: // S
      if (text.startsWith('Starting session: ')) return sessionStarted
      return undefined
    case 84: // T
      if (text.startsWith('Timeout before authentication for ')) return authTimeout
      return undefined
    case 85: // U
      if (text.startsWith('Unable to negotiate ')) return negotiate
      if (text.startsWith('User ') && text.includes(' not allowed because ')) return notAllowed
      return undefined
    case 98: // b
      if (text.startsWith('banner exchange: ')) return banner
      return undefined
    case 105: // i
      if (text.startsWith('input_userauth_request: invalid user ') || text.startsWith('input_userauth_request: illegal user ')) {
        return userauthInvalid
      }
      return undefined
    case 107: // k
      if (text.startsWith('kex_exchange_identification: ')) return banner
      return undefined
    case 109: // m
      if (text.startsWith('maximum authentication attempts exceeded for ')) return attemptsExceeded
      return undefined
    case 114: // r
      if (text.startsWith('reverse mapping checking getaddrinfo for ')) return reverseMapping
      return undefined
    case 115: // s
      if (text.startsWith('ssh_dispatch_run_fatal: ')) return dispatch
      if (text.startsWith('subsystem request for ')) return subsystem
      return undefined
    default:
      return undefined
  }
}

/** `<verb> <method> for `: the method is one word. */
function forAfterMethod(text: string, at: number): boolean {
  const sp = text.indexOf(' ', at)
  return sp > at && text.startsWith(' for ', sp)
}

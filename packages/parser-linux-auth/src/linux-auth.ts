import { BeerError, defineParser } from '@beer/parser-sdk'
import type { ClaimingParserLogic, DefinedParser, LogEvent, SyslogMessage } from '@beer/parser-sdk'
import { baseEvent, count, finish, set } from './common.ts'
import type { Origin, Out } from './common.ts'
import { inferType, pamLine, readPam, readPamMaxRetries, readPamRepeated } from './pam.ts'
import { sshdHandler } from './sshd.ts'
import type { Handler } from './sshd.ts'
import { isShadow, readShadow } from './shadow.ts'
import { isSu, readSu } from './su.ts'
import { isSudo, readSudo } from './sudo.ts'

export interface LinuxAuthOptions {
  /** Keep the frame as received in `event.original`. Default false; partial events always keep it. */
  original?: boolean
}

/** The ECS event this parser produces. */
export type LinuxAuthEvent = LogEvent

// OpenSSH >= 9.8 logs from sshd-session, and >= 10.0 also from sshd-auth.
const SSHD = new Set(['sshd', 'sshd-session', 'sshd-auth'])
// shadow-utils' account tools.
const SHADOW = new Set([
  'useradd',
  'userdel',
  'usermod',
  'groupadd',
  'groupdel',
  'groupmod',
  'gpasswd',
  'passwd',
  'chage',
  'chfn',
  'chsh',
  'chpasswd',
  'chgpasswd',
  'newusers',
  'groupmems',
])

function known(program: string): boolean {
  return SSHD.has(program) || program === 'sudo' || program === 'su' || SHADOW.has(program)
}

/** How a line is read, once recognised. */
interface Route {
  origin: Origin
  text: string
  read: Handler
  level: string | undefined
  repeated: number | undefined
  stage: string | undefined
}

const LEVELS = ['error: ', 'fatal: ', 'warning: ', 'debug1: ', 'debug2: ', 'debug3: ', 'verbose: ']

/** Where the line comes from: the tag, or the tag a header swallowed into the message. */
function originOf(msg: SyslogMessage): Origin | undefined {
  const app = msg.appname
  if (known(app)) return { program: app, pamModule: '', text: msg.message, hostname: msg.hostname, pid: msg.procid, shifted: false }
  // Linux-PAM < 0.99 tagged its lines `<program>(pam_unix)[pid]`.
  const p = app.indexOf('(pam_')
  if (p > 0 && app.endsWith(')')) {
    return { program: app.slice(0, p), pamModule: app.slice(p + 1, -1), text: msg.message, hostname: msg.hostname, pid: msg.procid, shifted: false }
  }
  if (msg.message.startsWith('pam_')) {
    // A PAM module's line logged under the tag of the program that loaded it (CRON, login, systemd…).
    return { program: app, pamModule: '', text: msg.message, hostname: msg.hostname, pid: msg.procid, shifted: false }
  }
  if (app !== '' && msg.format === 'rfc3164') {
    // `2020-03-23 06:47:42.801612-0700  host sshd[1]: …` (a timestamp the header parser reads up to
    // the offset, then an empty host) or `host 10.0.0.1 sshd[1]: …` (an extra field): the header
    // took a host for APP-NAME and left the tag in the message.
    const text = msg.message
    const colon = text.indexOf(': ')
    if (colon < 2 || colon > 48) return undefined
    const tag = text.slice(0, colon)
    const b = tag.indexOf('[')
    const program = b === -1 ? tag : tag.slice(0, b)
    if (!known(program)) return undefined
    const pid = b === -1 ? '' : tag.slice(b + 1, -1)
    if (b !== -1 && (!tag.endsWith(']') || count(pid) === undefined)) return undefined
    return { program, pamModule: '', text: text.slice(colon + 2), hostname: msg.hostname === '' ? app : msg.hostname, pid, shifted: true }
  }
  return undefined
}

const readLastRepeated: Handler = (out, text) => {
  // `last message repeated <n> times`: the syslog daemon's, under the program's tag.
  set(out, 'system.auth.repeated', count(text.slice(22, text.indexOf(' ', 22))))
}

const genericSshd: Handler = () => {}

const readPamRepeatedOld: Handler = (out, t) => readPamRepeated(out, 'PAM ' + t)

function route(msg: SyslogMessage): Route | undefined {
  const origin = originOf(msg)
  if (origin === undefined) return undefined
  let text = origin.text
  // sudo indents the user name; Sekoia-style bodies keep the space after the tag.
  if (text.charCodeAt(0) === 32) text = text.trimStart()
  if (text.endsWith('#012')) text = text.slice(0, -4)
  if (text.charCodeAt(text.length - 1) <= 32) text = text.trimEnd()
  // Solaris: `[ID 800047 auth.notice] ` before the text.
  if (text.startsWith('[ID ')) {
    const e = text.indexOf('] ')
    if (e !== -1 && e < 64) text = text.slice(e + 2)
  }
  let repeated: number | undefined
  if (text.startsWith('message repeated ')) {
    // rsyslog's reduction: `message repeated <n> times: [ <message>]`.
    const t = text.indexOf(' times: [')
    if (t !== -1) {
      repeated = count(text.slice(17, t))
      text = text.slice(t + 9, text.endsWith(']') ? -1 : undefined).trim()
    }
  }
  let read: Handler | undefined
  let level: string | undefined
  let stage: string | undefined
  const program = origin.program
  if (text.startsWith('last message repeated ')) {
    read = readLastRepeated
  } else if (origin.pamModule !== '' || text.startsWith('pam_')) {
    const line = origin.pamModule !== '' ? { module: origin.pamModule, service: program, type: inferType(text), text } : pamLine(text)
    if (line === undefined) return undefined
    if (origin.pamModule !== '' && MORE_FAILURES.test(text)) read = readPamRepeatedOld
    else read = (out) => readPam(out, line)
  } else if (SSHD.has(program)) {
    for (let i = 0; i < LEVELS.length; i++) {
      if (text.startsWith(LEVELS[i]!)) {
        level = LEVELS[i]!.slice(0, -2)
        text = text.slice(LEVELS[i]!.length)
        break
      }
    }
    if (text.charCodeAt(text.length - 1) === 93 /* ] */) {
      for (let i = 0; i < STAGES.length; i++) {
        if (text.endsWith(STAGES[i]!)) {
          stage = STAGES[i]!.slice(2, -1)
          text = text.slice(0, -STAGES[i]!.length)
          break
        }
      }
    }
    if (text.startsWith('PAM ')) {
      if (PAM_MORE_FAILURES.test(text)) read = readPamRepeated
      else if (text.startsWith('PAM service(')) read = readPamMaxRetries
    } else if (text.startsWith('pam_')) {
      const line = pamLine(text)
      if (line !== undefined) read = (out) => readPam(out, line)
    }
    read ??= sshdHandler(text)
    // Another error, fatal or debug line: sshd's level prefix is read, the text kept as the message.
    if (read === undefined && level !== undefined) read = genericSshd
  } else if (program === 'sudo') {
    if (isSudo(text)) read = readSudo
  } else if (program === 'su') {
    if (isSu(text)) read = readSu
  } else if (SHADOW.has(program)) {
    if (isShadow(text)) read = readShadow
  }
  if (read === undefined) return undefined
  return { origin, text, read, level, repeated, stage }
}

const MORE_FAILURES = /^\d+ more authentication failures?;/
const PAM_MORE_FAILURES = /^PAM \d+ more authentication failures?;/
const STAGES = [' [preauth]', ' [net]', ' [priv]']

function options(o: LinuxAuthOptions | undefined): { original: boolean } {
  if (o === undefined || o === null) return { original: false }
  if (typeof o !== 'object' || Array.isArray(o)) {
    throw new BeerError('BEER_ERR_PARSER_LINUX_AUTH_OPTIONS', 'linuxAuth: options must be an object, like { original: true }')
  }
  for (const key of Object.keys(o)) {
    if (key !== 'original') {
      throw new BeerError('BEER_ERR_PARSER_LINUX_AUTH_OPTIONS', `linuxAuth: unknown option ${JSON.stringify(key)}; the one option is original`)
    }
  }
  if (o.original !== undefined && typeof o.original !== 'boolean') {
    throw new BeerError('BEER_ERR_PARSER_LINUX_AUTH_OPTIONS', 'linuxAuth: original must be true or false')
  }
  return { original: o.original === true }
}

function read(msg: SyslogMessage, r: Route, original: boolean): LogEvent {
  const out: Out = baseEvent(msg, r.origin, original)
  r.read(out, r.text)
  if (r.level !== undefined) set(out, 'log.level', r.level)
  if (r.stage !== undefined) set(out, 'system.auth.ssh.stage', r.stage)
  if (r.repeated !== undefined) set(out, 'system.auth.repeated', r.repeated)
  return finish(out, msg)
}

function parse(msg: SyslogMessage, original: boolean, known: Route | undefined): LogEvent | null {
  let r = known
  if (r === undefined) {
    try {
      r = route(msg)
    } catch {
      r = undefined
    }
  }
  if (r === undefined) return null
  try {
    return read(msg, r, original)
  } catch (err) {
    // Only a bug in this parser gets here; the line still becomes an event, marked partial.
    const out: Out = baseEvent(msg, r.origin, original)
    ;(out.problems ??= []).push(`linux-auth parser failed: ${err instanceof Error ? err.message : String(err)}`)
    return finish(out, msg)
  }
}

// No prefilter: the lines come under a dozen tags, PAM's under any program's, and some with the
// tag left in the message by a header the header parser misread. `isMine` looks at the tag first.
const parser: DefinedParser<LinuxAuthOptions> = defineParser<LinuxAuthOptions>({
  name: 'linux-auth',
  url: import.meta.url,
  build(o): ClaimingParserLogic<Route> {
    const { original } = options(o)
    // The route the claim finds (which grammar the line follows) is the one parse reads it by.
    return {
      claim: route,
      parse: (msg, r) => parse(msg, original, r),
    }
  },
})

/** `linuxAuth()` in main.ts: the parser for Linux authentication logs (sshd, sudo, su, PAM, shadow-utils). */
export const linuxAuth: DefinedParser<LinuxAuthOptions>['factory'] = parser.factory
/** Builds the live parser where the runtime places it. */
export const create: DefinedParser<LinuxAuthOptions>['create'] = parser.create

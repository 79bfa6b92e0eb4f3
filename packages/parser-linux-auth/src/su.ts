// su's own lines (besides PAM's): shadow-utils su (`Successful su for <to> by <from>`,
// `FAILED su for <to> by <from>`, and the sulog-style `+ <tty> <from>:<to>` / `- <tty> <from>:<to>`),
// util-linux su (`(to <to>) <from> on <tty>`, `FAILED SU (to <to>) <from> on <tty>`) and the
// older BSD-style `<from> to <to> on <tty>`, `BAD SU <from> to <to> on <tty>` and
// `failed: <tty> changing from <from> to <to>`.
import { classify, relateUser, set, setProcess } from './common.ts'
import type { Out } from './common.ts'

interface SuLine {
  ok: boolean
  to: string
  from: string
  tty: string | undefined
  /** The sulog-style record that repeats a line before it: no action, so a switch counts once. */
  record: boolean
}

function read(text: string): SuLine | undefined {
  if (text.startsWith('Successful su for ') || text.startsWith('FAILED su for ')) {
    const ok = text.charCodeAt(0) === 83
    const rest = text.slice(ok ? 18 : 14)
    const by = rest.lastIndexOf(' by ')
    if (by === -1) return undefined
    return { ok, to: rest.slice(0, by), from: rest.slice(by + 4), tty: undefined, record: false }
  }
  if ((text.startsWith('+ ') || text.startsWith('- ')) && text.indexOf(' ', 2) !== -1) {
    const sp = text.indexOf(' ', 2)
    const pair = text.slice(sp + 1)
    const colon = pair.indexOf(':')
    if (colon === -1) return undefined
    return { ok: text.charCodeAt(0) === 43, to: pair.slice(colon + 1), from: pair.slice(0, colon), tty: text.slice(2, sp), record: true }
  }
  if (text.startsWith('(to ') || text.startsWith('FAILED SU (to ')) {
    const ok = text.charCodeAt(0) === 40
    const rest = text.slice(ok ? 4 : 14)
    const close = rest.indexOf(') ')
    if (close === -1) return undefined
    const who = rest.slice(close + 2)
    const on = who.lastIndexOf(' on ')
    return { ok, to: rest.slice(0, close), from: on === -1 ? who : who.slice(0, on), tty: on === -1 ? undefined : who.slice(on + 4), record: false }
  }
  if (text.startsWith('failed: ')) {
    const ch = text.indexOf(' changing from ')
    if (ch === -1) return undefined
    const pair = text.slice(ch + 15)
    const to = pair.lastIndexOf(' to ')
    if (to === -1) return undefined
    return { ok: false, to: pair.slice(to + 4), from: pair.slice(0, to), tty: text.slice(8, ch), record: false }
  }
  const bad = text.startsWith('BAD SU ')
  const body = bad ? text.slice(7) : text
  const to = body.indexOf(' to ')
  const on = body.lastIndexOf(' on ')
  if (to <= 0 || on <= to || body.indexOf(' ') !== to) return undefined
  return { ok: !bad, to: body.slice(to + 4, on), from: body.slice(0, to), tty: body.slice(on + 4), record: false }
}

export function isSu(text: string): boolean {
  return read(text) !== undefined
}

export function readSu(out: Out, text: string): void {
  const line = read(text)!
  const outcome = line.ok ? 'success' : 'failure'
  if (line.record) classify(out, { category: ['authentication'], type: ['info'], outcome })
  else if (line.ok) classify(out, { action: 'logged-in', category: ['authentication'], type: ['start'], outcome })
  else classify(out, { action: 'logon-failed', category: ['authentication'], type: ['start'], outcome })
  // The account switched to is the one logged into; su runs with the caller's real user id.
  set(out, 'user.name', line.to)
  setProcess(out, 'real_user.name', line.from)
  set(out, 'system.auth.su.tty', line.tty)
  relateUser(out, line.to, line.from)
}

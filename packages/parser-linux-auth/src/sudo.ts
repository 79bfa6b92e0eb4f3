// sudo's log lines (sudo's logging.c / eventlog.c, sudo 1.7 to 1.9): `<user> : [<problem> ; ]TTY=<tty>
// ; PWD=<dir> ; USER=<runas> ; [GROUP=<group> ; ][TSID=<id> ; ][ENV=<vars> ; ]COMMAND=<command>`,
// the rest of a long command as `<user> : (command continued) <rest>`, and a few errors of its own.
import { classify, relateUser, set, setProcess } from './common.ts'
import type { Out } from './common.ts'

/** Whether the text is a sudo line this parser reads. */
export function isSudo(text: string): boolean {
  const sep = text.indexOf(' : ')
  if (sep > 0) {
    return (
      text.includes('COMMAND=', sep) ||
      text.startsWith('TTY=', sep + 3) ||
      text.includes(' ; TTY=', sep) ||
      text.startsWith('(command continued)', sep + 3)
    )
  }
  return text.startsWith('unable to execute ')
}

export function readSudo(out: Out, text: string): void {
  const sep = text.indexOf(' : ')
  if (sep <= 0) {
    // `unable to execute /usr/sbin/sendmail: …`: sudo could not run its mailer.
    classify(out, { category: ['process'], type: ['info'], outcome: 'failure' })
    set(out, 'log.level', 'error')
    set(out, 'event.reason', text)
    return
  }
  const user = text.slice(0, sep).trim()
  set(out, 'user.name', user)
  relateUser(out, user)
  let rest = text.slice(sep + 3)
  if (rest.startsWith('(command continued) ')) {
    // Part of the command of the line before; no state is kept between lines, so it stands alone.
    classify(out, { category: ['process'], type: ['info'] })
    set(out, 'system.auth.sudo.command_continued', rest.slice(20))
    return
  }
  let problemText: string | undefined
  const fields: Record<string, string> = {}
  for (;;) {
    if (rest.startsWith('COMMAND=')) {
      // The command runs to the end of the line: it may hold ' ; ' itself.
      fields.COMMAND = rest.slice(8)
      break
    }
    const semi = rest.indexOf(' ; ')
    const part = semi === -1 ? rest : rest.slice(0, semi)
    const eq = part.indexOf('=')
    const key = eq > 0 ? part.slice(0, eq) : ''
    if (key !== '' && /^[A-Z_]+$/.test(key)) {
      if (key !== '__proto__' && !(key in fields)) fields[key] = part.slice(eq + 1)
    } else if (problemText === undefined && part !== '') {
      problemText = part
    }
    if (semi === -1) break
    rest = rest.slice(semi + 3)
  }
  const runas = fields.USER
  const command = fields.COMMAND
  set(out, 'system.auth.sudo.tty', fields.TTY)
  set(out, 'system.auth.sudo.pwd', fields.PWD)
  set(out, 'system.auth.sudo.user', runas)
  set(out, 'system.auth.sudo.group', fields.GROUP)
  set(out, 'system.auth.sudo.tsid', fields.TSID)
  set(out, 'system.auth.sudo.env', fields.ENV)
  set(out, 'system.auth.sudo.command', command)
  set(out, 'user.effective.name', runas)
  set(out, 'group.name', fields.GROUP)
  relateUser(out, runas)
  if (problemText === undefined) {
    classify(out, { action: 'sudo-command', category: ['process'], type: ['start'], outcome: 'success' })
    setProcess(out, 'command_line', command)
    setProcess(out, 'working_directory', fields.PWD)
    if (command !== undefined) {
      const sp = command.indexOf(' ')
      setProcess(out, 'executable', sp === -1 ? command : command.slice(0, sp))
    }
    return
  }
  set(out, 'system.auth.sudo.error', problemText)
  set(out, 'event.reason', problemText)
  if (/^\d+ incorrect password attempts?$/.test(problemText)) {
    // The invoking user failed to give their own password.
    classify(out, { action: 'logon-failed', category: ['authentication'], type: ['start'], outcome: 'failure' })
  } else {
    // `user NOT in sudoers`, `user NOT authorized on host`, `command not allowed`, `a password is required`…
    classify(out, { action: 'sudo-denied', category: ['authentication'], type: ['info'], outcome: 'failure' })
  }
}

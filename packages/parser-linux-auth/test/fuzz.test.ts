// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw nor put a prototype key in an event, and parse time grows linearly with the line's length.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

/** Message texts built to make a backtracking pattern or a rescanning loop go quadratic. */
function adversarial(n: number): string[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
  const head = '<38>Nov 27 09:59:58 bastion1 sshd[1]: '
  // Every program's tag, and the heads of the shapes it reads, followed by long runs of one
  // character and of the separators the parser looks for.
  const heads = [
    head,
    head + 'error: ',
    head + 'Accepted password for a from ',
    '<85>Nov 27 09:59:58 web1 sudo: alice : ',
    '<85>Nov 27 09:59:58 web1 sudo: alice : TTY=pts/0 ; COMMAND=',
    '<85>Nov 27 09:59:58 web1 sudo: alice : 3 incorrect password attempts ; TTY=',
    '<86>Nov 27 09:59:58 web1 su[1]: (to root) ',
    "<86>Nov 27 09:59:58 web1 usermod[1]: add 'a' to group '",
    '<86>Nov 27 09:59:58 web1 su[1]: ',
    '<86>Nov 27 09:59:58 web1 useradd[1]: new user: ',
    '<86>Nov 27 09:59:58 web1 gpasswd[1]: user ',
    '<86>Nov 27 09:59:58 web1 CRON[1]: pam_unix(cron:session): ',
    '<86>Nov 27 09:59:58 web1 su(pam_unix)[1]: ',
  ]
  const runs = ['a', 'a ', ': ', ' ; ', '=', ' from ', "'"]
  return [
    ...heads.flatMap((h) => runs.map((r) => h + fill(r))),
    head + fill('a'),
    head + fill(' '),
    head + 'Accepted password for ' + fill('a'),
    head + 'Accepted password for ' + fill(' from '),
    head + 'Failed password for ' + fill('invalid user ') + ' from 192.0.2.1 port 1 ssh2',
    head + 'Invalid user ' + fill(' from x'),
    head + 'Connection closed by ' + fill('user ') + ' port 1',
    head + 'Received disconnect from ' + fill(': '),
    head + 'Disconnecting ' + fill(': x'),
    head + 'error: ' + fill('error: '),
    head + 'message repeated 2 times: [ ' + fill('['),
    head + 'pam_unix(sshd:auth): authentication failure; ' + fill('a= '),
    head + 'pam_unix(' + fill('('),
    head + 'PAM 2 more authentication failures; ' + fill('x=y '),
    head + 'Connection from ' + fill(' on '),
    head + 'reverse mapping checking getaddrinfo for ' + fill(' ['),
    head + 'Failed password for alice from ' + fill('a.') + ' port 1 ssh2',
    '<85>Nov 27 09:59:58 web1 sudo: alice : ' + fill(' ; '),
    '<85>Nov 27 09:59:58 web1 sudo: alice : ' + fill('TTY=x ; '),
    '<85>Nov 27 09:59:58 web1 sudo: ' + fill(' : '),
    '<86>Nov 27 09:59:58 web1 su[1]: ' + fill(' to '),
    '<86>Nov 27 09:59:58 web1 su[1]: (to ' + fill(') '),
    '<86>Nov 27 09:59:58 web1 useradd[1]: new user: ' + fill(', name='),
    '<86>Nov 27 09:59:58 web1 gpasswd[1]: user a added by ' + fill(' in /'),
    '<86>Nov 27 09:59:58 web1 gpasswd[1]: ' + fill('x failed to '),
    '<86>Nov 27 09:59:58 web1 usermod[1]: change user ' + fill("'"),
    '2026-11-27 02:59:58.801612-0700  ' + fill('host ') + 'sshd[1]: x',
  ]
}

fuzzParser({
  name: 'linux-auth',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  adversarial,
})

// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw nor put a prototype key in an event, and parse time grows linearly with the line's length.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

/** Message texts built to make a backtracking pattern or a rescanning loop go quadratic. */
function adversarial(n: number): string[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
  const head = '<30>Nov 27 09:59:58 dhcp1 dhcpd[2301]: '
  // The tag and the heads of every shape it reads, followed by long runs of one character and of
  // the separators the parser looks for.
  const heads = [
    head,
    head + 'DHCPDISCOVER from ',
    head + 'DHCPACK on 192.0.2.1 to 00:11:22:33:44:55 ',
    head + 'DHCPACK on 192.0.2.1 to 00:11:22:33:44:55 (',
    head + 'DHCPREQUEST for 192.0.2.1 (',
    head + 'DHCPACK on 192.0.2.1 to 00:11:22:33:44:55 via eth0 ',
    head + 'Added new forward map from ',
    head + 'Solicit message from ',
    head + 'Relay-forward message from 2001:db8::1 port 547, ',
    head + 'Reply NA: address 2001:db8::1 to client with duid ',
    head + 'Reply NA: address 2001:db8::1 to client with duid 00:01 iaid = 1 ',
    head + 'Sending Reply to ',
    '<30>Nov 27 09:59:58 nios1 192.0.2.2 dhcpd[1]: ',
    '',
  ]
  const runs = ['a', 'a ', ': ', ':', '(', ' (', ' via ', ' to ', ', ', 'relay x ', '0']
  return heads.flatMap((h) => runs.map((r) => h + fill(r)))
}

fuzzParser({
  name: 'dhcpd',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  adversarial,
})

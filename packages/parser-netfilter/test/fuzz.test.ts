// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw nor put a prototype key in an event, and parse time grows linearly with the line's length.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

/** Message texts built to make a backtracking pattern or a rescanning loop go quadratic. */
function adversarial(n: number): string[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)
  const head = '<4>Nov 27 09:59:58 fw1 kernel: '
  const packet = 'IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=2 '
  // The tag, the places a prefix, a key or a value can be long, and runs of the separators and
  // brackets the parser looks for.
  const heads = [
    head,
    head + '[',
    head + '[UFW BLOCK] ',
    head + 'IN=eth0 OUT= SRC=',
    head + 'IN=eth0 OUT= MAC=',
    head + 'IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2 PROTO=ICMP TYPE=3 CODE=3 ',
    head + packet,
    head + packet + 'OPT (',
    '',
  ]
  const runs = ['a', ' ', 'IN= ', 'IN=', 'IN=a ', '=', ' =', '[', ']', '(', ':', '-', 'DROP ', 'SRC=x ', 'a:']
  return [...heads.flatMap((h) => runs.map((r) => h + fill(r))), ...runs.map((r) => head + fill(r) + packet)]
}

fuzzParser({
  name: 'netfilter',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  adversarial,
})

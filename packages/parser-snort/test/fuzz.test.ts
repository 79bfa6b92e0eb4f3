// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw (nor fall back on the parser's own safety net), every claimed line gives an event with no
// prototype key, and parse time grows linearly with the line.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create, locate } from '../src/snort.ts'

const INSERTS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '\r', '\n', '\t', ' ', ',', ':', '#', '[', ']', '{', '}', '<', '>', '"', '\\', '=', '[**]', ' -> ', '__proto__', 'constructor=y', '__proto__=x', '[1:2:3]', 'A'.repeat(20000)]
const SWAPS: [string, string][] = [[' ', ','], [',', ' '], [':', '#'], [' -> ', ' <- '], ['[', '('], ['{', '['], ['.', ':']]

const head = '<33>Nov 27 09:59:58 ids1 snort[1]: [1:2:3] '
const fast = '11/27-09:45:01.123456  [**] [1:2:3] '
/** Name, text before the run, and the unit repeated. */
const SHAPES: [string, string, string][] = [
  ["'a=' repeated", head, 'a='],
  ["'\\' repeated", head, '\\'],
  ["' ' repeated", head, ' '],
  ["'[' repeated", head, '['],
  ["' {' repeated", head, ' {'],
  ["' [Priority: ' repeated", head, ' [Priority: '],
  ["':' repeated", head + 'm [Priority: 1] {TCP} ', ':'],
  ["' -> ' repeated", head + 'm {TCP} ', ' -> '],
  ["'[**] ' repeated", fast, '[**] '],
]

fuzzParser({
  name: 'snort',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  isMine: locate,
  caught: 'snort parser failed',
  inserts: INSERTS,
  swaps: SWAPS,
  seed: 0x5eed,
  perLine: 60,
  cut: (_, k) => k % 7 === 0 && k < 42,
  claimsAdversarial: true,
  adversarial: (size) =>
    SHAPES.map(([name, prefix, unit]) => ({ name, line: prefix + unit.repeat(Math.ceil(size / unit.length)) })),
})

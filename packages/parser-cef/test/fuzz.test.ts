// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw (nor fall back on the parser's own safety net), every claimed line gives an event with no
// prototype key, and parse time grows linearly with the line.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create, isCefMessage } from '../src/cef.ts'

const INSERTS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '\r', '\n', '\t', ' ', '=', '==', '\\', '\\=', '\\\\', '|', '\\|', ' __proto__=x', ' constructor=y', ' prototype=z', ' __proto__.polluted=1', ' cs1Label=__proto__', 'CEF:0|', ' rt=Nov 27 2026 10:00:00', ' src=', 'A'.repeat(20000), '='.repeat(5000), '\\'.repeat(5000)]
const SWAPS: [string, string][] = [[' ', '='], ['=', ' '], ['|', '\\|'], ['=', '\\='], ['\\', ''], ['.', ':'], [' ', '  ']]

const head = '<134>Nov 27 09:59:58 gw1 CEF:0|Example|Box|1.0|100|name|5|'
/** Name, text before the run, the unit repeated, and text after it. */
const SHAPES: [string, string, string, string?][] = [
  ["'a=' repeated", head, 'a='],
  ["'a= ' repeated", head, 'a= '],
  ["'=' repeated", head, '='],
  ["'\\' repeated", head, '\\'],
  ["'\\=' repeated", head, '\\='],
  ["' ' repeated", head, ' '],
  ["'[' repeated", head, '['],
  ["'|' repeated", head, '|'],
  ["'k=v ' repeated", head, 'k=v '],
  ["'msg=' value of words", head + 'msg=', 'word '],
  ["'\\|' in the header", '<134>Nov 27 09:59:58 gw1 CEF:0|Example|Box|1.0|100|', '\\|', '|5|a=1'],
  ["'CEF:' repeated", '<134>Nov 27 09:59:58 gw1 ', 'CEF:0|'],
  ["'cs1=' repeated", head, 'cs1='],
]

fuzzParser({
  name: 'cef',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  isMine: isCefMessage,
  caught: 'cef parser failed',
  inserts: INSERTS,
  swaps: SWAPS,
  seed: 0x5eed,
  perLine: 60,
  cut: (_, k) => k % 7 === 0 && k < 42,
  claimsAdversarial: true,
  adversarial: (size) =>
    SHAPES.map(([name, prefix, unit, suffix]) => ({ name, line: prefix + unit.repeat(Math.ceil(size / unit.length)) + (suffix ?? '') })),
})

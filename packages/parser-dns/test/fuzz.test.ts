// Seeded mutations of the fixture lines and the adversarial lines below: isMine and parse never
// throw (nor fall back on the parser's own safety net), every claimed line gives an event with no
// prototype key, and parse time grows linearly with the line.
import { fuzzParser } from '@beer/parser-sdk/testing'
import { create, isDnsMessage } from '../src/dns.ts'

const INSERTS = ['\u0000', '\uFFFD', '\uD800', '\uDFFF', '\r', '\n', '\t', ' ', ',', ':', '#', '/', '(', ')', "'", '@', ': ', 'view ', 'client ', '__proto__', 'constructor', ' -> ', ' is ', ' from ', 'A'.repeat(20000)]
const SWAPS: [string, string][] = [[' ', ','], [': ', ' '], ['#', ':'], ['/', ' '], ['(', '['], ['.', ':'], [' is ', ' was ']]

const head = '<30>Nov 27 09:59:58 ns1 named[1]: '
const client = head + 'client @0x1 192.0.2.1#1 (a.example.org): '
const masq = '<30>Nov 27 09:59:58 gw1 dnsmasq[1]: '
/** Name, text before the run, and the unit repeated. */
const SHAPES: [string, string, string][] = [
  ["'a=' repeated", head, 'a='],
  ["'\\' repeated", head, '\\'],
  ["' ' repeated", head, ' '],
  ["'[' repeated", head, '['],
  ["'#' after client", head + 'client ', '#'],
  ["'(' after the client", head + 'client 192.0.2.1#1 ', '('],
  ["': ' repeated", head, ': '],
  ["'view x: ' repeated", head, 'view x: '],
  ["query words repeated", client + 'query: ', 'a '],
  ["answer records repeated", client + 'answer: a IN A + (192.0.2.53) -> NOERROR ', 'a. 1 A 192.0.2.1 '],
  ["rpz words repeated", client + 'rpz ', 'x '],
  ["'/' in a zone", head + 'zone ', '/'],
  ["quotes in a resolver error", head + "timed out resolving '", "'"],
  ["' resolving ' repeated", head, " resolving '"],
  ["dnsmasq ' is ' repeated", masq + 'reply a', ' is '],
  ["dnsmasq '[ ' in a type", masq + 'query[', '[ '],
]

fuzzParser({
  name: 'dns',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  isMine: isDnsMessage,
  caught: 'dns parser failed',
  inserts: INSERTS,
  swaps: SWAPS,
  seed: 0x5eed,
  perLine: 60,
  cut: (_, k) => k % 7 === 0 && k < 42,
  claimsAdversarial: true,
  adversarial: (size) =>
    SHAPES.map(([name, prefix, unit]) => ({ name, line: prefix + unit.repeat(Math.ceil(size / unit.length)) })),
})

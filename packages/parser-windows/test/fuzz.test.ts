// Seeded mutations of the fixture lines and adversarial lines: isMine and parse never throw (nor
// reach the parser's own catch), no event carries a prototype key, and parse time grows linearly
// with the line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, fuzzParser, prototypeKey } from '@beer/parser-sdk/testing'
import { create, isMine } from '../src/windows.ts'

const parser = create({})

const NOISE = ['\t', ' ', '  ', ':', ': ', '#011', '\u0000', '\uFFFD', '\uD800', '"', '{', '}', '[', ']', '\\', ',', '\r', '\n', '-', '%%', '::ffff:', 'ÿ']
const pick = <T>(list: readonly T[], next: () => number): T => list[Math.floor(next() * list.length)]!

const SNARE_HEAD = '<13>Nov 27 09:00:00 dc01.example.org MSWinEventLog\t1\tSecurity\t1\tFri Nov 27 09:00:00 2026\t4624\tMicrosoft-Windows-Security-Auditing\tN/A\tN/A\tSuccess Audit\tdc01.example.org\tLogon\t\t'
const JSON_HEAD = '<14>Nov 27 09:10:01 dc01.example.org nxlog: {"EventID":4625,"Channel":"Security","Hostname":"dc01.example.org",'

/** Lines of about `size` characters made of the separators and tokens the readers look for. */
function adversarial(size: number): { name: string; line: string }[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
  return [
    { name: 'Snare labels', line: SNARE_HEAD + 'New Logon:  ' + fill('Account Name:  x  ') + '\t1' },
    { name: 'Snare empty labels', line: SNARE_HEAD + fill('Security ID:') + '\t1' },
    { name: 'Snare list tokens', line: SNARE_HEAD + 'Privileges:  x  ' + fill('SePriv  ') + '\t1' },
    { name: 'Snare spaces', line: SNARE_HEAD + 'Subject:' + fill(' ') + 'x\t1' },
    { name: 'Snare tabs', line: SNARE_HEAD + fill('\t') + '1' },
    { name: 'Snare escaped tabs', line: SNARE_HEAD.replaceAll('\t', '#011') + fill('#011') },
    { name: 'JSON message of labels', line: JSON_HEAD + '"Message":"' + fill('Account Name:\\t\\t') + '"}' },
    { name: 'JSON many keys', line: JSON_HEAD + fill('"K":"v",') + '"Z":1}' },
    { name: 'JSON cut short', line: JSON_HEAD + fill('"EventID" :') },
    { name: 'JSON deep', line: JSON_HEAD + '"a":' + '['.repeat(size / 2) + ']'.repeat(size / 2) + '}' },
    { name: 'JSON colons', line: JSON_HEAD + '"Message":"' + fill(': ') + '"}' },
  ]
}

fuzzParser({
  name: 'windows',
  create,
  fixtures: new URL('../fixtures/', import.meta.url),
  isMine,
  caught: 'windows parser failed',
  inserts: NOISE,
  swaps: [['\t', ' '], ['\t', ','], ['\t', '|'], ['\t', ''], ['  ', '\t']],
  mutations: [
    (line, next) => {
      const at = Math.floor(next() * (line.length + 1))
      const big = pick(['A', '9', ' ', '\t', 'Account Name:  ', '{', '"EventID":', '%%2313 '], next).repeat(2000 + Math.floor(next() * 8000))
      return line.slice(0, at) + big + line.slice(at)
    },
    (line) => line.replace('{', '{"EventData":' + '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) + ',' + '"winlog":' + '['.repeat(3000) + ']'.repeat(3000) + ','),
  ],
  seed: 0x5eed,
  minMutated: 2001,
  cut: [(l) => l.includes('MSWinEventLog') && l.includes('\t4625\t'), '"EventID":4624', 'winlogbeat'],
  adversarial,
})

test('keeps prototype keys of JSON input out of the event', () => {
  const line =
    '<14>Nov 27 09:10:01 dc01.example.org nxlog: {"EventID":4624,"Channel":"Security","Hostname":"dc01.example.org","__proto__":{"TargetUserName":"x"},' +
    '"TargetUserName":"alice","constructor":"c","Message":{"__proto__":1}}'
  const msg = fixtureMessage(line)
  assert.ok(isMine(msg))
  const ev = parser.parse(msg) as LogEvent
  assert.equal(prototypeKey(ev), undefined)
  assert.equal(ev.error, undefined)
  assert.equal((ev.user as { name?: string }).name, 'alice')
  assert.equal(({} as Record<string, unknown>).TargetUserName, undefined)
})

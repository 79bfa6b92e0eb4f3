import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { cef, create } from '../src/cef.ts'
import { readPairs, unescapeValue } from '../src/scan.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: cef(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})
const HEAD = '<134>Nov 27 10:00:00 gw1 CEF:0|Example|Box|1.0|100|Something happened|5|'

function one(line: string, p = parser): LogEvent {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line.slice(0, 80)}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r), 'one event')
  return r
}

const get = (e: LogEvent, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), e)

const ext = (extension: string): Record<string, unknown> => (get(one(HEAD + extension), 'cef.extensions') ?? {}) as Record<string, unknown>

test('unescapes \\| and \\\\ in header fields', () => {
  const e = one('CEF:0|Pipe\\|Co|Back\\\\slash|1\\|2|id\\\\1|A \\| B \\\\ C \\n D|3|')
  assert.equal(get(e, 'observer.vendor'), 'Pipe|Co')
  assert.equal(get(e, 'observer.product'), 'Back\\slash')
  assert.equal(get(e, 'observer.version'), '1|2')
  assert.equal(get(e, 'event.code'), 'id\\1')
  // Only '|' and '\' are header escapes; other backslashes stay.
  assert.equal(get(e, 'rule.name'), 'A | B \\ C \\n D')
})

test('reads values with spaces: the next key starts at the last space before key=', () => {
  assert.deepEqual(ext('msg=three words here cs1=x y  z   cs1Label=Label with  spaces'), {
    message: 'three words here',
    deviceCustomString1: 'x y  z',
    deviceCustomString1Label: 'Label with  spaces',
  })
})

test('unescapes \\=, \\\\, \\n and \\r in extension values, and keeps unknown escapes', () => {
  assert.deepEqual(ext('msg=a\\=b c\\\\d e\\nf\\rg cs2=C:\\Temp\\x.exe cs3=ends with \\\\ cs4=ok'), {
    message: 'a=b c\\d e\nf\rg',
    deviceCustomString2: 'C:\\Temp\\x.exe',
    deviceCustomString3: 'ends with \\',
    deviceCustomString4: 'ok',
  })
  assert.equal(unescapeValue('\\\\='), '\\=')
  assert.equal(unescapeValue('trailing\\'), 'trailing\\')
})

test('keeps an unescaped = that follows no key inside the value', () => {
  assert.deepEqual(ext('request=https://x.example.org/?a=b&c=d&e==f msg=x'), { requestUrl: 'https://x.example.org/?a=b&c=d&e==f', message: 'x' })
  // An escaped '=' makes a key-like word part of the value.
  assert.deepEqual(ext('msg=user\\=root logged on'), { message: 'user=root logged on' })
})

test('reads empty values, trailing spaces and text before the first pair', () => {
  assert.deepEqual(ext('suser= duser= cs1=x   '), { deviceCustomString1: 'x' })
  const r = readPairs('garbage first a=1 b=', 0)
  assert.equal(r.lead, 'garbage first')
  assert.deepEqual([r.keys, r.values], [['a', 'b'], ['1', '']])
  assert.equal(readPairs('a=1 '.repeat(2000), 0).capped, true)
})

test('keeps keys it does not know under cef.extensions, and no prototype key anywhere', () => {
  const e = one(HEAD + '__proto__=x constructor=y prototype=z toString=t vendorKey=v ad.Name=w')
  const x = get(e, 'cef.extensions') as Record<string, unknown>
  assert.deepEqual(Object.keys(x).sort(), ['ad.Name', 'toString', 'vendorKey'])
  assert.equal(Object.getPrototypeOf(x), Object.prototype)
  assert.equal(({} as Record<string, unknown>).x, undefined)
})

test('maps severity numbers and words', () => {
  for (const [text, n] of [['0', 0], ['10', 10], ['Low', 0], ['medium', 4], ['High', 7], ['Very-High', 9]] as const) {
    assert.equal(get(one(`CEF:0|V|P|1|id|n|${text}|`), 'event.severity'), n, text)
  }
  assert.equal(get(one('CEF:0|V|P|1|id|n|Unknown|'), 'event.severity'), undefined)
  assert.equal(get(one('CEF:0|V|P|1|id|n|11|'), 'beer.partial'), true)
})

test('reads rt in the zone of dtz, else the timezone option, and with its own zone when it has one', () => {
  const p = create({ timezone: 'America/New_York' })
  assert.equal(one(HEAD + 'rt=Nov 27 2026 05:00:00', p)['@timestamp'], '2026-11-27T10:00:00.000Z')
  assert.equal(one(HEAD + 'rt=Nov 27 2026 11:00:00 dtz=Europe/Berlin', p)['@timestamp'], '2026-11-27T10:00:00.000Z')
  assert.equal(one(HEAD + 'rt=Nov 27 2026 10:00:00 UTC', p)['@timestamp'], '2026-11-27T10:00:00.000Z')
  assert.equal(one(HEAD + 'rt=Nov 27 10:00:00.500 +00:00', p)['@timestamp'], '2026-11-27T10:00:00.500Z')
  assert.equal(one(HEAD + 'rt=1795773600000', p)['@timestamp'], '2026-11-27T10:00:00.000Z')
  assert.equal(one(HEAD + 'rt=2026-11-27T11:00:00+01:00', p)['@timestamp'], '2026-11-27T10:00:00.000Z')
})

test('refuses a timezone it does not know, with a documented code', () => {
  assert.throws(() => create({ timezone: 'Atlantis/Capital' }), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_CEF_OPTIONS')
  assert.throws(() => create({ timezone: 'UTC', zone: 'UTC' } as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_CEF_OPTIONS')
  assert.throws(() => create('UTC' as never), (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_CEF_OPTIONS')
})

test('is an alert when cat or the Device Event Class ID names a detection, else an event', () => {
  assert.equal(get(one('CEF:0|V|P|1|DECOY-HIT|n|5|cat=Deception'), 'event.kind'), 'alert')
  assert.equal(get(one('CEF:0|V|P|1|threat:c2|n|5|'), 'event.kind'), 'alert')
  assert.equal(get(one('CEF:0|V|P|1|100|Malware found in the name only|5|cat=Audit'), 'event.kind'), 'event')
  assert.equal(get(one('CEF:0|V|P|1|guids-sync|n|5|'), 'event.kind'), 'event')
})

test('names unambiguous logons logged-in and logon-failed, and leaves the rest generic', () => {
  const ok = one('CEF:0|V|P|1|1|User login|3|cat=Authentication suser=alice outcome=Success')
  assert.deepEqual([get(ok, 'event.action'), get(ok, 'event.outcome'), get(ok, 'user.name')], ['logged-in', 'success', 'alice'])
  assert.deepEqual(get(ok, 'event.category'), ['authentication'])
  const failed = one('CEF:0|V|P|1|2|Logon failed|3|duser=bob')
  assert.deepEqual([get(failed, 'event.action'), get(failed, 'event.outcome')], ['logon-failed', 'failure'])
  assert.equal(get(one('CEF:0|V|P|1|3|User logon|3|act=Logon'), 'event.action'), 'Logon')
  assert.equal(get(one('CEF:0|V|P|1|4|Logoff|3|outcome=success'), 'event.action'), '4')
})

test('claims a CEF header after a syslog header or a device prefix, and nothing without a valid one', () => {
  for (const line of [
    'CEF:0|V|P|1|id|n|5|',
    '<134>Nov 27 10:00:00 host CEF:0|V|P|1|id|n|5|a=1',
    '<134>1 2026-11-27T10:00:00Z host app - - - CEF:0|V|P|1|id|n|5|a=1',
    'Nov 27 2026 10:00:00 host CEF:0|V|P|1|id|n|5|a=1',
    '<134>Nov 27 10:00:00 host ASM:CEF:0|V|P|1|id|n|5|a=1',
  ]) {
    assert.ok(parser.isMine(fixtureMessage(line)), line)
  }
  for (const line of ['CEF:0|V|P|1|id|n', 'CEF:0|V|P|1|id|n\\|5\\|', 'CEF:0||P|1|id|n|5|', 'CEF:A|V|P|1|id|n|5|', 'LEEF:1.0|V|P|1|id|', 'x'.repeat(2000) + ' CEF:0|V|P|1|id|n|5|']) {
    assert.equal(parser.isMine(fixtureMessage(line)), false, line.slice(0, 60))
  }
})

test('drops the process the header parser made of the CEF prefix', () => {
  const e = one('<134>Nov 27 10:00:00 host CEF:0|V|P|1|id|n|5|a=1')
  assert.equal(get(e, 'process'), undefined)
  assert.equal(get(e, 'log.syslog.appname'), undefined)
  assert.equal(get(e, 'observer.hostname'), 'host')
})

test('finds no Object.prototype member in its own tables, whatever the line says', () => {
  for (const word of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const e = one(`CEF:0|V|P|1|id|n|${word}|outcome=${word} proto=${word} rt=${word} 12 2026 10:00:00`)
    assert.equal(get(e, 'event.severity'), undefined, word)
    assert.equal(get(e, 'event.outcome'), undefined, word)
    assert.equal(typeof get(e, 'network.transport'), 'string', word)
  }
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixtureMessage, fuzzParser, testParser } from '@beer/parser-sdk/testing'
import { acmeFw, create } from '../src/acme-fw.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: acmeFw(), fixtures: new URL('../fixtures/', import.meta.url) })

// Seeded mutations of the fixture lines and the adversarial lines below never make isMine or parse
// throw nor put a prototype key in an event, and parse time grows linearly with the line. Add a
// line for every shape your parser reads, ending in long runs of the separators it looks for.
const HEAD = '<134>Mar  5 10:15:30 gw-edge1 acme-fw[2210]: '
fuzzParser({
  descriptor: acmeFw(),
  fixtures: new URL('../fixtures/', import.meta.url),
  adversarial: (size) => {
    const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
    return ['type=traffic ', 'type=auth ', 'type=traffic time="'].flatMap((start) =>
      ['a', ' ', '=', 'a=', 'a= ', 'k=v ', '"', 'k="v ', '\\"'].map((run) => HEAD + start + fill(run)),
    )
  },
})

test('reads the device time in the zone it is given', () => {
  const msg = fixtureMessage(
    '<38>Mar  5 16:16:02 gw-edge1 acme-fw[2210]: type=auth time="2026-03-05 10:16:02" action=login result=success user=alice src=192.0.2.10',
  )
  const event = create({ timezone: 'America/Chicago' }).parse(msg)
  assert.equal(!Array.isArray(event) && event?.['@timestamp'], '2026-03-05T16:16:02.000Z')
})

test('refuses a timezone it cannot read when it is built', () => {
  assert.throws(() => create({ timezone: 'Mars/Olympus' }), { code: 'BEER_ERR_PARSER_OPTIONS' })
})

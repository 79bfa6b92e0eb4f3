import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { acmeFw, create } from '../src/acme-fw.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: acmeFw(), fixtures: new URL('../fixtures/', import.meta.url) })

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

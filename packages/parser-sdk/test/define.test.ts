import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/core'
import { defineParser } from '../src/define.ts'
import type { ClaimingParserLogic } from '../src/define.ts'
import { fixtureMessage } from '../src/testing/check-fixtures.ts'

// A parser whose claim test finds what parse needs: the claim is made once per message.
function counting(options: { throwOn?: string } = {}) {
  const calls = { claim: 0 }
  const parser = defineParser<Record<string, never>>({
    name: 'claims',
    url: import.meta.url,
    prefilter: { appname: ['acme', 'boom'] },
    build: (): ClaimingParserLogic<number> => ({
      claim(msg) {
        calls.claim++
        if (options.throwOn !== undefined && msg.message.includes(options.throwOn)) throw new Error('a bug in claim')
        const at = msg.message.indexOf('id=')
        return at === -1 ? undefined : at
      },
      parse: (msg, at): LogEvent => ({ message: at === undefined ? 'refused' : msg.message.slice(at + 3) }),
    }),
  })
  return { live: parser.create({}), calls }
}

test('a claiming parser finds its claim once for isMine and the parse that follows', () => {
  const { live, calls } = counting()
  const msg = fixtureMessage('<14>Nov 27 10:00:00 fw acme: seq id=42')
  assert.equal(live.isMine(msg), true)
  assert.deepEqual(live.parse(msg), { message: '42' })
  assert.equal(calls.claim, 1)
  // parse alone (a test, a replay) claims for itself.
  assert.deepEqual(live.parse(fixtureMessage('<14>Nov 27 10:00:00 fw acme: id=7')), { message: '7' })
  assert.equal(calls.claim, 2)
  // What was claimed for one message is never handed to another.
  assert.equal(live.isMine(msg), true)
  assert.deepEqual(live.parse(fixtureMessage('<14>Nov 27 10:00:00 fw acme: x id=9')), { message: '9' })
})

test('a claiming parser looks again at a message changed after isMine, and the prefilter still applies', () => {
  const { live, calls } = counting()
  const msg = fixtureMessage('<14>Nov 27 10:00:00 fw acme: id=1')
  assert.equal(live.isMine(msg), true)
  const changed = Object.assign(msg, { raw: msg.raw + ' ', message: 'later id=2' })
  assert.deepEqual(live.parse(changed), { message: '2' })
  assert.equal(calls.claim, 2)
  // Its text alone changed: looked at again too.
  assert.equal(live.isMine(msg), true)
  msg.message = 'id=77'
  assert.deepEqual(live.parse(msg), { message: '77' })
  assert.equal(calls.claim, 4)
  const other = fixtureMessage('<14>Nov 27 10:00:00 fw sshd: id=3')
  assert.equal(live.isMine(other), false, 'refused by the prefilter')
  assert.deepEqual(live.parse(other), { message: 'refused' })
  assert.equal(calls.claim, 4, 'the claim was never asked')
})

test('a claim that throws is a refusal, never a crash', () => {
  const { live } = counting({ throwOn: 'kaboom' })
  const msg = fixtureMessage('<14>Nov 27 10:00:00 fw boom: kaboom id=1')
  assert.equal(live.isMine(msg), false)
  assert.deepEqual(live.parse(msg), { message: 'refused' })
})

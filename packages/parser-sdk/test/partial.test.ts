import { test } from 'node:test'
import assert from 'node:assert/strict'
import { failedEvent, markPartial, parseFailure } from '../src/partial.ts'
import { fixtureMessage } from '../src/testing/check-fixtures.ts'
import { toEvent } from '@beer/syslog-header'
import type { LogEvent } from '@beer/core'

const reason = (ev: LogEvent): string | undefined => (ev.error as { message?: string } | undefined)?.message

test('markPartial marks an event with its reasons and the frame, and leaves a whole event alone', () => {
  const msg = fixtureMessage('<14>Nov 27 10:00:00 fw acme: type=traffic src=x')
  assert.deepEqual(markPartial(toEvent(msg), msg, []), toEvent(msg))
  assert.deepEqual(markPartial(toEvent(msg), msg, null), toEvent(msg))
  const problems = ['src "x" is not an address', 'no action']
  const ev = markPartial(toEvent(msg), msg, problems)
  assert.deepEqual(ev.beer, { partial: true })
  assert.deepEqual(ev.error, { message: 'src "x" is not an address; no action' })
  assert.equal((ev.event as { original?: string }).original, msg.raw)
  assert.equal(problems.length, 2, 'the list is not changed')
})

test('markPartial adds the truncation of a frame cut at the maximum size', () => {
  const msg = { ...fixtureMessage('<14>Nov 27 10:00:00 fw acme: type=traffic'), truncated: true }
  assert.equal(reason(markPartial(toEvent(msg), msg, null)), 'the frame was cut at the maximum message size')
  assert.equal(reason(markPartial(toEvent(msg), msg, ['no action'])), 'no action; the frame was cut at the maximum message size')
})

test('failedEvent and parseFailure give the header event marked partial, and never throw', () => {
  const msg = fixtureMessage('<14>Nov 27 10:00:00 fw acme: garbage')
  const ev = parseFailure('acme', msg, new TypeError('x is undefined'))
  assert.deepEqual([ev.beer, ev.error, (ev.event as { original?: string }).original], [{ partial: true }, { message: 'acme parser failed: x is undefined' }, msg.raw])
  assert.equal(reason(failedEvent(msg, 'no record')), 'no record')
  // A message that breaks toEvent still gives an event.
  assert.deepEqual(failedEvent(null as never, 'broken'), { event: { kind: 'event' }, beer: { partial: true }, error: { message: 'broken' } })
})

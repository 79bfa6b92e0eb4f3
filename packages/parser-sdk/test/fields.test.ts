import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addRelated, getField, setField } from '../src/fields.ts'
import type { LogEvent } from '@beer/core'

test('sets a dotted field, creating the objects on the way', () => {
  const e: LogEvent = { source: { ip: '192.0.2.1' } }
  setField(e, 'source.nat.ip', '198.51.100.1')
  setField(e, 'source.port', 0)
  setField(e, 'event.outcome', 'success')
  assert.deepEqual(e, { source: { ip: '192.0.2.1', nat: { ip: '198.51.100.1' }, port: 0 }, event: { outcome: 'success' } })
  assert.equal(getField(e, 'source.nat.ip'), '198.51.100.1')
  assert.equal(getField(e, 'source.nat.port'), undefined)
  assert.equal(getField(e, 'source.ip.x'), undefined)
})

test('skips undefined, null, empty strings and NaN, and writes 0 and false', () => {
  const e: LogEvent = {}
  for (const v of [undefined, null, '', Number.NaN]) setField(e, 'a.b', v)
  assert.deepEqual(e, {})
  setField(e, 'a.zero', 0)
  setField(e, 'a.no', false)
  assert.deepEqual(e, { a: { zero: 0, no: false } })
})

test('refuses keys that could reach a prototype', () => {
  const e: LogEvent = {}
  setField(e, '__proto__.polluted', 'yes')
  setField(e, 'a.constructor.prototype', 'yes')
  setField(e, 'b.__proto__', 'yes')
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(Object.getPrototypeOf(e), Object.prototype)
  assert.deepEqual(e, {})
})

test('replaces a value in the way of a nested field with an object', () => {
  const e: LogEvent = { user: 'alice' }
  setField(e, 'user.name', 'alice')
  assert.deepEqual(e, { user: { name: 'alice' } })
})

test('adds related values once each, and skips empty ones', () => {
  const e: LogEvent = {}
  addRelated(e, 'ip', '192.0.2.1', '192.0.2.1', '', undefined, 5, '2001:db8::1')
  addRelated(e, 'user', 'alice')
  assert.deepEqual(e, { related: { ip: ['192.0.2.1', '2001:db8::1'], user: ['alice'] } })
  addRelated(e, 'hosts')
  assert.deepEqual(Object.keys(e.related!), ['ip', 'user'])
})

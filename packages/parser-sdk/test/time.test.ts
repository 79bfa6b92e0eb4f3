import { test } from 'node:test'
import assert from 'node:assert/strict'
import { zonedTimestamp } from '../src/time.ts'

test('reads a device time in UTC, with slashes or dashes, with or without milliseconds', () => {
  assert.equal(zonedTimestamp('2025/03/05 10:15:30', 'UTC'), '2025-03-05T10:15:30.000Z')
  assert.equal(zonedTimestamp('2025-03-05T10:15:30', 'UTC'), '2025-03-05T10:15:30.000Z')
  assert.equal(zonedTimestamp('2025-03-05 10:15:30.5', 'UTC'), '2025-03-05T10:15:30.500Z')
  assert.equal(zonedTimestamp('2025-03-05 10:15:30.123', undefined), '2025-03-05T10:15:30.123Z')
})

test('reads a device time at a fixed offset', () => {
  assert.equal(zonedTimestamp('2025/03/05 10:15:30', '+09:30'), '2025-03-05T00:45:30.000Z')
  assert.equal(zonedTimestamp('2025/01/01 02:00:00', '-05:00'), '2025-01-01T07:00:00.000Z')
})

test('reads a device time in an IANA zone, in winter and in summer', () => {
  assert.equal(zonedTimestamp('2025-01-15 10:00:00', 'America/Chicago'), '2025-01-15T16:00:00.000Z')
  assert.equal(zonedTimestamp('2025-07-15 10:00:00', 'America/Chicago'), '2025-07-15T15:00:00.000Z')
})

test('reads the hours around a DST change in America/Chicago', () => {
  // 2025-03-09 02:00 CST the clocks went to 03:00 CDT; 2025-11-02 02:00 CDT back to 01:00 CST.
  assert.equal(zonedTimestamp('2025-03-09 01:59:59', 'America/Chicago'), '2025-03-09T07:59:59.000Z')
  assert.equal(zonedTimestamp('2025-03-09 03:00:00', 'America/Chicago'), '2025-03-09T08:00:00.000Z')
  assert.equal(zonedTimestamp('2025-11-02 00:59:59', 'America/Chicago'), '2025-11-02T05:59:59.000Z')
  // 01:30 happened twice: the first time, with the offset in force before the change, is taken.
  assert.equal(zonedTimestamp('2025-11-02 01:30:00', 'America/Chicago'), '2025-11-02T06:30:00.000Z')
  assert.equal(zonedTimestamp('2025-11-02 02:00:00', 'America/Chicago'), '2025-11-02T08:00:00.000Z')
})

test('gives undefined for text that is not such a time', () => {
  for (const text of [undefined, '', '2025-03-05', '2025-03-05 10:15', '05/03/2025 10:15:30', '2025-03-05 10:15:30+25:00', '2025-03-05T10:15:30.1234567890', '2025-13-01 00:00:00', '2025-02-30 10:00:00', '2025-02-29 10:00:00', '2025-03-05 24:00:00']) {
    assert.equal(zonedTimestamp(text, 'UTC'), undefined, String(text))
  }
  assert.equal(zonedTimestamp('2024-02-29 10:00:00', 'UTC'), '2024-02-29T10:00:00.000Z')
})

test('reads a time that states its own zone with that zone, whatever is configured', () => {
  assert.equal(zonedTimestamp('2025-03-05T10:15:30Z', 'America/Chicago'), '2025-03-05T10:15:30.000Z')
  assert.equal(zonedTimestamp('2025-03-05T10:15:30.123456+02:00', 'UTC'), '2025-03-05T08:15:30.123Z')
  assert.equal(zonedTimestamp('2025-03-05 10:15:30-0500', 'UTC'), '2025-03-05T15:15:30.000Z')
  assert.equal(zonedTimestamp('2025-03-05T10:15:30.123456789', '+01:00'), '2025-03-05T09:15:30.123Z')
})

test('isTimezone accepts what the readers can read and nothing else', async () => {
  const { isTimezone } = await import('../src/time.ts')
  for (const zone of ['UTC', 'local', '+02:00', '-0530', 'Europe/Zurich']) assert.equal(isTimezone(zone), true, zone)
  for (const zone of ['Mars/Olympus', '', 'UTC+2x', 42, undefined]) assert.equal(isTimezone(zone), false, String(zone))
})

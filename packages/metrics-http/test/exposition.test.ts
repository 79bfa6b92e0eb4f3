import { test } from 'node:test'
import assert from 'node:assert/strict'
import { escapeLabelValue, formatValue, renderMetrics } from '../src/exposition.ts'
import { checkExposition, valueOf } from './fixtures/exposition-checker.ts'
import { sampleStatus } from './fixtures/status.ts'

const proc = { residentMemoryBytes: 52_428_800, cpuSeconds: 1.25, startTimeSeconds: 1_764_230_400 }

test('writes every module and listener figure of the snapshot with its labels', () => {
  const s = checkExposition(renderMetrics(sampleStatus(), proc))
  const file = { component: 'file', kind: 'sink', placement: 'inline' }
  assert.equal(valueOf(s, 'beer_received_events_total', file), 6188)
  assert.equal(valueOf(s, 'beer_sent_events_total', file), 6180)
  assert.equal(valueOf(s, 'beer_dropped_events_total', { ...file, reason: 'unserializable' }), 8)
  assert.equal(valueOf(s, 'beer_errors_total', { ...file, code: 'BEER_ERR_SINK_FILE_WRITE' }), 1)
  assert.equal(valueOf(s, 'beer_component_uptime_seconds', file), 61.25)
  assert.equal(valueOf(s, 'beer_component_restarts_total', file), 2)
  assert.equal(valueOf(s, 'beer_queue_depth', file), 5)
  assert.equal(valueOf(s, 'beer_received_events_total', { component: 'pipeline', kind: 'pipeline' }), 6200)

  const tcp = { listener: 'tcp://0.0.0.0:514' }
  assert.equal(valueOf(s, 'beer_received_events_total', tcp), 1200)
  assert.equal(valueOf(s, 'beer_received_bytes_total', tcp), 98765)
  assert.equal(valueOf(s, 'beer_dropped_events_total', { ...tcp, reason: 'oversize' }), 3)
  assert.equal(valueOf(s, 'beer_errors_total', { ...tcp, code: 'ECONNRESET' }), 2)
  assert.equal(valueOf(s, 'beer_errors_total', { ...tcp, code: 'BEER_ERR_FRAMING_DESYNC' }), 1)
  assert.equal(valueOf(s, 'beer_connections_open', tcp), 4)
  assert.equal(valueOf(s, 'beer_connections_total', tcp), 17)
  assert.equal(valueOf(s, 'beer_dropped_events_total', { listener: 'udp://0.0.0.0:514', reason: 'queue_full' }), 12)

  assert.equal(valueOf(s, 'process_resident_memory_bytes'), 52_428_800)
  assert.equal(valueOf(s, 'process_cpu_seconds_total'), 1.25)
  assert.equal(valueOf(s, 'process_start_time_seconds'), 1_764_230_400)
  // Nothing but the figures given: received, sent and uptime per module, restarts, queue depth and
  // 2 reasons or codes for the sink; received, bytes, open and total per listener, 4 reasons or
  // codes; 3 process figures.
  assert.equal(s.length, 2 * 3 + 2 + 2 + 2 * 4 + 4 + 3)
})

test('gives every family one HELP and one TYPE line, counters ending in _total', () => {
  const text = renderMetrics(sampleStatus(), proc)
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as const)
  assert.equal(types.length, [...text.matchAll(/^# HELP /gm)].length)
  for (const [name, type] of types) assert.equal(type === 'counter', name!.endsWith('_total'), name)
})

test('escapes backslash, double quote and line feed in label values, and reads back the same', () => {
  const status = sampleStatus()
  const nasty = 'odd "name" with \\ and\nnewline, {braces}=, and ünïcode'
  status.modules[1]!.name = nasty
  status.listeners[0]!.url = 'unix:///run/beer "a"\\b.sock'
  const text = renderMetrics(status)
  assert.ok(text.includes('component="odd \\"name\\" with \\\\ and\\nnewline, {braces}=, and ünïcode"'), text)
  assert.equal(text.split('\n').filter((l) => l.includes('ünïcode')).length, 7, 'one line per series')
  const s = checkExposition(text)
  assert.equal(valueOf(s, 'beer_sent_events_total', { component: nasty }), 6180)
  assert.equal(valueOf(s, 'beer_received_bytes_total', { listener: 'unix:///run/beer "a"\\b.sock' }), 98765)
  assert.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n')
})

test('leaves out figures the source does not report', () => {
  const status = sampleStatus()
  delete status.modules[1]!.restarts
  delete status.modules[1]!.queueDepth
  const text = renderMetrics(status)
  assert.doesNotMatch(text, /beer_component_restarts_total|beer_queue_depth|process_/)
  checkExposition(text)
  assert.equal(renderMetrics({ listeners: [], modules: [] }), '')
})

test('adds up two entries of the same name instead of writing a duplicate series', () => {
  const status = sampleStatus()
  status.listeners.push({ ...status.listeners[0]!, received_events: 1, dropped_events: {}, errors: {} })
  const s = checkExposition(renderMetrics(status))
  assert.equal(valueOf(s, 'beer_received_events_total', { listener: 'tcp://0.0.0.0:514' }), 1201)
})

test('spells infinities and NaN as the format does', () => {
  assert.deepEqual([Infinity, -Infinity, NaN, 0, 0.5, 1e21].map(formatValue), ['+Inf', '-Inf', 'NaN', '0', '0.5', '1e+21'])
})

test('the checker refuses what Prometheus would refuse', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 1\n'
  assert.equal(checkExposition(ok).length, 1)
  const bad: Record<string, string> = {
    'no final line feed': ok.slice(0, -1),
    'sample before TYPE': 'a_total 1\n# HELP a_total A.\n# TYPE a_total counter\n',
    'duplicate series': ok + 'a_total{x="1"} 2\n',
    'bad escape': ok.replace('x="1"', 'x="\\t"'),
    'unescaped quote': ok.replace('x="1"', 'x="a"b"'),
    'bad value': ok.replace('} 1', '} one'),
    'family reopened': ok + '# HELP b B.\n# TYPE b gauge\nb 1\na_total{x="2"} 1\n',
    'second TYPE': ok + '# TYPE a_total counter\n',
    'bad label name': ok.replace('x=', '1x='),
    'label twice': ok.replace('x="1"', 'x="1",x="2"'),
  }
  for (const [why, text] of Object.entries(bad)) assert.throws(() => checkExposition(text), Error, why)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/core'
import { UNREADABLE, valueInLine } from '../src/codec.ts'
import { fieldAt } from '../src/runners.ts'
import { partitionOf } from '../src/remote/pool.ts'

// A partitioned stage routes text batches by the key read from each line: it must send every event
// where the parsed event's own key would have sent it, or a user's state splits over two instances.

let seed = 7
function random(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
  return (seed >>> 8) % n
}

const AWKWARD = ['alice', 'bob "the admin"', 'c:\\users\\dave', 'ünïcødé ✓', 'tab\there', 'new\nline', '', '{"user":{"name":"mallory"}}', '\\', '"', 'end\\"', '🔑']

function value(depth: number): unknown {
  switch (random(depth > 2 ? 6 : 8)) {
    case 0:
      return AWKWARD[random(AWKWARD.length)]
    case 1:
      return random(100000) - 500
    case 2:
      return random(2) === 0
    case 3:
      return null
    case 4:
      return random(1000) / 7
    case 5:
      return `host-${random(50)}`
    case 6:
      return [value(depth + 1), value(depth + 1), { name: value(depth + 1) }]
    default:
      return object(depth + 1)
  }
}

function object(depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {}
  const keys = ['user', 'name', 'host', 'source', 'event', 'id', 'user.name', 'na"me', 'related', 'constructor', 'toString']
  for (let k = random(5); k >= 0; k--) o[keys[random(keys.length)]!] = value(depth)
  return o
}

test('reads the partition key from the NDJSON line as fieldAt reads it from the event, over 5000 made-up events', () => {
  const paths = [['user', 'name'], ['host', 'name'], ['source', 'ip'], ['event', 'id'], ['user'], ['na"me'], ['user', 'name', 'first'], ['user', 'constructor'], ['toString'], ['__proto__']]
  let scanned = 0
  for (let n = 0; n < 5000; n++) {
    const ev = object(0) as LogEvent
    if (random(3) === 0) ev.user = { domain: 'EXAMPLE', name: AWKWARD[random(AWKWARD.length)] }
    const line = JSON.stringify(ev)
    for (const path of paths) {
      const fromText = valueInLine(line, path)
      const fromEvent = fieldAt(JSON.parse(line) as LogEvent, path)
      if (fromText === UNREADABLE) {
        // Only values that are objects or arrays, or paths through arrays, need the full parse.
        assert.ok((typeof fromEvent === 'object' && fromEvent !== null) || pathThroughArray(JSON.parse(line), path), `${line} ${path.join('.')}`)
        continue
      }
      scanned++
      assert.deepEqual(fromText, fromEvent, `${line} at ${path.join('.')}`)
      assert.equal(partitionOf(fromText, 2), partitionOf(fromEvent, 2))
    }
  }
  assert.ok(scanned > 20000, `most keys are read by the scan (${scanned})`)
})

function pathThroughArray(v: unknown, path: readonly string[]): boolean {
  for (const step of path) {
    if (Array.isArray(v)) return true
    if (v === null || typeof v !== 'object') return false
    v = (v as Record<string, unknown>)[step]
  }
  return false
}

test('says UNREADABLE for text JSON.stringify does not write, rather than guessing', () => {
  for (const bad of ['', 'not json', '[1,2]', '{"user":{"name":"unterminated}}', '{"user" {"name":"x"}}', '{"user":{"name":}}', "{'user':1}"]) {
    assert.equal(valueInLine(bad, ['user', 'name']), UNREADABLE, bad)
  }
  assert.equal(valueInLine('{ "user" : { "name" : "spaced" } }', ['user', 'name']), 'spaced')
  assert.equal(valueInLine('{"a":1}', ['user', 'name']), undefined)
})

// CEF in the shared corpus (../shared/corpus from the repository root): Sekoia's PAN-OS intake
// holds CEF lines (PAN-OS and Cortex Data Lake), with the events Sekoia makes of them. There is no
// CEF oracle proper; this checks that every such line is claimed and prints how far the generic
// CEF mapping agrees with Sekoia's PAN-OS-specific one. Without the corpus it skips with a
// notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import type { LogEvent } from '@beer/parser-sdk'
import { create } from '../src/cef.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'
const parser = create({})

const FIELDS = [
  '@timestamp',
  'event.start',
  'source.ip',
  'source.port',
  'destination.ip',
  'destination.port',
  'source.nat.ip',
  'source.nat.port',
  'destination.nat.ip',
  'destination.nat.port',
  'network.transport',
  'event.action',
  'event.reason',
  'event.timezone',
  'url.original',
]

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

function same(field: string, expected: unknown, ours: unknown): boolean {
  if (field === '@timestamp' || field === 'event.start') return Date.parse(String(expected)) === Date.parse(String(ours))
  return JSON.stringify(expected) === JSON.stringify(ours)
}

test('claims every CEF line of Sekoia’s PAN-OS cases and prints agreement with its mapping', (t) => {
  if (!present) {
    if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
    console.log(`notice: ${CORPUS} is absent: CEF lines of the corpus not checked`)
    t.skip('shared corpus absent')
    return
  }
  const dir = CORPUS + 'sekoia-intake-formats/paloalto-ngfw/'
  let cases = 0
  let agree = 0
  let total = 0
  const unclaimed: string[] = []
  const differences: string[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(dir + file, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    const line = data.input.message.replace(/\r?\n$/, '')
    if (!line.trimStart().startsWith('CEF:')) continue
    cases++
    const msg = fixtureMessage(line)
    if (!parser.isMine(msg)) {
      unclaimed.push(file)
      continue
    }
    const r = parser.parse(msg)
    const event = (Array.isArray(r) ? r[0] : r) as LogEvent
    for (const field of FIELDS) {
      const e = get(data.expected, field)
      const o = get(event, field)
      if (e === undefined || e === null || o === undefined) continue
      total++
      if (same(field, e, o)) agree++
      else differences.push(`${file} ${field}: Sekoia ${JSON.stringify(e)}, ours ${JSON.stringify(o)}`)
    }
  }
  const rate = total === 0 ? 0 : agree / total
  console.log(
    [
      `sekoia paloalto-ngfw CEF: ${cases} cases, ${cases - unclaimed.length} claimed; ${agree} / ${total} compared fields agree (${(rate * 100).toFixed(1)}%)`,
      ...differences.map((d) => '    ' + d),
    ].join('\n'),
  )
  assert.ok(cases > 0)
  assert.deepEqual(unclaimed, [], 'every CEF case is claimed')
})

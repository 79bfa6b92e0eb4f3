// @beer/sink-es against the floor a client cannot go below: a minimal loop sending `_bulk`
// requests with the official client, same Elasticsearch, same documents, same batch size, same
// number of requests in flight, in the same run, taking turns.
//
//   node scripts/elasticsearch.mjs start      (or set BEER_ES_URL; the benchmark starts one if none answers)
//   cd bench && node --import tsx es-sink.bench.ts [--count 100000] [--rounds 3] [--no-record]
//
// Documents: PAN-OS TRAFFIC and THREAT lines parsed by @beer/parser-paloalto (about 2.3 KB of
// JSON each), each with its own @timestamp, source port and event.sequence, all in one daily
// index whose mappings come from the sink's ECS template (installed once for both contenders).
//
// Raw loop: JSON.stringify each document behind a `create` action with a random 22-character id
// (the shape of the sink's ids, so Elasticsearch does the same id lookups), `client.bulk()` with
// the body as one string, at most CONCURRENCY requests in flight, waiting for an answer before
// sending more. It checks nothing and keeps nothing: it is the floor, not a usable shipper.
//
// Sink: the default options a user gets (disk buffer on, `block` when full), write() awaited
// whenever it returns a promise as the runtime does, until flush() resolves and every event is
// indexed. It also hashes each event's JSON for its id, reads @timestamp for the index name,
// spills to disk when Elasticsearch is slower than the input (it is, here), and counts each
// item's answer.
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Client } from '@elastic/elasticsearch'
import type { LogEvent } from '@beer/core'
import { create } from '../packages/sink-es/src/elasticsearch.ts'
import type { EsSinkOptions } from '../packages/sink-es/src/index.ts'
import type { EsSink } from '../packages/sink-es/src/es-sink.ts'
import { installTemplate } from '../packages/sink-es/src/template.ts'
import { elasticsearchNode, eventAt, panosTemplates, stopElasticsearch } from './lib/es.ts'
import { treeCpuSeconds } from './lib/proc-stats.ts'
import { recordResults } from './lib/record.ts'

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '3' },
    'no-record': { type: 'boolean', default: false },
  },
})
const COUNT = Number(opts.count)
/** Events in the round being run (fewer in the warm-up round). */
let COUNT_NOW = COUNT
const ROUNDS = Number(opts.rounds)
const BATCH = 1000
const CONCURRENCY = 2
const TMP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tmp', 'es-sink')
const COMMAND = `cd bench && node --import tsx es-sink.bench.ts${opts.count !== '100000' ? ` --count ${COUNT}` : ''}${opts.rounds !== '3' ? ` --rounds ${ROUNDS}` : ''}`

interface Result {
  who: string
  seconds: number
  rate: number
  clientCpu: number
  esCpu: number
  indexed: number
}

const node = await elasticsearchNode()
const es = new Client({ node: node.url, requestTimeout: 120_000 })
const templates = await panosTemplates()
const docBytes = templates.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)), 0) / templates.length
const run = Date.now().toString(36)
await installTemplate(es, { name: `bench-${run}`, patterns: [`bench-${run}-*`], priority: 300, settings: { number_of_replicas: 0 }, dataStream: false })

function cpuNow(): { client: number; es: number } {
  const u = process.cpuUsage()
  return { client: (u.user + u.system) / 1e6, es: node.pid ? treeCpuSeconds(node.pid) : 0 }
}

async function countIn(index: string): Promise<number> {
  await es.indices.refresh({ index })
  return (await es.count({ index })).count
}

async function raw(round: number): Promise<Result> {
  const index = `bench-${run}-raw-${round}`
  const c0 = cpuNow()
  const t0 = performance.now()
  const inFlight = new Set<Promise<void>>()
  let errors = 0
  for (let start = 0; start < COUNT_NOW; start += BATCH) {
    let body = ''
    for (let i = start; i < Math.min(COUNT_NOW, start + BATCH); i++) {
      body += `{"create":{"_index":"${index}","_id":"${randomBytes(16).toString('base64url')}"}}\n${JSON.stringify(eventAt(templates, i))}\n`
    }
    const p: Promise<void> = es.bulk({ operations: body as never, filter_path: 'errors' }).then((r) => {
      if (r.errors) errors++
      inFlight.delete(p)
    })
    inFlight.add(p)
    if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const seconds = (performance.now() - t0) / 1000
  const c1 = cpuNow()
  const indexed = await countIn(index)
  if (errors) console.log(`raw: ${errors} requests had item errors`)
  await es.indices.delete({ index })
  return { who: 'raw _bulk loop', seconds, rate: COUNT_NOW / seconds, clientCpu: c1.client - c0.client, esCpu: c1.es - c0.es, indexed }
}

async function sink(round: number, label: string, extra: EsSinkOptions): Promise<Result> {
  const index = `bench-${run}-sink-${round}-${label.length}`
  const buffer = path.join(TMP, `${run}-${round}`)
  rmSync(buffer, { recursive: true, force: true })
  const log = { info() {}, warn: (m: string) => console.log(`sink: ${m}`), error: (m: string) => console.log(`sink: ${m}`) }
  const c0 = cpuNow()
  const t0 = performance.now()
  const s = (await create(
    { node: node.url, index: `${index}-%{+yyyy.MM.dd}`, batch: { maxEvents: BATCH }, concurrency: CONCURRENCY, buffer: { path: buffer }, deadLetter: path.join(TMP, 'dead-letter.ndjson'), ...extra },
    { name: 'elasticsearch', instance: 0, log, emit() {} },
  )) as EsSink
  // The runtime hands sinks batches of what one read brought; 256 events is a busy TCP read.
  for (let start = 0; start < COUNT_NOW; start += 256) {
    const batch: LogEvent[] = []
    for (let i = start; i < Math.min(COUNT_NOW, start + 256); i++) batch.push(ownCopy(eventAt(templates, i)))
    const r = s.write(batch)
    if (r) await r
  }
  await s.flush()
  while (s.status().indexed + s.status().duplicates + s.status().deadLettered < COUNT_NOW) await new Promise((r) => setTimeout(r, 20))
  const seconds = (performance.now() - t0) / 1000
  const c1 = cpuNow()
  const st = s.status()
  await s.close()
  rmSync(buffer, { recursive: true, force: true })
  const indexed = await countIn(`${index}-*`)
  if (st.deadLettered || st.dropped) console.log(`sink: ${st.deadLettered} dead-lettered, ${st.dropped} dropped`)
  await es.indices.delete({ index: `${index}-*` })
  return { who: `@beer/sink-es${label}`, seconds, rate: COUNT_NOW / seconds, clientCpu: c1.client - c0.client, esCpu: c1.es - c0.es, indexed }
}

/**
 * The template is changed in place for the next event; write() serializes what it is given at
 * once, but a batch holds 256 references, so each needs a copy of its own (in both loops' terms:
 * the raw loop serializes one event at a time). A shallow copy of the fields that change suffices.
 */
function ownCopy(ev: LogEvent): LogEvent {
  return { ...ev, '@timestamp': ev['@timestamp'], source: { ...(ev.source as object) }, event: { ...ev.event } }
}

const results: Result[] = []
console.log(`Elasticsearch ${node.version} at ${node.url}; ${COUNT} events of ~${Math.round(docBytes)} bytes, batches of ${BATCH}, ${CONCURRENCY} requests in flight, ${ROUNDS} rounds`)
// A warm-up round for both, not counted: Elasticsearch's JIT and the mappings of a first index
// otherwise weigh on whoever goes first.
const counted = COUNT
COUNT_NOW = Math.min(COUNT, 20_000)
await raw(-1)
await sink(-1, '', {})
COUNT_NOW = counted
for (let r = 0; r < ROUNDS; r++) {
  for (const step of [() => raw(r), () => sink(r, '', {})]) {
    const res = await step()
    results.push(res)
    console.log(`${res.who.padEnd(28)} ${Math.round(res.rate).toLocaleString('en-US').padStart(8)} events/s  ${res.seconds.toFixed(1)} s  client CPU ${res.clientCpu.toFixed(1)} s  Elasticsearch CPU ${res.esCpu.toFixed(1)} s  indexed ${res.indexed}`)
  }
}
await es.indices.deleteIndexTemplate({ name: `bench-${run}` })
await es.close()
stopElasticsearch(node)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const rawRate = median(results.filter((r) => r.who.startsWith('raw')).map((r) => r.rate))
const sinkRate = median(results.filter((r) => r.who.startsWith('@beer')).map((r) => r.rate))
const ratio = sinkRate / rawRate
console.log(`\nsink/raw = ${(ratio * 100).toFixed(0)}% (target ≥ 80%)`)

const rows = results.map(
  (r) =>
    `| ${r.who} | ${Math.round(r.rate).toLocaleString('en-US')} | ${r.seconds.toFixed(1)} | ${r.clientCpu.toFixed(1)} | ${((r.clientCpu / COUNT) * 1e6).toFixed(0)} | ${node.pid ? r.esCpu.toFixed(1) : '-'} | ${r.indexed.toLocaleString('en-US')} |`,
)
const body = `
| contender (run order) | events/s | wall (s) | client CPU (s) | client CPU per event (µs) | Elasticsearch CPU (s) | documents in the index |
|---|--:|--:|--:|--:|--:|--:|
${rows.join('\n')}

Median: sink ${Math.round(sinkRate).toLocaleString('en-US')} events/s, raw ${Math.round(rawRate).toLocaleString('en-US')} events/s: **sink/raw = ${(ratio * 100).toFixed(0)}%** (target ≥ 80%: ${ratio >= 0.8 ? 'met' : 'not met'}).

- Elasticsearch ${node.version}, single node on 127.0.0.1 from \`scripts/elasticsearch.mjs\` (integ-test-zip distribution, heap 512 MiB, Temurin JDK), no replicas, the sink's ECS template; @elastic/elasticsearch client in both contenders.
- ${COUNT.toLocaleString('en-US')} events per contender and round, ~${Math.round(docBytes)} bytes of JSON each (PAN-OS TRAFFIC and THREAT parsed by @beer/parser-paloalto), batches of ${BATCH}, ${CONCURRENCY} requests in flight. Each contender writes to an index of its own, deleted after its round.
- The machine's ${os.availableParallelism()} cores are shared by Elasticsearch, the client and (at the time of this run) other people's work; Elasticsearch CPU is its process tree's user+system time over the round (/proc). With Elasticsearch on the same cores, client CPU spent is CPU Elasticsearch does not get.
- Raw loop: JSON.stringify + a \`create\` action with a random 22-character id per document, one \`client.bulk()\` per batch with a string body; no checks, no retries, no buffering.
- Sink: default options (disk buffer on, \`whenFull: 'block'\`), fed 256 events per write() like a busy TCP read, awaited when write() returns a promise; timed until every event is indexed. Its extra work per event: SHA-256 of the serialized event for the id, @timestamp for the index name, the binary batch form, and, because Elasticsearch is slower than the input, the disk buffer (each batch written to and read back from a segment file).
`
console.log(body)
if (!opts['no-record']) recordResults('es-sink', 'Elasticsearch sink vs a raw _bulk loop', COMMAND, body)

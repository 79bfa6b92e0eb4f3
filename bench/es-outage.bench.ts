// @beer/sink-es through an Elasticsearch outage: 500,000 events written as fast as the sink takes
// them; half-way through, Elasticsearch becomes unreachable for 60 s (a proxy in front of it stops
// listening and cuts its connections, so requests in flight fail mid-bulk), then comes back.
// Checked afterwards: every event is in the index exactly once (the count, and every document id
// against the ids of the events written), the disk buffer drained, and how much memory it took.
//
//   node scripts/elasticsearch.mjs start      (or set BEER_ES_URL; the benchmark starts one if none answers)
//   cd bench && node --import tsx es-outage.bench.ts [--count 500000] [--outage 60] [--no-record]
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Client } from '@elastic/elasticsearch'
import type { LogEvent } from '@beer/core'
import { create } from '../packages/sink-es/src/elasticsearch.ts'
import { hashId } from '../packages/sink-es/src/document.ts'
import type { EsSink, EsSinkStatus } from '../packages/sink-es/src/es-sink.ts'
import { installTemplate } from '../packages/sink-es/src/template.ts'
import { FaultProxy } from '../packages/sink-es/test/fixtures/fault-proxy.ts'
import { elasticsearchNode, eventAt, panosTemplates, stopElasticsearch } from './lib/es.ts'
import { recordResults } from './lib/record.ts'

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '500000' },
    outage: { type: 'string', default: '60' },
    'no-record': { type: 'boolean', default: false },
  },
})
const COUNT = Number(opts.count)
const OUTAGE_MS = Number(opts.outage) * 1000
const TMP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tmp', 'es-outage')
const COMMAND = `cd bench && node --import tsx es-outage.bench.ts${opts.count !== '500000' ? ` --count ${COUNT}` : ''}${opts.outage !== '60' ? ` --outage ${opts.outage}` : ''}`
const mib = (n: number): string => (n / 1048576).toFixed(0)

const node = await elasticsearchNode()
const es = new Client({ node: node.url, requestTimeout: 120_000 })
const templates = await panosTemplates()
const run = Date.now().toString(36)
const index = `bench-${run}-outage`
await installTemplate(es, { name: `bench-${run}`, patterns: [`bench-${run}-*`], priority: 300, settings: { number_of_replicas: 0 }, dataStream: false })
const proxy = await FaultProxy.start(node.url)
rmSync(TMP, { recursive: true, force: true })

const logLines: string[] = []
const log = {
  info: (m: string) => logLines.push(`info: ${m}`),
  warn: (m: string) => logLines.push(`warn: ${m}`),
  error: (m: string) => logLines.push(`error: ${m}`),
}
const t0 = performance.now()
const at = (): string => ((performance.now() - t0) / 1000).toFixed(1)
const sink = (await create(
  { node: proxy.url, index: `${index}-%{+yyyy.MM.dd}`, buffer: { path: TMP }, deadLetter: path.join(TMP, '..', 'es-outage-dead-letter.ndjson') },
  { name: 'elasticsearch', instance: 0, log, emit() {} },
)) as EsSink

let peakRss = 0
let peakHeap = 0
let peakExternal = 0
let peakBufferBytes = 0
let peakBufferEvents = 0
let lastState = ''
const timeline: string[] = []
const sampler = setInterval(() => {
  const st: EsSinkStatus = sink.status()
  const mem = process.memoryUsage()
  peakRss = Math.max(peakRss, mem.rss)
  peakHeap = Math.max(peakHeap, mem.heapUsed)
  peakExternal = Math.max(peakExternal, mem.external)
  peakBufferBytes = Math.max(peakBufferBytes, st.bufferedBytes)
  peakBufferEvents = Math.max(peakBufferEvents, st.bufferedEvents)
  if (st.state !== lastState) {
    timeline.push(`${at()} s: sink ${st.state}`)
    lastState = st.state
  }
}, 100)

function copy(ev: LogEvent): LogEvent {
  return { ...ev, source: { ...(ev.source as object) }, event: { ...ev.event } }
}

let outageStart = 0
let outageEnd: Promise<void> | undefined
for (let start = 0; start < COUNT; start += 256) {
  if (!outageEnd && start >= COUNT / 2) {
    await proxy.refuse()
    outageStart = performance.now()
    timeline.push(`${at()} s: Elasticsearch unreachable (${start.toLocaleString('en-US')} events written, ${sink.status().indexed.toLocaleString('en-US')} indexed)`)
    outageEnd = new Promise<void>((resolve) =>
      setTimeout(() => {
        void proxy.accept().then(() => {
          timeline.push(`${at()} s: Elasticsearch back (${sink.status().bufferedEvents.toLocaleString('en-US')} events in the disk buffer)`)
          resolve()
        })
      }, OUTAGE_MS),
    )
  }
  const batch: LogEvent[] = []
  for (let i = start; i < Math.min(COUNT, start + 256); i++) batch.push(copy(eventAt(templates, i)))
  const r = sink.write(batch)
  if (r) await r
}
timeline.push(`${at()} s: all ${COUNT.toLocaleString('en-US')} events handed to the sink`)
await outageEnd
const back = performance.now()
await sink.flush()
while (sink.status().indexed + sink.status().duplicates + sink.status().deadLettered < COUNT || sink.status().bufferedEvents > 0) {
  await new Promise((r) => setTimeout(r, 100))
}
const drained = performance.now()
timeline.push(`${at()} s: every event delivered, disk buffer empty`)
clearInterval(sampler)
const st = sink.status()
await sink.close()
await proxy.close()
const totalSeconds = (drained - t0) / 1000

// Exactly once: the count, and each document id against the ids of the events written.
await es.indices.refresh({ index: `${index}-*` })
const count = (await es.count({ index: `${index}-*` })).count
const expected = new Set<string>()
for (let i = 0; i < COUNT; i++) expected.add(hashId(eventAt(templates, i)))
const got = new Set<string>()
let stored = 0
let page = await es.search({ index: `${index}-*`, scroll: '2m', size: 10_000, _source: false, sort: ['_doc'] })
while (page.hits.hits.length > 0) {
  for (const h of page.hits.hits) {
    stored++
    got.add(h._id!)
  }
  page = await es.scroll({ scroll_id: page._scroll_id!, scroll: '2m' })
}
await es.clearScroll({ scroll_id: page._scroll_id! }).catch(() => {})
let missing = 0
for (const id of expected) if (!got.has(id)) missing++
let unexpected = 0
for (const id of got) if (!expected.has(id)) unexpected++
const duplicatesStored = stored - got.size

await es.indices.delete({ index: `${index}-*` })
await es.indices.deleteIndexTemplate({ name: `bench-${run}` })
await es.close()
stopElasticsearch(node)
rmSync(TMP, { recursive: true, force: true })

const ok = count === COUNT && missing === 0 && unexpected === 0 && duplicatesStored === 0 && st.bufferedEvents === 0
const body = `
| figure | value |
|---|--:|
| events written | ${COUNT.toLocaleString('en-US')} |
| outage | ${(OUTAGE_MS / 1000).toFixed(0)} s, from ${((outageStart - t0) / 1000).toFixed(1)} s |
| documents in the index | ${count.toLocaleString('en-US')} |
| ids missing / not written by us / stored twice | ${missing} / ${unexpected} / ${duplicatesStored} |
| indexed / answered 409 (already there) / retried / dead-lettered / dropped | ${st.indexed.toLocaleString('en-US')} / ${st.duplicates.toLocaleString('en-US')} / ${st.retried.toLocaleString('en-US')} / ${st.deadLettered} / ${st.dropped} |
| disk buffer at its fullest | ${peakBufferEvents.toLocaleString('en-US')} events, ${mib(peakBufferBytes)} MiB |
| disk buffer at the end | ${st.bufferedEvents} events, ${st.bufferedBytes} bytes |
| peak RSS of the process (sink, event generator, proxy) | ${mib(peakRss)} MiB (JS heap in use at most ${mib(peakHeap)} MiB, buffers outside it ${mib(peakExternal)} MiB) |
| drain after Elasticsearch came back | ${((drained - back) / 1000).toFixed(1)} s |
| total, first event to last delivered | ${totalSeconds.toFixed(1)} s (${Math.round(COUNT / totalSeconds).toLocaleString('en-US')} events/s overall) |
| errors counted | ${Object.entries(st.metrics.errors).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ') || 'none'} |

Result: **${ok ? 'every event indexed exactly once; the disk buffer drained' : 'FAILED: see the figures'}**.

Timeline:

${timeline.map((l) => `- ${l}`).join('\n')}

- Elasticsearch ${node.version}, single node from \`scripts/elasticsearch.mjs\` (heap 512 MiB), behind a proxy in the same process (packages/sink-es/test/fixtures/fault-proxy.ts) that stops listening and destroys its open connections for the outage, so bulk requests in flight fail part-way.
- Events: PAN-OS TRAFFIC and THREAT parsed by @beer/parser-paloalto, ~2.3 KB of JSON each, each with its own @timestamp, source port and event.sequence; 256 per write(), awaited when write() returns a promise. The sink with its default options (16 MiB memory queue, 1 GiB disk buffer, \`whenFull: 'block'\`).
- The machine's cores are shared with Elasticsearch and (at the time of this run) other people's work.
`
console.log(body)
for (const l of logLines.slice(0, 12)) console.log(`  ${l.slice(0, 240)}`)
if (!opts['no-record']) recordResults('es-outage', 'Elasticsearch sink through a 60 s outage', COMMAND, body)
process.exit(ok ? 0 : 1)

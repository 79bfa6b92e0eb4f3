// The sink against a real Elasticsearch (see test/fixtures/es.ts for how it is found), with a
// fault-making proxy in front of it where a test needs outages, cut connections or 429s.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Client } from '@elastic/elasticsearch'
import { createPipeline } from '@beer/pipeline'
import type { LogEvent } from '@beer/core'
import { elasticsearch } from '../src/index.ts'
import type { EsSinkOptions, EsSinkStatus } from '../src/index.ts'
import { create } from '../src/elasticsearch.ts'
import { hashId } from '../src/document.ts'
import type { EsSink } from '../src/es-sink.ts'
import { main as esMain } from '../src/cli.ts'
import { client, context, findElasticsearch, sleep, trafficEvent, until } from './fixtures/es.ts'
import { FaultProxy } from './fixtures/fault-proxy.ts'
import { findBun, findDeno } from '../../../scripts/runtimes.mjs'
import { lineParser } from './fixtures/line-parser.ts'

const es = await findElasticsearch()
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const smoke = 'packages/sink-es/test/fixtures/runtime-smoke.ts'
const dirs: string[] = []
const mounts: string[] = []
const run = Math.random().toString(36).slice(2, 8)
let seq = 0

after(async () => {
  // A test that failed half-way must not leave a sink (client, timers) keeping the process alive.
  await Promise.allSettled(open.map((s) => s.close()))
  for (const m of mounts) spawnSync('umount', [m])
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-sink-es-'))
  dirs.push(d)
  return d
}

/** A name no other test (or earlier run) uses: indices, templates and data streams are per test. */
function unique(): string {
  return `beer-test-${run}-${++seq}`
}

type LiveSink = EsSink & { command(name: string, args?: unknown): unknown }

const open: LiveSink[] = []

async function sink(options: EsSinkOptions, ctx = context()): Promise<LiveSink> {
  const s = (await create(options, ctx)) as LiveSink
  open.push(s)
  return s
}

function status(s: LiveSink): EsSinkStatus {
  return s.command('status') as EsSinkStatus
}

async function count(c: Client, index: string): Promise<number> {
  await c.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true })
  return (await c.count({ index, ignore_unavailable: true, allow_no_indices: true })).count
}

async function writeAll(s: LiveSink, events: readonly LogEvent[], size = 250): Promise<void> {
  for (let i = 0; i < events.length; i += size) {
    const r = s.write(events.slice(i, i + size))
    if (r) await r
  }
}

async function readDeadLetters(file: string): Promise<Array<Record<string, any>>> {
  if (!existsSync(file)) return []
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>)
}

if (es.missingInCi) {
  it('finds the Elasticsearch the sink-es tests run against', () => {
    assert.fail(`${es.missingInCi}. CI starts one with: node scripts/elasticsearch.mjs start`)
  })
}

describe('elasticsearch sink against Elasticsearch', { skip: es.skip ?? (es.missingInCi ? 'no Elasticsearch' : false), timeout: 600_000 }, () => {
  const url = es.url ?? ''
  let c: Client
  let tmp: string
  /** Options every test starts from: fast timers, its own index, buffer and dead-letter file. */
  const base = (name: string, extra: EsSinkOptions = {}): EsSinkOptions => ({
    node: url,
    index: `${name}-%{+yyyy.MM.dd}`,
    buffer: { path: path.join(tmp, name, 'buffer'), segmentBytes: 256 * 1024 },
    deadLetter: path.join(tmp, name, 'dead-letter.ndjson'),
    batch: { maxEvents: 200, interval: 50 },
    retry: { initialDelay: 20, maxDelay: 500 },
    closeTimeout: 10_000,
    ...extra,
  })
  const template = (name: string): EsSinkOptions['template'] => ({ name, settings: { number_of_replicas: 0 } })

  before(async () => {
    c = client(url)
    tmp = await tempDir()
  })
  after(async () => {
    if (!c) return
    await c.indices.delete({ index: `beer-test-${run}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => {})
    await c.indices.deleteIndexTemplate({ name: `beer-test-${run}-*` }).catch(() => {})
    await c.close()
  })

  it('indexes every event once, with ids from the event: the same events again count as duplicates, by write() and by writeNdjson()', async () => {
    const name = unique()
    const s = await sink(base(name, { template: template(name) }))
    const events = Array.from({ length: 2000 }, (_, i) => trafficEvent(i))
    await writeAll(s, events)
    await s.flush()
    let st = status(s)
    assert.equal(st.indexed, 2000)
    assert.equal(st.duplicates, 0)
    assert.equal(await count(c, `${name}-*`), 2000)
    const doc = await c.get({ index: `${name}-2026.11.27`, id: hashId(events[7]) })
    assert.equal((doc._source as LogEvent).seq, 7)
    await writeAll(s, events.slice(0, 500))
    // The same events as a worker would hand them over: serialized, in chunks of whole lines.
    const text = events.slice(500, 1000).map((e) => JSON.stringify(e) + '\n').join('')
    await s.writeNdjson([text.slice(0, text.indexOf('\n', 1000) + 1), text.slice(text.indexOf('\n', 1000) + 1)], 500)
    await s.flush()
    st = status(s)
    assert.equal(st.indexed, 2000)
    assert.equal(st.duplicates, 1000)
    assert.equal(st.metrics.received_events, 3000)
    assert.equal(st.metrics.sent_events, 3000)
    assert.equal(st.esVersion?.split('.')[0], '9')
    assert.equal(st.template, 'installed')
    assert.equal(await count(c, `${name}-*`), 2000)
    await s.close()
    assert.equal(status(s).state, 'closed')
  })

  it('puts a document that breaks the mapping in the dead-letter file with the reason, status, index and document; its neighbours are indexed', async () => {
    const name = unique()
    const opts = base(name, { template: template(name) })
    const s = await sink(opts)
    const events = Array.from({ length: 10 }, (_, i) => trafficEvent(i))
    ;(events[4]!.source as Record<string, unknown>).port = 'not-a-port'
    await s.write(events)
    await s.flush()
    const st = status(s)
    assert.equal(st.indexed, 9)
    assert.equal(st.deadLettered, 1)
    assert.equal(st.metrics.dropped_events.dead_letter, 1)
    assert.equal(st.metrics.errors.BEER_ERR_SINK_ES_DOCUMENT, 1)
    assert.equal(await count(c, `${name}-*`), 9)
    const [dl, ...more] = await readDeadLetters(opts.deadLetter!)
    assert.equal(more.length, 0)
    assert.equal(dl!.error.status, 400)
    assert.equal(dl!.error.code, 'BEER_ERR_SINK_ES_DOCUMENT')
    assert.match(dl!.error.type, /parsing_exception/)
    assert.match(dl!.error.reason, /source\.port/)
    assert.equal(dl!.beer.dead_letter.index, `${name}-2026.11.27`)
    assert.equal(dl!.beer.dead_letter.id, hashId(events[4]))
    assert.deepEqual(dl!.event, events[4])
    await s.close()

    // Fixed by hand and replayed: it lands in the index it was meant for, under its id.
    ;(dl!.event as { source: { port: unknown } }).source.port = 4444
    const fixed = path.join(tmp, name, 'fixed.ndjson')
    await writeFile(fixed, JSON.stringify(dl) + '\n')
    assert.equal(await quietly(() => esMain(['replay', fixed, '--url', url])), 0)
    const got = await c.get({ index: `${name}-2026.11.27`, id: hashId(events[4]) })
    assert.equal((got._source as { source: { port: number } }).source.port, 4444)
  })

  it('installs the ECS template idempotently, and the index gets its mappings', async () => {
    const name = unique()
    const s = await sink(base(name, { template: template(name) }))
    await s.write([{ ...trafficEvent(1), vendor_thing: { label: 'x', when: '2026-11-27T10:00:00Z' } }])
    await s.flush()
    assert.deepEqual(await s.command('template'), { template: 'unchanged', name, patterns: [`${name}-*`] })
    await s.close()
    const m = (await c.indices.getMapping({ index: `${name}-2026.11.27` }))[`${name}-2026.11.27`]!.mappings as any
    const p = m.properties
    assert.equal(p['@timestamp'].type, 'date')
    assert.equal(p.message.type, 'text')
    assert.equal(p.source.properties.ip.type, 'ip')
    assert.equal(p.related.properties.ip.type, 'ip')
    assert.equal(p.destination.properties.geo.properties.location.type, 'geo_point')
    assert.equal(p.source.properties.port.type, 'long')
    assert.equal(p.network.properties.bytes.type, 'long')
    assert.equal(p.event.properties.created.type, 'date')
    assert.equal(p.panw.properties.panos.properties.flow_id.type, 'keyword')
    // Dynamic: strings as keyword, dates not guessed.
    assert.equal(p.vendor_thing.properties.label.type, 'keyword')
    assert.equal(p.vendor_thing.properties.when.type, 'keyword')
    assert.equal(await quietly(() => esMain(['template', '--url', url, '--template-name', name, '--index', `${name}-%{+yyyy.MM.dd}`])), 0)
  })

  it('retries only the documents refused with 429, with backoff, until every one is in', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.rejectFraction = 0.3
      const s = await sink(base(name, { node: proxy.url, template: template(name) }))
      const events = Array.from({ length: 1500 }, (_, i) => trafficEvent(i))
      await writeAll(s, events)
      await s.flush()
      const st = status(s)
      assert.ok(proxy.rejectedItems > 100, `the proxy refused ${proxy.rejectedItems} items`)
      assert.equal(st.indexed, 1500)
      assert.equal(st.duplicates, 0, 'only refused items are sent again')
      assert.ok(st.retried >= proxy.rejectedItems)
      assert.equal(st.metrics.errors.BEER_ERR_SINK_ES_REJECTED, proxy.rejectedItems)
      assert.equal(st.deadLettered, 0)
      assert.equal(await count(c, `${name}-*`), 1500)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('waits in flush() while a few documents are refused as overloaded round after round and the rest go in (a partial overload)', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      // Two batches sent side by side, the first document of each refused again and again: the
      // second batch's for five rounds, the first's for eight. When the second batch is done, the
      // first has been refused whole for longer than two backoffs at maxDelay; but the cluster took
      // everything else, so this is no lasting overload, and flush() waits for that document too.
      const refusals = new Map([['"sequence_number":"0"', 8], ['"sequence_number":"10"', 5]])
      proxy.rejectItem = (doc) => {
        for (const [marker, left] of refusals) {
          if (left > 0 && doc.includes(marker)) {
            refusals.set(marker, left - 1)
            return true
          }
        }
        return false
      }
      const opts = base(name, { node: proxy.url, template: template(name), batch: { maxEvents: 10, interval: 50 }, retry: { initialDelay: 5, maxDelay: 50 } })
      const s = await sink(opts)
      await writeAll(s, Array.from({ length: 20 }, (_, i) => trafficEvent(i)))
      await s.flush()
      const st = status(s)
      assert.equal(proxy.rejectedItems, 13)
      assert.deepEqual([st.indexed, st.retried, st.deadLettered], [20, 13, 0])
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('keeps retrying documents refused as overloaded past retry.maxAttempts, and indexes them once the overload ends', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.rejectFraction = 1
      const ctx = context()
      const s = await sink(base(name, { node: proxy.url, retry: { initialDelay: 5, maxDelay: 20, maxAttempts: 3 } }), ctx)
      await s.write([trafficEvent(1), trafficEvent(2)])
      // flush() does not wait out an overload, as it does not wait out an outage: the batch stays
      // with its sender, which keeps retrying.
      await s.flush()
      // Far more rounds than maxAttempts: an overloaded cluster is waited for, not given up on.
      await until('ten rounds of refusals', () => proxy.rejectedItems >= 20)
      let st = status(s)
      assert.equal(st.deadLettered, 0)
      assert.equal(st.indexed, 0)
      assert.ok(ctx.logged.some((l) => l.level === 'warn' && /keeps refusing documents as overloaded .*up to 120 times/.test(l.message)), 'an operator is told')
      // The overload ends: everything goes in, once.
      proxy.rejectFraction = 0
      await until('both indexed', () => status(s).indexed === 2)
      await s.flush()
      st = status(s)
      assert.deepEqual([st.indexed, st.deadLettered, st.duplicates], [2, 0, 0])
      assert.equal(await count(c, `${name}-*`), 2)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('counts overload refusals and server errors of a document apart, each against its own limit', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.rejectFraction = 1
      // 429, 503, 429, 503, 429: three of each kind would be needed before either limit of 3 is reached.
      proxy.refusal = (n) => (n % 2 === 1 ? { status: 429, type: 'es_rejected_execution_exception' } : { status: 503, type: 'unavailable_shards_exception' })
      const opts = base(name, { node: proxy.url, retry: { initialDelay: 5, maxDelay: 20, maxAttempts: 3, maxRejections: 3 } })
      const s = await sink(opts)
      await s.write([trafficEvent(1)])
      await until('dead-lettered', () => status(s).deadLettered === 1)
      assert.equal(proxy.bulkRequests, 5, 'refused five times: three overloads and two server errors')
      const [dl] = await readDeadLetters(opts.deadLetter!)
      assert.deepEqual([dl!.error.status, dl!.error.type], [429, 'es_rejected_execution_exception'])
      assert.match(dl!.error.reason, /gave up after 3 overload refusals/)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('dead-letters a document still refused after retry.maxRejections, with BEER_ERR_SINK_ES_RETRIES', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.rejectFraction = 1
      const opts = base(name, { node: proxy.url, retry: { initialDelay: 5, maxDelay: 20, maxRejections: 3 } })
      const s = await sink(opts)
      await s.write([trafficEvent(1), trafficEvent(2)])
      await s.flush()
      const st = status(s)
      assert.equal(st.deadLettered, 2)
      assert.equal(st.retried, 4)
      const dls = await readDeadLetters(opts.deadLetter!)
      assert.deepEqual(
        dls.map((d) => [d.error.code, d.error.status, d.error.type]),
        [
          ['BEER_ERR_SINK_ES_RETRIES', 429, 'es_rejected_execution_exception'],
          ['BEER_ERR_SINK_ES_RETRIES', 429, 'es_rejected_execution_exception'],
        ],
      )
      assert.match(dls[0]!.error.reason, /gave up after 3 overload refusals/)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('rides out an outage: buffers on disk while connections are refused, then sends everything exactly once', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      const ctx = context()
      const s = await sink(base(name, { node: proxy.url, template: template(name) }), ctx)
      const events = Array.from({ length: 3000 }, (_, i) => trafficEvent(i))
      await writeAll(s, events.slice(0, 1000))
      await proxy.refuse()
      for (let i = 1000; i < 2000; i += 100) {
        await writeAll(s, events.slice(i, i + 100))
        await sleep(100)
      }
      await until('the sink sees the outage', () => status(s).state === 'down')
      await s.flush()
      const down = status(s)
      assert.ok(down.bufferedEvents > 0, 'events wait in the disk buffer')
      assert.ok(down.metrics.errors.BEER_ERR_SINK_ES_UNREACHABLE! > 0)
      assert.equal(down.lastError?.code, 'BEER_ERR_SINK_ES_UNREACHABLE')
      assert.ok(ctx.logged.some((l) => l.level === 'warn' && /cannot reach Elasticsearch/.test(l.message) && /disk buffer/.test(l.message)))
      await proxy.accept()
      await writeAll(s, events.slice(2000))
      await until('everything is in', () => status(s).indexed + status(s).duplicates === 3000 && status(s).bufferedEvents === 0)
      await s.flush()
      const st = status(s)
      assert.equal(st.state, 'up')
      assert.equal(st.deadLettered, 0)
      assert.equal(await count(c, `${name}-*`), 3000)
      assert.ok(ctx.logged.some((l) => /answers again/.test(l.message)))
      await s.close()
      assert.deepEqual((await readdir(path.join(tmp, name, 'buffer'))).filter((f) => f.endsWith('.seg')), [])
    } finally {
      await proxy.close()
    }
  })

  it('a connection cut after Elasticsearch indexed a bulk request: the retry is answered 409, counted as duplicates, stored once', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.dropResponses = 2
      const s = await sink(base(name, { node: proxy.url, template: template(name) }))
      await writeAll(s, Array.from({ length: 1000 }, (_, i) => trafficEvent(i)))
      await until('everything is in', () => status(s).indexed + status(s).duplicates === 1000)
      const st = status(s)
      assert.equal(proxy.droppedResponses, 2)
      assert.ok(st.duplicates > 0, 'the documents indexed before the cut come back as 409')
      assert.equal(await count(c, `${name}-*`), 1000)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('keeps the disk buffer across a restart of the sink, and the next sink drains it', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    await proxy.refuse()
    try {
      const opts = base(name, { node: proxy.url, template: template(name) })
      const first = await sink(opts)
      const events = Array.from({ length: 1200 }, (_, i) => trafficEvent(i))
      await writeAll(first, events)
      await first.close()
      const closed = status(first)
      assert.equal(closed.bufferedEvents, 1200)
      assert.equal(closed.indexed, 0)
      assert.equal(closed.metrics.dropped_events.lost_on_close, undefined)

      await proxy.accept()
      const ctx = context()
      const second = await sink(opts, ctx)
      assert.ok(ctx.logged.some((l) => /holds 1200 events/.test(l.message)))
      await until('the buffer is drained', () => status(second).indexed === 1200 && status(second).bufferedEvents === 0)
      assert.equal(await count(c, `${name}-*`), 1200)
      await second.close()
    } finally {
      await proxy.close()
    }
  })

  it("when the disk buffer is full, 'drop-newest' drops and counts", async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    await proxy.refuse()
    try {
      const opts = base(name, {
        node: proxy.url,
        whenFull: 'drop-newest',
        maxQueuedBytes: 0,
        batch: { maxEvents: 10, interval: 20 },
        buffer: { path: path.join(tmp, name, 'buffer'), maxBytes: 64 * 1024, segmentBytes: 16 * 1024 },
      })
      const ctx = context()
      const s = await sink(opts, ctx)
      const events = Array.from({ length: 300 }, (_, i) => trafficEvent(i))
      for (let i = 0; i < 300; i += 10) {
        const r = s.write(events.slice(i, i + 10))
        assert.equal(r, undefined, 'drop-newest never holds the writer back')
        await sleep(5)
      }
      await s.flush()
      const full = status(s)
      const dropped = full.metrics.dropped_events.buffer_full ?? 0
      assert.ok(dropped > 0, 'events were dropped')
      assert.ok(full.bufferedBytes <= 64 * 1024)
      assert.ok(ctx.logged.some((l) => /drop-newest/.test(l.message) && /dropped_events\.buffer_full/.test(l.message)))
      await proxy.accept()
      await until('the buffer is drained', () => status(s).bufferedEvents === 0 && status(s).inFlightEvents === 0 && status(s).indexed === 300 - dropped)
      assert.equal(await count(c, `${name}-*`), 300 - dropped)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it("when the disk buffer is full, 'block' holds the writer back until there is room, and loses nothing", async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    await proxy.refuse()
    try {
      const opts = base(name, {
        node: proxy.url,
        maxQueuedBytes: 0,
        batch: { maxEvents: 10, interval: 20 },
        buffer: { path: path.join(tmp, name, 'buffer'), maxBytes: 64 * 1024, segmentBytes: 16 * 1024 },
      })
      const s = await sink(opts)
      const events = Array.from({ length: 300 }, (_, i) => trafficEvent(i))
      let blocked: Promise<void> | undefined
      let i = 0
      for (; i < 300 && !blocked; i += 10) {
        const r = s.write(events.slice(i, i + 10))
        if (r) blocked = r
        await sleep(5)
      }
      assert.ok(blocked, 'write() returned a promise once the buffer was full')
      let settled = false
      void blocked.then(() => (settled = true))
      await sleep(1000)
      assert.equal(settled, false, 'it stays pending while Elasticsearch is away')
      assert.ok(status(s).bufferedBytes <= 64 * 1024)
      await proxy.accept()
      await blocked
      await writeAll(s, events.slice(i), 10)
      await until('everything is in', () => status(s).indexed === 300 && status(s).bufferedEvents === 0)
      assert.equal(status(s).dropped, 0)
      assert.equal(await count(c, `${name}-*`), 300)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('sends a 100 MB document to the dead letters without sending it (maxDocumentBytes); its neighbours are indexed', async () => {
    const name = unique()
    const opts = base(name)
    const s = await sink(opts)
    const big = { ...trafficEvent(2), message: 'x'.repeat(100 * 1024 * 1024) }
    await s.write([trafficEvent(1), big, trafficEvent(3)])
    await s.flush()
    const st = status(s)
    assert.equal(st.indexed, 2)
    assert.equal(st.deadLettered, 1)
    assert.equal(st.metrics.errors.BEER_ERR_SINK_ES_TOO_LARGE, 1)
    assert.equal(await count(c, `${name}-*`), 2)
    const text = await readFile(opts.deadLetter!, 'utf8')
    const head = JSON.parse(text.slice(0, text.indexOf(',"beer"')) + '}') as { error: { status: number; code: string; reason: string } }
    assert.equal(head.error.status, 413)
    assert.equal(head.error.code, 'BEER_ERR_SINK_ES_TOO_LARGE')
    assert.match(head.error.reason, /more than maxDocumentBytes/)
    assert.ok(text.length > 100 * 1024 * 1024, 'the document itself is kept')
    await s.close()
  })

  it('splits a request Elasticsearch refuses as too large (413) until the one document is alone, and dead-letters that one', async () => {
    const name = unique()
    const proxy = await FaultProxy.start(url)
    try {
      proxy.maxBodyBytes = 40_000
      const opts = base(name, { node: proxy.url })
      const s = await sink(opts)
      const events = Array.from({ length: 20 }, (_, i) => trafficEvent(i))
      events[13] = { ...events[13]!, message: 'y'.repeat(50_000) }
      await s.write(events)
      await s.flush()
      const st = status(s)
      assert.ok(proxy.tooLarge >= 2)
      assert.equal(st.indexed, 19)
      assert.equal(st.deadLettered, 1)
      const [dl] = await readDeadLetters(opts.deadLetter!)
      assert.equal(dl!.error.status, 413)
      assert.equal(dl!.event.seq, 13)
      assert.equal(await count(c, `${name}-*`), 19)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('a full disk under the buffer (ENOSPC) is counted and explained; nothing crashes, and with block nothing is lost', async (t) => {
    const name = unique()
    const mnt = path.join(tmp, name, 'tmpfs')
    await mkdir(mnt, { recursive: true })
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' })
    if (m.status !== 0) {
      t.skip(`cannot mount a small tmpfs to fill (${(m.stderr || m.error?.message || '').trim()}); needs root`)
      return
    }
    mounts.push(mnt)
    const proxy = await FaultProxy.start(url)
    await proxy.refuse()
    try {
      const ctx = context()
      const opts = base(name, {
        node: proxy.url,
        maxQueuedBytes: 0,
        batch: { maxEvents: 20, interval: 20 },
        buffer: { path: mnt, maxBytes: 64 * 1024 * 1024, segmentBytes: 128 * 1024 },
      })
      const s = await sink(opts, ctx)
      const events = Array.from({ length: 400 }, (_, i) => ({ ...trafficEvent(i), padding: 'p'.repeat(8000) }))
      let blocked: Promise<void> | undefined
      let i = 0
      for (; i < 400 && !blocked; i += 20) {
        const r = s.write(events.slice(i, i + 20))
        if (r) blocked = r
        await sleep(10)
      }
      await until('the full disk is seen', () => (status(s).metrics.errors.ENOSPC ?? 0) > 0, 20_000)
      assert.ok(blocked, 'the writer is held back')
      assert.ok(ctx.logged.some((l) => l.level === 'error' && /ENOSPC/.test(l.message) && /disk holding it is full/.test(l.message)))
      await proxy.accept()
      await blocked
      await writeAll(s, events.slice(i), 20)
      await until('everything is in', () => status(s).indexed === 400 && status(s).bufferedEvents === 0, 60_000)
      assert.equal(await count(c, `${name}-*`), 400)
      assert.equal(status(s).dropped, 0)
      await s.close()
    } finally {
      await proxy.close()
    }
  })

  it('writes to a data stream with create where the cluster has them; the same events again are duplicates', async () => {
    const ds = `logs-${unique().replaceAll('-', '')}-default`
    const name = unique()
    const s = await sink({ ...base(name), dataStream: ds, template: template(name) })
    const events = Array.from({ length: 300 }, (_, i) => trafficEvent(i))
    await writeAll(s, events)
    await s.flush()
    assert.equal(status(s).mode, 'data_stream')
    const resolved = await c.indices.resolveIndex({ name: ds })
    assert.deepEqual(resolved.data_streams.map((d) => d.name), [ds])
    await writeAll(s, events)
    await s.flush()
    assert.equal(status(s).indexed, 300)
    assert.equal(status(s).duplicates, 300)
    assert.equal(await count(c, ds), 300)
    await s.close()
  })

  it('falls back to the index pattern when nothing makes the name a data stream', async () => {
    const name = unique()
    const ctx = context()
    const s = await sink({ ...base(name), dataStream: `${name}-stream` }, ctx)
    await s.write([trafficEvent(1)])
    await s.flush()
    const st = status(s)
    assert.equal(st.mode, 'index')
    assert.equal(st.metrics.errors.BEER_ERR_SINK_ES_DATA_STREAM, 1)
    assert.ok(ctx.logged.some((l) => l.level === 'warn' && /writing to the index pattern/.test(l.message)))
    assert.equal(await count(c, `${name}-2026.11.27`), 1)
    await s.close()
  })

  it("replays an NDJSON file with 'beer es replay'; a second replay stores nothing twice", async () => {
    const name = unique()
    const file = path.join(tmp, `${name}.ndjson`)
    const events = Array.from({ length: 700 }, (_, i) => trafficEvent(i))
    await writeFile(file, events.map((e) => JSON.stringify(e) + '\n').join(''))
    const first = await captured(() => esMain(['replay', file, '--url', url, '--index', `${name}-%{+yyyy.MM.dd}`, '--json']))
    assert.equal(first.code, 0)
    assert.deepEqual(pick(JSON.parse(first.out)), { lines: 700, indexed: 700, duplicates: 0, deadLettered: 0, invalid: 0 })
    // Through the `beer` command, which hands `es` over to this package.
    const { main: beer } = await import('@beer/cli')
    const second = await captured(() => beer(['es', 'replay', file, '--url', url, '--index', `${name}-%{+yyyy.MM.dd}`, '--json']))
    assert.equal(second.code, 0)
    assert.deepEqual(pick(JSON.parse(second.out)), { lines: 700, indexed: 0, duplicates: 700, deadLettered: 0, invalid: 0 })
    assert.equal(await count(c, `${name}-*`), 700)
    // Progress lines when stderr is not a terminal.
    assert.match(second.err, /replay: +\d+% /)
  })

  const runtimes: Array<[string, () => { command: string; args: string[] } | string]> = [
    ['Node', () => ({ command: process.execPath, args: ['--import', 'tsx', smoke] })],
    ['Bun', () => {
      const b = findBun()
      return b.found ? { command: b.path, args: [smoke] } : b.reason
    }],
    ['Deno', () => {
      const d = findDeno()
      return d.found ? { command: d.path, args: ['run', '-A', smoke] } : d.reason
    }],
  ]
  for (const [runtime, find] of runtimes) {
    const how = find()
    const title = `indexes under ${runtime}`
    if (typeof how === 'string') {
      if (runtime === 'Node' || process.env.CI === 'true') it(title, () => assert.fail(how))
      else it(title, { skip: `${runtime} not found: ${how}` })
      continue
    }
    it(title, { timeout: 120_000 }, async () => {
      const name = unique()
      const dir = await tempDir()
      const r = spawnSync(how.command, [...how.args, url, `${name}-%{+yyyy.MM.dd}`, dir], { cwd: repoRoot, encoding: 'utf8', timeout: 100_000 })
      assert.equal(r.status, 0, r.stderr)
      const st = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { indexed: number; duplicates: number; state: string; esVersion: string }
      assert.deepEqual({ ...st, esVersion: st.esVersion.split('.')[0] }, { indexed: 200, duplicates: 0, state: 'up', esVersion: '9' })
      assert.equal(await count(c, `${name}-*`), 200)
    })
  }

  it('runs in a pipeline: events parsed in worker threads reach it as NDJSON, and it answers status', async () => {
    const name = unique()
    const preload = [new URL('./fixtures/register-tsx.mjs', import.meta.url).href]
    const p = createPipeline({
      preload,
      parsers: [{ descriptor: lineParser(), placement: { run: 'worker', instances: 2 } }],
      sinks: [{ descriptor: elasticsearch(base(name, { name: 'es', template: template(name) })) }],
      logger: () => ({ info() {}, warn() {}, error() {} }),
    })
    await p.start()
    try {
      for (let i = 0; i < 2000; i += 100) {
        const r = p.push(Array.from({ length: 100 }, (_, k) => ({ text: String(i + k) })))
        if (r) await r
      }
      const [answer] = await p.command('flush', undefined, 'es')
      assert.equal(answer!.answer, 'flushed')
      const [st] = await p.command('status', undefined, 'es')
      assert.equal((st!.answer as EsSinkStatus).indexed, 2000)
      const row = p.status().find((r) => r.name === 'es')!
      assert.equal(row.metrics.received_events, 2000)
    } finally {
      await p.stop()
    }
    assert.equal(await count(c, `${name}-*`), 2000)
  })
})

describe('elasticsearch sink without Elasticsearch', () => {
  it('starts when Elasticsearch is unreachable: events wait in the disk buffer, and close keeps them there', async () => {
    const dir = await tempDir()
    const ctx = context()
    const s = await sink(
      {
        node: 'http://127.0.0.1:9',
        buffer: { path: path.join(dir, 'buffer') },
        deadLetter: path.join(dir, 'dl.ndjson'),
        batch: { interval: 20 },
        retry: { initialDelay: 10, maxDelay: 100 },
      },
      ctx,
    )
    await writeAll(s, Array.from({ length: 100 }, (_, i) => trafficEvent(i)))
    await until('the sink sees the outage', () => status(s).state === 'down', 10_000)
    await s.flush()
    const st = status(s)
    assert.equal(st.bufferedEvents, 100)
    assert.equal(st.lastError?.code, 'BEER_ERR_SINK_ES_UNREACHABLE')
    assert.equal(st.esVersion, null)
    await s.close()
    assert.ok(ctx.logged.some((l) => /closed with 100 events in the disk buffer/.test(l.message)))
    assert.throws(() => s.write([trafficEvent(1)]), { code: 'BEER_ERR_SINK_ES_CLOSED' })
  })

  it("'beer es replay' exits 3 with BEER_ERR_SINK_ES_UNREACHABLE when nothing answers", async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'events.ndjson')
    await writeFile(file, JSON.stringify(trafficEvent(1)) + '\n')
    const r = await captured(() => esMain(['replay', file, '--url', 'http://127.0.0.1:9', '--wait', '1']))
    assert.equal(r.code, 3)
    assert.match(r.err, /BEER_ERR_SINK_ES_UNREACHABLE/)
    assert.match(r.err, /Run the same replay again/)
  })
})

function pick(s: Record<string, unknown>): Record<string, unknown> {
  return { lines: s.lines, indexed: s.indexed, duplicates: s.duplicates, deadLettered: s.deadLettered, invalid: s.invalid }
}

/** Runs a command with stdout and stderr captured. */
async function captured(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const w1 = process.stdout.write.bind(process.stdout)
  const w2 = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write
  try {
    return { code: await fn(), out: out.join(''), err: err.join('') }
  } finally {
    process.stdout.write = w1
    process.stderr.write = w2
  }
}

async function quietly(fn: () => Promise<number>): Promise<number> {
  return (await captured(fn)).code
}


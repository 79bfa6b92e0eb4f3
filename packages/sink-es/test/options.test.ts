import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { hasCode } from '@beer/core'
import { elasticsearch } from '../src/index.ts'
import { bulkBody, BatchBuilder, indexPayload, readItem } from '../src/batch.ts'
import { canonicalJson, documentId, eventTime, hashId, IndexNamer, topLevelTimestamp } from '../src/document.ts'
import { resolveOptions } from '../src/options.ts'
import { templateBody } from '../src/template.ts'
import { crc32, crc32js } from '../src/crc32.ts'

describe('options', () => {
  it('returns a cloneable descriptor with the defaults documented', () => {
    const d = elasticsearch()
    assert.equal(d.kind, 'sink')
    assert.equal(d.name, 'elasticsearch')
    assert.equal(d.export, 'create')
    assert.deepEqual(structuredClone(d), d)
    const o = resolveOptions({})
    assert.deepEqual(o.nodes, ['http://localhost:9200'])
    assert.equal(o.index, 'beer-%{+yyyy.MM.dd}')
    assert.equal(o.maxEvents, 1000)
    assert.equal(o.maxBytes, 5 * 1024 * 1024)
    assert.equal(o.interval, 1000)
    assert.equal(o.concurrency, 2)
    assert.equal(o.whenFull, 'block')
    assert.deepEqual(o.buffer, { path: './data/es-buffer/elasticsearch', maxBytes: 1024 ** 3, segmentBytes: 16 * 1024 ** 2 })
    assert.equal(o.deadLetter, './data/es-dead-letter.ndjson')
    assert.equal(o.template, false)
  })

  it('refuses bad options with BEER_ERR_SINK_ES_OPTIONS naming the option', () => {
    const cases: Array<[object, string]> = [
      [{ node: 'localhost:9200' }, 'node'],
      [{ node: 'ftp://x' }, 'node'],
      [{ node: [] }, 'node'],
      [{ index: 'Beer-%{+yyyy}' }, 'index'],
      [{ index: 'beer-%{+yyyy.QQ}' }, 'index'],
      [{ index: 'beer-%{host.name}' }, 'index'],
      [{ index: '_beer' }, 'index'],
      [{ dataStream: 'logs-%{+yyyy}' }, 'dataStream'],
      [{ batch: { maxEvents: 0 } }, 'batch.maxEvents'],
      [{ batch: { interval: 1.5 } }, 'batch.interval'],
      [{ concurrency: 100 }, 'concurrency'],
      [{ whenFull: 'drop-oldest' }, 'whenFull'],
      [{ documentId: 'uuid' }, 'documentId'],
      [{ maxDocumentBytes: 200 * 1024 * 1024 }, 'maxDocumentBytes'],
      [{ template: 'yes' }, 'template'],
      [{ buffer: { maxBytes: 10 } }, 'buffer.maxBytes'],
      [{ tls: { rejectUnauthorized: 'no' } }, 'tls.rejectUnauthorized'],
    ]
    for (const [options, option] of cases) {
      assert.throws(
        () => elasticsearch(options as never),
        (err: unknown) => hasCode(err, 'BEER_ERR_SINK_ES_OPTIONS') && (err as { details: { option: string } }).details.option === option,
        JSON.stringify(options),
      )
    }
  })

  it('refuses an auth of unknown shape with BEER_ERR_SINK_ES_AUTH, and takes the three it knows', () => {
    for (const auth of [{ user: 'a', pass: 'b' }, { username: 'a' }, { apiKey: '' }, { apiKey: 'k', bearer: 't' }, 'secret']) {
      assert.throws(() => elasticsearch({ auth: auth as never }), (err: unknown) => hasCode(err, 'BEER_ERR_SINK_ES_AUTH'), JSON.stringify(auth))
    }
    for (const auth of [{ username: 'a', password: 'b' }, { apiKey: 'aWQ6a2V5' }, { bearer: 't' }]) elasticsearch({ auth })
  })
})

describe('document ids and index names', () => {
  it('gives the same id to the same event, another to another event, and with canonical ids whatever the key order', () => {
    const a = { '@timestamp': '2026-11-27T10:00:00Z', source: { ip: '192.0.2.1', port: 1 }, message: 'x' }
    const b = { message: 'x', source: { port: 1, ip: '192.0.2.1' }, '@timestamp': '2026-11-27T10:00:00Z' }
    assert.equal(hashId(a), hashId(structuredClone(a)))
    assert.equal(hashId(a), hashId(JSON.parse(JSON.stringify(a))))
    assert.notEqual(hashId(a), hashId({ ...a, message: 'y' }))
    assert.match(hashId(a), /^[A-Za-z0-9_-]{22}$/)
    assert.notEqual(hashId(a), hashId(b))
    assert.equal(hashId(a, true), hashId(b, true))
    assert.equal(canonicalJson(b), '{"@timestamp":"2026-11-27T10:00:00Z","message":"x","source":{"ip":"192.0.2.1","port":1}}')
  })

  it('finds the top-level @timestamp in JSON text without parsing it, and only that one', () => {
    assert.equal(topLevelTimestamp('{"a":1,"@timestamp":"2026-11-27T10:00:00Z"}'), '2026-11-27T10:00:00Z')
    assert.equal(topLevelTimestamp('{"x":{"@timestamp":"1999-01-01T00:00:00Z"}}'), undefined)
    assert.equal(topLevelTimestamp('{"m":"a { b","x":[{"y":"}"}],"@timestamp":"2026-11-27T10:00:00Z"}'), '2026-11-27T10:00:00Z')
    assert.equal(topLevelTimestamp('{"m":"say \\"@timestamp\\":\\"no\\"","@timestamp":"2026-01-01T00:00:00Z"}'), '2026-01-01T00:00:00Z')
    assert.equal(topLevelTimestamp('{"@timestamp":1764237600000}'), undefined)
  })

  it('writes canonical JSON by JSON.stringify rules for odd values', () => {
    const v = { u: undefined, f: () => 1, n: Number.NaN, a: [undefined, 1], d: new Date(0), nested: { z: 1, a: null } }
    assert.equal(canonicalJson(v), '{"a":[null,1],"d":"1970-01-01T00:00:00.000Z","n":null,"nested":{"a":null,"z":1}}')
    assert.deepEqual(JSON.parse(canonicalJson(v)), JSON.parse(JSON.stringify(v)))
  })

  it("uses event.id when asked and present, the hash of the bytes otherwise (null), and '' for none", () => {
    const ev = { event: { id: 'abc' }, message: 'x' }
    assert.equal(documentId(ev, 'event.id'), 'abc')
    assert.equal(documentId({ message: 'x' }, 'event.id'), null)
    assert.equal(documentId(ev, 'hash'), null)
    assert.equal(documentId(ev, 'none'), '')
  })

  it('names daily, hourly and weekly indices from @timestamp in UTC', () => {
    assert.equal(new IndexNamer('beer-%{+yyyy.MM.dd}').name(eventTime({ '@timestamp': '2026-11-27T23:30:00-02:00' })), 'beer-2026.11.28')
    assert.equal(new IndexNamer('logs-%{+yyyy.MM.dd.HH}').name(Date.UTC(2026, 0, 2, 3)), 'logs-2026.01.02.03')
    // 2027-01-01 is a Friday: ISO week 53 of 2026.
    assert.equal(new IndexNamer('w-%{+xxxx.ww}').name(Date.UTC(2027, 0, 1)), 'w-2026.53')
    assert.equal(new IndexNamer('static').name(0), 'static')
    assert.equal(new IndexNamer('beer-%{+yyyy.MM.dd}').wildcard(), 'beer-*')
    assert.equal(eventTime({ event: { created: '2026-11-27T10:00:00Z' } }), Date.UTC(2026, 10, 27, 10))
    assert.ok(Number.isNaN(eventTime({ '@timestamp': 'yesterday' })))
  })
})

describe('batches', () => {
  it('keeps id, time, index and document of each item, and writes create actions', () => {
    const b = new BatchBuilder()
    b.add('id1', Date.UTC(2026, 10, 27), '', '{"a":1}')
    b.add('', Number.NaN, 'fixed', '{"b":"ünï"}')
    b.add(null, 0, '', '{"c":3}')
    const batch = b.take()
    assert.equal(batch.count, 3)
    assert.deepEqual(indexPayload(batch.payload, 3), batch.offsets)
    assert.equal(readItem(batch.payload, batch.offsets[2]!).id, hashId({ c: 3 }))
    const it1 = readItem(batch.payload, batch.offsets[1]!)
    assert.equal(it1.index, 'fixed')
    assert.ok(Number.isNaN(it1.time))
    const namer = new IndexNamer('beer-%{+yyyy.MM.dd}')
    const { body } = bulkBody(batch, [0, 1], (it) => it.index || namer.name(it.time))
    assert.equal(
      body.toString(),
      '{"create":{"_index":"beer-2026.11.27","_id":"id1"}}\n{"a":1}\n{"create":{"_index":"fixed"}}\n{"b":"ünï"}\n',
    )
    assert.equal(indexPayload(batch.payload, 2), undefined)
  })
})

describe('template', () => {
  it('maps the ECS fields parsers emit, and strings as keyword', () => {
    const t = templateBody({ name: 'beer-ecs', patterns: ['beer-*'], priority: 200, settings: {}, dataStream: false }) as {
      template: { mappings: { properties: Record<string, { properties?: Record<string, unknown>; type?: string }>; dynamic_templates: unknown[] } }
      data_stream?: unknown
    }
    const p = t.template.mappings.properties
    const type = (path: string): unknown => path.split('.').reduce<unknown>((node, k) => (node as { properties: Record<string, unknown> }).properties[k], { properties: p } as unknown) as unknown
    assert.deepEqual(type('@timestamp'), { type: 'date' })
    assert.deepEqual(type('source.ip'), { type: 'ip' })
    assert.deepEqual(type('related.ip'), { type: 'ip' })
    assert.deepEqual(type('destination.geo.location'), { type: 'geo_point' })
    assert.deepEqual(type('source.port'), { type: 'long' })
    assert.deepEqual(type('network.bytes'), { type: 'long' })
    assert.deepEqual(type('event.created'), { type: 'date' })
    assert.deepEqual(type('observer.hostname'), { type: 'keyword', ignore_above: 1024 })
    assert.ok(JSON.stringify(t.template.mappings.dynamic_templates).includes('"match_mapping_type":"string","mapping":{"type":"keyword"'))
    assert.equal(t.data_stream, undefined)
    assert.deepEqual(templateBody({ name: 'x', patterns: ['logs-beer-default'], priority: 200, settings: {}, dataStream: true }).data_stream, {})
  })
})

describe('crc32', () => {
  it('agrees with zlib', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog')
    assert.equal(crc32js(data), 0x414fa339)
    assert.equal(crc32(data), 0x414fa339)
    assert.equal(crc32js(data.subarray(10), crc32js(data.subarray(0, 10))), 0x414fa339)
  })
})

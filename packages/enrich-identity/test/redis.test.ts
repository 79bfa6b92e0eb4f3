import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Redis } from 'ioredis'
import type { LogEvent } from '@beer/core'
import type { IdentityStatus, LookupAnswer } from '../src/enricher.ts'
import type { IdentityOptions } from '../src/options.ts'
import { build, context, dhcpAck, dhcpRelease, traffic } from './fixtures/events.ts'
import { freePort, inCI, killAll, redisMissing, startRedis, type RedisServer } from './fixtures/redis-server.ts'

const missing = redisMissing()
const skip = missing !== undefined && !inCI ? `${missing}; the Redis tests run in CI` : false
if (skip) console.log(`notice: ${skip}`)

type Built = Awaited<ReturnType<typeof build>>

let server: RedisServer
let raw: Redis
const open: Built[] = []

async function collector(options: Omit<IdentityOptions, 'store'> & { redis: NonNullable<IdentityOptions['redis']> }, ctx = context()): Promise<Built> {
  const e = await build({ store: 'redis', ...options, redis: { flushInterval: 5, connectTimeout: 10_000, ...options.redis } }, ctx)
  open.push(e)
  return e
}

async function status(e: Built): Promise<IdentityStatus> {
  return (await e.command('status')) as IdentityStatus
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The host name the enricher gives `ip` as a traffic source at `ts`. */
function hostOf(e: Built, ip: string, ts: string): string | undefined {
  const ev: LogEvent = traffic(ts, ip, '198.51.100.1')
  e.enrich(ev)
  return (ev.source as { domain?: string }).domain
}

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}

function lease(i: number): LogEvent {
  const ip = ipOf(i)
  const mac = `02-00-00-${((i >> 16) & 255).toString(16).padStart(2, '0')}-${((i >> 8) & 255).toString(16).padStart(2, '0')}-${(i & 255).toString(16).padStart(2, '0')}`.toUpperCase()
  return dhcpAck('2026-11-27T08:00:00Z', ip, mac, `host-${i}`, 3600)
}

describe('the Redis store', { skip }, () => {
  before(async () => {
    if (missing !== undefined) assert.fail(`redis-server is required here (CI=true): ${missing}`)
    server = await startRedis()
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    raw.on('error', () => {})
    await raw.connect()
  })
  after(async () => {
    await Promise.allSettled(open.map((e) => e.close?.()))
    raw?.disconnect()
    killAll()
  })

  it('lets two collectors share one map: what one learns, the other enriches with', async () => {
    const redis = { url: server.url, prefix: 'shared:' }
    const a = await collector({ redis })
    const b = await collector({ redis })
    await until('both connected', async () => (await status(a)).redis!.connected && (await status(b)).redis!.connected)
    a.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', '00-1A-2B-3C-4D-5E', 'laptop-7', 3600))
    // Reaches b through the change channel and a fetch; b never saw the lease itself.
    await until('b knows the lease', () => hostOf(b, '192.0.2.50', '2026-11-27T08:30:00Z') === 'laptop-7')
    assert.equal(hostOf(b, '192.0.2.50', '2026-11-27T07:59:59Z'), undefined, 'nor before it began')
    await until('b heard the announcement', async () => (await status(b)).redis!.announcements >= 1)
    // An end learned by b reaches a.
    b.enrich(dhcpRelease('2026-11-27T08:40:00Z', '192.0.2.50', '00-1A-2B-3C-4D-5E'))
    await until('a knows the release', () => hostOf(a, '192.0.2.50', '2026-11-27T08:45:00Z') === undefined)
    assert.equal(hostOf(a, '192.0.2.50', '2026-11-27T08:39:59Z'), 'laptop-7')
    // A collector started later loads the map when it connects.
    const c = await collector({ redis })
    await until('c loaded the map', () => hostOf(c, '192.0.2.50', '2026-11-27T08:30:00Z') === 'laptop-7')
    const answer = (await c.command('lookup', { ip: '192.0.2.50', at: '2026-11-27T08:30:00Z' })) as LookupAnswer
    assert.deepEqual([answer.host, answer.redis, answer.bindings.length], ['laptop-7', 'fetched', 1])
    assert.equal(answer.bindings[0]!.end, '2026-11-27T08:40:00.000Z')
  })

  it('writes learned bindings in pipelined batches, one hash per address, expiring after retain', async () => {
    const a = await collector({ redis: { url: server.url, prefix: 'batch:', batchSize: 200 }, retain: '1h' })
    for (let i = 0; i < 1000; i++) a.enrich(lease(i))
    await until('every binding written', async () => (await status(a)).redis!.written === 1000 && (await status(a)).redis!.queue === 0)
    const keys = await raw.keys('batch:ip:*')
    assert.equal(keys.length, 1000)
    const fields = await raw.hgetall('batch:ip:10.0.0.7')
    assert.deepEqual(Object.keys(fields), [`dhcp|m:02-00-00-00-00-07|${Date.parse('2026-11-27T08:00:00Z')}`])
    assert.equal(JSON.parse(Object.values(fields)[0]!).host, 'host-7')
    const ttl = await raw.pttl('batch:ip:10.0.0.7')
    assert.ok(ttl > 0 && ttl <= 3_600_000 + Math.max(0, Date.parse('2026-11-27T09:00:00Z') - Date.now()), `pttl ${ttl}`)
  })

  it('keeps events flowing while Redis is gone, counts it, and writes what it learned meanwhile once Redis is back', async () => {
    const redis = { url: server.url, prefix: 'outage:' }
    const a = await collector({ redis })
    const b = await collector({ redis })
    await until('both connected', async () => (await status(a)).redis!.connected && (await status(b)).redis!.connected)
    a.enrich(lease(1))
    await until('b knows the first lease', () => hostOf(b, '10.0.0.1', '2026-11-27T08:30:00Z') === 'host-1')

    await server.kill()
    await until('a noticed', async () => (await status(a)).redis!.connected === false)
    const started = Date.now()
    for (let i = 2; i < 302; i++) a.enrich(lease(i))
    let enriched = 0
    for (let i = 0; i < 1000; i++) if (hostOf(a, ipOf((i % 300) + 2), '2026-11-27T08:30:00Z') !== undefined) enriched++
    const took = Date.now() - started
    const down = (await status(a)).redis!
    assert.ok(took < 5000, `no event waited for Redis (took ${took} ms)`)
    assert.equal(enriched, 1000, 'enriched from the local map')
    assert.deepEqual([down.connected, down.queue, down.disconnects], [false, 300, 1], JSON.stringify(down))
    assert.ok(down.degradedLookups >= 1000, JSON.stringify(down))

    // The same port, a fresh (empty: no persistence) Redis.
    server = await startRedis(server.port)
    await raw.quit().catch(() => {})
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    raw.on('error', () => {})
    await raw.connect()
    await until('a wrote its queue', async () => {
      const s = (await status(a)).redis!
      return s.connected && s.queue === 0
    }, 30_000)
    assert.equal((await raw.keys('outage:ip:*')).length, 300, 'the bindings learned during the outage reached Redis')
    // And so reached b, which never saw those leases.
    await until('b knows a lease learned during the outage', () => hostOf(b, '10.0.0.200', '2026-11-27T08:30:00Z') === 'host-200')
  })

  it('bounds the queue while Redis cannot be reached, counting what it drops, and starts without Redis', async () => {
    const port = await freePort()
    const ctx = context()
    const t0 = Date.now()
    const a = await collector({ redis: { url: `redis://127.0.0.1:${port}`, prefix: 'down:', maxQueue: 100, connectTimeout: 300 } }, ctx)
    assert.ok(Date.now() - t0 < 3000, 'started without waiting for Redis')
    const warn = ctx.lines.find((l) => l.level === 'warn')
    assert.match(warn!.message, /cannot be reached.*starting with the local map/)
    assert.equal(warn!.fields?.code, 'BEER_ERR_IDENTITY_REDIS')
    for (let i = 0; i < 250; i++) a.enrich(lease(i))
    assert.equal(hostOf(a, '10.0.0.5', '2026-11-27T08:30:00Z'), 'host-5', 'the local map still answers')
    const s = (await status(a)).redis!
    assert.deepEqual([s.connected, s.queue, s.queueDropped], [false, 100, 150])
    assert.equal(((await a.command('lookup', '10.0.0.5')) as LookupAnswer).redis, 'unreachable')
    await a.close?.()
    assert.match(ctx.lines.find((l) => l.level === 'error')!.message, /closing with 100 bindings that could not be written/)
  })
})

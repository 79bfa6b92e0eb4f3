// @beer/enrich-identity: look-ups in memory on one thread (the enricher's own enrich(), two
// endpoints an event), then the Redis store against a redis-server of its own on loopback:
// learned bindings written in pipelined batches of several sizes, the map loaded by a second
// collector, and enrichment with the Redis store's local cache in front.
//
//   cd bench && node --import tsx identity.bench.ts [--addresses 100000] [--no-record]
import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import { parseArgs } from 'node:util'
import type { Enricher, LogEvent, ModuleContext } from '@beer/core'
import { create } from '../packages/enrich-identity/src/identity.ts'
import type { IdentityOptions, IdentityStatus } from '../packages/enrich-identity/src/index.ts'
import { medianRates } from './lib/timed-passes.ts'
import { recordResults } from './lib/record.ts'

const { values: opts } = parseArgs({
  options: {
    addresses: { type: 'string', default: '100000' },
    'no-record': { type: 'boolean', default: false },
  },
})
const ADDRESSES = Number(opts.addresses)
const LOAD_AT_START = os.loadavg()[0]!
const COMMAND = 'cd bench && node --import tsx identity.bench.ts'
const LEASE_TS = '2026-11-27T08:00:00.000Z'
const TRAFFIC_TS = '2026-11-27T08:30:00.000Z'
const PASS_EVENTS = 200_000

type Live = Enricher & { command(name: string, args?: unknown): unknown; close(): Promise<void> }

const context: ModuleContext = { name: 'identity', instance: 0, log: { info() {}, warn() {}, error() {} }, emit() {} }

async function build(options: IdentityOptions): Promise<Live> {
  return (await create(options, context)) as Live
}

function ipOf(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0').toUpperCase()
}

/** A DHCP lease as the dhcpd parser shapes it (made-up addresses and hosts). */
function lease(i: number): LogEvent {
  return {
    '@timestamp': LEASE_TS,
    event: { action: 'dhcp-ack', kind: 'event', outcome: 'success' },
    client: { ip: ipOf(i), mac: `02-00-00-${hex((i >> 16) & 255)}-${hex((i >> 8) & 255)}-${hex(i & 255)}`, domain: `host-${i}` },
    dhcpd: { lease_time: 86_400 },
  }
}

/** A User-ID login for every other address. */
function login(i: number): LogEvent {
  return { '@timestamp': LEASE_TS, event: { action: 'login', kind: 'event' }, source: { ip: ipOf(i), user: { name: `user${i}`, domain: 'EXAMPLE' } }, panw: { panos: { timeout: 86_400 } } }
}

function teach(e: Live): number {
  const t0 = performance.now()
  for (let i = 0; i < ADDRESSES; i++) e.enrich(lease(i))
  for (let i = 0; i < ADDRESSES; i += 2) e.enrich(login(i))
  return ((ADDRESSES * 1.5) / (performance.now() - t0)) * 1000
}

/** Traffic sources: known addresses in a scattered order, every tenth one unknown. */
const sources: string[] = []
for (let k = 0; k < PASS_EVENTS; k++) sources.push(k % 10 === 9 ? `172.16.${(k >> 8) & 255}.${k & 255}` : ipOf((k * 7919) % ADDRESSES))

/** One event a call: a connection from `ip` to an Internet address (looked up too, and missed). */
function enrichRunner(e: Live): (ip: string) => number {
  return (ip) => {
    const ev: LogEvent = { '@timestamp': TRAFFIC_TS, event: { action: 'allow' }, source: { ip, port: 51000 }, destination: { ip: '198.51.100.20', port: 443 } }
    e.enrich(ev)
    return (ev.source as { domain?: string }).domain === undefined ? 1 : 2
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

// ---- memory -----------------------------------------------------------------------------------

const memory = await build({ snapshot: false })
const teachRate = teach(memory)
const before = (memory.command('status') as IdentityStatus).lookups
const [memRate] = medianRates([[enrichRunner(memory), sources]], { warmup: 2, rounds: 7 })
const memStatus = memory.command('status') as IdentityStatus
const lookupsPerEvent = 2
console.log(`memory: ${fmt(memRate!)} events/s, ${fmt(memRate! * lookupsPerEvent)} look-ups/s; hit rate ${memStatus.hitRate}; learned ${fmt(teachRate)} events/s`)
void before
await memory.close()

// ---- Redis ------------------------------------------------------------------------------------

interface RedisRow {
  batch: number
  enrichMs: number
  writtenMs: number
}

const redisRows: RedisRow[] = []
let warmMs = 0
let redisRate = 0
let lookupRtMs = 0
let redisVersion = ''
const redisFound = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
if (redisFound.status === 0) {
  redisVersion = redisFound.stdout.trim().split(' ').slice(0, 3).join(' ')
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  try {
    const url = `redis://127.0.0.1:${port}`
    await new Promise((r) => setTimeout(r, 300))
    const until = async (check: () => boolean): Promise<void> => {
      // Not too often: a status answer walks the whole map.
      while (!check()) await new Promise((r) => setTimeout(r, 20))
    }
    for (const batch of [100, 500, 2000]) {
      const a = await build({ store: 'redis', redis: { url, prefix: `b${batch}:`, batchSize: batch, maxQueue: ADDRESSES * 2 } })
      const t0 = performance.now()
      for (let i = 0; i < ADDRESSES; i++) a.enrich(lease(i))
      const enrichMs = performance.now() - t0
      await until(() => {
        const r = (a.command('status') as IdentityStatus).redis!
        return r.queue === 0 && r.written >= ADDRESSES
      })
      redisRows.push({ batch, enrichMs, writtenMs: performance.now() - t0 })
      console.log(`redis batch ${batch}: ${fmt((ADDRESSES / (performance.now() - t0)) * 1000)} leases/s written`)
      await a.close()
    }
    // A second collector loads the map written with batches of 500, then enriches from its local copy.
    const t0 = performance.now()
    const b = await build({ store: 'redis', redis: { url, prefix: 'b500:', batchSize: 500 } })
    await until(() => (b.command('status') as IdentityStatus).redis!.fetched >= ADDRESSES)
    warmMs = performance.now() - t0
    // While nothing else waits on the connection: each answer is one HGETALL round trip.
    const n = 500
    const t1 = performance.now()
    for (let i = 0; i < n; i++) await b.command('lookup', ipOf(i))
    lookupRtMs = (performance.now() - t1) / n
    ;[redisRate] = medianRates([[enrichRunner(b), sources]], { warmup: 2, rounds: 5 })
    console.log(`redis: loaded ${ADDRESSES} addresses in ${warmMs.toFixed(0)} ms; ${fmt(redisRate!)} events/s enriching; lookup command ${lookupRtMs.toFixed(3)} ms`)
    await b.close()
  } finally {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
} else console.log('redis-server not found: the Redis figures are left out')

// ---- results ----------------------------------------------------------------------------------

const body = [
  '| store | what | figure |',
  '|---|---|--:|',
  `| memory | enrich(): traffic events, source and destination looked up | ${fmt(memRate!)} events/s = **${fmt(memRate! * lookupsPerEvent)} look-ups/s** |`,
  `| memory | learning: DHCP leases and User-ID logins through enrich() | ${fmt(teachRate)} events/s |`,
  ...redisRows.map(
    (r) =>
      `| Redis, batches of ${r.batch} | ${fmt(ADDRESSES)} leases through enrich() until all are in Redis | ${fmt((ADDRESSES / r.writtenMs) * 1000)} events/s (enrich() alone: ${fmt((ADDRESSES / r.enrichMs) * 1000)} events/s) |`,
  ),
  ...(redisRows.length
    ? [
        `| Redis | a second collector loads the map at connection (SCAN + pipelined HGETALL, batches of 500) | ${fmt((ADDRESSES / warmMs) * 1000)} addresses/s |`,
        `| Redis | enrich() with the local cache in front (as the memory row) | ${fmt(redisRate)} events/s = ${fmt(redisRate * lookupsPerEvent)} look-ups/s |`,
        `| Redis | the lookup command, one HGETALL round trip each, one after another | ${lookupRtMs.toFixed(3)} ms each |`,
      ]
    : []),
].join('\n')

const notes = [
  `Map: ${fmt(ADDRESSES)} addresses, each with a DHCP lease (MAC, host name), every other one also a User-ID user. Traffic events: ${fmt(PASS_EVENTS)} a pass, sources scattered over the map, one in ten unknown (a miss), the destination an Internet address (a miss): two look-ups an event; hit rate ${memStatus.hitRate}. Each event is built inside the timed call, as a parser would build it.`,
  'Memory: one thread; 2 warm-up passes, then the median of 7 timed passes, one full garbage collection before the warm-up. Figure to reach: 300,000 look-ups/s in memory on one core.',
  redisRows.length
    ? `Redis: ${redisVersion}, started by the benchmark on loopback with no persistence, on the same cores. enrich() never waits for Redis: it answers from the local map and queues writes, which go out as one pipeline per batch (HSET of the address's fields, PEXPIREAT, and one PUBLISH of the changed addresses); "until all are in Redis" is from the first enrich() call until the last pipeline was answered.`
    : 'Redis: redis-server was not installed; no Redis figures.',
  `Load: the machine was shared with other work during the run (1-minute load average ${LOAD_AT_START.toFixed(1)} at the start, on ${os.availableParallelism()} cores), so every figure here is lower than on a quiet machine, the Redis ones (each pipeline a round trip between two busy processes) most.`,
].join('\n\n')

if (!opts['no-record']) recordResults('identity', 'Identity enrichment', COMMAND, body + '\n\n' + notes)
else console.log(body + '\n\n' + notes)
process.exit(0)

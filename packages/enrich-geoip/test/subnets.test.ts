import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { hasCode } from '@beer/core'
import { parseIp } from '../src/ip.ts'
import { buildSiteTable, siteTableFromCsv, type SiteTable } from '../src/subnets.ts'

const SITES = readFileSync(new URL('./fixtures/sites.csv', import.meta.url), 'utf8')

function load(text: string, privateNetworks = false): SiteTable {
  return siteTableFromCsv(text, 'sites.csv', privateNetworks)
}

const words = new Uint32Array(4)
function at(t: SiteTable, ip: string): SiteTable['records'][number] | undefined {
  const f = parseIp(ip, words)
  const i = f === 4 ? t.prefixes.lookup4(words[0]!) : t.prefixes.lookup6(words)
  return i < 0 ? undefined : t.records[i]
}

/** The BeerError a function throws, checked by code. */
function thrown(fn: () => unknown, code: string): Error & { details?: Record<string, unknown> } {
  try {
    fn()
  } catch (err) {
    assert.ok(hasCode(err, code), `expected ${code}, got ${String(err)}`)
    return err as Error & { details?: Record<string, unknown> }
  }
  assert.fail(`expected ${code}, nothing was thrown`)
}

describe('subnets CSV', () => {
  it('reads the header, quoted fields, comments and tags with labels', () => {
    const t = load(SITES)
    assert.equal(t.subnets, 7)
    assert.deepEqual([t.v4, t.v6], [4, 3])
    const lab = at(t, '10.20.30.40')!
    assert.deepEqual(lab.site, {
      name: 'Zurich HQ, lab',
      site: 'Zurich HQ',
      building: 'Building B',
      network: '10.20.30.0/24',
      tags: ['lab'],
      labels: { zone: 'red', owner: 'netops' },
    })
    assert.deepEqual(lab.geo, {
      name: 'Zurich HQ, lab',
      city_name: 'Zürich',
      country_iso_code: 'CH',
      location: { lat: 47.378, lon: 8.54 },
      country_name: 'Switzerland',
      continent_code: 'EU',
      continent_name: 'Europe',
    })
  })

  it('names a place site/building when the name column is empty', () => {
    const t = load(SITES)
    assert.equal(at(t, '192.0.2.99')!.site!.name, 'Zurich HQ/DMZ')
    assert.equal(at(t, '10.20.1.1')!.geo!.name, 'Zurich HQ')
    assert.equal(at(t, '10.99.1.1')!.geo!.name, 'Corporate')
    assert.equal(at(t, '2001:db8:20:30::5')!.geo!.name, 'Zurich lab v6')
    assert.equal(at(t, '2001:db8:20:31::5')!.geo!.name, 'Zurich HQ')
    assert.equal(at(t, '2001:db8:99::5')!.geo!.name, 'Corporate')
    assert.equal(at(t, '198.51.100.1'), undefined)
  })

  it('adds the private ranges, where no subnet is more specific, when asked', () => {
    const t = load(SITES, true)
    assert.equal(t.subnets, 7)
    assert.deepEqual(at(t, '172.16.5.5'), { geo: undefined, site: undefined })
    assert.deepEqual(at(t, 'fd00::1'), { geo: undefined, site: undefined })
    // 10.0.0.0/8 is in the file: its fields stay.
    assert.equal(at(t, '10.99.1.1')!.site!.site, 'Corporate')
  })

  it('accepts CRLF line ends, a byte order mark and columns in any order', () => {
    const t = load('\ufeffcity,cidr\r\nBern,192.0.2.0/25\r\n\r\n')
    assert.equal(at(t, '192.0.2.1')!.geo!.city_name, 'Bern')
  })

  it('gives the line number of each wrong line', () => {
    const err = thrown(
      () => load('cidr,name,lat,lon\n# fine\n10.0.0.0/8,ok\n10.1.2.3/8,host bits\n10.1.0.0/16,"open quote\n10.2.0.0/16,x,91,0\n10.3.0.0/16,x,1\n10.0.0.0/8,twice\n'),
      'BEER_ERR_GEOIP_SUBNETS',
    )
    assert.equal(err.details!.line, 4)
    assert.deepEqual(err.details!.problems, [
      "line 4: '10.1.2.3/8' has host bits set below the /8 prefix",
      'line 5: a quoted field is not closed (fields cannot span lines)',
      'line 6: lat must be -90 to 90 and lon -180 to 180 (decimal degrees)',
      'line 7: give both lat and lon, or neither',
      'line 8: 10.0.0.0/8 is already given at line 3',
    ])
    assert.match(err.message, /sites\.csv: line 4: /)
  })

  it('refuses a header without cidr, an unknown column, a row with too many fields, and an empty file', () => {
    assert.match(thrown(() => load('name,city\nx,y\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /line 1: the header has no 'cidr' column/)
    assert.match(thrown(() => load('cidr,colour\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /line 1: unknown column 'colour'/)
    assert.match(thrown(() => load('# c\n\ncidr,name\n10.0.0.0/8,a,b\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /line 4: 3 fields, but the header names 2/)
    assert.match(thrown(() => load('# only a comment\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /the file is empty/)
    assert.match(thrown(() => load('cidr,country\n10.0.0.0/8,Switzerland\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /line 2: country 'Switzerland' is not a two-letter/)
    assert.match(thrown(() => load('cidr,lat,lon\n10.0.0.0/8,north,8\n'), 'BEER_ERR_GEOIP_SUBNETS').message, /line 2: lat 'north' is not a number/)
  })

  it('cannot pollute prototypes through tags, labels or columns', () => {
    for (const tags of ['__proto__=x', 'constructor=y', 'prototype=z', '__proto__.polluted=1', 'toString=1;toString=2']) {
      const err = thrown(() => load(`cidr,tags\n10.0.0.0/8,${tags}\n`), 'BEER_ERR_GEOIP_SUBNETS')
      assert.match(err.message, /line 2: label/)
    }
    thrown(() => load('cidr,__proto__\n10.0.0.0/8,x\n'), 'BEER_ERR_GEOIP_SUBNETS')
    // The inline list: keys a JSON document can carry as own properties.
    const inline = JSON.parse('[{"cidr":"10.0.0.0/8","labels":{"__proto__":{"polluted":"yes"}}}]')
    thrown(() => buildSiteTable(inline, 'inline', false), 'BEER_ERR_GEOIP_SUBNETS')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'x'), false)
    // A plain word that looks like a key is a tag, stored as a value, never as a key.
    const t = load('cidr,tags\n10.0.0.0/8,__proto__;constructor\n')
    assert.deepEqual(at(t, '10.1.1.1')!.site!.tags, ['__proto__', 'constructor'])
    assert.equal(Object.getPrototypeOf(at(t, '10.1.1.1')!.site), Object.prototype)
  })

  it('checks the inline list as the CSV, naming entries by index', () => {
    const err = thrown(
      () => buildSiteTable([{ cidr: '10.0.0.0/8' }, { cidr: 'nope' }, { cidr: '10.1.0.0/16', tags: 'x' as unknown as string[] }], 'inline', false),
      'BEER_ERR_GEOIP_SUBNETS',
    )
    assert.deepEqual(err.details!.problems, ["entry 1: 'nope' is not an IPv4 or IPv6 network", 'entry 2: tags must be a list of words'])
  })
})

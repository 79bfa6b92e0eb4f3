import { continents, countries } from 'countries-list'

/** ECS `*.geo.*` fields (https://www.elastic.co/guide/en/ecs/current/ecs-geo.html). */
export interface GeoFields {
  name?: string
  city_name?: string
  region_name?: string
  region_iso_code?: string
  country_name?: string
  country_iso_code?: string
  continent_name?: string
  continent_code?: string
  location?: { lat: number; lon: number }
  timezone?: string
  postal_code?: string
}

/** ECS `*.as.*` fields (https://www.elastic.co/guide/en/ecs/current/ecs-as.html). */
export interface AsFields {
  number?: number
  organization?: { name: string }
}

/** Turns one database record into ECS fields; `undefined` when the record gives none. */
export type RecordMapper<T> = (record: unknown) => T | undefined

type Rec = Record<string, unknown>

function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && v.length > 0) {
    const n = Number(v)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}

/** Own property only: a record is data from a file, never a path to Object.prototype. */
function own(o: Rec | undefined, key: string): unknown {
  return o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined
}

function nameIn(o: Rec | undefined, language: string): string | undefined {
  const names = obj(own(o, 'names'))
  return str(own(names, language)) ?? (language === 'en' ? undefined : str(own(names, 'en')))
}

/** Adds the country's name and continent from its ISO 3166-1 code where the record lacked them. */
export function completeCountry(g: GeoFields): void {
  const code = g.country_iso_code
  if (code === undefined || (g.country_name !== undefined && g.continent_code !== undefined)) return
  const c = Object.hasOwn(countries, code) ? countries[code as keyof typeof countries] : undefined
  if (c === undefined) return
  g.country_name ??= c.name
  if (g.continent_code === undefined) {
    g.continent_code = c.continent
    g.continent_name ??= continents[c.continent]
  }
}

/** A geo result in a fixed key order, so that copies of it share one hidden class. */
function build(
  city: string | undefined,
  regionName: string | undefined,
  regionIso: string | undefined,
  countryName: string | undefined,
  countryIso: string | undefined,
  continentName: string | undefined,
  continentCode: string | undefined,
  lat: number | undefined,
  lon: number | undefined,
  timezone: string | undefined,
  postal: string | undefined,
): GeoFields | undefined {
  const g: GeoFields = {}
  if (city !== undefined) g.city_name = city
  if (regionName !== undefined) g.region_name = regionName
  if (regionIso !== undefined) g.region_iso_code = regionIso
  if (countryName !== undefined) g.country_name = countryName
  if (countryIso !== undefined) g.country_iso_code = countryIso
  if (continentName !== undefined) g.continent_name = continentName
  if (continentCode !== undefined) g.continent_code = continentCode
  if (lat !== undefined && lon !== undefined && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) g.location = { lat, lon }
  if (timezone !== undefined) g.timezone = timezone
  if (postal !== undefined) g.postal_code = postal
  completeCountry(g)
  for (const _ in g) return g
  return undefined
}

/**
 * MaxMind's GeoIP2/GeoLite2 City and Country records
 * (https://dev.maxmind.com/geoip/docs/databases/city-and-country). `region_iso_code` is the
 * country code and the first subdivision's code joined by '-' (`US-NY`), as Elastic's geoip
 * processor writes it.
 */
export function mapMaxmindGeo(record: unknown, language: string): GeoFields | undefined {
  const r = obj(record)
  if (r === undefined) return undefined
  const country = obj(own(r, 'country'))
  const continent = obj(own(r, 'continent'))
  const location = obj(own(r, 'location'))
  const subdivisions = own(r, 'subdivisions')
  const sub = Array.isArray(subdivisions) ? obj(subdivisions[0]) : undefined
  const countryIso = str(own(country, 'iso_code'))
  const subIso = str(own(sub, 'iso_code'))
  return build(
    nameIn(obj(own(r, 'city')), language),
    nameIn(sub, language),
    countryIso !== undefined && subIso !== undefined ? `${countryIso}-${subIso}` : undefined,
    nameIn(country, language),
    countryIso,
    nameIn(continent, language),
    str(own(continent, 'code')),
    num(own(location, 'latitude')),
    num(own(location, 'longitude')),
    str(own(location, 'time_zone')),
    str(own(obj(own(r, 'postal')), 'code')),
  )
}

/**
 * The flat records of the `@ip-location-db` MMDB files: `country_code, state1, state2, city,
 * postcode, latitude, longitude, timezone` (empty strings where unknown).
 */
export function mapFlatGeo(record: unknown): GeoFields | undefined {
  const r = obj(record)
  if (r === undefined) return undefined
  return build(
    str(own(r, 'city')),
    str(own(r, 'state1')),
    undefined,
    undefined,
    str(own(r, 'country_code')),
    undefined,
    undefined,
    num(own(r, 'latitude')),
    num(own(r, 'longitude')),
    str(own(r, 'timezone')),
    str(own(r, 'postcode')),
  )
}

/** Either shape, told apart per record: MaxMind's nests `country`, `city`, `continent` and `location` objects. */
export function mapAutoGeo(record: unknown, language: string): GeoFields | undefined {
  const r = obj(record)
  if (r === undefined) return undefined
  if (obj(own(r, 'country')) || obj(own(r, 'city')) || obj(own(r, 'continent')) || obj(own(r, 'location')) || obj(own(r, 'registered_country'))) {
    return mapMaxmindGeo(r, language)
  }
  return mapFlatGeo(r)
}

/** GeoLite2/GeoIP2 ASN records, which the `@ip-location-db` ASN files share. */
export function mapAutoAs(record: unknown): AsFields | undefined {
  const r = obj(record)
  if (r === undefined) return undefined
  return buildAs(num(own(r, 'autonomous_system_number')), str(own(r, 'autonomous_system_organization')))
}

function buildAs(number: number | undefined, org: string | undefined): AsFields | undefined {
  if (number === undefined && org === undefined) return undefined
  const a: AsFields = {}
  if (number !== undefined && Number.isInteger(number) && number >= 0) a.number = number
  if (org !== undefined) a.organization = { name: org }
  return a.number === undefined && a.organization === undefined ? undefined : a
}

/** Reads a dotted path (`subdivisions.0.iso_code`) of a record through own properties only. */
function compilePath(path: string): (record: unknown) => unknown {
  const parts = path.split('.')
  return (record) => {
    let v: unknown = record
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined
      v = Object.hasOwn(v, p) ? (v as Rec)[p] : undefined
    }
    return v
  }
}

/** A mapper from an explicit ECS field → record path mapping (see `DatabaseSpec.mapping`). */
export function compileGeoMapping(mapping: Record<string, string>): RecordMapper<GeoFields> {
  const get = (key: string): ((r: unknown) => unknown) => {
    const p = mapping[key]
    return p === undefined ? () => undefined : compilePath(p)
  }
  const city = get('city_name')
  const regionName = get('region_name')
  const regionIso = get('region_iso_code')
  const countryName = get('country_name')
  const countryIso = get('country_iso_code')
  const continentName = get('continent_name')
  const continentCode = get('continent_code')
  const lat = get('location.lat')
  const lon = get('location.lon')
  const timezone = get('timezone')
  const postal = get('postal_code')
  return (r) => {
    if (obj(r) === undefined) return undefined
    return build(
      str(city(r)),
      str(regionName(r)),
      str(regionIso(r)),
      str(countryName(r)),
      str(countryIso(r)),
      str(continentName(r)),
      str(continentCode(r)),
      num(lat(r)),
      num(lon(r)),
      str(timezone(r)),
      str(postal(r)),
    )
  }
}

export function compileAsMapping(mapping: Record<string, string>): RecordMapper<AsFields> {
  const number = mapping.number === undefined ? () => undefined : compilePath(mapping.number)
  const org = mapping['organization.name'] === undefined ? () => undefined : compilePath(mapping['organization.name'])
  return (r) => (obj(r) === undefined ? undefined : buildAs(num(number(r)), str(org(r))))
}

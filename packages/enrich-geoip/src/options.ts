import { BeerError, isForbiddenKey } from '@beer/core'

/**
 * A MaxMind-format database (`.mmdb`) and, for files whose records are not shaped like MaxMind's,
 * where each ECS field is found in a record.
 */
export interface DatabaseSpec {
  /** Path of the `.mmdb` file. Relative paths resolve against the working directory. */
  path: string
  /**
   * ECS field → dotted path in a record (`subdivisions.0.iso_code`). Keys for a geo database:
   * `city_name`, `region_name`, `region_iso_code`, `country_name`, `country_iso_code`,
   * `continent_name`, `continent_code`, `location.lat`, `location.lon`, `timezone`,
   * `postal_code`; for an ASN database: `number`, `organization.name`. Fields the mapping does not
   * name stay empty, except country name and continent, which follow from `country_iso_code`.
   * Default: detected per record; MaxMind's GeoIP2/GeoLite2 City, Country and ASN records, and the
   * flat records of the `@ip-location-db` files (`country_code`, `state1`, `city`, `postcode`,
   * `latitude`, `longitude`, `timezone`; `autonomous_system_number`,
   * `autonomous_system_organization`).
   */
  mapping?: Record<string, string>
}

/** One of the site's own networks, as a row of the subnets CSV or an entry of the inline list. */
export interface SubnetEntry {
  /** `10.20.0.0/16`, `2001:db8:20::/48`, or one address. */
  cidr: string
  /** Name of the place (`source.geo.name`). Default: `site/building`, from those given. */
  name?: string
  site?: string
  building?: string
  city?: string
  /** ISO 3166-1 alpha-2 country code (`CH`); the country's name and continent follow from it. */
  country?: string
  /** Latitude, -90 to 90. Given together with `lon`. */
  lat?: number
  /** Longitude, -180 to 180. Given together with `lat`. */
  lon?: number
  /** Words copied to `beer.site.<endpoint>.tags`. */
  tags?: string[]
  /** Key/value pairs copied to `beer.site.<endpoint>.labels`; keys are letters, digits and `_`. */
  labels?: Record<string, string>
}

/** Options of the `geoip()` enricher. All are plain data, so it can run in a worker or a child process. */
export interface GeoIpOptions {
  /** The module's name in the pipeline. Default `'geoip'`. */
  name?: string
  /**
   * City or country databases, tried in order for each address until one has a record. A database
   * built for IPv4 only is asked about IPv4 addresses only. Default: none.
   */
  database?: string | DatabaseSpec | (string | DatabaseSpec)[]
  /** ASN databases (`*.as.number`, `*.as.organization.name`), tried in order. Default: none. */
  asnDatabase?: string | DatabaseSpec | (string | DatabaseSpec)[]
  /** The site's own networks: the path of a CSV file (see the README), or the list itself. */
  subnets?: string | SubnetEntry[]
  /**
   * Fields holding the addresses to look up. Results go beside each: `source.ip` →
   * `source.geo`, `source.as`. Default `['source.ip', 'destination.ip', 'client.ip',
   * 'server.ip', 'source.nat.ip', 'destination.nat.ip']`.
   */
  fields?: string[]
  /**
   * Count RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) and RFC 4193 unique local (`fc00::/7`)
   * addresses as internal for `network.direction`, besides the subnets. They are never looked up
   * in the databases either way. Default `true`.
   */
  privateNetworks?: boolean
  /** Set `network.direction` from whether source and destination are internal. Default `true`. */
  direction?: boolean
  /**
   * Replace `*.geo`, `*.as`, `beer.site.*` and `network.direction` when the event already has
   * them. Default `false`: what the parser set wins.
   */
  overwrite?: boolean
  /** Database results kept in memory (least recently used go first); `0` turns the cache off. Default `10000`. */
  cacheSize?: number
  /**
   * Age in days of a database (from its build time) past which `status` warns. `false` never
   * warns. Default `30`.
   */
  maxAgeDays?: number | false
  /** Reload the subnets file and the databases when they change on disk. Default `true`. */
  watch?: boolean
  /** Milliseconds to wait after the last change on disk before reloading. Default `1000`. */
  watchDebounce?: number
  /** Language of names read from MaxMind databases (`names.<language>`). Default `'en'`. */
  language?: string
}

export type DatabaseKind = 'geo' | 'asn'

export interface ResolvedDatabase {
  path: string
  kind: DatabaseKind
  mapping: Record<string, string> | undefined
}

/** A field holding an address, split for the hot path. */
export interface IpField {
  /** `source.ip` */
  path: string
  /** Segments of the object holding the address: `['source']`, `['source', 'nat']`. */
  parent: string[]
  /** `ip` */
  key: string
}

export interface ResolvedOptions {
  databases: ResolvedDatabase[]
  subnets: string | SubnetEntry[] | undefined
  fields: IpField[]
  privateNetworks: boolean
  direction: boolean
  overwrite: boolean
  cacheSize: number
  maxAgeDays: number | false
  watch: boolean
  watchDebounce: number
  language: string
}

export const DEFAULT_FIELDS: readonly string[] = [
  'source.ip',
  'destination.ip',
  'client.ip',
  'server.ip',
  'source.nat.ip',
  'destination.nat.ip',
]
export const DEFAULT_CACHE_SIZE = 10_000
export const DEFAULT_MAX_AGE_DAYS = 30
export const DEFAULT_WATCH_DEBOUNCE_MS = 1000
/** Beyond this the cache's own arrays alone would take hundreds of megabytes. */
const MAX_CACHE_SIZE = 10_000_000

export const GEO_MAPPING_KEYS: readonly string[] = [
  'city_name',
  'region_name',
  'region_iso_code',
  'country_name',
  'country_iso_code',
  'continent_name',
  'continent_code',
  'location.lat',
  'location.lon',
  'timezone',
  'postal_code',
]
export const ASN_MAPPING_KEYS: readonly string[] = ['number', 'organization.name']

function invalid(option: string, value: unknown, expected: string): BeerError {
  let shown: string
  try {
    shown = JSON.stringify(value) ?? String(value)
  } catch {
    shown = String(value)
  }
  return new BeerError('BEER_ERR_GEOIP_OPTIONS', `geoip: option ${option} is ${shown}; expected ${expected}`, { option })
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

function resolveDatabases(option: string, value: GeoIpOptions['database'], kind: DatabaseKind): ResolvedDatabase[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  const keys = kind === 'geo' ? GEO_MAPPING_KEYS : ASN_MAPPING_KEYS
  return list.map((item, i) => {
    const where = Array.isArray(value) ? `${option}[${i}]` : option
    if (typeof item === 'string') {
      if (item.length === 0) throw invalid(where, item, 'the path of a .mmdb file')
      return { path: item, kind, mapping: undefined }
    }
    if (!isPlainObject(item) || typeof item.path !== 'string' || item.path.length === 0) {
      throw invalid(where, item, "a path, or { path, mapping? }")
    }
    let mapping: Record<string, string> | undefined
    if (item.mapping !== undefined) {
      if (!isPlainObject(item.mapping)) throw invalid(`${where}.mapping`, item.mapping, 'an object of ECS field → record path')
      mapping = {}
      for (const [k, v] of Object.entries(item.mapping)) {
        if (!keys.includes(k)) throw invalid(`${where}.mapping`, k, `one of ${keys.join(', ')}`)
        if (typeof v !== 'string' || !isFieldPath(v)) {
          throw invalid(`${where}.mapping.${k}`, v, "a dotted path in a record, such as 'city' or 'subdivisions.0.iso_code'")
        }
        mapping[k] = v
      }
    }
    return { path: item.path, kind, mapping }
  })
}

/** A dotted path whose segments are names or indexes, none of them `__proto__`, `constructor` or `prototype`. */
export function isFieldPath(path: string): boolean {
  if (path.length === 0 || path.length > 200) return false
  return path.split('.').every((s) => /^[A-Za-z0-9_@-]+$/.test(s) && !isForbiddenKey(s))
}

/** Checks every option and fills in defaults; throws BEER_ERR_GEOIP_OPTIONS naming the first bad one. */
export function resolveOptions(options: GeoIpOptions | undefined): ResolvedOptions {
  if (options !== undefined && !isPlainObject(options)) throw invalid('options', options, 'an object')
  const o: GeoIpOptions = options ?? {}
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) throw invalid('name', o.name, 'a non-empty string')
  const databases = [...resolveDatabases('database', o.database, 'geo'), ...resolveDatabases('asnDatabase', o.asnDatabase, 'asn')]

  let subnets: string | SubnetEntry[] | undefined
  if (o.subnets !== undefined) {
    if (typeof o.subnets === 'string') {
      if (o.subnets.length === 0) throw invalid('subnets', o.subnets, 'the path of a CSV file, or a list of { cidr, … }')
      subnets = o.subnets
    } else if (Array.isArray(o.subnets)) {
      subnets = o.subnets
    } else {
      throw invalid('subnets', o.subnets, 'the path of a CSV file, or a list of { cidr, … }')
    }
  }

  const fieldList = o.fields ?? DEFAULT_FIELDS
  if (!Array.isArray(fieldList) || fieldList.length === 0) throw invalid('fields', o.fields, 'a non-empty list of field paths')
  const fields: IpField[] = []
  for (const f of fieldList) {
    if (typeof f !== 'string' || !isFieldPath(f) || !f.includes('.')) {
      throw invalid('fields', f, "field paths with a parent, such as 'source.ip'")
    }
    if (fields.some((x) => x.path === f)) throw invalid('fields', f, 'each field once')
    const parts = f.split('.')
    fields.push({ path: f, parent: parts.slice(0, -1), key: parts[parts.length - 1]! })
  }

  const bool = (name: keyof GeoIpOptions, dflt: boolean): boolean => {
    const v = o[name]
    if (v === undefined) return dflt
    if (typeof v !== 'boolean') throw invalid(name, v, 'true or false')
    return v
  }

  const cacheSize = o.cacheSize ?? DEFAULT_CACHE_SIZE
  if (typeof cacheSize !== 'number' || !Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > MAX_CACHE_SIZE) {
    throw invalid('cacheSize', o.cacheSize, `a whole number from 0 (no cache) to ${MAX_CACHE_SIZE}`)
  }
  const maxAgeDays = o.maxAgeDays ?? DEFAULT_MAX_AGE_DAYS
  if (maxAgeDays !== false && (typeof maxAgeDays !== 'number' || !Number.isFinite(maxAgeDays) || maxAgeDays <= 0)) {
    throw invalid('maxAgeDays', o.maxAgeDays, 'a number of days above 0, or false')
  }
  const watchDebounce = o.watchDebounce ?? DEFAULT_WATCH_DEBOUNCE_MS
  if (typeof watchDebounce !== 'number' || !Number.isFinite(watchDebounce) || watchDebounce < 0) {
    throw invalid('watchDebounce', o.watchDebounce, 'a number of milliseconds, 0 or more')
  }
  const language = o.language ?? 'en'
  if (typeof language !== 'string' || !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language)) {
    throw invalid('language', o.language, "a language code such as 'en', 'de' or 'pt-BR'")
  }

  return {
    databases,
    subnets,
    fields,
    privateNetworks: bool('privateNetworks', true),
    direction: bool('direction', true),
    overwrite: bool('overwrite', false),
    cacheSize,
    maxAgeDays,
    watch: bool('watch', true),
    watchDebounce,
    language,
  }
}

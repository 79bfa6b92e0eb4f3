import { BeerError, isForbiddenKey } from '@beer/core'
import { parseCidr } from './ip.ts'
import type { SubnetEntry } from './options.ts'
import { PrefixTable } from './prefix-table.ts'
import { completeCountry, type GeoFields } from './records.ts'

/** What a matched site adds under `beer.site.<endpoint>`. */
export interface SiteFields {
  name?: string
  site?: string
  building?: string
  /** The network that matched, as written in the subnets. */
  network: string
  tags?: string[]
  labels?: Record<string, string>
}

/** One network of the table: a site (with fields to copy) or a private range (internal, nothing to copy). */
export interface SiteRecord {
  geo: GeoFields | undefined
  site: SiteFields | undefined
}

/** The site's networks, ready for lookups: the prefix table's values index `records`. */
export interface SiteTable {
  prefixes: PrefixTable
  records: SiteRecord[]
  /** Networks from the subnets (not counting the private ranges added for direction). */
  subnets: number
  /** Of those, IPv4 and IPv6 networks. */
  v4: number
  v6: number
}

/** RFC 1918 §3 private IPv4 ranges and the RFC 4193 unique local IPv6 range. */
export const PRIVATE_NETWORKS: readonly string[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']

const COLUMNS = ['cidr', 'name', 'site', 'building', 'city', 'country', 'lat', 'lon', 'tags'] as const
type Column = (typeof COLUMNS)[number]

/** A problem at a line of the CSV, or at an entry of the inline list. */
interface Problem {
  /** Line (1-based) or entry index, for ordering. */
  at: number
  where: string
  message: string
}

/** At most this many problems are listed in one error; the first is what the line number points at. */
const MAX_PROBLEMS = 10

/**
 * Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote). A field's surrounding
 * spaces are trimmed. Returns an error text for a quote left open.
 */
function splitLine(line: string): string[] | string {
  const out: string[] = []
  let i = 0
  const n = line.length
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++
    if (line[i] === '"') {
      let value = ''
      let j = i + 1
      for (;;) {
        const q = line.indexOf('"', j)
        if (q < 0) return 'a quoted field is not closed (fields cannot span lines)'
        value += line.slice(j, q)
        if (line[q + 1] === '"') {
          value += '"'
          j = q + 2
          continue
        }
        j = q + 1
        break
      }
      while (j < n && (line[j] === ' ' || line[j] === '\t')) j++
      if (j < n && line[j] !== ',') return `unexpected text after a quoted field: '${line.slice(j, j + 20)}'`
      out.push(value)
      if (j >= n) return out
      i = j + 1
      continue
    }
    const c = line.indexOf(',', i)
    if (c < 0) {
      out.push(line.slice(i).trim())
      return out
    }
    out.push(line.slice(i, c).trim())
    i = c + 1
  }
}

/**
 * Reads the subnets CSV: a header line naming the columns (`cidr` required; `name`, `site`,
 * `building`, `city`, `country`, `lat`, `lon`, `tags` optional, in any order), then one network a
 * line. Blank lines and lines starting with `#` are skipped. `tags` holds words and `key=value`
 * labels separated by `;`. A wrong line is added to `problems` and left out.
 */
function parseSubnetsCsv(text: string, problems: Problem[]): { entries: SubnetEntry[]; lines: number[] } {
  const entries: SubnetEntry[] = []
  const lines: number[] = []
  let columns: Column[] | undefined
  const rows = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n')
  for (let k = 0; k < rows.length && problems.length < MAX_PROBLEMS; k++) {
    const lineNo = k + 1
    const line = rows[k]!.endsWith('\r') ? rows[k]!.slice(0, -1) : rows[k]!
    const t = line.trim()
    if (t === '' || t.startsWith('#')) continue
    const cells = splitLine(line)
    if (typeof cells === 'string') {
      problems.push({ at: lineNo, where: `line ${lineNo}`, message: cells })
      continue
    }
    if (columns === undefined) {
      const seen = new Set<string>()
      const header: Column[] = []
      for (const c of cells) {
        const name = c.toLowerCase()
        if (!(COLUMNS as readonly string[]).includes(name)) {
          problems.push({ at: lineNo, where: `line ${lineNo}`, message: `unknown column '${c.slice(0, 40)}' in the header; columns are ${COLUMNS.join(', ')}` })
        } else if (seen.has(name)) {
          problems.push({ at: lineNo, where: `line ${lineNo}`, message: `column '${name}' appears twice in the header` })
        }
        seen.add(name)
        header.push(name as Column)
      }
      if (!seen.has('cidr')) problems.push({ at: lineNo, where: `line ${lineNo}`, message: "the header has no 'cidr' column (the first line that is not blank or a # comment is the header)" })
      if (problems.length > 0) break
      columns = header
      continue
    }
    if (cells.length > columns.length) {
      problems.push({ at: lineNo, where: `line ${lineNo}`, message: `${cells.length} fields, but the header names ${columns.length} columns (quote a value that holds a comma)` })
      continue
    }
    const cell: Partial<Record<Column, string>> = {}
    columns.forEach((c, i) => {
      const v = cells[i]
      if (v !== undefined && v !== '') cell[c] = v
    })
    const before = problems.length
    const entry: SubnetEntry = { cidr: cell.cidr ?? '' }
    if (cell.name !== undefined) entry.name = cell.name
    if (cell.site !== undefined) entry.site = cell.site
    if (cell.building !== undefined) entry.building = cell.building
    if (cell.city !== undefined) entry.city = cell.city
    if (cell.country !== undefined) entry.country = cell.country
    for (const key of ['lat', 'lon'] as const) {
      const v = cell[key]
      if (v === undefined) continue
      const n = /^[-+]?\d{1,3}(\.\d+)?$/.test(v) ? Number(v) : Number.NaN
      if (Number.isNaN(n)) problems.push({ at: lineNo, where: `line ${lineNo}`, message: `${key} '${v.slice(0, 40)}' is not a number in decimal degrees` })
      else entry[key] = n
    }
    if (cell.tags !== undefined) {
      for (const item of cell.tags.split(';')) {
        const tag = item.trim()
        if (tag === '') continue
        const eq = tag.indexOf('=')
        if (eq < 0) (entry.tags ??= []).push(tag)
        else {
          // Plain {} (never Object.create(null)): events keep Object.prototype. The key is checked
          // in buildSiteTable before anything is stored under it.
          const labels = (entry.labels ??= {})
          const key = tag.slice(0, eq).trim()
          if (Object.hasOwn(labels, key)) {
            problems.push({ at: lineNo, where: `line ${lineNo}`, message: `label '${key.slice(0, 40)}' is given twice` })
            continue
          }
          Object.defineProperty(labels, key, { value: tag.slice(eq + 1).trim(), enumerable: true, writable: true, configurable: true })
        }
      }
    }
    if (problems.length > before) continue
    entries.push(entry)
    lines.push(lineNo)
  }
  if (columns === undefined && problems.length === 0) {
    problems.push({ at: 1, where: 'line 1', message: "the file is empty; it needs a header line such as 'cidr,name,site,building,city,country,lat,lon,tags'" })
  }
  return { entries, lines }
}

/**
 * Reads the subnets CSV (see {@link parseSubnetsCsv}) into a lookup table. Throws
 * BEER_ERR_GEOIP_SUBNETS listing the wrong lines by number.
 */
export function siteTableFromCsv(text: string, source: string, privateNetworks: boolean): SiteTable {
  const problems: Problem[] = []
  const { entries, lines } = parseSubnetsCsv(text, problems)
  return buildTable(entries, source, privateNetworks, lines, problems)
}

function subnetsError(source: string, all: Problem[]): BeerError {
  const problems = all.sort((a, b) => a.at - b.at).slice(0, MAX_PROBLEMS)
  const first = problems[0]!
  const list = problems.map((p) => `${p.where}: ${p.message}`).join('; ')
  const more = all.length >= MAX_PROBLEMS ? ' (and maybe more)' : ''
  return new BeerError('BEER_ERR_GEOIP_SUBNETS', `geoip: subnets ${source}: ${list}${more}`, {
    source,
    line: Number(/^line (\d+)/.exec(first.where)?.[1] ?? 0) || undefined,
    problems: problems.map((p) => `${p.where}: ${p.message}`),
  })
}

const LABEL_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

function text(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 256
}

/**
 * Builds the lookup table from the inline list, plus the private ranges when `privateNetworks` is
 * set. Throws BEER_ERR_GEOIP_SUBNETS listing the entries that are wrong, by index.
 */
export function buildSiteTable(entries: readonly SubnetEntry[], source: string, privateNetworks: boolean): SiteTable {
  return buildTable(entries, source, privateNetworks, undefined, [])
}

function buildTable(
  entries: readonly SubnetEntry[],
  source: string,
  privateNetworks: boolean,
  lines: readonly number[] | undefined,
  problems: Problem[],
): SiteTable {
  const prefixes = new PrefixTable()
  const records: SiteRecord[] = []
  const where = (i: number): string => (lines ? `line ${lines[i]}` : `entry ${i}`)
  const firstAt = new Map<number, number>()
  let v4 = 0
  for (let i = 0; i < entries.length && problems.length < MAX_PROBLEMS; i++) {
    const e = entries[i] as SubnetEntry | null
    const fail = (message: string): void => {
      problems.push({ at: lines ? lines[i]! : i, where: where(i), message })
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      fail('is not an object such as { cidr, name }')
      continue
    }
    if (typeof e.cidr !== 'string' || e.cidr === '') {
      fail('has no cidr')
      continue
    }
    const cidr = parseCidr(e.cidr)
    if (typeof cidr === 'string') {
      fail(cidr)
      continue
    }
    let bad = false
    for (const key of ['name', 'site', 'building', 'city'] as const) {
      if (e[key] !== undefined && !text(e[key])) {
        fail(`${key} must be text of 1 to 256 characters`)
        bad = true
      }
    }
    if (e.country !== undefined && (typeof e.country !== 'string' || !/^[A-Za-z]{2}$/.test(e.country))) {
      fail(`country '${String(e.country).slice(0, 40)}' is not a two-letter ISO 3166-1 code such as CH`)
      bad = true
    }
    const hasLat = e.lat !== undefined
    const hasLon = e.lon !== undefined
    if (hasLat !== hasLon) {
      fail('give both lat and lon, or neither')
      bad = true
    } else if (hasLat && !(typeof e.lat === 'number' && e.lat >= -90 && e.lat <= 90 && typeof e.lon === 'number' && e.lon >= -180 && e.lon <= 180)) {
      fail('lat must be -90 to 90 and lon -180 to 180 (decimal degrees)')
      bad = true
    }
    if (e.tags !== undefined && !(Array.isArray(e.tags) && e.tags.every(text))) {
      fail('tags must be a list of words')
      bad = true
    }
    const labels: Record<string, string> = {}
    if (e.labels !== undefined) {
      if (e.labels === null || typeof e.labels !== 'object' || Array.isArray(e.labels)) {
        fail('labels must be an object of key → text')
        bad = true
      } else {
        for (const key of Object.getOwnPropertyNames(e.labels)) {
          const v = (e.labels as Record<string, unknown>)[key]
          if (isForbiddenKey(key) || !LABEL_KEY.test(key)) {
            fail(`label key '${key.slice(0, 40)}' is not allowed; keys are letters, digits and _ (not __proto__, constructor or prototype)`)
            bad = true
          } else if (typeof v !== 'string' || v.length > 256) {
            fail(`label ${key} must be text of at most 256 characters`)
            bad = true
          } else labels[key] = v
        }
      }
    }
    if (bad) continue
    const index = records.length
    const previous = prefixes.insert(cidr.family, cidr.words, cidr.bits, index)
    if (previous >= 0) {
      fail(`${e.cidr} is already given at ${where(firstAt.get(previous)!)}`)
      continue
    }
    firstAt.set(index, i)
    if (cidr.family === 4) v4++
    records.push(siteRecord(e, labels))
  }
  if (problems.length > 0) throw subnetsError(source, problems)
  const subnets = records.length
  if (privateNetworks) {
    for (const net of PRIVATE_NETWORKS) {
      const c = parseCidr(net) as Exclude<ReturnType<typeof parseCidr>, string>
      // A subnet given for exactly this range keeps its fields.
      if (prefixes.insert(c.family, c.words, c.bits, records.length) < 0) records.push({ geo: undefined, site: undefined })
    }
  }
  return { prefixes, records, subnets, v4, v6: subnets - v4 }
}

function siteRecord(e: SubnetEntry, labels: Record<string, string>): SiteRecord {
  const site: SiteFields = { network: e.cidr.trim() }
  const name = e.name ?? ([e.site, e.building].filter((x) => x !== undefined).join('/') || undefined)
  if (name !== undefined) site.name = name
  if (e.site !== undefined) site.site = e.site
  if (e.building !== undefined) site.building = e.building
  if (e.tags !== undefined && e.tags.length > 0) site.tags = [...e.tags]
  if (Object.keys(labels).length > 0) site.labels = labels
  const geo: GeoFields = {}
  if (name !== undefined) geo.name = name
  if (e.city !== undefined) geo.city_name = e.city
  if (e.country !== undefined) geo.country_iso_code = e.country.toUpperCase()
  if (e.lat !== undefined && e.lon !== undefined) geo.location = { lat: e.lat, lon: e.lon }
  completeCountry(geo)
  return { geo: Object.keys(geo).length > 0 ? geo : undefined, site }
}

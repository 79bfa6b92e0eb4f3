// The only module that touches the disk: reading the subnets CSV and the databases, and watching
// them. Everything else in the package uses web-standard globals only.
import { watch, type FSWatcher } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { BeerError, type Logger } from '@beer/core'
import { Reader } from 'maxmind'
import type { Database, Loader } from './enricher.ts'
import type { ResolvedDatabase, ResolvedOptions } from './options.ts'
import { Lru } from './lru.ts'
import { compileAsMapping, compileGeoMapping, mapAutoAs, mapAutoGeo, type AsFields, type GeoFields } from './records.ts'
import { buildSiteTable, siteTableFromCsv, type SiteTable } from './subnets.ts'

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** What identifies one version of a file, to tell a real change from a stray watch event. */
async function fingerprint(file: string): Promise<string> {
  try {
    const s = await stat(file)
    return `${s.ino}:${s.size}:${s.mtimeMs}`
  } catch (err) {
    return `missing:${(err as { code?: string }).code ?? ''}`
  }
}

function databaseError(file: string, reason: string, hint: string): BeerError {
  return new BeerError('BEER_ERR_GEOIP_DATABASE', `geoip: cannot use the database ${file}: ${reason}; ${hint}`, { path: file })
}

const PATH_HINT = 'give the path of a MaxMind-format .mmdb file (a relative path resolves against the working directory)'

/**
 * Reads a `.mmdb` file and opens it with the `maxmind` package's reader. With `cacheSize` above 0
 * the reader keeps up to that many decoded records (by their place in the file: one record serves
 * every address of a network, often of many networks) and each record's ECS fields are worked out
 * once: decoding a record costs several times the tree walk that finds it.
 */
export async function openDatabase(spec: ResolvedDatabase, language: string, cacheSize: number): Promise<Database> {
  let buf: Buffer
  try {
    buf = await readFile(spec.path)
  } catch (err) {
    throw databaseError(spec.path, errorText(err), PATH_HINT)
  }
  // gzip magic (RFC 1952 §2.3.1): MaxMind downloads come as .tar.gz, some mirrors as .mmdb.gz.
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    throw databaseError(spec.path, 'the file is gzip-compressed', 'unpack it first (gunzip, or tar xzf for MaxMind .tar.gz downloads)')
  }
  let reader: Reader<never>
  try {
    reader = new Reader<never>(buf, cacheSize > 0 ? { cache: new Lru<number, unknown>(cacheSize) } : {})
  } catch (err) {
    throw databaseError(spec.path, `not a MaxMind DB (format 2) file (${errorText(err)})`, PATH_HINT)
  }
  const m = reader.metadata
  if ((m.ipVersion !== 4 && m.ipVersion !== 6) || !(m.nodeCount > 0) || m.binaryFormatMajorVersion !== 2) {
    throw databaseError(spec.path, 'its metadata is not that of a MaxMind DB format 2 file', PATH_HINT)
  }
  const builtAt = m.buildEpoch.getTime()
  const mapRecord =
    spec.kind === 'geo'
      ? spec.mapping
        ? compileGeoMapping(spec.mapping)
        : (r: unknown) => mapAutoGeo(r, language)
      : spec.mapping
        ? compileAsMapping(spec.mapping)
        : mapAutoAs
  // Keyed by the decoded record, which the reader hands out again while it caches it; the
  // cached fields are only ever copied into events, never given out.
  const mapped = new WeakMap<object, GeoFields | AsFields | null>()
  const map =
    cacheSize > 0
      ? (r: unknown): GeoFields | AsFields | undefined => {
          if (r === null || typeof r !== 'object') return mapRecord(r)
          let m = mapped.get(r)
          if (m === undefined) mapped.set(r, (m = mapRecord(r) ?? null))
          return m ?? undefined
        }
      : mapRecord
  return {
    path: spec.path,
    kind: spec.kind,
    ipVersion: m.ipVersion,
    type: typeof m.databaseType === 'string' ? m.databaseType : '',
    builtAt: Number.isFinite(builtAt) ? builtAt : 0,
    get: (ip) => reader.get(ip),
    map,
  }
}

/** Makes the subnets file's and the databases' paths absolute, against the working directory. */
export function resolvePaths(o: ResolvedOptions): void {
  if (typeof o.subnets === 'string') o.subnets = path.resolve(o.subnets)
  for (const d of o.databases) d.path = path.resolve(d.path)
}

/** Reads the subnets (CSV file, inline list, or only the private ranges) into a lookup table. */
export async function loadSubnets(o: ResolvedOptions): Promise<SiteTable> {
  const s = o.subnets
  if (s === undefined) return buildSiteTable([], 'none', o.privateNetworks)
  if (typeof s !== 'string') return buildSiteTable(s, 'inline', o.privateNetworks)
  let text: string
  try {
    text = await readFile(s, 'utf8')
  } catch (err) {
    throw new BeerError('BEER_ERR_GEOIP_SUBNETS', `geoip: cannot read the subnets file ${s}: ${errorText(err)}; give the path of a CSV file (a relative path resolves against the working directory)`, {
      source: s,
    })
  }
  return siteTableFromCsv(text, s, o.privateNetworks)
}

/**
 * The disk-backed loader. Watching uses one `fs.watch` per folder, not per file: tools replace a
 * database by renaming a new file over it, which a watch on the old file would not see.
 */
export function fileLoader(o: ResolvedOptions, name: string, log: Logger): Loader {
  const seen = new Map<string, string>()
  const remember = async (file: string): Promise<void> => {
    seen.set(file, await fingerprint(file))
  }
  return {
    async loadSubnets() {
      if (typeof o.subnets === 'string') await remember(o.subnets)
      return loadSubnets(o)
    },
    async loadDatabase(spec) {
      await remember(spec.path)
      const db = await openDatabase(spec, o.language, o.cacheSize)
      const type = db.type.toLowerCase()
      if ((spec.kind === 'geo' && type.includes('asn')) || (spec.kind === 'asn' && (type.includes('city') || type.includes('country')))) {
        log.warn(`${name}: ${spec.path} is a '${db.type}' database, given as ${spec.kind === 'geo' ? 'database' : 'asnDatabase'}; did you mean ${spec.kind === 'geo' ? 'asnDatabase' : 'database'}?`)
      }
      return db
    },
    watch(paths, onChange) {
      const byDir = new Map<string, Set<string>>()
      for (const p of paths) {
        const dir = path.dirname(p)
        let names = byDir.get(dir)
        if (names === undefined) byDir.set(dir, (names = new Set()))
        names.add(path.basename(p))
      }
      const timers = new Map<string, NodeJS.Timeout>()
      const watchers: FSWatcher[] = []
      const changed = (file: string): void => {
        clearTimeout(timers.get(file))
        const t = setTimeout(() => {
          timers.delete(file)
          void fingerprint(file).then((fp) => {
            if (seen.get(file) === fp) return
            onChange(file)
          })
        }, o.watchDebounce)
        t.unref()
        timers.set(file, t)
      }
      for (const [dir, names] of byDir) {
        try {
          const w = watch(dir, { persistent: false }, (_event, filename) => {
            // Some platforms give no file name: any of ours in this folder may have changed.
            if (filename === null) for (const n of names) changed(path.join(dir, n))
            else if (names.has(filename.toString())) changed(path.join(dir, filename.toString()))
          })
          w.on('error', (err) => log.error(`${name}: stopped watching ${dir} (${errorText(err)}); use the reload command after changing files there`))
          watchers.push(w)
        } catch (err) {
          log.warn(`${name}: cannot watch ${dir} (${errorText(err)}); use the reload command after changing files there`)
        }
      }
      return () => {
        for (const w of watchers) w.close()
        for (const t of timers.values()) clearTimeout(t)
        timers.clear()
      }
    },
  }
}

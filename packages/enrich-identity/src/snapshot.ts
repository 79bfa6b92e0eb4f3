import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import { BeerError } from '@beer/core'
import type { Binding } from './history.ts'
import { mapAddress } from './addresses.ts'

/**
 * The snapshot file: `{ format, version, savedAt, addresses: { "<ip>": [binding, …] } }`, each
 * binding with `start`/`end` in epoch milliseconds. One JSON document, written to a temporary
 * file beside the target and renamed over it, so a crash mid-write leaves the previous snapshot.
 */
const FORMAT = 'beer-identity'
const VERSION = 1

export interface SnapshotData {
  savedAt: string
  addresses: Map<string, Binding[]>
}

/** Undefined when there is no snapshot yet; throws BEER_ERR_IDENTITY_SNAPSHOT when it cannot be read or is not one. */
export async function readSnapshot(file: string): Promise<SnapshotData | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return undefined
    throw corrupt(file, `cannot be read: ${(err as Error).message}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw corrupt(file, `is not JSON (${(err as Error).message})`)
  }
  const d = doc as { format?: unknown; version?: unknown; savedAt?: unknown; addresses?: unknown } | null
  if (d === null || typeof d !== 'object' || d.format !== FORMAT) throw corrupt(file, `is not an identity snapshot (no "format": "${FORMAT}")`)
  if (d.version !== VERSION) throw corrupt(file, `has version ${JSON.stringify(d.version)}; this version reads ${VERSION}`)
  if (d.addresses === null || typeof d.addresses !== 'object' || Array.isArray(d.addresses)) throw corrupt(file, 'has no "addresses" object')
  const addresses = new Map<string, Binding[]>()
  for (const [key, list] of Object.entries(d.addresses as Record<string, unknown>)) {
    const ip = mapAddress(key)
    if (ip === undefined || !Array.isArray(list)) throw corrupt(file, `has a bad entry for ${JSON.stringify(key)}`)
    const bindings: Binding[] = []
    for (const raw of list) {
      const b = toBinding(raw)
      if (b === undefined) throw corrupt(file, `has a bad binding for ${key}: ${JSON.stringify(raw)?.slice(0, 200)}`)
      bindings.push(b)
    }
    addresses.set(ip, bindings)
  }
  return { savedAt: typeof d.savedAt === 'string' ? d.savedAt : '', addresses }
}

/** A binding from stored JSON (a snapshot, a Redis field), or undefined when it is not one. */
export function toBinding(raw: unknown): Binding | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  const r = raw as Record<string, unknown>
  if (typeof r.kind !== 'string' || typeof r.start !== 'number' || typeof r.end !== 'number' || !(r.end >= r.start)) return undefined
  if (!Number.isFinite(r.start) || !Number.isFinite(r.end)) return undefined
  const b: Binding = { kind: r.kind, start: r.start, end: r.end, closed: r.closed === true }
  for (const key of ['user', 'domain', 'host', 'mac'] as const) {
    const v = r[key]
    if (v === undefined) continue
    if (typeof v !== 'string') return undefined
    b[key] = v
  }
  return b
}

function corrupt(file: string, why: string): BeerError {
  return new BeerError('BEER_ERR_IDENTITY_SNAPSHOT', `identity snapshot ${file} ${why}`, { path: file })
}

/** Writes the snapshot atomically: a temporary file in the same folder, synced, then renamed over `file`. */
export async function writeSnapshot(file: string, addresses: Iterable<[string, readonly Binding[]]>): Promise<number> {
  const out: Record<string, readonly Binding[]> = {}
  let count = 0
  for (const [ip, list] of addresses) {
    if (list.length === 0) continue
    out[ip] = list
    count += list.length
  }
  const text = JSON.stringify({ format: FORMAT, version: VERSION, savedAt: new Date().toISOString(), addresses: out })
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true, mode: 0o750 })
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
  // 0600: the map says who was where; it is nobody else's to read.
  const fh = await open(tmp, 'w', 0o600)
  try {
    await fh.writeFile(text, 'utf8')
    await fh.datasync()
  } catch (err) {
    await fh.close().catch(() => {})
    await unlink(tmp).catch(() => {})
    throw err
  }
  await fh.close()
  await rename(tmp, file)
  return count
}

/** Moves a snapshot that could not be read out of the way, so the next save does not destroy it. */
export async function setAside(file: string): Promise<string | undefined> {
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
  try {
    await rename(file, aside)
    return aside
  } catch {
    return undefined
  }
}

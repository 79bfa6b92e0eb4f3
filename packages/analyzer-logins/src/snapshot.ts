import { BeerError } from '@beer/core'
import type { Baseline } from './baseline.ts'

/**
 * The snapshot: one JSON document a line, so that neither writing nor reading needs one string
 * the size of every profile.
 *
 *   {"format":"beer-logins","version":1,"savedAt":…,"timeZone":…,"dimensions":[…],"system":{…},"counters":{…},"pending":[…]}
 *   ["alice",[first,last,count,ref,total,[31 clock weights],[[keys,weights,first,last,total],…]]]
 *   …one line per user…
 *   {"end":true,"users":N}
 *
 * The closing line tells a whole snapshot from a cut one.
 */
export const FORMAT = 'beer-logins'
export const VERSION = 1

/** A login not yet folded into its user's profile: [time, user, server, country, network, address]. */
export type PendingRecord = [number, string, string | null, string | null, string | null, string | null]

export interface SnapshotHeader {
  format: string
  version: number
  savedAt: string
  timeZone: string
  dimensions: string[]
  system: unknown
  counters: Record<string, number>
  pending: PendingRecord[]
}

export function encodeSnapshot(baseline: Baseline, counters: Record<string, number>, pending: PendingRecord[], savedAt: string): string[] {
  const header: SnapshotHeader = {
    format: FORMAT,
    version: VERSION,
    savedAt,
    timeZone: baseline.timeZone,
    dimensions: [...baseline.dimensions],
    system: baseline.system,
    counters,
    pending,
  }
  const lines = [JSON.stringify(header)]
  for (const [user, p] of baseline.entities()) lines.push(JSON.stringify([user, baseline.exportEntity(p)]))
  lines.push(JSON.stringify({ end: true, users: baseline.size }))
  return lines
}

export interface Restored {
  header: SnapshotHeader
  users: number
}

/**
 * Reads a snapshot's lines into `baseline` (which should be empty).
 * @throws BeerError `BEER_ERR_LOGINS_SNAPSHOT` saying what is wrong; the baseline may then hold part of it.
 */
export async function decodeSnapshot(batches: AsyncIterable<readonly string[]> | Iterable<readonly string[]>, baseline: Baseline, where: string): Promise<Restored> {
  const bad = (n: number, why: string): never => {
    throw new BeerError('BEER_ERR_LOGINS_SNAPSHOT', `logins snapshot ${where}: line ${n}: ${why}`, { path: where, line: n })
  }
  let n = 0
  let header: SnapshotHeader | undefined
  let users = 0
  let ended = false
  for await (const batch of batches) for (const line of batch) {
    n++
    if (line === '') continue
    if (ended) bad(n, 'text after the closing line')
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      bad(n, `not JSON (${(err as Error).message})`)
    }
    if (header === undefined) {
      const h = value as Partial<SnapshotHeader> | null
      if (h === null || typeof h !== 'object' || h.format !== FORMAT) bad(n, `not a logins snapshot (no "format": "${FORMAT}")`)
      if (h!.version !== VERSION) bad(n, `version ${JSON.stringify(h!.version)}; this version reads ${VERSION}`)
      if (!Array.isArray(h!.dimensions) || h!.dimensions.join() !== baseline.dimensions.join()) bad(n, `dimensions ${JSON.stringify(h!.dimensions)} differ from ${JSON.stringify(baseline.dimensions)}`)
      if (!Array.isArray(h!.pending) || !h!.pending.every(isPending)) bad(n, 'bad "pending" list')
      try {
        baseline.importSystem(h!.system)
      } catch (err) {
        bad(n, (err as Error).message)
      }
      header = { ...(h as SnapshotHeader), counters: isCounters(h!.counters) ? h!.counters : {} }
      continue
    }
    if (!Array.isArray(value)) {
      const end = value as { end?: unknown; users?: unknown } | null
      if (end !== null && typeof end === 'object' && end.end === true) {
        if (end.users !== users) bad(n, `the closing line counts ${String(end.users)} users, the file holds ${users}`)
        ended = true
        continue
      }
      bad(n, 'neither a user nor the closing line')
    }
    const [user, data] = value as unknown[]
    if (typeof user !== 'string' || user === '') bad(n, 'a user line must start with the user name')
    try {
      baseline.importEntity(user as string, data)
    } catch (err) {
      bad(n, (err as Error).message)
    }
    users++
  }
  if (header === undefined) bad(n, 'empty')
  if (!ended) bad(n, 'cut short: no closing line')
  return { header: header!, users }
}

function isPending(v: unknown): v is PendingRecord {
  if (!Array.isArray(v) || v.length !== 6) return false
  const [t, user, ...rest] = v as unknown[]
  return typeof t === 'number' && Number.isFinite(t) && typeof user === 'string' && user !== '' && rest.every((x) => x === null || typeof x === 'string')
}

function isCounters(v: unknown): v is Record<string, number> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number')
}

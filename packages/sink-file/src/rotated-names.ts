import { lstat, readdir } from 'node:fs/promises'
import path from 'node:path'
import type { RotatedNaming } from './options.ts'

/** How the rotated files of one live file are named and recognised. */
export interface RotatedNames {
  dir: string
  /** `events` for `events.ndjson`. */
  base: string
  /** `.ndjson` for `events.ndjson`; empty when the file has no extension. */
  ext: string
  naming: RotatedNaming
}

/** One rotated file found in the directory, with the key that orders it by age. */
export interface RotatedFile {
  name: string
  /** Time naming: the ISO stamp; counter naming: empty. */
  stamp: string
  /** Time naming: the collision suffix (0 for none); counter naming: the counter. */
  n: number
}

export function rotatedNames(filePath: string, naming: RotatedNaming): RotatedNames {
  const ext = path.extname(filePath)
  return { dir: path.dirname(filePath), base: path.basename(filePath, ext), ext, naming }
}

/** `2026-11-27T10-00-00.000Z`: ISO 8601 in UTC with `:` replaced, since Windows and SMB shares refuse `:`. */
export function timeStamp(ms: number): string {
  return new Date(ms).toISOString().replaceAll(':', '-')
}

const COUNTER_WIDTH = 6

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function matcher(names: RotatedNames): RegExp {
  const head = `^${escapeRegExp(names.base)}-`
  const tail = `${escapeRegExp(names.ext)}$`
  return names.naming === 'time'
    ? new RegExp(`${head}(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3}Z)(?:-(\\d+))?${tail}`)
    : new RegExp(`${head}(\\d+)${tail}`)
}

/** This file's rotated files in its directory, oldest first. */
export async function listRotated(names: RotatedNames): Promise<RotatedFile[]> {
  const re = matcher(names)
  const found: RotatedFile[] = []
  for (const name of await readdir(names.dir)) {
    const m = re.exec(name)
    if (!m) continue
    found.push(names.naming === 'time' ? { name, stamp: m[1]!, n: Number(m[2] ?? 0) } : { name, stamp: '', n: Number(m[1]) })
  }
  // The ISO stamps have a fixed width, so comparing them as strings orders them by time.
  return found.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n))
}

/** One more than the highest counter already used, so counter names keep growing across restarts. */
export async function nextCounter(names: RotatedNames): Promise<number> {
  if (names.naming !== 'counter') return 1
  let files: RotatedFile[]
  try {
    files = await listRotated(names)
  } catch {
    return 1
  }
  return files.length === 0 ? 1 : files[files.length - 1]!.n + 1
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}

/**
 * A path for the rotated file that no file occupies yet. `rename` would silently replace an
 * existing file, and a rotated file may be the only copy of security events.
 */
export async function freeRotatedPath(
  names: RotatedNames,
  startedAt: number,
  counter: number,
): Promise<{ path: string; counter: number }> {
  if (names.naming === 'counter') {
    for (let c = counter; ; c++) {
      const p = path.join(names.dir, `${names.base}-${String(c).padStart(COUNTER_WIDTH, '0')}${names.ext}`)
      if (!(await exists(p))) return { path: p, counter: c + 1 }
    }
  }
  const stamp = timeStamp(startedAt)
  for (let k = 0; ; k++) {
    const p = path.join(names.dir, `${names.base}-${stamp}${k === 0 ? '' : `-${k}`}${names.ext}`)
    if (!(await exists(p))) return { path: p, counter }
  }
}

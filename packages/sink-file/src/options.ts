import { BeerError } from '@beer/core'

/**
 * When written lines are forced from the operating system's cache to the disk (`fdatasync`).
 *
 * - `'never'`: the operating system decides (usually within ~30 s). Fastest; a power cut or kernel
 *   crash can lose what the OS had not written yet. A crash of the process alone loses nothing
 *   already written.
 * - `'interval'`: at most once per `flushInterval`, and on `flush()`, `close()` and rotation.
 *   A power cut loses at most about two `flushInterval`s of events.
 * - `'batch'`: every batch is written and synced before its `write()` settles, so a batch the
 *   runtime counts as handled is on disk. Batches that arrive while a sync runs share the next one.
 */
export type FsyncPolicy = 'never' | 'interval' | 'batch'

/** How rotated files are named. */
export type RotatedNaming = 'time' | 'counter'

/** Options of the `file()` sink. All are plain data, so the sink can run in a worker or a child process. */
export interface FileSinkOptions {
  /**
   * The file events are appended to, one JSON line each. Relative paths resolve against the
   * working directory of the process that runs the sink. Missing parent directories are created.
   */
  path: string
  /** The module's name in the pipeline. Default `'file'`. */
  name?: string
  /**
   * Rotate before the file would grow past this many bytes. Rotation happens only between whole
   * lines, so a file exceeds this only when it holds one line that alone is larger.
   * Default: no rotation by size.
   */
  maxBytes?: number
  /**
   * Rotate at wall-clock boundaries: `'30s'`, `'15m'`, `'1h'`, `'1d'`, or a number of
   * milliseconds. Boundaries are multiples of the interval since the Unix epoch, in UTC: `'1h'`
   * rotates on the hour, `'1d'` at 00:00 UTC. A file still empty at a boundary is not rotated.
   * Default: no rotation by time.
   */
  interval?: string | number
  /**
   * How a rotated file is named, from `events.ndjson`: `'time'` gives
   * `events-2026-11-27T10-00-00.000Z.ndjson`, the UTC time the file was started; `'counter'`
   * gives `events-000001.ndjson`, one more than the highest already there. An existing file is
   * never overwritten: a `-1`, `-2`, … suffix (or the next counter) is used instead. Default `'time'`.
   */
  naming?: RotatedNaming
  /**
   * How many rotated files to keep. After each rotation the oldest rotated files (named by this
   * sink's `naming`) beyond this count are deleted. Default: keep all.
   */
  keep?: number
  /** Longest time, in milliseconds, an accepted line waits in memory before it is written. Default `200`. */
  flushInterval?: number
  /** When written lines are synced to disk; see {@link FsyncPolicy}. Default `'interval'`. */
  fsync?: FsyncPolicy
  /**
   * Permission bits of files the sink creates, applied exactly (the umask does not reduce them).
   * Directories it creates get the same bits plus execute where read is set (`0o640` → `0o750`).
   * Existing files keep their mode. Default `0o640`.
   */
  mode?: number
  /**
   * Bytes accepted but not yet written above which `write()` returns a promise that settles once
   * they are below it again: the runtime waits on it, which slows or pauses the inputs instead of
   * growing memory while the disk is slow or failing. Default `33554432` (32 MiB).
   */
  maxPendingBytes?: number
}

/** Options after validation, with defaults applied and the path made absolute by the caller. */
export interface ResolvedOptions {
  path: string
  maxBytes: number | undefined
  intervalMs: number | undefined
  naming: RotatedNaming
  keep: number | undefined
  flushInterval: number
  fsync: FsyncPolicy
  mode: number
  maxPendingBytes: number
}

export const DEFAULT_FLUSH_INTERVAL_MS = 200
export const DEFAULT_MODE = 0o640
export const DEFAULT_MAX_PENDING_BYTES: number = 32 * 1024 * 1024

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function invalid(option: string, value: unknown, expected: string): BeerError {
  return new BeerError(
    'BEER_ERR_SINK_FILE_OPTIONS',
    `file sink: option ${option} is ${JSON.stringify(value) ?? String(value)}; expected ${expected}`,
    { option },
  )
}

/** Milliseconds of an `interval` option: a positive number, or digits followed by ms, s, m, h or d. */
export function parseInterval(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 1) return Math.floor(value)
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+)\s*(ms|s|m|h|d)\s*$/.exec(value)
    if (m && Number(m[1]) > 0) return Number(m[1]) * UNIT_MS[m[2]!]!
  }
  throw invalid('interval', value, "a duration such as '30s', '15m', '1h', '1d', or a number of milliseconds (at least 1)")
}

function positiveInteger(option: string, value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value
  throw invalid(option, value, `an integer of at least ${min}`)
}

/** Checks every option and fills in defaults; throws BEER_ERR_SINK_FILE_OPTIONS naming the first bad one. */
export function resolveOptions(options: FileSinkOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw invalid('options', options, 'an object with at least { path }')
  const o = options
  if (typeof o.path !== 'string' || o.path.length === 0) throw invalid('path', o.path, 'the path of the file to write, a non-empty string')
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name.length === 0)) throw invalid('name', o.name, 'a non-empty string')
  const naming = o.naming ?? 'time'
  if (naming !== 'time' && naming !== 'counter') throw invalid('naming', o.naming, "'time' or 'counter'")
  const fsync = o.fsync ?? 'interval'
  if (fsync !== 'never' && fsync !== 'interval' && fsync !== 'batch') throw invalid('fsync', o.fsync, "'never', 'interval' or 'batch'")
  const mode = o.mode ?? DEFAULT_MODE
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw invalid('mode', o.mode, 'permission bits between 0 and 0o777, such as 0o640')
  }
  const flushInterval = o.flushInterval ?? DEFAULT_FLUSH_INTERVAL_MS
  if (typeof flushInterval !== 'number' || !Number.isFinite(flushInterval) || flushInterval < 0) {
    throw invalid('flushInterval', o.flushInterval, 'a number of milliseconds, 0 or more')
  }
  return {
    path: o.path,
    maxBytes: o.maxBytes === undefined ? undefined : positiveInteger('maxBytes', o.maxBytes, 1),
    intervalMs: o.interval === undefined ? undefined : parseInterval(o.interval),
    naming,
    keep: o.keep === undefined ? undefined : positiveInteger('keep', o.keep, 0),
    flushInterval,
    fsync,
    mode,
    maxPendingBytes: o.maxPendingBytes === undefined ? DEFAULT_MAX_PENDING_BYTES : positiveInteger('maxPendingBytes', o.maxPendingBytes, 1),
  }
}

import { constants } from 'node:fs'
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { BeerError, type LogEvent, type Logger, type ModuleContext, type Sink } from '@beer/core'
import type { ResolvedOptions } from './options.ts'
import { freeRotatedPath, listRotated, nextCounter, rotatedNames, type RotatedNames } from './rotated-names.ts'

/** What `command('status')` answers. */
export interface FileSinkStatus {
  /** The file being written. */
  path: string
  /** Bytes written to disk since the sink started, over all files. */
  bytesWritten: number
  /** Lines written to disk since the sink started, over all files. */
  linesWritten: number
  /** Events refused because `JSON.stringify` could not serialise them (a BigInt, a cycle). */
  dropped: number
  /** Files rotated away since the sink started. */
  rotations: number
  /** Bytes accepted by `write()` and not yet written. */
  pendingBytes: number
  /** Lines accepted but never written because the sink closed while the disk was failing. */
  lost: number
  /** Failed disk operations (open, write, sync, rotate, prune) since the sink started. */
  errors: number
  /** Times the file was opened again after an error, or because it was moved or deleted outside beer. */
  reopens: number
  /** Completed `fdatasync` calls. */
  syncs: number
  /** The last disk error, or null while none happened. */
  lastError: string | null
}

/**
 * What `command('rotate')` answers: the name the file was rotated to (null when it was empty, so
 * nothing was rotated), or, when the file had already been moved away outside beer (logrotate),
 * the path that was opened again.
 */
export type FileRotateAnswer = { rotated: string | null } | { reopened: string }

type RotateReason = 'size' | 'interval' | 'command' | 'startup'

interface DataItem {
  kind: 'data'
  buf: Buffer
  lines: number
  slab: Slab
}

/** A buffer lines are encoded into, and how many queued views of it are not yet written. */
interface Slab {
  buf: Buffer
  views: number
}

interface RotateItem {
  kind: 'rotate'
  reason: RotateReason
  /** Start time to give the next file (a wall-clock boundary for time rotation). */
  start: number | undefined
  resolve: ((answer: FileRotateAnswer) => void) | undefined
  reject: ((err: unknown) => void) | undefined
}

type QueueItem = DataItem | RotateItem

interface SyncWaiter {
  upTo: number
  resolve: () => void
  reject: (err: unknown) => void
}

/** Lines are sealed into a write once this much is buffered, so each syscall carries a lot. */
const CHUNK_BYTES = 256 * 1024
/** Lines are encoded straight into buffers of this size; a sealed chunk is a view of one. */
const BUFFER_BYTES = 1024 * 1024
/** Linux IOV_MAX: the most buffers one writev accepts. */
const IOV_MAX = 1024
/**
 * One writev carries at most about this much, so that while the disk is behind, memory frees in
 * steps and a paused producer resumes filling while the next write runs, instead of taking turns.
 */
const MAX_WRITE_BYTES = 4 * 1024 * 1024
/** Written buffers kept for reuse: fresh megabyte allocations make the garbage collector work harder. */
const SPARE_BUFFERS = 8
const MAX_RETRY_MS = 30_000
const REPEAT_LOG_MS = 60_000
const NEWLINE = 0x0a
/** setTimeout fires at once for longer delays. */
const MAX_TIMER_MS = 2 ** 31 - 1

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function countNewlines(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

function countLines(buf: Buffer): number {
  let n = 0
  for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, i + 1)) n++
  return n
}

/** Largest line boundary at or below `room` bytes into `bufs`, every one of which ends a line. */
function cutAt(bufs: readonly Buffer[], room: number): number {
  let acc = 0
  for (const b of bufs) {
    if (acc + b.length <= room) {
      acc += b.length
      continue
    }
    const i = room > acc ? b.lastIndexOf(NEWLINE, room - acc - 1) : -1
    return i === -1 ? acc : acc + i + 1
  }
  return acc
}

function dirModeFor(mode: number): number {
  return mode | ((mode & 0o444) >> 2)
}

/** Hints for the operator, by errno, appended to disk error messages. */
const ADVICE: Record<string, string> = {
  ENOSPC: 'the disk is full; free space and the sink retries',
  EDQUOT: 'the disk quota is exhausted; raise it or free space and the sink retries',
  EACCES: 'permission denied; let the user beer runs as write the file and its directory',
  EPERM: 'operation not permitted; check the file and directory permissions and attributes',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'the path is a directory; give the path of a file',
  EMFILE: 'the process has too many open files',
  EIO: 'the disk reported an I/O error',
}

/** The live sink. One write or rotation runs at a time, in the order lines and rotations were queued. */
export class FileSink implements Sink {
  readonly #o: ResolvedOptions
  readonly #log: Logger
  readonly #name: string
  readonly #names: RotatedNames
  #counter = 1

  // Lines not yet sealed, encoded in place: cur[curStart..curEnd).
  #slab: Slab = { buf: Buffer.allocUnsafe(BUFFER_BYTES), views: 0 }
  #cur: Buffer = this.#slab.buf
  #curStart = 0
  #curEnd = 0
  #curLines = 0
  readonly #spare: Buffer[] = []
  readonly #queue: QueueItem[] = []
  #queuedBytes = 0

  #fh: FileHandle | null = null
  #fileDev = -1
  #fileIno = -1
  #fileSize = 0
  #fileStart = 0
  /** Set when the file was reopened because it vanished or was replaced, until the next rotation. */
  #reopenedExternally = false
  /** A short write ended inside a line: switching files now would split that line. */
  #midLine = false
  #lastPathCheck = 0

  #acceptedBytes = 0
  #writtenTotal = 0
  #syncedTotal = 0
  #lastSyncAt = 0
  #syncWanted = false

  #linesWritten = 0
  #dropped = 0
  #rotations = 0
  #lost = 0
  #errors = 0
  #reopens = 0
  #syncs = 0
  #lastError: string | null = null

  #draining: Promise<void> | null = null
  #kickAgain = false
  #failing: string | null = null
  #failingLoggedAt = 0
  #retryDelay = 0
  #retryAt = 0
  #flushTimer: NodeJS.Timeout | null = null
  #retryTimer: NodeJS.Timeout | null = null
  #rotateTimer: NodeJS.Timeout | null = null
  #nextBoundary = 0
  #dropLoggedAt = -Infinity
  #dropsUnlogged = 0

  #roomWaiters: Array<() => void> = []
  #syncWaiters: SyncWaiter[] = []
  #closing: Promise<void> | null = null

  private constructor(options: ResolvedOptions, context: ModuleContext) {
    this.#o = options
    this.#log = context.log
    this.#name = context.name
    this.#names = rotatedNames(options.path, options.naming)
  }

  /** Opens the file (creating it and its directories) and starts the rotation clock. */
  static async open(options: ResolvedOptions, context: ModuleContext): Promise<FileSink> {
    const sink = new FileSink(options, context)
    const now = Date.now()
    let mtime: number
    try {
      mtime = await sink.#openFile(now)
    } catch (err) {
      throw new BeerError(
        'BEER_ERR_SINK_FILE_OPEN',
        `${context.name}: cannot open ${options.path} for appending: ${errorText(err)}${sink.#advice(err)}`,
        { path: options.path, errno: errorCode(err) },
      )
    }
    sink.#counter = await nextCounter(sink.#names)
    const iv = options.intervalMs
    if (iv !== undefined) {
      // A file left by an earlier run whose last line predates the current period belongs to that period.
      const periodStart = Math.floor(now / iv) * iv
      if (sink.#fileSize > 0 && mtime < periodStart) sink.#enqueueRotate('startup', periodStart)
      sink.#armRotateTimer()
    }
    return sink
  }

  write(events: readonly LogEvent[]): void | Promise<void> {
    if (this.#closing) {
      throw new BeerError('BEER_ERR_SINK_FILE_CLOSED', `${this.#name}: write() after close(); the runtime must not write to a closed sink`)
    }
    for (let i = 0; i < events.length; i++) {
      let line: string | undefined
      try {
        line = JSON.stringify(events[i])
      } catch (err) {
        this.#drop(events[i], errorText(err))
        continue
      }
      if (line === undefined) this.#drop(events[i], 'JSON.stringify returned nothing for it')
      else this.#append(line, 1, true)
    }
    return this.#accepted()
  }

  /** The runtime's fast path: a batch already serialized (in a worker) is copied in as it is. */
  writeNdjson(chunks: readonly string[], count: number): void | Promise<void> {
    if (this.#closing) {
      throw new BeerError('BEER_ERR_SINK_FILE_CLOSED', `${this.#name}: write() after close(); the runtime must not write to a closed sink`)
    }
    let lines = 0
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!
      // Whole lines only: the count of each chunk is its newlines.
      const n = i === chunks.length - 1 ? count - lines : countNewlines(chunk)
      if (chunk.length > 0) this.#append(chunk, n, false)
      lines += n
    }
    return this.#accepted()
  }

  #accepted(): void | Promise<void> {
    const pending = this.#pendingBytes()
    if (this.#o.fsync === 'batch') {
      if (this.#syncedTotal >= this.#acceptedBytes) return
      this.#seal()
      const upTo = this.#acceptedBytes
      const p = new Promise<void>((resolve, reject) => this.#syncWaiters.push({ upTo, resolve, reject }))
      this.#kick(false)
      return p
    }
    if (this.#curEnd - this.#curStart >= CHUNK_BYTES || pending > this.#o.maxPendingBytes) {
      this.#seal()
      this.#kick(false)
    } else if (pending > 0 && this.#flushTimer === null) {
      this.#armFlushTimer()
    }
    if (pending > this.#o.maxPendingBytes) return new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
  }

  /** Writes out every line accepted so far (and syncs it unless `fsync` is `'never'`). */
  async flush(): Promise<void> {
    if (this.#closing) return this.#closing
    await this.#flush()
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  command(name: string): unknown {
    switch (name) {
      case 'status':
        return this.#status()
      case 'flush':
        return this.flush().then(() => ({ flushed: true }))
      case 'rotate':
        return this.#requestRotate()
      default:
        return undefined
    }
  }

  #status(): FileSinkStatus {
    return {
      path: this.#o.path,
      bytesWritten: this.#writtenTotal,
      linesWritten: this.#linesWritten,
      dropped: this.#dropped,
      rotations: this.#rotations,
      pendingBytes: this.#pendingBytes(),
      lost: this.#lost,
      errors: this.#errors,
      reopens: this.#reopens,
      syncs: this.#syncs,
      lastError: this.#lastError,
    }
  }

  #pendingBytes(): number {
    return this.#queuedBytes + (this.#curEnd - this.#curStart)
  }

  /** Copies `text` (one line without its newline, or whole lines with theirs) into the current buffer. */
  #append(line: string, lines: number, newline: boolean): void {
    const extra = newline ? 1 : 0
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so the exact length is computed only near the end.
    if (this.#cur.length - this.#curEnd < line.length * 3 + extra) {
      const need = Buffer.byteLength(line) + extra
      if (this.#cur.length - this.#curEnd < need) {
        this.#seal()
        const old = this.#slab
        if (old.views === 0 && old.buf.length === BUFFER_BYTES && this.#spare.length < SPARE_BUFFERS) this.#spare.push(old.buf)
        this.#cur = need <= BUFFER_BYTES ? (this.#spare.pop() ?? Buffer.allocUnsafe(BUFFER_BYTES)) : Buffer.allocUnsafe(need)
        this.#slab = { buf: this.#cur, views: 0 }
        this.#curStart = this.#curEnd = 0
      }
    }
    const n = this.#cur.write(line, this.#curEnd, 'utf8')
    if (newline) this.#cur[this.#curEnd + n] = NEWLINE
    this.#curEnd += n + extra
    this.#curLines += lines
    this.#acceptedBytes += n + extra
  }

  #seal(): void {
    if (this.#curEnd === this.#curStart) return
    const buf = this.#cur.subarray(this.#curStart, this.#curEnd)
    this.#queue.push({ kind: 'data', buf, lines: this.#curLines, slab: this.#slab })
    this.#slab.views++
    this.#queuedBytes += buf.length
    this.#curStart = this.#curEnd
    this.#curLines = 0
  }

  #drop(event: unknown, reason: string): void {
    this.#dropped++
    this.#dropsUnlogged++
    const now = Date.now()
    // A producer that emits bad events usually emits many; one line per 10 s says enough.
    if (now - this.#dropLoggedAt < 10_000) return
    let id: unknown
    try {
      id = (event as LogEvent | null)?.event?.id
    } catch {}
    this.#log.error(
      `${this.#name}: dropped ${this.#dropsUnlogged === 1 ? 'an event' : `${this.#dropsUnlogged} events`} that JSON.stringify cannot serialise (${reason}); the events around it were written. Events must be plain JSON data: fix the module that produced it. status.dropped counts them.`,
      { path: this.#o.path, reason, eventId: typeof id === 'string' ? id : undefined, dropped: this.#dropped },
    )
    this.#dropLoggedAt = now
    this.#dropsUnlogged = 0
  }

  #armFlushTimer(): void {
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null
      this.#seal()
      if (this.#o.fsync === 'interval') this.#syncWanted = true
      this.#kick(false)
    }, this.#o.flushInterval)
  }

  #armRotateTimer(): void {
    const iv = this.#o.intervalMs!
    const now = Date.now()
    this.#nextBoundary = Math.floor(now / iv) * iv + iv
    this.#setRotateTimer(now)
  }

  #setRotateTimer(now: number): void {
    this.#rotateTimer = setTimeout(() => this.#onBoundary(), Math.min(this.#nextBoundary - now, MAX_TIMER_MS))
    this.#rotateTimer.unref()
  }

  #onBoundary(): void {
    this.#rotateTimer = null
    if (this.#closing) return
    const now = Date.now()
    // Long delays are chunked and the clock may be stepped back: fire only once the boundary is reached.
    if (now < this.#nextBoundary) return this.#setRotateTimer(now)
    const iv = this.#o.intervalMs!
    this.#enqueueRotate('interval', Math.floor(now / iv) * iv)
    this.#armRotateTimer()
  }

  #enqueueRotate(
    reason: RotateReason,
    start: number | undefined,
    resolve?: (answer: FileRotateAnswer) => void,
    reject?: (err: unknown) => void,
  ): void {
    // Everything accepted before the request goes to the old file; everything after, to the new.
    this.#seal()
    this.#queue.push({ kind: 'rotate', reason, start, resolve, reject })
    this.#kick(reason === 'command')
  }

  #requestRotate(): Promise<FileRotateAnswer> {
    if (this.#closing) {
      return Promise.reject(new BeerError('BEER_ERR_SINK_FILE_CLOSED', `${this.#name}: rotate after close(); nothing was rotated`))
    }
    return new Promise<FileRotateAnswer>((resolve, reject) => this.#enqueueRotate('command', undefined, resolve, reject))
  }

  /** Starts the writer unless it runs; while the disk fails, only `force` retries before the backoff ends. */
  #kick(force: boolean): void {
    if (this.#draining) {
      // The running writer may already have seen an empty queue; it starts again when it ends.
      this.#kickAgain ||= force || this.#failing === null
      return
    }
    if (!force && this.#failing !== null && Date.now() < this.#retryAt) return
    if (this.#queue.length === 0 && !this.#syncDue()) return
    this.#draining = this.#drain().finally(() => {
      this.#draining = null
      if (this.#kickAgain) {
        this.#kickAgain = false
        this.#kick(true)
      }
    })
  }

  #syncDue(): boolean {
    return this.#o.fsync !== 'never' && this.#writtenTotal > this.#syncedTotal && (this.#syncWanted || this.#o.fsync === 'batch')
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const item = this.#queue[0]!
        if (item.kind === 'rotate') {
          await this.#handleRotate(item)
          continue
        }
        await this.#ensureOpen()
        await this.#checkPath()
        await this.#writeSome()
        this.#recovered()
        if (this.#o.fsync === 'batch' || (this.#o.fsync === 'interval' && Date.now() - this.#lastSyncAt >= this.#o.flushInterval)) {
          await this.#sync()
        }
        this.#settle()
      }
      if (this.#syncDue()) await this.#sync()
      this.#syncWanted = false
      this.#recovered()
    } catch (err) {
      this.#fail(err)
    }
    this.#settle()
    // The last lines of a burst must reach the disk within about a flushInterval too.
    if (this.#o.fsync === 'interval' && this.#writtenTotal > this.#syncedTotal && this.#flushTimer === null && !this.#closing) {
      this.#armFlushTimer()
    }
  }

  async #handleRotate(item: RotateItem): Promise<void> {
    try {
      const answer = await this.#rotate(item.reason, item.start)
      item.resolve?.(answer)
    } catch (err) {
      this.#countError(err)
      const message = `${this.#name}: could not rotate ${this.#o.path} (${item.reason}): ${errorText(err)}${this.#advice(err)}; writing continues to the current file`
      this.#log.error(message, { path: this.#o.path, errno: errorCode(err) })
      item.reject?.(new BeerError('BEER_ERR_SINK_FILE_ROTATE', message, { path: this.#o.path, errno: errorCode(err) }))
    }
    this.#queue.shift()
  }

  async #ensureOpen(): Promise<void> {
    if (this.#fh) return
    await this.#openFile(Date.now())
    this.#reopens++
    this.#log.info(`${this.#name}: reopened ${this.#o.path}`, { path: this.#o.path })
  }

  /** Notices the file being deleted, moved or replaced outside beer, and opens the path again. */
  async #checkPath(): Promise<void> {
    const now = Date.now()
    if (this.#midLine || now - this.#lastPathCheck < Math.min(1000, Math.max(50, this.#o.flushInterval))) return
    this.#lastPathCheck = now
    const st = await statOrNull(this.#o.path)
    if (st && st.ino === this.#fileIno && st.dev === this.#fileDev) return
    this.#reopens++
    if (st) {
      this.#log.warn(`${this.#name}: ${this.#o.path} was replaced outside beer (logrotate?); writing to the new file`, { path: this.#o.path })
    } else {
      this.#errors++
      this.#lastError = `${this.#o.path} was moved or deleted outside beer`
      this.#log.error(
        `${this.#name}: ${this.#o.path} was moved or deleted outside beer; creating it again. Lines written since then are in the moved file, or lost if it was deleted. To rotate with logrotate, send the rotate command after moving the file.`,
        { path: this.#o.path },
      )
    }
    await this.#closeFile()
    await this.#openFile(now)
    this.#reopenedExternally = true
  }

  /** Writes the queued chunks up to the next rotation request, rotating first when the size limit says so. */
  async #writeSome(): Promise<void> {
    const bufs: Buffer[] = []
    let total = 0
    for (let i = 0; i < this.#queue.length && bufs.length < IOV_MAX && total < MAX_WRITE_BYTES; i++) {
      const item = this.#queue[i]!
      if (item.kind !== 'data') break
      bufs.push(item.buf)
      total += item.buf.length
    }
    let limit = total
    const max = this.#o.maxBytes
    if (max !== undefined && this.#fileSize + total > max) {
      limit = cutAt(bufs, max - this.#fileSize)
      if (limit === 0) {
        if (this.#fileSize > 0 && !this.#midLine) {
          await this.#rotate('size', undefined)
          return
        }
        // A line longer than maxBytes: it gets a file of its own rather than being split or refused.
        limit = bufs[0]!.indexOf(NEWLINE) + 1
      }
    }
    let written = 0
    while (written < limit) {
      const views: Buffer[] = []
      let skip = written
      let left = limit - written
      for (const b of bufs) {
        if (left === 0) break
        if (skip >= b.length) {
          skip -= b.length
          continue
        }
        const v = b.subarray(skip, Math.min(b.length, skip + left))
        skip = 0
        left -= v.length
        views.push(v)
      }
      const { bytesWritten } = await this.#fh!.writev(views)
      if (bytesWritten <= 0) throw Object.assign(new Error('the file system accepted no bytes'), { code: 'EIO' })
      written += bytesWritten
      this.#fileSize += bytesWritten
      this.#consume(bytesWritten)
    }
  }

  /** Drops `n` written bytes from the head of the queue, keeping the line counters exact. */
  #consume(n: number): void {
    this.#writtenTotal += n
    this.#queuedBytes -= n
    let left = n
    while (left > 0) {
      const item = this.#queue[0] as DataItem
      if (item.buf.length <= left) {
        left -= item.buf.length
        this.#linesWritten += item.lines
        this.#midLine = false
        this.#queue.shift()
        const slab = item.slab
        if (--slab.views === 0 && slab !== this.#slab && slab.buf.length === BUFFER_BYTES && this.#spare.length < SPARE_BUFFERS) {
          this.#spare.push(slab.buf)
        }
      } else {
        const done = item.buf.subarray(0, left)
        const lines = countLines(done)
        this.#linesWritten += lines
        item.lines -= lines
        item.buf = item.buf.subarray(left)
        this.#midLine = done[done.length - 1] !== NEWLINE
        left = 0
      }
    }
  }

  async #sync(): Promise<void> {
    if (!this.#fh) {
      // The descriptor those bytes went through is gone (closed after an error): nothing left to sync.
      this.#syncedTotal = this.#writtenTotal
      return
    }
    if (this.#writtenTotal === this.#syncedTotal) return
    const upTo = this.#writtenTotal
    await this.#fh.datasync()
    this.#syncs++
    this.#syncedTotal = upTo
    this.#lastSyncAt = Date.now()
  }

  /** Moves the current file aside and starts a new one. Every line queued before the request is written already. */
  async #rotate(reason: RotateReason, start: number | undefined): Promise<FileRotateAnswer> {
    const p = this.#o.path
    const st = await statOrNull(p)
    if (!st || st.ino !== this.#fileIno || st.dev !== this.#fileDev) {
      // logrotate moved it (and maybe created an empty one): what is at the path now is the new file.
      await this.#closeFile()
      await this.#openFile(start ?? Date.now())
      this.#reopens++
      this.#reopenedExternally = false
      this.#log.info(`${this.#name}: ${p} had been moved away; opened it again`, { path: p, reason })
      return { reopened: p }
    }
    if (reason === 'command' && this.#reopenedExternally) {
      // The move this command announces was noticed and handled already; rotating again would split off a sliver.
      this.#reopenedExternally = false
      return { reopened: p }
    }
    if (this.#fileSize === 0) {
      if (start !== undefined) this.#fileStart = start
      return { rotated: null }
    }
    await this.#closeFile()
    const free = await freeRotatedPath(this.#names, this.#fileStart, this.#counter)
    await rename(p, free.path)
    this.#counter = free.counter
    this.#rotations++
    this.#reopenedExternally = false
    try {
      await this.#openFile(start ?? Date.now())
    } catch (err) {
      // The rotation itself is done; the next write retries the open and reports it if it fails again.
      this.#countError(err)
      this.#log.error(`${this.#name}: rotated ${p} to ${free.path} but could not open a new ${p}: ${errorText(err)}${this.#advice(err)}`, {
        path: p,
        errno: errorCode(err),
      })
    }
    if (this.#o.fsync !== 'never') await this.#syncDir()
    await this.#prune()
    return { rotated: free.path }
  }

  async #prune(): Promise<void> {
    const keep = this.#o.keep
    if (keep === undefined) return
    try {
      const files = await listRotated(this.#names)
      for (const f of files.slice(0, Math.max(0, files.length - keep))) {
        try {
          await unlink(path.join(this.#names.dir, f.name))
        } catch (err) {
          if (errorCode(err) === 'ENOENT') continue
          throw err
        }
      }
    } catch (err) {
      this.#countError(err)
      this.#log.error(`${this.#name}: could not delete old rotated files beside ${this.#o.path}: ${errorText(err)}${this.#advice(err)}`, {
        path: this.#o.path,
        errno: errorCode(err),
      })
    }
  }

  /** Makes a rename and a creation survive a power cut, as the synced data they hold does. */
  async #syncDir(): Promise<void> {
    let dir: FileHandle | undefined
    try {
      dir = await open(this.#names.dir, constants.O_RDONLY)
      await dir.sync()
    } catch {
      // Some platforms and file systems refuse to open or sync a directory; the data itself is synced.
    } finally {
      await dir?.close().catch(() => {})
    }
  }

  /** Opens the path for appending, creating it with the configured mode. Returns the file's mtime. */
  async #openFile(start: number): Promise<number> {
    const p = this.#o.path
    const mode = this.#o.mode
    let fh: FileHandle | undefined
    let created = false
    for (let attempt = 0; !fh; attempt++) {
      try {
        // O_EXCL tells a file we create (which gets the configured mode) from one that was there.
        fh = await open(p, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, mode)
        created = true
      } catch (err) {
        const code = errorCode(err)
        if (code === 'ENOENT' && attempt === 0) {
          await mkdir(this.#names.dir, { recursive: true, mode: dirModeFor(mode) })
          continue
        }
        if (code !== 'EEXIST') throw err
        try {
          fh = await open(p, constants.O_WRONLY | constants.O_APPEND)
        } catch (err2) {
          // Removed between the two opens: try creating it again.
          if (errorCode(err2) !== 'ENOENT' || attempt > 3) throw err2
        }
      }
    }
    try {
      if (created) await fh.chmod(mode)
      const st = await fh.stat()
      this.#fh = fh
      this.#fileDev = st.dev
      this.#fileIno = st.ino
      this.#fileSize = st.size
      this.#fileStart = st.size === 0 ? start : st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs
      this.#lastSyncAt = Date.now()
      this.#lastPathCheck = this.#lastSyncAt
      this.#midLine = false
      return st.mtimeMs
    } catch (err) {
      await fh.close().catch(() => {})
      throw err
    }
  }

  async #closeFile(): Promise<void> {
    const fh = this.#fh
    if (!fh) return
    this.#fh = null
    try {
      if (this.#o.fsync !== 'never' && this.#writtenTotal > this.#syncedTotal) {
        const upTo = this.#writtenTotal
        await fh.datasync()
        this.#syncs++
        this.#syncedTotal = upTo
      }
    } finally {
      await fh.close()
    }
  }

  #fail(err: unknown): void {
    const code = errorCode(err)
    this.#countError(err)
    const now = Date.now()
    if (this.#failing !== code || now - this.#failingLoggedAt >= REPEAT_LOG_MS) {
      this.#log.error(
        `${this.#name}: cannot write ${this.#o.path}: ${errorText(err)}${this.#advice(err)}. ${this.#pendingBytes()} bytes wait in memory and are retried${this.#o.fsync === 'batch' ? '' : `; writes pause once more than ${this.#o.maxPendingBytes} wait`}.`,
        { path: this.#o.path, errno: code, pendingBytes: this.#pendingBytes() },
      )
      this.#failingLoggedAt = now
    }
    this.#failing = code
    if (code !== 'ENOSPC' && code !== 'EDQUOT' && this.#fh) {
      // Reopen on retry: the descriptor may be the broken part (EIO, ESTALE on NFS, EBADF).
      const fh = this.#fh
      this.#fh = null
      fh.close().catch(() => {})
    }
    this.#retryDelay = Math.min(MAX_RETRY_MS, this.#retryDelay === 0 ? 1000 : this.#retryDelay * 2)
    this.#retryAt = now + this.#retryDelay
    if (this.#retryTimer === null && !this.#closing) {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null
        this.#kick(true)
      }, this.#retryDelay)
    }
  }

  #recovered(): void {
    if (this.#failing === null) return
    this.#log.info(`${this.#name}: writing ${this.#o.path} again after ${this.#failing}`, { path: this.#o.path })
    this.#failing = null
    this.#retryDelay = 0
    this.#retryAt = 0
  }

  #countError(err: unknown): void {
    this.#errors++
    this.#lastError = `${errorCode(err)}: ${errorText(err)}`
  }

  #advice(err: unknown): string {
    const a = ADVICE[errorCode(err)]
    return a ? ` (${a})` : ''
  }

  #settle(): void {
    if (this.#roomWaiters.length > 0 && this.#pendingBytes() <= this.#o.maxPendingBytes) {
      const waiters = this.#roomWaiters
      this.#roomWaiters = []
      for (const resolve of waiters) resolve()
    }
    if (this.#syncWaiters.length > 0) {
      let i = 0
      while (i < this.#syncWaiters.length && this.#syncWaiters[i]!.upTo <= this.#syncedTotal) this.#syncWaiters[i++]!.resolve()
      if (i > 0) this.#syncWaiters.splice(0, i)
    }
  }

  async #flush(): Promise<void> {
    const target = this.#acceptedBytes
    this.#seal()
    const needSync = this.#o.fsync !== 'never'
    while (this.#writtenTotal < target || (needSync && this.#syncedTotal < target)) {
      if (!this.#draining) {
        this.#syncWanted = needSync
        this.#kick(true)
      }
      if (!this.#draining) break
      await this.#draining
      if (this.#failing !== null) {
        throw new BeerError(
          'BEER_ERR_SINK_FILE_WRITE',
          `${this.#name}: could not write ${this.#o.path}: ${this.#lastError}; ${this.#pendingBytes()} bytes wait in memory and are retried`,
          { path: this.#o.path, pendingBytes: this.#pendingBytes() },
        )
      }
    }
  }

  async #close(): Promise<void> {
    for (const t of [this.#flushTimer, this.#retryTimer, this.#rotateTimer]) if (t) clearTimeout(t)
    this.#flushTimer = this.#retryTimer = this.#rotateTimer = null
    try {
      await this.#flush()
    } catch {
      // Reported below with what is lost.
    }
    while (this.#draining) await this.#draining
    const lostLines = this.#curLines + this.#queue.reduce((n, item) => n + (item.kind === 'data' ? item.lines : 0), 0)
    const lostErr = new BeerError(
      'BEER_ERR_SINK_FILE_WRITE',
      `${this.#name}: closed with ${lostLines} lines that could not be written to ${this.#o.path}: ${this.#lastError}`,
      { path: this.#o.path, lost: lostLines },
    )
    if (lostLines > 0) {
      this.#lost += lostLines
      this.#log.error(lostErr.message, { path: this.#o.path, lost: lostLines, lastError: this.#lastError })
    }
    for (const item of this.#queue) {
      if (item.kind === 'rotate') item.reject?.(new BeerError('BEER_ERR_SINK_FILE_CLOSED', `${this.#name}: closed before the rotation could run`))
    }
    this.#queue.length = 0
    this.#queuedBytes = 0
    this.#curStart = this.#curEnd
    this.#curLines = 0
    for (const w of this.#syncWaiters) w.reject(lostErr)
    this.#syncWaiters = []
    for (const resolve of this.#roomWaiters) resolve()
    this.#roomWaiters = []
    try {
      await this.#closeFile()
    } catch (err) {
      this.#countError(err)
      this.#log.error(`${this.#name}: closing ${this.#o.path} failed: ${errorText(err)}${this.#advice(err)}`, { path: this.#o.path })
    }
  }
}

async function statOrNull(p: string): Promise<{ dev: number; ino: number } | null> {
  try {
    return await stat(p)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null
    throw err
  }
}

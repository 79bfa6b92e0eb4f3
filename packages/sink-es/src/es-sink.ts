import type { Client } from '@elastic/elasticsearch'
import { BeerError, type LogEvent, type Logger, type ModuleContext, type Sink } from '@beer/core'
import { BatchBuilder, BufferPool, bulkBody, hashBytes, indexPayload, itemEnd, readItem, type Batch, type Item } from './batch.ts'
import { classify, esVersion, makeClient, type Failure } from './client.ts'
import { DeadLetterFile, type DeadLetter } from './dead-letter.ts'
import { DiskBuffer } from './disk-buffer.ts'
import { canonicalJson, documentId, eventTime, IndexNamer, topLevelTimestamp } from './document.ts'
import type { ResolvedOptions } from './options.ts'
import { installTemplate, type TemplateResult } from './template.ts'

/** What `command('status')` answers. */
export interface EsSinkStatus {
  /** `starting` until the cluster first answered, `up`, `down` while it cannot be reached, `closed`. */
  state: 'starting' | 'up' | 'down' | 'closed'
  /** `data_stream`, or `index` (also when data streams were asked for and the cluster has none). */
  mode: 'index' | 'data_stream'
  /** The data stream, or the index pattern. */
  target: string
  /** Version of the node that answered, once one did. */
  esVersion: string | null
  template: 'off' | 'pending' | TemplateResult | 'failed'
  /** Documents Elasticsearch created. */
  indexed: number
  /** Documents Elasticsearch already had (409 on create): a retry or replay of something stored. */
  duplicates: number
  /** Documents sent again after a retryable refusal (429, 5xx) or a failed request. */
  retried: number
  /** Documents written to the dead-letter file. */
  deadLettered: number
  /** Events dropped: by a full buffer (`drop-newest`), as not serialisable, lost at close or to damage on disk. */
  dropped: number
  /** Events in the disk buffer (including those being sent from it) and the bytes of its files. */
  bufferedEvents: number
  bufferedBytes: number
  /** Events accepted and held in memory (the batch being filled, sealed batches waiting, blocked ones). */
  queuedEvents: number
  queuedBytes: number
  inFlightRequests: number
  inFlightEvents: number
  lastError: { code: string; message: string; at: string } | null
  bufferPath: string | null
  deadLetterPath: string
  /** Counters under the runtime's names (Vector's component specification). */
  metrics: {
    received_events: number
    sent_events: number
    dropped_events: Record<string, number>
    errors: Record<string, number>
  }
}

/** A prepared document, as replay gives them: the id and index of a dead letter are kept. */
export interface PreparedDocument {
  doc: string
  /** null: the hash of `doc`'s bytes. */
  id: string | null
  time: number
  index: string
}

interface Sending {
  batch: Batch
  controller: AbortController
  /** Items not yet settled, when the sink abandons the send at close. */
  left: number[][]
}

const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason'

// Documents refused as overloaded with none taken in between that make an overload a lasting one
// (with two backoffs passed): more than a partial overload refuses in a row by chance.
const LASTING_OVERLOAD_DOCUMENTS = 50
const REPEAT_LOG_MS = 60_000
const CONNECT_RETRY_MAX_MS = 5000
const ESTIMATED_ACTION_BYTES = 96

function errno(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

function retryable(status: number, type: string | undefined): boolean {
  return status === 429 || status >= 500 || type === 'es_rejected_execution_exception'
}

/** The cluster is busy (a full write queue, indexing pressure): nothing is wrong with the document. */
function overloaded(status: number, type: string | undefined): boolean {
  return status === 429 || type === 'es_rejected_execution_exception'
}

/** The live sink. */
export class EsSink implements Sink {
  readonly #o: ResolvedOptions
  readonly #log: Logger
  readonly #name: string
  readonly #client: Client
  readonly #namer: IndexNamer
  readonly #dead: DeadLetterFile
  readonly #disk: DiskBuffer | null

  #mode: 'index' | 'data_stream'
  #state: EsSinkStatus['state'] = 'starting'
  #ready = false
  #version: string | null = null
  #template: EsSinkStatus['template']

  readonly #pool: BufferPool
  #builder: BatchBuilder
  #builderTimer: NodeJS.Timeout | null = null
  #queue: Batch[] = []
  #queuedBytes = 0
  #queuedEvents = 0
  #overflow: Batch[] = []
  #overflowBytes = 0
  #overflowTimer: NodeJS.Timeout | null = null
  #diskPendingBytes = 0
  #diskPendingEvents = 0
  #diskChain: Promise<void> = Promise.resolve()
  #diskFailingUntil = 0
  #reading = false
  #inFlight = new Set<Sending>()
  // Since when (ms) every round answered has been refused whole as overloaded, and how many
  // documents those rounds held; 0 once the cluster takes a document.
  #refusedSince = 0
  #refusedInRow = 0
  #inFlightEvents = 0

  #received = 0
  #indexed = 0
  #duplicates = 0
  #retried = 0
  #deadLettered = 0
  #drops: Record<string, number> = {}
  #errors: Record<string, number> = {}
  #lastError: EsSinkStatus['lastError'] = null
  #loggedAt = new Map<string, number>()

  #roomWaiters: Array<() => void> = []
  #progressWaiters: Array<() => void> = []
  #sleepers = new Set<() => void>()
  #closing = false
  #abandon = false
  #closed: Promise<void> | null = null
  #init: Promise<void> | null = null

  private constructor(o: ResolvedOptions, context: ModuleContext, client: Client, disk: DiskBuffer | null) {
    this.#o = o
    this.#log = context.log
    this.#name = context.name
    this.#client = client
    this.#disk = disk
    this.#namer = new IndexNamer(o.index)
    this.#dead = new DeadLetterFile(o.deadLetter, context.name)
    this.#pool = new BufferPool(2 * o.concurrency + 4)
    this.#builder = new BatchBuilder(this.#pool)
    this.#mode = o.dataStream ? 'data_stream' : 'index'
    this.#template = o.template ? 'pending' : 'off'
  }

  /**
   * Builds the sink. It does not wait for Elasticsearch: an unreachable cluster at start is an
   * outage like any other, and events go to the disk buffer until it answers.
   */
  static async open(o: ResolvedOptions, context: ModuleContext): Promise<EsSink> {
    const client = makeClient(o)
    let disk: DiskBuffer | null = null
    if (o.buffer) {
      try {
        disk = await DiskBuffer.open(o.buffer, context.log, context.name)
      } catch (err) {
        await client.close().catch(() => {})
        throw err
      }
    }
    const sink = new EsSink(o, context, client, disk)
    sink.#init = sink.#start()
    return sink
  }

  // ---- accepting events ---------------------------------------------------------------------------

  write(events: readonly LogEvent[]): void | Promise<void> {
    this.#assertOpen()
    this.#received += events.length
    const canonical = this.#o.documentId === 'canonical'
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!
      let doc: string | undefined
      try {
        // The text sent is the text hashed for the id: one serialization.
        doc = canonical ? canonicalJson(ev) : JSON.stringify(ev)
      } catch (err) {
        this.#drop('not_serializable', 1, `an event JSON.stringify cannot serialise (${(err as Error).message}) was dropped; events must be plain JSON data`)
        continue
      }
      if (doc === undefined) {
        this.#drop('not_serializable', 1, 'an event JSON.stringify gives nothing for was dropped')
        continue
      }
      this.#addDoc(documentId(ev, this.#o.documentId), eventTime(ev), '', doc)
    }
    return this.#accepted()
  }

  /** The runtime's fast path: lines already serialized in a worker are sent as they are. */
  writeNdjson(chunks: readonly string[], count: number): void | Promise<void> {
    this.#assertOpen()
    this.#received += count
    for (const chunk of chunks) {
      let start = 0
      for (let nl = chunk.indexOf('\n'); start < chunk.length; nl = chunk.indexOf('\n', start)) {
        const end = nl === -1 ? chunk.length : nl
        if (end > start) {
          this.#addLine(chunk.slice(start, end))
        }
        start = end + 1
      }
    }
    return this.#accepted()
  }

  /** Documents with their id and index already known (replay of dead letters). */
  writePrepared(docs: readonly PreparedDocument[]): void | Promise<void> {
    this.#assertOpen()
    this.#received += docs.length
    for (const d of docs) this.#addDoc(d.id, d.time, d.index, d.doc)
    return this.#accepted()
  }

  #assertOpen(): void {
    if (this.#closing) {
      throw new BeerError('BEER_ERR_SINK_ES_CLOSED', `${this.#name}: write() after close(); the runtime must not write to a closed sink`)
    }
  }

  /** One event as JSON text: parsed only when its id or time needs more than a look at @timestamp. */
  #addLine(line: string): void {
    const how = this.#o.documentId
    if (how === 'hash' || how === 'none') {
      const ts = topLevelTimestamp(line)
      const time = ts === undefined ? Number.NaN : Date.parse(ts)
      if (Number.isFinite(time)) {
        this.#addDoc(how === 'none' ? '' : null, time, '', line)
        return
      }
    }
    let ev: LogEvent
    try {
      ev = JSON.parse(line) as LogEvent
    } catch {
      this.#drop('not_serializable', 1, 'a line of a serialized batch is not JSON and was dropped')
      return
    }
    this.#addDoc(documentId(ev, how), eventTime(ev), '', how === 'canonical' ? canonicalJson(ev) : line)
  }

  /** `id` null: the hash of the document's bytes. */
  #addDoc(id: string | null, time: number, index: string, doc: string): void {
    const max = this.#o.maxDocumentBytes
    if (doc.length * 3 > max) {
      const bytes = Buffer.byteLength(doc)
      if (bytes > max) {
        this.#deadLetter([
          {
            code: 'BEER_ERR_SINK_ES_TOO_LARGE',
            status: 413,
            type: 'document_too_large',
            reason: `the document is ${bytes} bytes, more than maxDocumentBytes (${max}); it was not sent`,
            index: index || this.#indexFor({ id: '', time, index, docStart: 0, docEnd: 0 }),
            id: id ?? hashBytes(Buffer.from(doc)),
            doc,
          },
        ])
        return
      }
    }
    const b = this.#builder
    if (b.count > 0 && b.bytes + doc.length + ESTIMATED_ACTION_BYTES > this.#o.maxBytes) this.#seal()
    b.add(id, time, index, doc)
    if (b.count >= this.#o.maxEvents || b.bytes >= this.#o.maxBytes) this.#seal()
  }

  #accepted(): void | Promise<void> {
    if (this.#builder.count > 0 && this.#builderTimer === null) {
      this.#builderTimer = setTimeout(() => {
        this.#builderTimer = null
        this.#seal()
      }, this.#o.interval)
    }
    if (this.#mustWait()) return new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
  }

  /** Blocked batches, or disk writes falling behind: the caller (the runtime) waits before writing more. */
  #mustWait(): boolean {
    return this.#overflow.length > 0 || this.#diskPendingBytes > Math.max(8 * 1024 * 1024, 2 * this.#o.maxBytes)
  }

  #wakeRoom(): void {
    if (this.#roomWaiters.length === 0 || (this.#mustWait() && !this.#closing)) return
    const w = this.#roomWaiters
    this.#roomWaiters = []
    for (const f of w) f()
  }

  #seal(): void {
    if (this.#builderTimer) {
      clearTimeout(this.#builderTimer)
      this.#builderTimer = null
    }
    if (this.#builder.count === 0) return
    this.#route(this.#builder.take())
    this.#pump()
  }

  // ---- where a sealed batch goes: memory, disk, or the full policy ------------------------------------

  #route(batch: Batch): void {
    // Blocked batches are older than this one: it waits behind them.
    if (this.#overflow.length > 0 || !this.#place(batch)) this.#full(batch)
  }

  #place(batch: Batch): boolean {
    const bytes = batch.payload.length
    const disk = this.#disk
    const backlog = disk !== null && (disk.hasUnread() || this.#diskPendingBytes > 0)
    const memoryRoom = this.#queuedBytes + bytes <= this.#o.maxQueuedBytes || (disk === null && this.#queue.length === 0)
    if (memoryRoom && (disk === null || (!backlog && this.#state !== 'down'))) {
      this.#queue.push(batch)
      this.#queuedBytes += bytes
      this.#queuedEvents += batch.count
      return true
    }
    if (disk && Date.now() >= this.#diskFailingUntil && disk.fits(this.#diskPendingBytes + bytes)) {
      this.#spill(batch)
      return true
    }
    return false
  }

  #spill(batch: Batch): void {
    const disk = this.#disk!
    const bytes = batch.payload.length
    this.#diskPendingBytes += bytes
    this.#diskPendingEvents += batch.count
    this.#diskChain = this.#diskChain.then(() =>
      disk.append(batch.payload, batch.count).then(
        () => {
          this.#diskPendingBytes -= bytes
          this.#diskPendingEvents -= batch.count
          this.#pool.give(batch.pooled)
          this.#wakeRoom()
          this.#pump()
          this.#progress()
        },
        (err: unknown) => {
          this.#diskPendingBytes -= bytes
          this.#diskPendingEvents -= batch.count
          this.#diskFailed(err, batch)
          // Writers waiting for room must learn of it too, or a failed disk holds them until
          // Elasticsearch returns.
          this.#wakeRoom()
        },
      ),
    )
  }

  #diskFailed(err: unknown, batch: Batch): void {
    const code = errno(err)
    this.#count(code)
    this.#setError(code, `disk buffer: ${(err as Error).message}`)
    this.#diskFailingUntil = Date.now() + 5000
    const advice =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'the disk holding it is full'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : 'the file system refused the write'
    this.#logOnce(
      `disk:${code}`,
      'error',
      `${this.#name}: cannot write to the disk buffer ${this.#disk!.dir} (${code}: ${advice}). The sink ${this.#o.whenFull === 'block' ? 'holds new events back (the inputs slow down)' : 'drops new events and counts them (dropped_events.buffer_full)'} and tries the disk again every 5 s; free space or point buffer.path elsewhere.`,
      { path: this.#disk!.dir, errno: code },
    )
    if (this.#o.whenFull === 'drop-newest') {
      this.#drop('buffer_full', batch.count)
      this.#pool.give(batch.pooled)
    } else {
      // Older than every blocked batch: first in line.
      this.#overflow.unshift(batch)
      this.#overflowBytes += batch.payload.length
      this.#armOverflowTimer()
    }
    this.#progress()
  }

  #full(batch: Batch): void {
    if (this.#o.whenFull === 'drop-newest') {
      this.#pool.give(batch.pooled)
      this.#drop(
        'buffer_full',
        batch.count,
        this.#disk
          ? `the disk buffer ${this.#disk.dir} is full (${this.#disk.bytes} of ${this.#disk.maxBytes} bytes) or failing; new events are dropped (whenFull: 'drop-newest') until Elasticsearch takes the backlog`
          : `the memory queue is full (maxQueuedBytes ${this.#o.maxQueuedBytes}) and there is no disk buffer; new events are dropped (whenFull: 'drop-newest')`,
      )
      return
    }
    this.#overflow.push(batch)
    this.#overflowBytes += batch.payload.length
    this.#logOnce(
      'full',
      'warn',
      `${this.#name}: ${this.#disk ? `the disk buffer ${this.#disk.dir} is full or failing` : 'the memory queue is full'}; holding the inputs back (whenFull: 'block') until Elasticsearch takes the backlog`,
    )
    this.#armOverflowTimer()
  }

  #armOverflowTimer(): void {
    if (this.#overflowTimer || this.#abandon) return
    this.#overflowTimer = setTimeout(() => {
      this.#overflowTimer = null
      this.#drainOverflow()
      if (this.#overflow.length > 0) this.#armOverflowTimer()
    }, 1000)
    this.#overflowTimer.unref()
  }

  #drainOverflow(): void {
    this.#placeOverflow()
    this.#pump()
  }

  /** Blocked batches move on (oldest first) as soon as memory or disk has room. */
  #placeOverflow(): void {
    while (this.#overflow.length > 0 && !this.#abandon) {
      const batch = this.#overflow[0]!
      if (!this.#place(batch)) break
      this.#overflow.shift()
      this.#overflowBytes -= batch.payload.length
    }
    this.#wakeRoom()
  }

  // ---- sending ------------------------------------------------------------------------------------

  #pump(): void {
    if (!this.#ready || this.#abandon) return
    for (;;) {
      const limit = this.#state === 'down' ? (this.#inFlight.size === 0 ? 1 : 0) : this.#o.concurrency
      if (this.#inFlight.size >= limit) return
      const batch = this.#queue.shift()
      if (batch) {
        this.#queuedBytes -= batch.payload.length
        this.#queuedEvents -= batch.count
        this.#startSend(batch)
        this.#placeOverflow()
        continue
      }
      if (this.#disk && !this.#reading && this.#disk.hasUnread()) this.#readDisk()
      return
    }
  }

  #readDisk(): void {
    const disk = this.#disk!
    this.#reading = true
    disk.read((n) => this.#pool.take(n)).then(
      (rec) => {
        this.#reading = false
        if (rec) {
          const offsets = indexPayload(rec.payload, rec.count)
          if (!offsets) {
            this.#drop('buffer_damaged', rec.count, `a record of the disk buffer ${disk.dir} has a valid checksum but cannot be read; its events are dropped`)
            void disk.ack(rec.seq).catch(() => {})
          } else if (this.#abandon) {
            // Stays on disk (not acknowledged): the next run sends it.
          } else this.#startSend({ payload: rec.payload, offsets, count: rec.count, diskSeq: rec.seq, pooled: rec.buffer })
        }
        this.#drainOverflow()
      },
      (err: unknown) => {
        this.#reading = false
        if (this.#abandon) return
        const code = errno(err)
        this.#count(code)
        this.#setError(code, `disk buffer read: ${(err as Error).message}`)
        this.#logOnce(`read:${code}`, 'error', `${this.#name}: cannot read the disk buffer ${disk.dir}: ${(err as Error).message}; trying again in 5 s`)
        setTimeout(() => this.#pump(), 5000).unref()
      },
    )
  }

  #startSend(batch: Batch): void {
    const s: Sending = { batch, controller: new AbortController(), left: [] }
    this.#inFlight.add(s)
    this.#inFlightEvents += batch.count
    void this.#send(s)
      .catch((err: unknown) => {
        // A bug, not Elasticsearch: counted and logged, the batch kept for the next run if it came from disk.
        this.#count('BEER_ERR_SINK_ES_REQUEST')
        this.#setError('BEER_ERR_SINK_ES_REQUEST', (err as Error).message)
        this.#log.error(`${this.#name}: sending a batch failed unexpectedly: ${(err as Error).stack ?? String(err)}`)
      })
      .finally(() => {
        this.#inFlight.delete(s)
        this.#inFlightEvents -= batch.count
        // A batch read from disk stays there (not acknowledged); one from memory is saved at close.
        if (s.left.length > 0 && batch.diskSeq === undefined) this.#leftovers.push(s)
        else this.#pool.give(batch.pooled)
        this.#pump()
        this.#progress()
      })
  }

  #indexFor = (item: Item): string => {
    if (item.index !== '') return item.index
    if (this.#mode === 'data_stream') return this.#o.dataStream!
    return this.#namer.name(item.time)
  }

  async #send(s: Sending): Promise<void> {
    const { batch } = s
    const all = Array.from({ length: batch.count }, (_, i) => i)
    // Work to do, last first: a 413 splits a request into halves, a partial refusal leaves the retries.
    const work: number[][] = [all]
    // Attempts per document, counted apart: overload refusals against maxRejections, server errors against maxAttempts.
    const rejections = new Uint32Array(batch.count)
    const serverErrors = new Uint32Array(batch.count)
    let requestFailures = 0
    let itemRounds = 0
    while (work.length > 0) {
      if (this.#abandon) {
        s.left = work
        return
      }
      const items = work[work.length - 1]!
      const { body, indices, ids, pooled } = bulkBody(batch, items, this.#indexFor, this.#pool)
      let res: { errors: boolean; items?: Array<Record<string, { status: number; error?: { type?: string; reason?: string } }>> }
      try {
        res = (await this.#client.bulk(
          // A Buffer body goes out as it is; the client would otherwise serialize each line again.
          { operations: body as unknown as [], filter_path: FILTER_PATH, include_source_on_error: false },
          { signal: s.controller.signal, maxRetries: 0 },
        )) as unknown as typeof res
        this.#pool.give(pooled)
      } catch (err) {
        this.#pool.give(pooled)
        if (this.#abandon) {
          s.left = work
          return
        }
        const f = classify(err)
        if (f.kind === 'status' && f.status === 413) {
          work.pop()
          if (items.length > 1) {
            const half = Math.ceil(items.length / 2)
            work.push(items.slice(half), items.slice(0, half))
          } else {
            this.#deadLetter([this.#letter(batch, items[0]!, 'BEER_ERR_SINK_ES_TOO_LARGE', 413, f.type, `Elasticsearch refused the request as too large (http.max_content_length): ${f.message}`, indices[0]!, ids[0]!)])
          }
          continue
        }
        if (f.kind === 'status' && f.status >= 400 && f.status < 500 && f.status !== 429 && f.status !== 401 && f.status !== 403 && f.status !== 408) {
          // The whole request was refused for a reason retrying will not change.
          work.pop()
          this.#deadLetter(items.map((i, k) => this.#letter(batch, i, 'BEER_ERR_SINK_ES_DOCUMENT', f.status, f.type, f.message, indices[k]!, ids[k]!)))
          continue
        }
        this.#requestFailed(f, items.length)
        requestFailures++
        await this.#sleep(this.#retryDelay(f, requestFailures))
        continue
      }
      requestFailures = 0
      this.#markUp()
      work.pop()
      if (!res.errors) {
        this.#clusterTook()
        this.#indexed += items.length
        continue
      }
      const list = res.items ?? []
      if (list.length !== items.length) {
        // Not the answer to this request: send it again (ids make it safe).
        this.#requestFailed({ kind: 'connection', message: `the bulk answer has ${list.length} items for ${items.length} documents` }, items.length)
        work.push(items)
        await this.#sleep(this.#backoff(++requestFailures))
        continue
      }
      const again: number[] = []
      const letters: DeadLetter[] = []
      let firstRetry: { status: number; error?: { type?: string } } | undefined
      for (let k = 0; k < items.length; k++) {
        const entry = list[k]!
        const r = entry.create ?? entry.index ?? Object.values(entry)[0]!
        const status = r.status
        if (status >= 200 && status < 300) this.#indexed++
        else if (status === 409) this.#duplicates++
        else if (retryable(status, r.error?.type)) {
          const i = items[k]!
          firstRetry ??= r
          const busy = overloaded(status, r.error?.type)
          const tries = busy ? ++rejections[i]! : ++serverErrors[i]!
          if (tries >= (busy ? this.#o.maxRejections : this.#o.maxAttempts)) {
            letters.push(
              this.#letter(batch, i, 'BEER_ERR_SINK_ES_RETRIES', status, r.error?.type ?? `http_${status}`, `gave up after ${tries} ${busy ? 'overload refusals' : 'server errors'}: ${r.error?.reason ?? `status ${status}`}`, indices[k]!, ids[k]!),
            )
          } else again.push(i)
        } else {
          letters.push(this.#letter(batch, items[k]!, 'BEER_ERR_SINK_ES_DOCUMENT', status, r.error?.type ?? `http_${status}`, r.error?.reason ?? `status ${status}`, indices[k]!, ids[k]!))
        }
      }
      this.#deadLetter(letters)
      // A round where the cluster settled some documents (took them, or refused them for good) is
      // progress; one where it refused all of them as overloaded counts toward a lasting overload.
      if (again.length < items.length) this.#clusterTook()
      else if (firstRetry !== undefined && overloaded(firstRetry.status, firstRetry.error?.type)) this.#refusedWhole(items.length)
      if (again.length > 0) {
        this.#retried += again.length
        this.#count('BEER_ERR_SINK_ES_REJECTED', again.length)
        this.#setError('BEER_ERR_SINK_ES_REJECTED', `${again.length} documents refused for now (${firstRetry?.status} ${firstRetry?.error?.type ?? ''}); retrying them`)
        if (itemRounds >= 3 && firstRetry !== undefined && overloaded(firstRetry.status, firstRetry.error?.type)) {
          this.#logOnce(
            'overloaded',
            'warn',
            `${this.#name}: Elasticsearch keeps refusing documents as overloaded (${firstRetry.status} ${firstRetry.error?.type ?? ''}); retrying each up to ${this.#o.maxRejections} times (retry.maxRejections), and the inputs slow down meanwhile`,
            { code: 'BEER_ERR_SINK_ES_REJECTED' },
          )
        }
        work.push(again)
        await this.#sleep(this.#backoff(++itemRounds))
      }
    }
    if (batch.diskSeq !== undefined) await this.#disk!.ack(batch.diskSeq).catch(() => {})
  }

  #letter(batch: Batch, i: number, code: string, status: number, type: string, reason: string, index: string, id: string): DeadLetter {
    const it = readItem(batch.payload, batch.offsets[i]!)
    return { code, status, type, reason, index, id, doc: batch.payload.toString('utf8', it.docStart, it.docEnd) }
  }

  #deadLetter(letters: DeadLetter[]): void {
    if (letters.length === 0) return
    for (const l of letters) this.#count(l.code)
    try {
      this.#dead.write(letters)
      this.#deadLettered += letters.length
      this.#drops.dead_letter = (this.#drops.dead_letter ?? 0) + letters.length
      const l = letters[0]!
      this.#setError(l.code, `${l.status} ${l.type}: ${l.reason}`)
      this.#logOnce(
        `dead:${l.type}`,
        'warn',
        `${this.#name}: ${letters.length === 1 ? 'a document' : `${letters.length} documents`} refused (${l.status} ${l.type}: ${l.reason.slice(0, 300)}); written to ${this.#dead.path}. Fix the cause, then 'beer es replay ${this.#dead.path}'.`,
      )
    } catch (err) {
      const code = errno(err)
      this.#count(code)
      this.#drop('dead_letter_failed', letters.length, `cannot write the dead-letter file ${this.#dead.path} (${code}: ${(err as Error).message}); ${letters.length} refused documents are lost`)
    }
  }

  #requestFailed(f: Failure, n: number): void {
    this.#retried += n
    if (f.kind === 'status' && (f.status === 401 || f.status === 403)) {
      this.#count('BEER_ERR_SINK_ES_AUTH')
      this.#setError('BEER_ERR_SINK_ES_AUTH', `${f.status} ${f.type}: ${f.message}`)
      this.#markDown(`Elasticsearch refuses the credentials (${f.status} ${f.type}: ${f.message}); check auth and the user's privileges (create_doc, auto_configure)`, 'auth')
      return
    }
    if (f.kind === 'status') {
      this.#count('BEER_ERR_SINK_ES_REJECTED')
      this.#setError('BEER_ERR_SINK_ES_REJECTED', `bulk request refused: ${f.status} ${f.type}: ${f.message}`)
      // A proxy in front of a cluster that is gone answers 502, 503 or 504 for the whole request:
      // that is Elasticsearch unreachable, so new batches go to the disk buffer and flush returns.
      if (f.status === 502 || f.status === 503 || f.status === 504) {
        this.#markDown(`Elasticsearch at ${this.#o.nodes.join(', ')} answers ${f.status} for whole requests (${f.type}: ${f.message})`, 'gateway')
        return
      }
      this.#logOnce(`req:${f.status}`, 'warn', `${this.#name}: Elasticsearch refused a bulk request for now (${f.status} ${f.type}: ${f.message}); retrying with backoff`)
      return
    }
    this.#count('BEER_ERR_SINK_ES_UNREACHABLE')
    this.#setError('BEER_ERR_SINK_ES_UNREACHABLE', f.message)
    this.#markDown(`cannot reach Elasticsearch at ${this.#o.nodes.join(', ')} (${f.message})`, 'unreachable')
  }

  #markDown(why: string, key: string): void {
    if (this.#state !== 'down') {
      this.#state = 'down'
      this.#loggedAt.delete(`down:${key}`)
    }
    this.#logOnce(
      `down:${key}`,
      'warn',
      `${this.#name}: ${why}. ${this.#disk ? `New events go to the disk buffer ${this.#disk.dir}` : `New events wait in memory (up to maxQueuedBytes ${this.#o.maxQueuedBytes}, then whenFull: '${this.#o.whenFull}')`}; retrying with backoff.`,
    )
    this.#progress()
  }

  #markUp(): void {
    if (this.#state === 'up') return
    const was = this.#state
    this.#state = 'up'
    this.#progress()
    if (was === 'down') {
      this.#log.info(`${this.#name}: Elasticsearch answers again; sending what waited (${this.#disk?.events ?? 0} events in the disk buffer)`)
      this.#loggedAt.clear()
    }
    this.#pump()
  }

  /**
   * A refused or failed connection costs the cluster nothing: while it is unreachable the sink
   * tries again at least every 5 s, so it notices the cluster back within seconds.
   */
  #retryDelay(f: Failure, n: number): number {
    const d = this.#backoff(n)
    return f.kind === 'connection' ? Math.min(d, CONNECT_RETRY_MAX_MS) : d
  }

  #backoff(n: number): number {
    const d = Math.min(this.#o.maxDelay, this.#o.initialDelay * 2 ** Math.min(n - 1, 30))
    // "Equal jitter": between half and all of the delay, so retries of many senders spread out.
    return d / 2 + Math.random() * (d / 2)
  }

  #sleep(ms: number): Promise<void> {
    if (this.#abandon) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(t)
        this.#sleepers.delete(wake)
        resolve()
      }
      const t = setTimeout(wake, ms)
      this.#sleepers.add(wake)
    })
  }

  // ---- the first contact ----------------------------------------------------------------------------

  async #start(): Promise<void> {
    let failures = 0
    while (!this.#abandon) {
      try {
        await this.#probe()
        this.#ready = true
        this.#markUp()
        this.#pump()
        return
      } catch (err) {
        const f = classify(err)
        if (this.#abandon) return
        this.#requestFailed(f, 0)
        await this.#sleep(this.#retryDelay(f, ++failures))
      }
    }
  }

  async #probe(): Promise<void> {
    try {
      this.#version = await esVersion(this.#client)
      const major = Number(this.#version.split('.')[0])
      if (Number.isFinite(major) && major !== 9) {
        this.#log.warn(`${this.#name}: Elasticsearch ${this.#version} answers; this sink's client (@elastic/elasticsearch 9) is made for Elasticsearch 9`)
      }
    } catch (err) {
      const f = classify(err)
      // A user allowed to write but not to monitor the cluster may not read the version: not a reason to stop.
      if (f.kind !== 'status' || (f.status !== 401 && f.status !== 403)) throw err
    }
    if (this.#o.template && this.#template !== 'installed' && this.#template !== 'unchanged' && this.#template !== 'updated') {
      try {
        await this.installTemplate()
      } catch (err) {
        // Logged and counted by installTemplate(); without the template the events still go in.
        if ((err as { code?: unknown }).code !== 'BEER_ERR_SINK_ES_TEMPLATE') throw err
      }
    }
    if (this.#o.dataStream && this.#mode === 'data_stream') await this.#checkDataStream()
  }

  /** Installs the ECS template (the `template` command, and at start with `template: true`). */
  async installTemplate(): Promise<{ template: TemplateResult; name: string; patterns: string[] }> {
    const t = this.#o.template || { name: 'beer-ecs', priority: 200, settings: {} }
    const dataStream = this.#mode === 'data_stream'
    const patterns = dataStream ? [this.#o.dataStream!] : [this.#namer.wildcard()]
    try {
      const result = await installTemplate(this.#client, { name: t.name, patterns, priority: t.priority, settings: t.settings, dataStream })
      this.#template = result
      if (result !== 'unchanged') this.#log.info(`${this.#name}: index template ${t.name} ${result} for ${patterns.join(', ')}`)
      return { template: result, name: t.name, patterns }
    } catch (err) {
      const f = classify(err)
      if (f.kind === 'connection' || f.kind === 'aborted') throw err
      if (dataStream && f.kind === 'status' && f.status === 400) {
        // A cluster without data streams refuses `data_stream` in a template: use the index pattern.
        this.#fallBack(`the cluster refused a data stream template (${f.type}: ${f.message})`)
        return this.installTemplate()
      }
      this.#template = 'failed'
      this.#count('BEER_ERR_SINK_ES_TEMPLATE')
      this.#setError('BEER_ERR_SINK_ES_TEMPLATE', `${f.kind === 'status' ? `${f.status} ${f.type}: ` : ''}${f.message}`)
      this.#log.error(
        `${this.#name}: cannot install index template ${t.name} (${f.kind === 'status' ? `${f.status} ${f.type}: ` : ''}${f.message}); events are written with the cluster's own mappings. ${f.kind === 'status' && f.status === 403 ? 'The user needs the manage_index_templates privilege.' : ''}`,
      )
      throw new BeerError('BEER_ERR_SINK_ES_TEMPLATE', `${this.#name}: cannot install index template ${t.name}: ${f.message}`, { template: t.name })
    }
  }

  async #checkDataStream(): Promise<void> {
    const ds = this.#o.dataStream!
    try {
      type Resolved = { data_streams?: Array<{ name: string }>; indices?: Array<{ name: string }> }
      // 404 here: nothing has the name yet, which is the usual case before the first write.
      const resolved = (await this.#client.indices.resolveIndex({ name: ds, expand_wildcards: 'all' }, { ignore: [404] })) as Resolved
      if (resolved.data_streams?.some((d) => d.name === ds)) return
      if (resolved.indices?.some((i) => i.name === ds)) {
        this.#fallBack(`${ds} exists as a regular index, not a data stream`)
        return
      }
      const sim = (await this.#client.indices.simulateIndexTemplate({ name: ds })) as { template?: { mappings?: { _data_stream_timestamp?: { enabled?: boolean } } } }
      if (sim.template?.mappings?._data_stream_timestamp?.enabled === true) return
      this.#fallBack(`no index template makes ${ds} a data stream (install one with template: true or the template command)`)
    } catch (err) {
      const f = classify(err)
      if (f.kind === 'connection' || f.kind === 'aborted') throw err
      if (f.kind === 'status' && f.status === 404) {
        this.#fallBack(`no index template makes ${ds} a data stream (install one with template: true or the template command)`)
        return
      }
      this.#log.warn(`${this.#name}: cannot check whether ${ds} can be a data stream (${f.message}); writing to it as asked`)
    }
  }

  #fallBack(why: string): void {
    this.#mode = 'index'
    this.#count('BEER_ERR_SINK_ES_DATA_STREAM')
    this.#setError('BEER_ERR_SINK_ES_DATA_STREAM', why)
    this.#log.warn(`${this.#name}: cannot write to data stream ${this.#o.dataStream}: ${why}; writing to the index pattern ${this.#o.index} instead`)
  }

  // ---- commands, flush, close ---------------------------------------------------------------------

  command(name: string): unknown {
    switch (name) {
      case 'status':
        return this.status()
      case 'flush':
        return this.flush().then(() => {
          const st = this.status()
          return { flushed: st.queuedEvents === 0 && st.inFlightEvents === 0, state: st.state, bufferedEvents: st.bufferedEvents, inFlightEvents: st.inFlightEvents }
        })
      case 'template':
        return this.installTemplate()
      default:
        return undefined
    }
  }

  status(): EsSinkStatus {
    const drops = { ...this.#drops }
    const dropped = Object.entries(drops).reduce((n, [k, v]) => (k === 'dead_letter' ? n : n + v), 0) + (this.#disk?.lostEvents ?? 0)
    if (this.#disk?.lostEvents) drops.buffer_damaged = (drops.buffer_damaged ?? 0) + this.#disk.lostEvents
    return {
      state: this.#isClosed ? 'closed' : this.#state,
      mode: this.#mode,
      target: this.#mode === 'data_stream' ? this.#o.dataStream! : this.#o.index,
      esVersion: this.#version,
      template: this.#template,
      indexed: this.#indexed,
      duplicates: this.#duplicates,
      retried: this.#retried,
      deadLettered: this.#deadLettered,
      dropped,
      bufferedEvents: (this.#disk?.events ?? 0) + this.#diskPendingEvents,
      bufferedBytes: this.#disk?.bytes ?? 0,
      queuedEvents: this.#queuedEvents + this.#builder.count + this.#overflow.reduce((n, b) => n + b.count, 0),
      queuedBytes: this.#queuedBytes + this.#builder.bytes + this.#overflowBytes,
      inFlightRequests: this.#inFlight.size,
      inFlightEvents: this.#inFlightEvents,
      lastError: this.#lastError,
      bufferPath: this.#disk?.dir ?? null,
      deadLetterPath: this.#dead.path,
      metrics: {
        received_events: this.#received,
        sent_events: this.#indexed + this.#duplicates,
        dropped_events: drops,
        errors: { ...this.#errors },
      },
    }
  }

  /**
   * Sends what is held in memory. Resolves once every event accepted before the call has been
   * indexed (or found already there, or dead-lettered), or is in the disk buffer: while
   * Elasticsearch cannot be reached, or behind older events buffered there. The disk buffer
   * drains on its own; `status` shows what it holds.
   */
  async flush(): Promise<void> {
    for (;;) {
      this.#seal()
      this.#drainOverflow()
      if (this.#memoryEmpty()) return
      if (this.#state === 'starting') {
        // Not known yet whether the cluster answers: wait for the first contact to tell.
        await this.#waitProgress(1000)
        continue
      }
      if (this.#state !== 'up' || this.#overloadLasts()) {
        // Unreachable or overloaded: batches being sent stay with their sender, which keeps
        // retrying (close() saves them); the rest waits in the disk buffer.
        if (this.#disk) {
          this.#spillQueue()
          await this.#diskChain
        }
        return
      }
      await this.#waitProgress(1000)
    }
  }

  /** The cluster took documents: whatever overload there was has not lasted. */
  #clusterTook(): void {
    this.#refusedSince = 0
    this.#refusedInRow = 0
  }

  /** A round's documents were all refused as overloaded. */
  #refusedWhole(documents: number): void {
    if (this.#refusedSince === 0) this.#refusedSince = Date.now()
    this.#refusedInRow += documents
  }

  /**
   * Whether the cluster has taken no document, and refused them as overloaded, for longer than
   * two backoffs at their longest: an overload that lasts, which flush() no more waits out than
   * an outage. A partial overload (some shards' queues full) also refuses a few documents several
   * rounds in a row, so it takes many documents refused, or ten backoffs, to call it lasting.
   */
  #overloadLasts(): boolean {
    if (this.#refusedSince === 0) return false
    const lasted = Date.now() - this.#refusedSince
    const maxDelay = this.#o.maxDelay
    return lasted > 2 * maxDelay && (this.#refusedInRow >= LASTING_OVERLOAD_DOCUMENTS || lasted > 10 * maxDelay)
  }

  #memoryEmpty(): boolean {
    return this.#builder.count === 0 && this.#queue.length === 0 && this.#overflow.length === 0 && this.#inFlight.size === 0 && this.#diskPendingBytes === 0
  }

  /** Moves batches waiting in memory to the disk buffer (there is room), oldest first. */
  #spillQueue(): void {
    const disk = this.#disk!
    const waiting = [...this.#queue, ...this.#overflow]
    this.#queue = []
    this.#overflow = []
    this.#queuedBytes = this.#queuedEvents = this.#overflowBytes = 0
    for (const b of waiting) {
      if (disk.fits(this.#diskPendingBytes + b.payload.length)) this.#spill(b)
      else {
        this.#overflow.push(b)
        this.#overflowBytes += b.payload.length
      }
    }
  }

  close(): Promise<void> {
    this.#closed ??= this.#close()
    return this.#closed
  }

  async #close(): Promise<void> {
    this.#seal()
    this.#closing = true
    const deadline = Date.now() + this.#o.closeTimeout
    while (!this.#memoryEmpty() && this.#state !== 'down' && Date.now() < deadline) await this.#waitProgress(deadline - Date.now())
    // Stop sending; what did not get through is kept on disk for the next run.
    this.#abandon = true
    for (const wake of [...this.#sleepers]) wake()
    for (const s of this.#inFlight) s.controller.abort()
    while (this.#inFlight.size > 0 || this.#reading) await this.#waitProgress(1000)
    // The start-up check may hang on a cluster that accepts connections and never answers: it is
    // waited for only until the close deadline, so what is in memory still reaches the disk buffer
    // before the runtime's stop timeout ends the process.
    let initTimer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      this.#init?.catch(() => {}),
      new Promise<void>((resolve) => (initTimer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ])
    clearTimeout(initTimer)
    if (this.#overflowTimer) clearTimeout(this.#overflowTimer)
    this.#overflowTimer = null
    let lost = 0
    if (this.#disk) {
      const left = new BatchBuilder()
      for (const s of this.#leftovers) {
        for (const items of s.left) for (const i of items) left.addRaw(s.batch.payload, s.batch.offsets[i]!, itemEnd(s.batch, i))
      }
      const waiting = [...(left.count > 0 ? [left.take()] : []), ...this.#queue, ...this.#overflow]
      this.#queue = []
      this.#overflow = []
      this.#queuedBytes = this.#queuedEvents = this.#overflowBytes = 0
      this.#diskFailingUntil = 0
      for (const b of waiting) {
        if (this.#disk.fits(this.#diskPendingBytes + b.payload.length)) this.#spill(b)
        else lost += b.count
      }
      await this.#diskChain
      // Appends that failed at close went to the overflow list.
      lost += this.#overflow.reduce((n, b) => n + b.count, 0)
      if (lost > 0) this.#drops.lost_on_close = (this.#drops.lost_on_close ?? 0) + lost
      const saved = this.#disk.events
      if (saved > 0) this.#log.info(`${this.#name}: closed with ${saved} events in the disk buffer ${this.#disk.dir}; the next start sends them`)
      await this.#disk.close().catch((err: unknown) => this.#log.error(`${this.#name}: closing the disk buffer: ${(err as Error).message}`))
    } else {
      lost = this.#queuedEvents + this.#overflow.reduce((n, b) => n + b.count, 0) + this.#leftovers.reduce((n, s) => n + s.left.reduce((m, l) => m + l.length, 0), 0)
      if (lost > 0) this.#drops.lost_on_close = (this.#drops.lost_on_close ?? 0) + lost
    }
    if (lost > 0) {
      this.#log.error(`${this.#name}: closed with ${lost} events that reached neither Elasticsearch nor the disk buffer (${this.#lastError?.message ?? 'no disk buffer'}); they are lost`)
    }
    this.#leftovers = []
    for (const f of this.#roomWaiters) f()
    this.#roomWaiters = []
    this.#progress()
    await this.#client.close().catch(() => {})
    this.#isClosed = true
  }

  #leftovers: Sending[] = []
  #isClosed = false

  // ---- small helpers --------------------------------------------------------------------------------

  #progress(): void {
    const w = this.#progressWaiters
    this.#progressWaiters = []
    for (const f of w) f()
  }

  #waitProgress(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t)
        resolve()
      }
      const t = setTimeout(done, Math.max(1, ms))
      this.#progressWaiters.push(done)
    })
  }

  #count(code: string, n = 1): void {
    this.#errors[code] = (this.#errors[code] ?? 0) + n
  }

  #setError(code: string, message: string): void {
    this.#lastError = { code, message, at: new Date().toISOString() }
  }

  #drop(reason: string, n: number, message?: string): void {
    this.#drops[reason] = (this.#drops[reason] ?? 0) + n
    if (message) this.#logOnce(`drop:${reason}`, 'error', `${this.#name}: ${message} (dropped_events.${reason} = ${this.#drops[reason]})`)
  }

  /** Logs a message at most once a minute per key: an outage must not flood the log. */
  #logOnce(key: string, level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    const now = Date.now()
    const at = this.#loggedAt.get(key)
    if (at !== undefined && now - at < REPEAT_LOG_MS) return
    this.#loggedAt.set(key, now)
    this.#log[level](message, fields)
  }
}

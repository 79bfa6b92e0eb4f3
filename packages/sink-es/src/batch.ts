import { createHash } from 'node:crypto'

/**
 * A batch of documents in the one binary form the sink keeps them in, in memory and in the disk
 * buffer alike, so spilling to disk and reading back copy bytes and never serialize again.
 *
 * Each item: u32 document length, the document (JSON, UTF-8), u16 id length, id (UTF-8; empty lets
 * Elasticsearch choose), f64 event time (ms, NaN when the event has none), u16 index length,
 * index (empty: computed from the time when sent). Little-endian. The document comes first so a
 * hashed id is computed over the bytes just written, without encoding the text a second time.
 *
 * The bulk action line is written only when the batch is sent, so a batch spilled while the
 * cluster's abilities were unknown (a data stream or not) goes where the cluster can take it.
 */
export interface Batch {
  payload: Buffer
  /** Byte offset of each item in `payload`. */
  offsets: Uint32Array
  count: number
  /** Set when the batch came from the disk buffer: acknowledged there once delivered. */
  diskSeq?: number
  /** The pooled buffer `payload` lies in, given back once the batch is done with. */
  pooled?: Buffer
}

export interface Item {
  id: string
  time: number
  index: string
  docStart: number
  docEnd: number
}

const INITIAL_BYTES = 256 * 1024

/** The id of a document: 128 bits of SHA-256 over its JSON bytes, base64url (22 characters). */
export function hashBytes(doc: Uint8Array): string {
  return createHash('sha256').update(doc).digest().toString('base64url', 0, 16)
}

/**
 * Megabyte buffers kept for reuse. A fresh buffer of that size is mapped from the system and
 * faulted in page by page on first write; reusing a few made the sink's client CPU per event
 * drop by about a tenth on the benchmark.
 */
export class BufferPool {
  readonly #free: Buffer[] = []
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** A buffer of at least `size` bytes, no more than twice that (so a small batch does not pin a big one). */
  take(size: number): Buffer {
    let best = -1
    for (let i = 0; i < this.#free.length; i++) {
      const len = this.#free[i]!.length
      if (len >= size && len <= 2 * size + INITIAL_BYTES && (best === -1 || len < this.#free[best]!.length)) best = i
    }
    if (best !== -1) return this.#free.splice(best, 1)[0]!
    return Buffer.allocUnsafe(Math.max(size, INITIAL_BYTES))
  }

  give(buf: Buffer | undefined): void {
    if (!buf || buf.length < INITIAL_BYTES) return
    if (this.#free.length >= this.#max) this.#free.shift()
    this.#free.push(buf)
  }
}

export class BatchBuilder {
  readonly #pool: BufferPool | undefined
  #buf: Buffer
  #pos = 0
  #offsets: number[] = []

  constructor(pool?: BufferPool) {
    this.#pool = pool
    this.#buf = pool ? pool.take(INITIAL_BYTES) : Buffer.allocUnsafe(INITIAL_BYTES)
  }

  get count(): number {
    return this.#offsets.length
  }

  get bytes(): number {
    return this.#pos
  }

  /** Adds one document; `id` null gives it the hash of its bytes. Returns the bytes it took. */
  add(id: string | null, time: number, index: string, doc: string): number {
    const start = this.#pos
    // UTF-8 needs at most 3 bytes per UTF-16 unit: the exact length is computed only when tight.
    const need = 16 + 66 + ((id?.length ?? 0) + index.length + doc.length) * 3
    if (this.#buf.length - start < need) this.#grow(start + need)
    const buf = this.#buf
    let p = start
    const docLen = buf.write(doc, p + 4, 'utf8')
    buf.writeUInt32LE(docLen, p)
    p += 4
    const theId = id ?? hashBytes(buf.subarray(p, p + docLen))
    p += docLen
    const idLen = buf.write(theId, p + 2, 'utf8')
    buf.writeUInt16LE(idLen, p)
    p += 2 + idLen
    buf.writeDoubleLE(time, p)
    p += 8
    const indexLen = buf.write(index, p + 2, 'utf8')
    buf.writeUInt16LE(indexLen, p)
    p += 2 + indexLen
    this.#offsets.push(start)
    this.#pos = p
    return p - start
  }

  /** Adds an item copied from another batch (a retry that is written to the disk buffer). */
  addRaw(from: Buffer, start: number, end: number): void {
    if (this.#buf.length - this.#pos < end - start) this.#grow(this.#pos + end - start)
    this.#offsets.push(this.#pos)
    this.#pos += from.copy(this.#buf, this.#pos, start, end)
  }

  /** The batch so far; the builder starts over. */
  take(): Batch {
    const offsets = Uint32Array.from(this.#offsets)
    const count = this.#offsets.length
    const pos = this.#pos
    this.#pos = 0
    this.#offsets = []
    if (this.#pool && pos * 4 >= this.#buf.length * 3) {
      // Mostly full: the batch keeps the buffer itself, and the builder takes another.
      const whole = this.#buf
      this.#buf = this.#pool.take(whole.length)
      return { payload: whole.subarray(0, pos), offsets, count, pooled: whole }
    }
    const copy = this.#pool ? this.#pool.take(pos) : Buffer.allocUnsafe(pos)
    this.#buf.copy(copy, 0, 0, pos)
    // A single huge document must not pin its buffer for the life of the sink.
    if (this.#buf.length > 32 * 1024 * 1024) this.#buf = Buffer.allocUnsafe(INITIAL_BYTES)
    return { payload: copy.subarray(0, pos), offsets, count, ...(this.#pool ? { pooled: copy } : {}) }
  }

  #grow(min: number): void {
    const next = this.#pool ? this.#pool.take(Math.max(min, this.#buf.length * 2)) : Buffer.allocUnsafe(Math.max(min, this.#buf.length * 2))
    this.#buf.copy(next, 0, 0, this.#pos)
    this.#pool?.give(this.#buf)
    this.#buf = next
  }
}

export function readItem(payload: Buffer, offset: number): Item {
  let p = offset
  const docLen = payload.readUInt32LE(p)
  const docStart = p + 4
  const docEnd = docStart + docLen
  p = docEnd
  const idLen = payload.readUInt16LE(p)
  const id = payload.toString('utf8', p + 2, p + 2 + idLen)
  p += 2 + idLen
  const time = payload.readDoubleLE(p)
  p += 8
  const indexLen = payload.readUInt16LE(p)
  const index = indexLen === 0 ? '' : payload.toString('utf8', p + 2, p + 2 + indexLen)
  return { id, time, index, docStart, docEnd }
}

/** End of item `i` in the batch. */
export function itemEnd(batch: Batch, i: number): number {
  return i + 1 < batch.count ? batch.offsets[i + 1]! : batch.payload.length
}

/** Offsets of every item of a payload read back from disk; undefined if the payload is malformed. */
export function indexPayload(payload: Buffer, count: number): Uint32Array | undefined {
  const offsets = new Uint32Array(count)
  let p = 0
  try {
    for (let i = 0; i < count; i++) {
      offsets[i] = p
      p += 4 + payload.readUInt32LE(p)
      p += 2 + payload.readUInt16LE(p)
      p += 8
      p += 2 + payload.readUInt16LE(p)
    }
  } catch {
    return undefined
  }
  return p === payload.length ? offsets : undefined
}

/**
 * The `_bulk` request body for the listed items of a batch: an action line (`create`, so that an
 * id already there is answered 409 instead of overwritten) and the document, each ending in LF.
 * Written into `into` when it is large enough (a pooled buffer), else into a new one.
 */
export function bulkBody(
  batch: Batch,
  items: readonly number[],
  indexFor: (item: Item) => string,
  into?: BufferPool,
): { body: Buffer; indices: string[]; ids: string[]; pooled: Buffer | undefined } {
  const actions: string[] = new Array(items.length)
  const indices: string[] = new Array(items.length)
  const ids: string[] = new Array(items.length)
  const decoded: Item[] = new Array(items.length)
  let total = 0
  let lastIndex = ''
  let lastPrefix = ''
  for (let k = 0; k < items.length; k++) {
    const it = readItem(batch.payload, batch.offsets[items[k]!]!)
    const index = indexFor(it)
    if (index !== lastIndex) {
      lastIndex = index
      lastPrefix = `{"create":{"_index":${JSON.stringify(index)}`
    }
    const action = it.id === '' ? `${lastPrefix}}}\n` : `${lastPrefix},"_id":${JSON.stringify(it.id)}}}\n`
    actions[k] = action
    indices[k] = index
    ids[k] = it.id
    decoded[k] = it
    total += Buffer.byteLength(action) + (it.docEnd - it.docStart) + 1
  }
  const pooled = into?.take(total)
  const body = pooled ? pooled.subarray(0, total) : Buffer.allocUnsafe(total)
  let p = 0
  for (let k = 0; k < items.length; k++) {
    p += body.write(actions[k]!, p, 'utf8')
    const it = decoded[k]!
    p += batch.payload.copy(body, p, it.docStart, it.docEnd)
    body[p++] = 0x0a
  }
  return { body, indices, ids, pooled }
}

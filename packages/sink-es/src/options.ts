import { BeerError } from '@beer/core'
import { IndexNamer } from './document.ts'

/** How the sink authenticates to Elasticsearch. Plain data, so the sink can run in a worker or a child process. */
export type EsAuth = { username: string; password: string } | { apiKey: string } | { bearer: string }

/** What happens to new events when the memory queue and the disk buffer are both full. */
export type FullPolicy = 'block' | 'drop-newest'

/** Where a document's `_id` comes from; see the README (Document ids). */
export type DocumentId = 'hash' | 'canonical' | 'event.id' | 'none'

/** Options of the `elasticsearch()` sink. */
export interface EsSinkOptions {
  /** Elasticsearch URL, or several (requests are spread over them). Default `'http://localhost:9200'`. */
  node?: string | string[]
  /** The module's name in the pipeline. Default `'elasticsearch'`. */
  name?: string
  /**
   * Target index. `%{+<format>}` is replaced by the event's `@timestamp` in UTC, with `yyyy`, `yy`,
   * `MM`, `dd`, `HH`, `ww` (ISO week) and `xxxx` (ISO week-based year), as Logstash writes it.
   * Default `'beer-%{+yyyy.MM.dd}'`.
   */
  index?: string
  /**
   * Write to this data stream instead (`op_type: create`, the name as it is, e.g.
   * `'logs-beer-default'`). When the cluster cannot make it a data stream, the sink writes to
   * `index` instead, says so in the log and in `status.mode`.
   */
  dataStream?: string
  /**
   * `_id` of each document: `'hash'` (default: SHA-256 of the event's JSON as sent), `'canonical'`
   * (the same over canonical JSON, keys sorted, which is then what is sent: ids that survive another
   * tool reordering keys, at about twice the serialization cost), `'event.id'` (falling back to
   * the hash), or `'none'` (Elasticsearch assigns one; a retry may then store a document twice).
   */
  documentId?: DocumentId
  auth?: EsAuth
  /** TLS towards Elasticsearch: `ca` is PEM text or a file path; `rejectUnauthorized` defaults to true. */
  tls?: { ca?: string; rejectUnauthorized?: boolean }
  /**
   * Install the ECS index template (idempotent; before the first write). `true`, or
   * `{ name, priority, settings }` to change its name (default `beer-ecs`), priority (default 200)
   * or add index settings (`{ number_of_replicas: 0 }` on a single node). Default false; the
   * `template` command installs it on request.
   */
  template?: boolean | { name?: string; priority?: number; settings?: Record<string, unknown> }
  batch?: {
    /** Events in one bulk request at most. Default 1000. */
    maxEvents?: number
    /** Bytes of documents in one bulk request at most (a larger single document goes alone). Default 5 MiB. */
    maxBytes?: number
    /** Longest time (ms) an accepted event waits for its batch to fill. Default 1000. */
    interval?: number
  }
  /** Bulk requests in flight at once. Default 2. */
  concurrency?: number
  /** Milliseconds before a bulk request is abandoned (and retried). Default 60000. */
  requestTimeout?: number
  retry?: {
    /** First backoff (ms); each retry doubles it, with jitter. Default 100. */
    initialDelay?: number
    /** Longest backoff (ms). Default 30000. */
    maxDelay?: number
    /**
     * Attempts of one document refused with a server error (5xx) before it goes to the dead
     * letters. A whole request that fails to connect is retried without limit (the disk buffer
     * takes the rest). Default 12 (about three minutes of backoff).
     */
    maxAttempts?: number
    /**
     * Attempts of one document refused because the cluster is overloaded (429,
     * `es_rejected_execution_exception`) before it goes to the dead letters. Default 120, about an
     * hour of retries at `maxDelay`: such a refusal says Elasticsearch is busy, not that the
     * document is wrong, so an overload is waited out (the disk buffer takes the inputs meanwhile);
     * a document the cluster can never take (too big for its indexing pressure limit) still ends
     * in the dead letters instead of holding a request slot for good.
     */
    maxRejections?: number
  }
  /** Documents larger than this (bytes of JSON) go to the dead letters without being sent. Default 10 MiB, at most 100 MiB. */
  maxDocumentBytes?: number
  /** Sealed batches held in memory waiting for a free request slot before new ones spill to disk. Default 16 MiB. */
  maxQueuedBytes?: number
  /**
   * The on-disk queue used while Elasticsearch is unreachable or slower than the input;
   * `false` keeps everything in memory (bounded by `maxQueuedBytes`, then `whenFull`).
   */
  buffer?:
    | false
    | {
        /** Folder of the segment files. Default `./data/es-buffer/<name>`. */
        path?: string
        /** Total size of the segment files at most. Default 1 GiB. */
        maxBytes?: number
        /** Size at which a segment file is closed and a new one started. Default 16 MiB. */
        segmentBytes?: number
      }
  /** When memory and disk are full: `'block'` (the default) slows the inputs; `'drop-newest'` drops and counts. */
  whenFull?: FullPolicy
  /** The dead-letter file: documents Elasticsearch refused for good, one JSON record a line. Default `./data/es-dead-letter.ndjson`. */
  deadLetter?: string
  /** Gzip request bodies. Default false (on a fast network it costs more CPU than it saves). */
  compression?: boolean
  /** Milliseconds close() waits for the batches in memory to reach Elasticsearch before it writes them to the disk buffer. Default 5000. */
  closeTimeout?: number
}

export interface ResolvedOptions {
  nodes: string[]
  name: string
  index: string
  dataStream: string | undefined
  documentId: DocumentId
  auth: EsAuth | undefined
  tls: { ca?: string; rejectUnauthorized?: boolean } | undefined
  template: false | { name: string; priority: number; settings: Record<string, unknown> }
  maxEvents: number
  maxBytes: number
  interval: number
  concurrency: number
  requestTimeout: number
  initialDelay: number
  maxDelay: number
  maxAttempts: number
  maxRejections: number
  maxDocumentBytes: number
  maxQueuedBytes: number
  buffer: false | { path: string; maxBytes: number; segmentBytes: number }
  whenFull: FullPolicy
  deadLetter: string
  compression: boolean
  closeTimeout: number
}

export const MiB: number = 1024 * 1024
/** Elasticsearch refuses HTTP bodies above `http.max_content_length`, 100 MB by default. */
export const MAX_DOCUMENT_BYTES: number = 100 * MiB

function invalid(option: string, value: unknown, expected: string): BeerError {
  let shown: string
  try {
    shown = JSON.stringify(value) ?? String(value)
  } catch {
    shown = String(value)
  }
  return new BeerError('BEER_ERR_SINK_ES_OPTIONS', `elasticsearch sink: option ${option} is ${shown}; expected ${expected}`, { option })
}

function int(option: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value
  throw invalid(option, value, `a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`)
}

function nonEmpty(option: string, value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value
  throw invalid(option, value, 'a non-empty string')
}

function plainObject(option: string, value: unknown): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  throw invalid(option, value, 'an object')
}

/** The URL of each node: http or https, with a host. */
function nodeUrls(value: unknown): string[] {
  const list = value === undefined ? ['http://localhost:9200'] : Array.isArray(value) ? value : [value]
  if (list.length === 0) throw invalid('node', value, 'a URL such as http://localhost:9200, or a list of them')
  return list.map((u: unknown) => {
    let url: URL
    try {
      url = new URL(nonEmpty('node', u))
    } catch {
      throw invalid('node', u, 'a URL such as http://localhost:9200')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('node', u, 'an http:// or https:// URL')
    return String(u)
  })
}

/** Index names Elasticsearch accepts: lowercase, none of \ / * ? " < > | , # : or space, not starting with - _ +. */
function checkIndexName(option: string, value: string): void {
  const literal = value.replace(/%\{\+[^}]*\}/g, 'x')
  if (literal !== literal.toLowerCase() || /[\\/*?"<>|,# :]/.test(literal) || /^[-_+]/.test(literal) || literal === '.' || literal === '..') {
    throw invalid(option, value, "a lowercase index name without \\ / * ? \" < > | , # : or spaces, not starting with - _ +, e.g. 'beer-%{+yyyy.MM.dd}'")
  }
  if (/%\{(?!\+)/.test(value)) throw invalid(option, value, "only date formats in %{...}, written %{+yyyy.MM.dd}")
}

export function checkAuth(auth: unknown): EsAuth | undefined {
  if (auth === undefined) return undefined
  const a = auth as Record<string, unknown> | null
  const keys = a !== null && typeof a === 'object' ? Object.keys(a).sort().join(',') : ''
  const ok =
    (keys === 'password,username' && typeof a!.username === 'string' && typeof a!.password === 'string') ||
    (keys === 'apiKey' && typeof a!.apiKey === 'string' && a!.apiKey.length > 0) ||
    (keys === 'bearer' && typeof a!.bearer === 'string' && a!.bearer.length > 0)
  if (!ok) {
    throw new BeerError(
      'BEER_ERR_SINK_ES_AUTH',
      `elasticsearch sink: option auth has ${keys ? `the keys ${keys}` : 'no usable value'}; give { username, password }, { apiKey } (the base64 "id:key" Kibana shows) or { bearer }`,
      { option: 'auth' },
    )
  }
  return a as EsAuth
}

/** Checks every option and fills in defaults; throws BEER_ERR_SINK_ES_OPTIONS (or _AUTH) naming the first bad one. */
export function resolveOptions(options: EsSinkOptions | undefined): ResolvedOptions {
  const o = options === undefined ? {} : plainObject('options', options) as EsSinkOptions
  const name = o.name === undefined ? 'elasticsearch' : nonEmpty('name', o.name)
  const index = o.index === undefined ? 'beer-%{+yyyy.MM.dd}' : nonEmpty('index', o.index)
  checkIndexName('index', index)
  // Refuses an unknown date format.
  new IndexNamer(index)
  let dataStream: string | undefined
  if (o.dataStream !== undefined) {
    dataStream = nonEmpty('dataStream', o.dataStream)
    if (dataStream.includes('%{')) throw invalid('dataStream', dataStream, 'a fixed data stream name such as logs-beer-default')
    checkIndexName('dataStream', dataStream)
  }
  const documentId = o.documentId ?? 'hash'
  if (documentId !== 'hash' && documentId !== 'canonical' && documentId !== 'event.id' && documentId !== 'none') {
    throw invalid('documentId', o.documentId, "'hash', 'canonical', 'event.id' or 'none'")
  }
  let tls: ResolvedOptions['tls']
  if (o.tls !== undefined) {
    const t = plainObject('tls', o.tls)
    if (t.ca !== undefined) nonEmpty('tls.ca', t.ca)
    if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean') throw invalid('tls.rejectUnauthorized', t.rejectUnauthorized, 'a boolean')
    tls = o.tls
  }
  let template: ResolvedOptions['template'] = false
  if (o.template !== undefined && o.template !== false) {
    if (o.template !== true && (o.template === null || typeof o.template !== 'object' || Array.isArray(o.template))) {
      throw invalid('template', o.template, 'true, false or { name, priority, settings }')
    }
    const t = o.template === true ? {} : (o.template as Record<string, unknown>)
    template = {
      name: t.name === undefined ? 'beer-ecs' : nonEmpty('template.name', t.name),
      priority: int('template.priority', t.priority, 200, 0),
      settings: t.settings === undefined ? {} : plainObject('template.settings', t.settings),
    }
  }
  const b = o.batch === undefined ? {} : plainObject('batch', o.batch)
  const r = o.retry === undefined ? {} : plainObject('retry', o.retry)
  let buffer: ResolvedOptions['buffer'] = false
  if (o.buffer !== false) {
    const d = o.buffer === undefined ? {} : plainObject('buffer', o.buffer)
    buffer = {
      path: d.path === undefined ? `./data/es-buffer/${name.replace(/[^A-Za-z0-9._-]/g, '_')}` : nonEmpty('buffer.path', d.path),
      maxBytes: int('buffer.maxBytes', d.maxBytes, 1024 * MiB, 4096),
      segmentBytes: int('buffer.segmentBytes', d.segmentBytes, 16 * MiB, 1024),
    }
  }
  const whenFull = o.whenFull ?? 'block'
  if (whenFull !== 'block' && whenFull !== 'drop-newest') throw invalid('whenFull', o.whenFull, "'block' or 'drop-newest'")
  if (o.compression !== undefined && typeof o.compression !== 'boolean') throw invalid('compression', o.compression, 'a boolean')
  const initialDelay = int('retry.initialDelay', r.initialDelay, 100, 1)
  return {
    nodes: nodeUrls(o.node),
    name,
    index,
    dataStream,
    documentId,
    auth: checkAuth(o.auth),
    tls,
    template,
    maxEvents: int('batch.maxEvents', b.maxEvents, 1000, 1, 100_000),
    maxBytes: int('batch.maxBytes', b.maxBytes, 5 * MiB, 1024, MAX_DOCUMENT_BYTES),
    interval: int('batch.interval', b.interval, 1000, 1),
    concurrency: int('concurrency', o.concurrency, 2, 1, 64),
    requestTimeout: int('requestTimeout', o.requestTimeout, 60_000, 100),
    initialDelay,
    maxDelay: int('retry.maxDelay', r.maxDelay, 30_000, initialDelay),
    maxAttempts: int('retry.maxAttempts', r.maxAttempts, 12, 1),
    maxRejections: int('retry.maxRejections', r.maxRejections, 120, 1),
    maxDocumentBytes: int('maxDocumentBytes', o.maxDocumentBytes, 10 * MiB, 16, MAX_DOCUMENT_BYTES),
    maxQueuedBytes: int('maxQueuedBytes', o.maxQueuedBytes, 16 * MiB, 0),
    buffer,
    whenFull,
    deadLetter: o.deadLetter === undefined ? './data/es-dead-letter.ndjson' : nonEmpty('deadLetter', o.deadLetter),
    compression: o.compression ?? false,
    closeTimeout: int('closeTimeout', o.closeTimeout, 5000, 0),
  }
}

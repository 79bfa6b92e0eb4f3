import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { BeerError, type LogEvent, type Logger } from '@beer/core'
import { canonicalJson, documentId, eventTime } from './document.ts'
import { EsSink, type PreparedDocument } from './es-sink.ts'
import { resolveOptions, type DocumentId, type EsAuth } from './options.ts'
import type { ProgressFigures } from './progress.ts'

export interface ReplayOptions {
  /** An NDJSON file of events, or a dead-letter file (this sink's or the runtime's). */
  file: string
  node?: string | string[]
  /** Index pattern for events; dead letters go back to the index they were meant for unless this is given. */
  index?: string
  dataStream?: string
  auth?: EsAuth
  tls?: { ca?: string; rejectUnauthorized?: boolean }
  documentId?: DocumentId
  /** Where documents refused again go. Default: beside the file, `<name>.rejected.ndjson`. */
  deadLetter?: string
  batch?: number
  /** Give up when Elasticsearch cannot be reached for this long (ms). Default 60000. */
  waitMs?: number
  log?: Logger
  onProgress?: (f: ProgressFigures) => void
}

export interface ReplaySummary {
  file: string
  lines: number
  /** Lines that are not a JSON object. */
  invalid: number
  /** Dead letters of raw inputs (a parser crashed on them): not events, not sent. */
  skipped: number
  indexed: number
  duplicates: number
  deadLettered: number
  deadLetterFile: string
  /** Documents not delivered because Elasticsearch could not be reached (re-run the replay). */
  notSent: number
  seconds: number
  esVersion: string | null
  /** The first few invalid lines, by number. */
  invalidLines: number[]
}

function quietLogger(): Logger {
  return { info() {}, warn() {}, error() {} }
}

/** `x.ndjson` → `x.rejected.ndjson`, beside it. */
export function rejectedPath(file: string): string {
  const ext = path.extname(file)
  return path.join(path.dirname(file), `${path.basename(file, ext)}.rejected${ext || '.ndjson'}`)
}

/**
 * Sends an NDJSON file, or a dead-letter file, to Elasticsearch through the sink's own batching,
 * retries and dead letters. Ids are the ones the sink would give (dead letters keep theirs), and
 * every document is sent with `create`: replaying a file twice stores nothing twice.
 */
export async function replay(o: ReplayOptions): Promise<ReplaySummary> {
  const file = path.resolve(o.file)
  let size: number
  try {
    const st = await stat(file)
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' })
    size = st.size
  } catch (err) {
    throw new BeerError('BEER_ERR_SINK_ES_REPLAY', `cannot read ${file}: ${(err as Error).message}`, { path: file })
  }
  const deadLetter = path.resolve(o.deadLetter ?? rejectedPath(file))
  if (deadLetter === file) throw new BeerError('BEER_ERR_SINK_ES_REPLAY', `the dead-letter file must not be the file being replayed (${file}); give --dead-letter <other file>`)
  const resolved = resolveOptions({
    name: 'replay',
    ...(o.node !== undefined ? { node: o.node } : {}),
    ...(o.index !== undefined ? { index: o.index } : {}),
    ...(o.dataStream !== undefined ? { dataStream: o.dataStream } : {}),
    ...(o.auth !== undefined ? { auth: o.auth } : {}),
    ...(o.tls !== undefined ? { tls: o.tls } : {}),
    documentId: o.documentId ?? 'hash',
    buffer: false,
    whenFull: 'block',
    deadLetter,
    batch: { maxEvents: o.batch ?? 1000 },
    closeTimeout: 0,
  })
  const log = o.log ?? quietLogger()
  const sink = await EsSink.open(resolved, { name: 'replay', instance: 0, log, emit() {} })
  const started = Date.now()
  const waitMs = o.waitMs ?? 60_000
  const keepIndex = o.index === undefined && o.dataStream === undefined
  const howId = o.documentId ?? 'hash'
  const summary: ReplaySummary = {
    file,
    lines: 0,
    invalid: 0,
    skipped: 0,
    indexed: 0,
    duplicates: 0,
    deadLettered: 0,
    deadLetterFile: deadLetter,
    notSent: 0,
    seconds: 0,
    esVersion: null,
    invalidLines: [],
  }
  let bytesRead = 0
  let downSince = 0
  const figures = (): ProgressFigures => {
    const st = sink.status()
    return { bytesRead, totalBytes: size, lines: summary.lines, indexed: st.indexed, duplicates: st.duplicates, deadLettered: st.deadLettered, state: st.state }
  }
  /** Waits while the sink asks to, giving up after waitMs of an unreachable cluster. */
  const settle = async (work: void | Promise<void>): Promise<boolean> => {
    if (!work) return true
    let done = false
    const finished = work.then(() => {
      done = true
    })
    while (!done) {
      await Promise.race([finished, new Promise((r) => setTimeout(r, 250))])
      if (done) break
      o.onProgress?.(figures())
      if (gaveUp()) return false
    }
    return true
  }
  const gaveUp = (): boolean => {
    const state = sink.status().state
    if (state === 'up') downSince = 0
    else if (downSince === 0) downSince = Date.now()
    return downSince !== 0 && Date.now() - downSince > waitMs
  }

  let pending: PreparedDocument[] = []
  let aborted = false
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 })
  let rest = ''
  const take = (line: string): void => {
    summary.lines++
    const text = line.trim()
    if (text === '') return
    let v: unknown
    try {
      v = JSON.parse(text)
    } catch {
      v = undefined
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      summary.invalid++
      if (summary.invalidLines.length < 10) summary.invalidLines.push(summary.lines)
      return
    }
    const rec = v as Record<string, unknown>
    const dl = (rec.beer as { dead_letter?: { id?: unknown; index?: unknown } } | undefined)?.dead_letter
    if (dl && typeof dl === 'object' && 'error' in rec) {
      const ev = rec.event
      if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) {
        summary.skipped++
        return
      }
      const event = ev as LogEvent
      pending.push({
        doc: howId === 'canonical' ? canonicalJson(event) : JSON.stringify(event),
        id: typeof dl.id === 'string' && dl.id !== '' && keepIndex ? dl.id : documentId(event, howId),
        time: eventTime(event),
        index: keepIndex && typeof dl.index === 'string' ? dl.index : '',
      })
      return
    }
    const event = rec as LogEvent
    // The line as it is: the same bytes the sink hashed when it first sent the event.
    pending.push({ doc: howId === 'canonical' ? canonicalJson(event) : text, id: documentId(event, howId), time: eventTime(event), index: '' })
  }
  try {
    for await (const chunk of stream) {
      const text = rest + (chunk as string)
      let start = 0
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        take(text.slice(start, nl))
        start = nl + 1
      }
      rest = text.slice(start)
      bytesRead = stream.bytesRead
      if (pending.length >= (o.batch ?? 1000)) {
        const docs = pending
        pending = []
        if (!(await settle(sink.writePrepared(docs)))) {
          aborted = true
          break
        }
      }
      o.onProgress?.(figures())
    }
    if (!aborted) {
      if (rest !== '') take(rest)
      bytesRead = size
      if (pending.length > 0 && !(await settle(sink.writePrepared(pending)))) aborted = true
    }
    while (!aborted) {
      await sink.flush()
      const st = sink.status()
      if (st.queuedEvents + st.inFlightEvents === 0) break
      await new Promise((r) => setTimeout(r, 200))
      o.onProgress?.(figures())
      if (gaveUp()) aborted = true
    }
  } finally {
    stream.destroy()
    const st = sink.status()
    summary.notSent = st.queuedEvents + st.inFlightEvents
    await sink.close()
  }
  const st = sink.status()
  summary.indexed = st.indexed
  summary.duplicates = st.duplicates
  summary.deadLettered = st.deadLettered
  summary.esVersion = st.esVersion
  summary.seconds = (Date.now() - started) / 1000
  o.onProgress?.({ ...figures(), bytesRead })
  if (aborted) {
    throw new BeerError(
      'BEER_ERR_SINK_ES_UNREACHABLE',
      `Elasticsearch at ${resolved.nodes.join(', ')} could not be reached for ${Math.round(waitMs / 1000)} s (${st.lastError?.message ?? 'no answer'}); ${summary.indexed + summary.duplicates} documents were delivered before. Run the same replay again when it answers: what is already there is counted as duplicates, not stored twice.`,
      { summary },
    )
  }
  return summary
}

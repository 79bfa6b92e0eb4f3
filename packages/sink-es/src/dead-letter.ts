import { appendFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'

/** One document Elasticsearch refused for good (or the sink refused before sending). */
export interface DeadLetter {
  /** BEER_ERR_SINK_ES_DOCUMENT, _TOO_LARGE or _RETRIES. */
  code: string
  /** HTTP status of the item (400 for a mapping error, 413 when too large, the last 429/5xx when retries ran out). */
  status: number
  /** Elasticsearch's error type (`document_parsing_exception`, …) or the sink's own. */
  type: string
  reason: string
  index: string
  id: string
  /** The document as JSON text, written into the record as it is. */
  doc: string
}

/**
 * The dead-letter file: one JSON record a line, in the shape of the runtime's own dead letters
 * (`error`, `beer.dead_letter`, `event`), so `beer es replay` reads both. Written synchronously:
 * dead letters are rare, and one must be on disk before its batch counts as handled.
 */
export class DeadLetterFile {
  readonly path: string
  readonly #module: string
  #ready = false

  constructor(file: string, module: string) {
    this.path = path.resolve(file)
    this.#module = module
  }

  /** Appends the records; throws the file system's error (with its code) when the file cannot be written. */
  write(letters: readonly DeadLetter[]): void {
    if (letters.length === 0) return
    if (!this.#ready) {
      mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o750 })
      this.#ready = true
    }
    const at = JSON.stringify(new Date().toISOString())
    let text = ''
    for (const l of letters) {
      const error = JSON.stringify({ code: l.code, status: l.status, type: l.type, reason: l.reason })
      const where = JSON.stringify({ module: this.#module, index: l.index, id: l.id })
      text += `{"@timestamp":${at},"error":${error},"beer":{"dead_letter":${where}},"event":${l.doc}}\n`
    }
    appendFileSync(this.path, text, { mode: 0o640 })
  }
}

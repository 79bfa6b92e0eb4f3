import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { PlainError } from '@beer/core'
import { splitEvents } from './codec.ts'
import type { Payload } from './remote/protocol.ts'

export interface DeadLetterRecord {
  '@timestamp': string
  /** The module the input or event crashed, and where it ran. */
  beer: { dead_letter: { module: string; instance: number; placement: string } }
  error: PlainError
  /** A raw input (for a parser) or an event (for the other kinds). */
  input?: unknown
  event?: unknown
}

/**
 * Writes the events that crashed a module to an NDJSON file, one record a line, synchronously:
 * they are rare, and a dead letter must be on disk before the runtime moves on.
 */
export function deadLetterWriter(path: string): (module: string, instance: number, placement: string, p: Payload, error: PlainError) => void {
  let ready = false
  return (module, instance, placement, p, error) => {
    if (!ready) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o750 })
      ready = true
    }
    const base = { '@timestamp': new Date().toISOString(), beer: { dead_letter: { module, instance, placement } }, error }
    let text = ''
    if (p.inputs !== undefined) for (const input of p.inputs) text += JSON.stringify({ ...base, input }) + '\n'
    else for (const line of splitEvents(p.text ?? [])) text += JSON.stringify({ ...base, event: JSON.parse(line) as unknown }) + '\n'
    appendFileSync(path, text, { mode: 0o640 })
  }
}

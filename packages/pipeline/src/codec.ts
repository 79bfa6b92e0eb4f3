import type { LogEvent } from '@beer/core'

/**
 * Events cross thread and process boundaries as NDJSON text, one string a batch. Measured on
 * this project's syslog events, a JSON round trip costs about half of a structured-clone round
 * trip, a string crosses `postMessage` as one copy, and the text is what NDJSON sinks write
 * anyway: a batch that comes back from a worker untouched reaches them without being parsed and
 * serialized again on the main thread (bench/transport.bench.ts).
 *
 * JSON.stringify escapes every newline inside strings, so '\n' separates events safely.
 */
export function encodeEvents(events: readonly LogEvent[]): string {
  let text = ''
  for (let i = 0; i < events.length; i++) text += JSON.stringify(events[i]) + '\n'
  return text
}

export function decodeEvents(text: string): LogEvent[] {
  if (text.length === 0) return []
  // One JSON.parse over the whole batch is faster than one per line.
  return JSON.parse('[' + text.slice(0, -1).replaceAll('\n', ',') + ']') as LogEvent[]
}

/** The lines of a batch, each without its '\n'. */
export function splitEvents(text: string): string[] {
  if (text.length === 0) return []
  return text.slice(0, -1).split('\n')
}

export function joinLines(lines: readonly string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n'
}

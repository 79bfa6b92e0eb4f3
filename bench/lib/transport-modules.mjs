// Modules of the transport benchmark, in plain JavaScript so that worker threads load them
// without a TypeScript loader.
import { describeModule } from '@beer/core'

const here = import.meta.url

/** Claims every input and returns it as the event: the transport alone is measured. */
export const passParser = () => describeModule('parser', 'pass-parser', here, {}, 'createPassParser')
export function createPassParser() {
  return { isMine: () => true, parse: (input) => input }
}

/** An enricher that changes nothing. */
export const passEnricher = () => describeModule('enricher', 'pass-enricher', here, {}, 'createPassEnricher')
export function createPassEnricher() {
  return { enrich: () => {} }
}

/** Counts what arrives; `objects` makes it read events (so they are decoded) instead of taking the NDJSON text. */
export const countingSink = (objects) => describeModule('sink', 'count', here, { objects }, 'createCountingSink')
export const counted = { events: 0, bytes: 0 }
export function createCountingSink(o) {
  const sink = {
    write(events) {
      counted.events += events.length
    },
  }
  if (!o.objects) {
    sink.writeNdjson = (chunks, count) => {
      counted.events += count
      for (const c of chunks) counted.bytes += c.length
    }
  }
  return sink
}

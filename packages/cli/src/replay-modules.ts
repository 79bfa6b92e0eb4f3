// The two modules `beer replay` runs around the user's enrichers and analyzers: archived events go
// in as they are, and the events analyzers raised come out to a file (or standard output).
import { closeSync, openSync, writeSync } from 'node:fs'
import { describeModule } from '@beer/core'
import type { LogEvent, ModuleDescriptor, Parser, Sink } from '@beer/core'

/** Takes each archived event as the event: it was parsed when it was first received. */
export const archivedEvents = (): ModuleDescriptor<'parser'> => describeModule('parser', 'replay-input', import.meta.url, {}, 'createArchivedEvents')
export function createArchivedEvents(): Parser<LogEvent> {
  return { isMine: () => true, parse: (e) => e }
}

/** Writes the events analyzers raised (those with `beer.emitter`), one JSON line each, to `path` or standard output. */
export const raisedEvents = (path: string | undefined): ModuleDescriptor<'sink'> =>
  describeModule('sink', 'replay-output', import.meta.url, path === undefined ? {} : { path }, 'createRaisedEvents')
export function createRaisedEvents(o: { path?: string }): Sink & { close(): void } {
  const fd = o.path === undefined ? undefined : openSync(o.path, 'w', 0o644)
  return {
    write(events) {
      let text = ''
      for (const e of events) if (e.beer?.emitter !== undefined) text += JSON.stringify(e) + '\n'
      if (text === '') return
      if (fd !== undefined) {
        const bytes = Buffer.from(text)
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
        return
      }
      if (!process.stdout.write(text)) return new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()))
    },
    close() {
      if (fd !== undefined) closeSync(fd)
    },
  }
}

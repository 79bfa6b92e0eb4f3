// `beer replay`: archived events through enrichers and analyzers, in event time, as fast as the
// machine goes, and the alerts they raise out. The same input and configuration always give the
// same output, byte for byte: events without an id get one made from their own text, and nothing
// in the run reads the clock or draws a random number on the events' behalf.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { BeerError, isDescriptor } from '@beer/core'
import type { LogEvent, ModuleDescriptor, PlacementOptions } from '@beer/core'
import { createPipeline } from '@beer/pipeline'
import type { StageEntry } from '@beer/pipeline'
import { archivedEvents, raisedEvents } from './replay-modules.ts'

export const REPLAY_USAGE = `usage: beer replay <events.ndjson> [--config <file>] [--out <alerts.ndjson>]

Runs archived events (one ECS event a line) through enrichers and analyzers in event time and
writes the events the analyzers raise, one JSON line each, to --out (default: standard output).
The same input and configuration always give the same output.

  --config <file>   what to run: a module (.js, .mjs, .ts with tsx) whose default export is
                    { enrich: [...], analyze: [...] } of descriptors (geoip(), sequences(), …),
                    or a JSON file { "enrich": [...], "analyze": [...] } of
                    { "module": "@beer/analyzer-sequences", "factory": "sequences", "options": {…} }.
                    Default: the sequences analyzer with its shipped rules.
  --out <file>      where the alerts go (replaced)
  --batch <n>       events per batch (default 1000)
`

type Entry<K extends 'enricher' | 'analyzer'> = ModuleDescriptor<K> | { descriptor: ModuleDescriptor<K>; placement?: PlacementOptions }

interface ReplayConfig {
  enrich: StageEntry<'enricher'>[]
  analyze: StageEntry<'analyzer'>[]
}

function configError(file: string, what: string): BeerError {
  return new BeerError('BEER_ERR_REPLAY_CONFIG', `${file}: ${what}`, { path: file })
}

/** Every module runs inline, one copy: a replay is one ordered pass in this process. */
function entries<K extends 'enricher' | 'analyzer'>(list: unknown, kind: K, file: string, stage: string): StageEntry<K>[] {
  if (list === undefined) return []
  if (!Array.isArray(list)) throw configError(file, `${stage}: expected a list of modules`)
  return list.map((x: Entry<K>, i) => {
    const d = isDescriptor(x) ? x : (x as { descriptor?: unknown })?.descriptor
    if (!isDescriptor(d)) throw configError(file, `${stage}[${i}]: expected a module descriptor such as sequences(), or { descriptor, placement }`)
    if (d.kind !== kind) throw configError(file, `${stage}[${i}]: ${d.name} is a ${d.kind} module; ${stage} takes ${kind} modules`)
    return { descriptor: d as ModuleDescriptor<K> }
  })
}

async function importFrom(specifier: string, base: string): Promise<Record<string, unknown>> {
  let url: string
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) url = pathToFileURL(path.resolve(path.dirname(base), specifier)).href
  else {
    try {
      url = pathToFileURL(createRequire(base).resolve(specifier)).href
    } catch {
      // Not resolvable from the configuration's folder: try from beer's own install.
      url = specifier
    }
  }
  return (await import(url)) as Record<string, unknown>
}

async function loadConfig(file: string | undefined): Promise<ReplayConfig> {
  if (file === undefined) {
    const { sequences } = await import('@beer/analyzer-sequences')
    return { enrich: [], analyze: [{ descriptor: sequences() }] }
  }
  const abs = path.resolve(file)
  if (!existsSync(abs)) throw configError(file, 'no such file')
  if (abs.endsWith('.json')) {
    let doc: Record<string, unknown>
    try {
      doc = JSON.parse(readFileSync(abs, 'utf8')) as Record<string, unknown>
    } catch (err) {
      throw configError(file, `not JSON: ${(err as Error).message}`)
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw configError(file, 'expected { "enrich": [...], "analyze": [...] }')
    const build = async (list: unknown, stage: string): Promise<unknown[]> => {
      if (list === undefined) return []
      if (!Array.isArray(list)) throw configError(file, `${stage}: expected a list`)
      const out: unknown[] = []
      for (const [i, item] of list.entries()) {
        const m = item as { module?: unknown; factory?: unknown; options?: unknown }
        if (m === null || typeof m !== 'object' || typeof m.module !== 'string' || typeof m.factory !== 'string') {
          throw configError(file, `${stage}[${i}]: expected { "module": "<package or path>", "factory": "<export>", "options": {…} }`)
        }
        let mod: Record<string, unknown>
        try {
          mod = await importFrom(m.module, abs)
        } catch (err) {
          throw configError(file, `${stage}[${i}]: cannot import ${m.module}: ${(err as Error).message}`)
        }
        const factory = mod[m.factory]
        if (typeof factory !== 'function') throw configError(file, `${stage}[${i}]: ${m.module} has no function export '${m.factory}'`)
        out.push(factory(m.options ?? {}))
      }
      return out
    }
    return { enrich: entries(await build(doc.enrich, 'enrich'), 'enricher', file, 'enrich'), analyze: entries(await build(doc.analyze, 'analyze'), 'analyzer', file, 'analyze') }
  }
  let mod: Record<string, unknown>
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') throw configError(file, 'a TypeScript configuration needs a loader: run node --import tsx beer replay …, or give the built .js')
    throw err
  }
  const doc = (mod.default ?? mod) as Record<string, unknown>
  if (doc === null || typeof doc !== 'object') throw configError(file, 'the default export should be { enrich: [...], analyze: [...] }')
  return { enrich: entries(doc.enrich, 'enricher', file, 'enrich'), analyze: entries(doc.analyze, 'analyzer', file, 'analyze') }
}

interface Archived {
  t: number
  line: number
  event: LogEvent
}

/** Reads the archive: every line a JSON event with a time; events without an id get one from their text. */
async function readArchive(file: string, warn: (m: string) => void): Promise<{ events: Archived[]; badLines: number; untimed: number }> {
  if (!existsSync(file)) throw new BeerError('BEER_ERR_REPLAY_INPUT', `${file}: no such file`, { path: file })
  const events: Archived[] = []
  const seen = new Map<string, number>()
  let badLines = 0
  let untimed = 0
  let n = 0
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  for await (const text of lines) {
    n++
    if (text.trim() === '') continue
    let e: LogEvent
    try {
      e = JSON.parse(text) as LogEvent
    } catch {
      if (badLines++ < 5) warn(`${file}:${n}: not JSON; skipped`)
      continue
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) {
      if (badLines++ < 5) warn(`${file}:${n}: not a JSON object; skipped`)
      continue
    }
    const t = typeof e['@timestamp'] === 'string' ? Date.parse(e['@timestamp']) : NaN
    if (!Number.isFinite(t)) {
      if (untimed++ < 5) warn(`${file}:${n}: no @timestamp; skipped (a replay runs in event time)`)
      continue
    }
    const ev = (e.event ??= {})
    if (typeof ev.id !== 'string') {
      // Made from the line's text, so the same archive gives the same ids (and alert causes).
      const base = 'r-' + createHash('sha256').update(text).digest('hex').slice(0, 24)
      const k = seen.get(base) ?? 0
      seen.set(base, k + 1)
      ev.id = k === 0 ? base : `${base}-${k}`
    }
    events.push({ t, line: n, event: e })
  }
  // Event time; events of the same time keep the archive's order.
  events.sort((a, b) => a.t - b.t || a.line - b.line)
  return { events, badLines, untimed }
}

/** Runs `beer replay …`; returns the exit code. */
export async function replay(argv: string[]): Promise<number> {
  let values: { config?: string; out?: string; batch?: string; help?: boolean }
  let positionals: string[]
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, batch: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    process.stderr.write(`beer replay: ${(err as Error).message}\n\n${REPLAY_USAGE}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(REPLAY_USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    process.stderr.write(`beer replay: give one file of events\n\n${REPLAY_USAGE}`)
    return 2
  }
  const batch = values.batch === undefined ? 1000 : Number(values.batch)
  if (!Number.isInteger(batch) || batch < 1) {
    process.stderr.write(`beer replay: --batch: expected a whole number of events, got '${values.batch}'\n`)
    return 2
  }
  const say = (m: string): void => void process.stderr.write(`beer replay: ${m}\n`)
  try {
    const config = await loadConfig(values.config)
    const started = performance.now()
    const input = await readArchive(positionals[0]!, say)
    const pipeline = createPipeline({
      fallback: { descriptor: archivedEvents() },
      enrichers: config.enrich,
      analyzers: config.analyze,
      sinks: [{ descriptor: raisedEvents(values.out === undefined ? undefined : path.resolve(values.out)) }],
      logger: (scope) => ({
        info: (m) => say(`${scope}: ${m}`),
        warn: (m) => say(`${scope}: ${m}`),
        error: (m) => say(`${scope}: ${m}`),
      }),
    })
    await pipeline.start()
    const events = input.events
    for (let i = 0; i < events.length; i += batch) {
      const chunk: LogEvent[] = []
      for (let j = i; j < Math.min(i + batch, events.length); j++) chunk.push(events[j]!.event)
      const wait = pipeline.push(chunk)
      if (wait) await wait
    }
    await pipeline.stop()
    const seconds = (performance.now() - started) / 1000
    const alerts = pipeline.status().filter((m) => m.kind === 'analyzer').reduce((n, m) => n + m.metrics.sent_events, 0)
    say(
      `${events.length} events in ${seconds.toFixed(1)} s (${Math.round(events.length / Math.max(seconds, 1e-3))} events/s)` +
        `${input.untimed ? `, ${input.untimed} without @timestamp skipped` : ''}${input.badLines ? `, ${input.badLines} unreadable lines skipped` : ''}; ` +
        `${alerts} alerts${values.out ? ` to ${values.out}` : ''}`,
    )
    return 0
  } catch (err) {
    const e = err as { code?: string; message?: string }
    process.stderr.write(`beer replay: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}\n`)
    return e.code === 'BEER_ERR_REPLAY_CONFIG' || e.code === 'BEER_ERR_REPLAY_INPUT' ? 2 : 1
  }
}

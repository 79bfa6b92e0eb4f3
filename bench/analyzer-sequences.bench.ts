// @beer/analyzer-sequences: events per second through the analyzer with the shipped rules on a
// realistic mix (a week of synthetic activity: logins with typos, logouts, network and DNS
// noise, account and group management, IDS alerts from several products, planted incidents), on
// one thread; then through the real pipeline with the analyzer in one worker thread, and in two
// worker threads partitioned by user.name.
//
//   npm run build && cd bench && node --import tsx analyzer-sequences.bench.ts [--users 1000] [--days 7] [--no-record]
import os from 'node:os'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Analyzer, LogEvent, ModuleContext } from '@beer/core'
import { createPipeline } from '@beer/pipeline'
// The built package: worker threads import the module the descriptor names, as JavaScript.
import { sequences } from '../packages/analyzer-sequences/dist/index.js'
import { create } from '../packages/analyzer-sequences/dist/sequences.js'
import { scenario } from '../packages/analyzer-sequences/test/fixtures/scenario.ts'
import { countingSink, counted, passParser } from './lib/transport-modules.mjs'
import { recordResults } from './lib/record.ts'

const { values: opts } = parseArgs({
  options: {
    users: { type: 'string', default: '1000' },
    days: { type: 'string', default: '7' },
    passes: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    'no-record': { type: 'boolean', default: false },
  },
})
const COMMAND = 'npm run build && cd bench && node --import tsx analyzer-sequences.bench.ts'
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const load0 = os.loadavg()[0]!
// A full collection before every timed pass, so that no pass pays for the garbage of the one before.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const s = scenario({ days: Number(opts.days), users: Number(opts.users), seed: 42 })
const N = s.events.length
const counts = new Map<string, number>()
for (const e of s.events) {
  const k = e.event?.kind === 'alert' ? 'IDS alerts' : ((e.event?.category as string[] | undefined)?.[0] ?? 'other')
  counts.set(k, (counts.get(k) ?? 0) + 1)
}
const mix = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((n / N) * 100).toFixed(1)}%`).join(', ')
console.log(`${fmt(N)} events: ${mix}`)

// ---- one thread, the analyzer alone ------------------------------------------------------------

// The events as the analyzer gets them in a worker: parsed from NDJSON, each pass a fresh copy.
const ndjson = s.events.map((e) => JSON.stringify(e)).join('\n')
const context = (emit: () => void): ModuleContext => ({ name: 'sequences', instance: 0, log: { info() {}, warn() {}, error() {} }, emit })
const direct: number[] = []
const directCpu: number[] = []
let directAlerts = 0
for (let pass = 0; pass < 1 + Number(opts.passes); pass++) {
  // Fresh events each pass: the analyzer gives ids to the events it keeps, as it would live.
  const events = ndjson.split('\n').map((l) => JSON.parse(l) as LogEvent)
  let alerts = 0
  collectGarbage()
  const a = (await create({ idleFlush: false }, context(() => alerts++))) as Analyzer & { flush(): Promise<void> }
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < events.length; i++) a.analyze(events[i]!)
  await a.flush()
  const rate = (N / (performance.now() - t0)) * 1000
  const c = process.cpuUsage(c0)
  // Per second of this thread's CPU: what a core of its own would give, whatever else runs.
  const cpuRate = N / ((c.user + c.system) / 1e6)
  if (pass > 0) {
    direct.push(rate)
    directCpu.push(cpuRate)
  }
  directAlerts = alerts
  console.log(`one thread, pass ${pass}${pass === 0 ? ' (warm-up)' : ''}: ${fmt(rate)} events/s wall, ${fmt(cpuRate)} per CPU-second, ${alerts} alerts`)
}

// ---- the real pipeline: analyzer in worker threads -----------------------------------------------

async function throughPipeline(instances: number): Promise<{ rate: number; alerts: number; cpuUs: number }> {
  const p = createPipeline({
    parsers: [{ descriptor: passParser() }],
    analyzers: [
      {
        // partitionBy user.name is right for rules keyed on user.name: the failed-logins rule.
        descriptor: sequences({ shipped: ['failed-logins-then-success-user'], idleFlush: false }),
        placement: instances === 1 ? { run: 'worker' } : { run: 'worker', instances, partitionBy: 'user.name' },
      },
    ],
    sinks: [{ descriptor: countingSink(false) }],
    logger: () => ({ info() {}, warn() {}, error() {} }),
  })
  await p.start()
  const batches: LogEvent[][] = []
  for (let i = 0; i < N; i += 1000) batches.push(structuredClone(s.events.slice(i, i + 1000)))
  counted.events = 0
  collectGarbage()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  for (const b of batches) await p.push(b)
  // Every event (and every alert) has reached the sink once the count is in.
  while (counted.events < N) await new Promise((r) => setImmediate(r))
  const rate = (N / (performance.now() - t0)) * 1000
  const c = process.cpuUsage(c0)
  // CPU of the whole process (main thread and workers): the cost of an event, whatever the machine's load.
  const cpuUs = (c.user + c.system) / N
  const st = p.status().filter((m) => m.kind === 'analyzer')
  const alerts = st.reduce((n, m) => n + m.metrics.sent_events, 0)
  await p.stop()
  return { rate, alerts, cpuUs }
}

const rows: Record<number, { rate: number; alerts: number; cpuUs: number }[]> = { 1: [], 2: [] }
for (let run = 0; run < Number(opts.runs); run++) {
  for (const n of [1, 2]) {
    const r = await throughPipeline(n)
    rows[n]!.push(r)
    console.log(`pipeline, ${n} worker instance${n > 1 ? 's, partitionBy user.name' : ''}, run ${run}: ${fmt(r.rate)} events/s, ${r.cpuUs.toFixed(2)} µs CPU an event, ${r.alerts} alerts`)
  }
}
const load1 = os.loadavg()[0]!
const one = median(rows[1]!.map((r) => r.rate))
const two = median(rows[2]!.map((r) => r.rate))
const sameAlerts = rows[1]!.every((r) => r.alerts === rows[2]![0]!.alerts) && rows[2]!.every((r) => r.alerts === rows[2]![0]!.alerts)
const summary = [
  '| measurement | events/s, wall (median) | every pass or run (events/s) | CPU | alerts |',
  '|---|--:|---|--:|--:|',
  `| one thread: \`create()\` + \`analyze()\`, all shipped rules | ${fmt(median(direct))} | ${direct.map(fmt).join(', ')} | ${fmt(median(directCpu))} events per CPU-second | ${directAlerts} |`,
  `| pipeline, analyzer in 1 worker thread (failed-logins rule) | ${fmt(one)} | ${rows[1]!.map((r) => fmt(r.rate)).join(', ')} | ${median(rows[1]!.map((r) => r.cpuUs)).toFixed(2)} µs an event (process) | ${rows[1]![0]!.alerts} |`,
  `| pipeline, 2 worker threads, \`partitionBy: 'user.name'\` (same rule) | ${fmt(two)} | ${rows[2]!.map((r) => fmt(r.rate)).join(', ')} | ${median(rows[2]!.map((r) => r.cpuUs)).toFixed(2)} µs an event (process) | ${rows[2]![0]!.alerts} |`,
  '',
  `Figure to reach: ≥ 200,000 events/s on one instance with the shipped rules: **${median(direct) >= 200_000 ? 'met' : 'not met'}** on the wall clock (${fmt(median(direct))}), ${fmt(median(directCpu))} per second of the thread's CPU. Two partitioned instances against one: ${(two / one).toFixed(2)}× (${two > one ? 'faster' : 'not faster'} here); the same alerts from both: ${sameAlerts ? 'yes' : 'NO'}.`,
  '',
  `- load: ${fmt(N)} events, ${Number(opts.days)} days of ${Number(opts.users)} users (test/fixtures/scenario.ts, seed 42): ${mix}; 19 planted incidents and 14 near-misses among them.`,
  `- one thread: a fresh analyzer and fresh copies of the events (parsed from NDJSON, as a worker gets them) each pass, a full garbage collection before it; the analyzer gives ids to the events it keeps, as live; lateness 10 s; 1 warm-up pass, then the median of ${Number(opts.passes)}.`,
  `- pipeline: the events pushed as objects in batches of 1000 (an inline pass-through parser, no enrichers), the analyzer in worker threads (events cross as NDJSON text), a counting sink; timed from the first push until the sink has counted every event. ${Number(opts.runs)} runs of each, interleaved. The main thread serializes every batch for the workers, so with 2 workers and the main thread on ${os.availableParallelism()} cores the partitioned figure is bounded by the machine, not the analyzer.`,
  `- machine load (1-minute load average) ${load0.toFixed(1)} at the start and ${load1.toFixed(1)} at the end: the cores were shared with other work during the run; figures from a quiet machine will be higher.`,
].join('\n')
console.log('\n' + summary)
if (!opts['no-record']) recordResults('analyzer-sequences', '@beer/analyzer-sequences: shipped rules, one thread and partitioned workers', COMMAND, summary)

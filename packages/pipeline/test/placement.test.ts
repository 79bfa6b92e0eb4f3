import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// The built package: a worker thread starts from built JavaScript (see the preload option).
import { createPipeline as create } from '@beer/pipeline'
import type { Pipeline, PipelineOptions } from '@beer/pipeline'
import type { LogEvent } from '@beer/core'
import { memorySink, seen, catchAll } from './fixtures/modules.ts'
import { partitionOf } from '../src/remote/pool.ts'
import {
  brokenAtStart,
  chatty,
  crasher,
  fileLines,
  keyCounter,
  lineParser,
  passThrough,
  remoteWatcher,
  slowStart,
  ticker,
} from './fixtures/remote-modules.ts'

// Worker threads on Node 20 do not inherit the test runner's TypeScript loader: each imports it first.
const preload = [new URL('./fixtures/register-tsx.mjs', import.meta.url).href]
const createPipeline = (o: PipelineOptions): Pipeline => create({ preload, ...o })
const quiet = (): { info(): void; warn(): void; error(): void } => ({ info() {}, warn() {}, error() {} })
const tmp = (): string => mkdtempSync(join(tmpdir(), 'beer-placement-'))
const fast: PipelineOptions['supervision'] = { heartbeatInterval: 100, heartbeatTimeout: 1500, backoff: 20, maxBackoff: 200 }

/** `count` inputs `<n> <text>` in batches of `size`, waiting whenever the pipeline asks. */
async function feed(p: Pipeline, count: number, size: number, text: (n: number) => string = () => 'hello'): Promise<void> {
  for (let start = 0; start < count; start += size) {
    const batch = []
    for (let n = start; n < Math.min(count, start + size); n++) batch.push({ text: `${n} ${text(n)}` })
    const r = p.push(batch)
    if (r) await r
  }
}

/** How many times each seq arrived, and which never did. */
function tally(events: readonly LogEvent[], count: number): { missing: number; duplicates: number } {
  const times = new Uint32Array(count)
  for (const e of events) if (typeof e.seq === 'number') times[e.seq]!++
  let missing = 0
  let duplicates = 0
  for (const t of times) {
    if (t === 0) missing++
    else duplicates += t - 1
  }
  return { missing, duplicates }
}

test('a parser stage in two worker threads parses every input, and the sink gets them in the order pushed', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser(), placement: { run: 'worker', instances: 2 } }],
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('w2') }],
    logger: quiet,
  })
  await p.start()
  await feed(p, 20_000, 100)
  await p.stop()
  const events = seen.w2!
  assert.equal(events.length, 20_000)
  assert.ok(events.every((e, i) => e.seq === i), 'events arrive in push order')
  const threads = new Set(events.map((e) => (e.where as { thread: number }).thread))
  assert.equal(threads.size, 2, 'both workers parsed')
  assert.ok(!threads.has(0), 'no event was parsed on the main thread')
})

test('a module in a child process runs in another process and reports its CPU and memory', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser(), placement: { run: 'process' } }],
    sinks: [{ descriptor: memorySink('proc') }],
    logger: quiet,
    supervision: { heartbeatInterval: 50 },
  })
  await p.start()
  await feed(p, 1000, 50)
  await new Promise((r) => setTimeout(r, 200))
  const row = p.status().find((s) => s.name === 'lines')!
  await p.stop()
  assert.equal(seen.proc!.length, 1000)
  const pid = (seen.proc![0]!.where as { pid: number }).pid
  assert.notEqual(pid, process.pid)
  assert.equal(row.placement, 'process')
  assert.equal(row.pid, pid)
  assert.equal(row.state, 'running')
  assert.equal(row.metrics.received_events, 1000)
  assert.ok((row.rssBytes ?? 0) > 1_000_000, 'reports its resident memory')
  assert.ok(row.cpuUserMs !== undefined, 'reports its CPU time')
})

for (const parsed of ['inline', 'worker'] as const) {
  test(`partitionBy sends every key to the same instance, in order (events parsed ${parsed === 'inline' ? 'inline, routed as objects' : 'in a worker, routed as text'})`, async () => {
    const sink = `part-${parsed}`
    const p = createPipeline({
      parsers: [{ descriptor: lineParser(), ...(parsed === 'worker' ? { placement: { run: 'worker' as const } } : {}) }],
      analyzers: [{ descriptor: keyCounter('user'), placement: { run: 'worker', instances: 3, partitionBy: 'user' } }],
      sinks: [{ descriptor: memorySink(sink) }],
      logger: quiet,
    })
    await p.start()
    const users = Array.from({ length: 40 }, (_, i) => `user${i}`)
    for (let start = 0; start < 6000; start += 200) {
      const batch = []
      for (let n = start; n < start + 200; n++) batch.push({ text: `${n} ${users[n % users.length]}` })
      const r = p.push(batch)
      if (r) await r
    }
    // Sinks come after the analyzers: once the sink has every event, every instance has counted.
    while ((seen[sink]?.length ?? 0) < 6000) await new Promise((r) => setTimeout(r, 20))
    const answers = await p.command('counts')
    await p.stop()
    assert.equal(answers.length, 3)
    const owner = new Map<string, number>()
    let total = 0
    for (const a of answers) {
      const { instance, counts, outOfOrder } = a.answer as { instance: number; counts: Record<string, number>; outOfOrder: number }
      assert.equal(outOfOrder, 0, 'per-key order is kept')
      for (const [user, n] of Object.entries(counts)) {
        assert.ok(!owner.has(user), `${user} reached two instances`)
        owner.set(user, instance)
        total += n
      }
    }
    assert.equal(owner.size, 40)
    assert.equal(total, 6000)
    assert.ok(new Set(owner.values()).size >= 2, 'keys spread over instances')
    // Text and objects route a key alike: its instance is the hash of its value either way.
    for (const [user, instance] of owner) assert.equal(instance, partitionOf(user, 3), user)
  })
}

test('an analyzer in a worker raises alerts that reach the sinks after their cause, with the cause id', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    analyzers: [{ descriptor: remoteWatcher('intrusion'), placement: { run: 'worker' } }],
    sinks: [{ descriptor: memorySink('alerts') }],
    logger: quiet,
  })
  await p.start()
  await feed(p, 300, 100, (n) => (n === 150 ? 'intrusion seen' : 'quiet'))
  await new Promise((r) => setTimeout(r, 100))
  await p.stop()
  const events = seen.alerts!
  assert.equal(events.length, 301)
  const at = events.findIndex((e) => e.message === 'saw intrusion')
  const cause = events.find((e) => e.seq === 150)!
  assert.ok(at > events.indexOf(cause), 'the alert comes after its cause')
  assert.equal(typeof cause.event?.id, 'string')
  assert.deepEqual(events[at]!.beer!.causes, [cause.event!.id])
  assert.equal(events[at]!.beer!.emitter, 'watch')
})

test('a sink in a worker receives every event, and flush reaches it', async () => {
  const dir = tmp()
  const path = join(dir, 'out.ndjson')
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    sinks: [{ descriptor: fileLines(path), placement: { run: 'worker' } }],
    logger: quiet,
  })
  await p.start()
  await feed(p, 5000, 250)
  await p.stop()
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  assert.equal(lines.length, 5000)
  assert.equal((JSON.parse(lines[4999]!) as LogEvent).seq, 4999)
})

test('a module that cannot start in a worker fails start() with its own error code', async () => {
  const p = createPipeline({
    enrichers: [{ descriptor: brokenAtStart(), placement: { run: 'worker' } }],
    logger: quiet,
  })
  await assert.rejects(p.start(), (err: { code: string; message: string }) => err.code === 'BEER_ERR_TEST_START' && /database/.test(err.message))
})

test('commands reach every instance wherever it runs, and a named module alone when targeted', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    analyzers: [{ descriptor: keyCounter('user'), placement: { run: 'process', instances: 2, partitionBy: 'user' } }],
    sinks: [{ descriptor: memorySink('cmd') }],
    logger: quiet,
  })
  await p.start()
  const all = await p.command('counts')
  const targeted = await p.command('reset', undefined, 'key-counter')
  const rotate = await p.command('rotate')
  await assert.rejects(p.command('reset', undefined, 'nope'), (e: { code: string }) => e.code === 'BEER_ERR_COMMAND_UNKNOWN_MODULE')
  await p.stop()
  assert.deepEqual(all.map((a) => a.module).sort(), ['key-counter[0]', 'key-counter[1]'])
  assert.deepEqual(targeted.map((a) => a.answer), ['reset', 'reset'])
  assert.deepEqual(rotate, [{ module: 'mem-cmd', answer: { rotated: 'cmd' } }])
})

for (const how of ['exit', 'throw', 'loop'] as const) {
  test(`a worker module that crashes (${how}) mid-stream is restarted and no event is lost`, async () => {
    const dir = tmp()
    const p = createPipeline({
      parsers: [{ descriptor: lineParser() }],
      enrichers: [{ descriptor: crasher({ how, marker: 'boom', once: join(dir, 'crashed') }), placement: { run: 'worker' } }],
      sinks: [{ descriptor: memorySink(`crash-${how}`) }],
      logger: quiet,
      supervision: fast,
    })
    await p.start()
    await feed(p, 200_000, 500, (n) => (n === 100_000 ? 'boom' : 'ok'))
    const row = p.status().find((s) => s.name === 'crasher')!
    await p.stop()
    assert.ok(existsSync(join(dir, 'crashed')), 'the module did crash')
    const events = seen[`crash-${how}`]!
    const { missing, duplicates } = tally(events, 200_000)
    assert.equal(missing, 0)
    assert.equal(duplicates, 0, 'the crashed batch was not acknowledged, so nothing was written twice')
    assert.equal(row.restarts, 1)
    assert.equal(row.state, 'running')
    assert.equal(row.lastError?.code, how === 'loop' ? 'BEER_ERR_MODULE_UNRESPONSIVE' : 'BEER_ERR_MODULE_CRASHED')
    assert.ok(events.every((e) => e.checked === true), 'every event went through the enricher')
  })
}

test('kill -9 of a process module mid-stream: it comes back and every event arrives', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    enrichers: [{ descriptor: passThrough(), placement: { run: 'process' } }],
    sinks: [{ descriptor: memorySink('kill9') }],
    logger: quiet,
    supervision: fast,
  })
  await p.start()
  const pid = p.status().find((s) => s.name === 'pass')!.pid!
  let killed = false
  await feed(p, 200_000, 500, (n) => {
    if (n === 80_000 && !killed) {
      killed = true
      process.kill(pid, 'SIGKILL')
    }
    return 'ok'
  })
  const row = p.status().find((s) => s.name === 'pass')!
  await p.stop()
  const { missing, duplicates } = tally(seen.kill9!, 200_000)
  assert.equal(missing, 0)
  assert.equal(duplicates, 0)
  assert.equal(row.restarts, 1)
  assert.notEqual(row.pid, pid)
  assert.match(row.lastError?.message ?? '', /SIGKILL/)
})

test('a poisonous event among 100,000 goes to the dead letters with its error; the rest are delivered', async () => {
  const dir = tmp()
  const deadLetter = join(dir, 'dead.ndjson')
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    enrichers: [{ descriptor: crasher({ how: 'exit', marker: 'poison' }), placement: { run: 'worker' } }],
    sinks: [{ descriptor: memorySink('poison') }],
    deadLetter,
    logger: quiet,
    supervision: fast,
  })
  await p.start()
  await feed(p, 100_000, 1000, (n) => (n === 54_321 ? 'poison pill' : 'ok'))
  await p.stop()
  const row = p.status().find((s) => s.name === 'crasher')!
  const events = seen.poison!
  assert.equal(events.length, 99_999)
  assert.ok(!events.some((e) => e.seq === 54_321))
  const { duplicates } = tally(events, 100_000)
  assert.equal(duplicates, 0)
  const letters = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>)
  assert.equal(letters.length, 1)
  assert.equal(letters[0]!.event.seq, 54_321)
  assert.equal(letters[0]!.error.code, 'BEER_ERR_MODULE_CRASHED')
  assert.match(letters[0]!.error.message, /exited with code 3/)
  assert.equal(letters[0]!.beer.dead_letter.module, 'crasher')
  // Two crashes of the whole batch, then one per halving down to the single event.
  assert.ok(row.restarts >= 2 + Math.ceil(Math.log2(1000)) - 1, `restarts: ${row.restarts}`)
  assert.equal(row.metrics.dropped_events.dead_letter, 1)
})

test('a module that crashes on every batch is quarantined, its events counted, and reset restarts it', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    sinks: [{ descriptor: fileLines('/dev/null'), placement: { run: 'worker' } }, { descriptor: memorySink('q') }],
    enrichers: [{ descriptor: crasher({ how: 'exit', marker: ' ' }), placement: { run: 'worker' } }],
    deadLetter: join(tmp(), 'dead.ndjson'),
    logger: quiet,
    supervision: { ...fast, maxRestarts: 3 },
  })
  await p.start()
  // Each batch of one event is dead-lettered after two crashes, so single events make progress;
  // batches of many crash without progress until the quarantine.
  for (let i = 0; i < 40; i++) {
    const r = p.push([{ text: `${i} a b` }, { text: `${i} c d` }])
    if (r) await r
  }
  const deadline = Date.now() + 20_000
  let row = p.status().find((s) => s.name === 'crasher')!
  while (row.state !== 'quarantined' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    row = p.status().find((s) => s.name === 'crasher')!
  }
  assert.equal(row.state, 'quarantined')
  const reset = await p.command('reset', undefined, 'crasher')
  assert.deepEqual(reset.map((a) => a.answer), ['restarted after quarantine'])
  await p.stop()
})

test('analyzer events raised while later modules are still starting wait for them; nothing stalls', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    analyzers: [{ descriptor: ticker(20) }],
    sinks: [{ descriptor: slowStart(300) }, { descriptor: memorySink('early') }],
    logger: quiet,
  })
  await p.start()
  await feed(p, 300, 100)
  await p.stop()
  const events = seen.early!
  assert.equal(events.filter((e) => typeof e.seq === 'number').length, 300)
  assert.ok(events.some((e) => e.message === 'tick-0'), 'ticks from the start are delivered')
  assert.ok(events.some((e) => e.message === 'from-flush'), 'an event raised in flush reaches the sink')
})

test('an analyzer in a worker that emits while flushing at stop still reaches the sinks', async () => {
  const p = createPipeline({
    analyzers: [{ descriptor: ticker(10_000), placement: { run: 'worker' } }],
    sinks: [{ descriptor: memorySink('flush-emit') }],
    logger: quiet,
  })
  await p.start()
  await p.stop()
  assert.deepEqual(seen['flush-emit']!.map((e) => e.message), ['from-flush'])
})

test('an input that cannot be cloned goes to the dead letters; the batches after it are parsed', async () => {
  const deadLetter = join(tmp(), 'dead.ndjson')
  const p = createPipeline({ parsers: [{ descriptor: lineParser(), placement: { run: 'worker' } }], sinks: [{ descriptor: memorySink('clone') }], deadLetter, logger: quiet })
  await p.start()
  const bad = p.push([{ text: '0 bad', f: () => 1 }, { text: '1 bad' }])
  if (bad) await bad
  await feed(p, 100, 50)
  await p.stop()
  assert.equal(seen.clone!.length, 100)
  const letters = readFileSync(deadLetter, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>)
  assert.equal(letters.length, 2)
  assert.equal(letters[0]!.error.code, 'BEER_ERR_INPUT_NOT_CLONEABLE')
})

test('module code posting on the worker port by itself is ignored and counted, not a crash', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    enrichers: [{ descriptor: chatty(), placement: { run: 'worker' } }],
    sinks: [{ descriptor: memorySink('chatty') }],
    logger: quiet,
    supervision: fast,
  })
  await p.start()
  await feed(p, 500, 100)
  await new Promise((r) => setTimeout(r, 300))
  const row = p.status().find((s) => s.name === 'chatty')!
  await p.stop()
  assert.equal(seen.chatty!.length, 500)
  assert.ok(seen.chatty!.every((e) => e.chatty === true))
  assert.ok((row.metrics.errors.BEER_ERR_GUEST_MESSAGE ?? 0) > 0)
  assert.equal(row.restarts, 0)
})

test('a module that crashes on every event is quarantined instead of dead-lettering the whole stream', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: lineParser() }],
    enrichers: [{ descriptor: crasher({ how: 'exit', marker: ' ' }), placement: { run: 'worker' } }],
    sinks: [{ descriptor: memorySink('every') }],
    deadLetter: join(tmp(), 'dead.ndjson'),
    logger: quiet,
    supervision: { ...fast, maxRestarts: 3 },
  })
  await p.start()
  await feed(p, 40, 4)
  const deadline = Date.now() + 20_000
  let row = p.status().find((s) => s.name === 'crasher')!
  while (row.state !== 'quarantined' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50))
    row = p.status().find((s) => s.name === 'crasher')!
  }
  await p.stop()
  assert.equal(row.state, 'quarantined')
  assert.ok((row.metrics.dropped_events.dead_letter ?? 0) <= 3, `dead letters: ${row.metrics.dropped_events.dead_letter}`)
})

test('an event JSON cannot carry is counted and left out; the rest of its batch goes on', async () => {
  const p = createPipeline({ parsers: [{ descriptor: lineParser(), placement: { run: 'worker' } }], sinks: [{ descriptor: memorySink('bigint') }], logger: quiet })
  await p.start()
  await feed(p, 100, 100, (n) => (n === 42 ? 'bigint' : 'ok'))
  await p.stop()
  const row = p.status().find((s) => s.name === 'lines')!
  assert.equal(seen.bigint!.length, 99)
  assert.equal(row.metrics.dropped_events.not_serializable, 1)
})

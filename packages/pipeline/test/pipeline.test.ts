import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPipeline } from '../src/index.ts'
import { describeModule } from '@beer/core'
import {
  catchAll,
  log,
  memorySink,
  prefixParser,
  seen,
  tagger,
  throwingIsMine,
  watcher,
  asyncEnricher,
  asyncParser,
  delayedWatcher,
  stuckSink,
  brokenSink,
} from './fixtures/modules.ts'

const quiet = () => ({ info() {}, warn() {}, error() {} })
const inputs = (...texts: string[]) => texts.map((text) => ({ text }))

test('the first parser whose isMine claims an input parses it; unclaimed inputs reach the fallback', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: prefixParser('A') }, { descriptor: prefixParser('AB') }],
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('order') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('AB1', 'A2', 'Z3'))
  await p.stop()
  assert.deepEqual(
    seen.order!.map((e) => [e.message, e.parser]),
    [
      ['AB1', 'A'],
      ['A2', 'A'],
      ['Z3', 'plain'],
    ],
  )
})

test('a parser that throws sends the input to the fallback, marked with the error', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: prefixParser('A') }],
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('throws') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('A ok', 'A THROW', 'A also ok'))
  const status = p.status()
  await p.stop()
  assert.equal(seen.throws!.length, 3)
  const failed = seen.throws![1]!
  assert.equal(failed.parser, 'plain')
  assert.deepEqual(failed.error, { code: 'BEER_ERR_TEST_PARSE', message: 'bad line', type: 'p-A' })
  assert.deepEqual(failed.tags, ['beer_parse_failure'])
  assert.equal(status.find((s) => s.name === 'p-A')!.metrics.errors.BEER_ERR_TEST_PARSE, 1)
})

test('an isMine that throws is counted and skipped, not fatal', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: throwingIsMine() }, { descriptor: prefixParser('A') }],
    sinks: [{ descriptor: memorySink('ismine') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('A1'))
  const s = p.status().find((m) => m.name === 'bad-ismine')!
  await p.stop()
  assert.equal(seen.ismine!.length, 1)
  assert.equal(s.metrics.errors.BEER_ERR_PARSER_ISMINE_THREW, 1)
})

test('parsers may return several events or none', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: prefixParser('A') }],
    sinks: [{ descriptor: memorySink('multi') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('A TWO', 'A NOTHING', 'B unclaimed without fallback'))
  const own = p.status()[0]!
  await p.stop()
  assert.deepEqual(
    seen.multi!.map((e) => e.n),
    [1, 2],
  )
  assert.equal(own.metrics.dropped_events.unclaimed, 1)
})

test('enrichers run in order on every event and a throwing enricher loses no event', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    enrichers: [{ descriptor: tagger('one') }, { descriptor: tagger('two') }],
    sinks: [{ descriptor: memorySink('enrich') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('x', 'ENRICH-THROW', 'y'))
  await p.stop()
  assert.deepEqual(
    seen.enrich!.map((e) => e.tags),
    [['one', 'two'], undefined, ['one', 'two']],
  )
})

test('analyzer events flow through enrichers and sinks, never back to their emitter, with provenance', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    enrichers: [{ descriptor: tagger('e') }],
    sinks: [{ descriptor: memorySink('alerts') }],
    analyzers: [{ descriptor: watcher('bad') }, { descriptor: watcher('other', true) }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('all good', 'something bad'))
  await p.stop()
  const events = seen.alerts!
  const cause = events.find((e) => e.message === 'something bad')!
  const alert = events.find((e) => e.message === 'saw bad')!
  assert.ok(alert, 'the alert reached the sink')
  assert.deepEqual(alert.tags, ['e'], 'the alert was enriched')
  assert.equal(alert.beer!.emitter, 'watch-bad')
  assert.equal(alert.beer!.hops, 1)
  assert.deepEqual(alert.beer!.causes, [cause.event!.id])
  // watch-other echoes alerts; its echo of watch-bad's alert reaches the sink, and its own echo
  // never comes back to it.
  const echoes = events.filter((e) => String(e.message).startsWith('echo of'))
  assert.deepEqual(echoes.map((e) => e.message), ['echo of saw bad'])
  assert.equal(echoes[0]!.beer!.hops, 2)
})

test('a loop between two analyzers stops at the hop limit', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('loop') }],
    analyzers: [{ descriptor: watcher('ping', true) }, { descriptor: watcher('pong', true) }],
    maxHops: 3,
    logger: quiet,
  })
  await p.start()
  p.push(inputs('ping'))
  const status = p.status()
  await p.stop()
  const alerts = seen.loop!.filter((e) => e.event?.kind === 'alert')
  assert.ok(alerts.length >= 1 && alerts.length <= 3, `bounded (${alerts.length})`)
  assert.ok(alerts.every((a) => a.beer!.hops! <= 3))
  const dropped = status.reduce((n, s) => n + (s.metrics.dropped_events.hop_limit ?? 0), 0)
  assert.equal(dropped, 1)
})

test('options that would not survive structuredClone are refused when the pipeline is built, naming the option', () => {
  const bad = describeModule('sink', 'mem-bad', new URL('./fixtures/modules.ts', import.meta.url).href, {
    id: 'x',
    format: { render: () => 'x' },
  })
  assert.throws(
    () => createPipeline({ sinks: [{ descriptor: bad }], logger: quiet }),
    (err: { code: string; message: string }) =>
      err.code === 'BEER_ERR_MODULE_OPTIONS_NOT_CLONEABLE' && err.message.includes('options.format.render'),
  )
})

test('a factory passed instead of its descriptor gets a clear error', () => {
  assert.throws(
    () => createPipeline({ sinks: [{ descriptor: memorySink as never }], logger: quiet }),
    (err: { code: string; message: string }) => err.code === 'BEER_ERR_MODULE_NOT_A_DESCRIPTOR' && /call the factory/.test(err.message),
  )
})

test('a module of the wrong kind in a stage is refused', () => {
  assert.throws(
    () => createPipeline({ sinks: [{ descriptor: tagger('x') as never }], logger: quiet }),
    (err: { code: string }) => err.code === 'BEER_ERR_MODULE_WRONG_KIND',
  )
})

test('a descriptor pointing at a missing export fails start() with BEER_ERR_MODULE_LOAD', async () => {
  const d = describeModule('sink', 'nope', new URL('./fixtures/modules.ts', import.meta.url).href, {}, 'createNothing')
  const p = createPipeline({ sinks: [{ descriptor: d }], logger: quiet })
  await assert.rejects(p.start(), (err: { code: string }) => err.code === 'BEER_ERR_MODULE_LOAD')
})

test('commands reach every module, answers are collected, errors are answers not crashes', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('c1') }, { descriptor: memorySink('c2') }],
    logger: quiet,
  })
  await p.start()
  assert.deepEqual(await p.command('rotate'), [
    { module: 'mem-c1', answer: { rotated: 'c1' } },
    { module: 'mem-c2', answer: { rotated: 'c2' } },
  ])
  assert.deepEqual(await p.command('rotate', undefined, 'mem-c2'), [{ module: 'mem-c2', answer: { rotated: 'c2' } }])
  const exploded = await p.command('explode', undefined, 'mem-c1')
  assert.equal(exploded[0]!.error!.code, 'BEER_ERR_TEST_COMMAND')
  await assert.rejects(p.command('rotate', undefined, 'nobody'), (e: { code: string }) => e.code === 'BEER_ERR_COMMAND_UNKNOWN_MODULE')
  log.length = 0
  await p.stop()
  assert.deepEqual(log, ['flush c1', 'flush c2', 'close c1', 'close c2'])
})

test('a slow sink makes push() return a promise, and stop() waits for its writes', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('slow', { delay: 30 }) }],
    maxPendingWrites: 2,
    logger: quiet,
  })
  await p.start()
  assert.equal(p.push(inputs('1')), undefined)
  const wait = p.push(inputs('2'))
  assert.ok(wait instanceof Promise, 'congested after two writes in flight')
  assert.equal(p.congested, true)
  await wait
  assert.equal(p.congested, false)
  p.push(inputs('3'))
  await p.stop()
  assert.deepEqual(seen.slow!.map((e) => e.message), ['1', '2', '3'])
})

test('placement mistakes are refused when the pipeline is built, naming the module', () => {
  const refused = (placement: object, code: string, kind: 'sink' | 'parser' = 'sink'): void =>
    assert.throws(
      () =>
        createPipeline(
          kind === 'sink'
            ? { sinks: [{ descriptor: memorySink('w'), placement }], logger: quiet }
            : { parsers: [{ descriptor: prefixParser('a'), placement }], logger: quiet },
        ),
      (err: { code: string; message: string }) => err.code === code && /mem-w|p-a/.test(err.message),
    )
  refused({ run: 'thread' }, 'BEER_ERR_PLACEMENT')
  refused({ instances: 2 }, 'BEER_ERR_PLACEMENT')
  refused({ run: 'worker', instances: 0 }, 'BEER_ERR_PLACEMENT')
  refused({ run: 'worker', instances: 1.5 }, 'BEER_ERR_PLACEMENT')
  refused({ run: 'worker', partitionBy: 'user..name' }, 'BEER_ERR_PLACEMENT')
  refused({ run: 'worker', instances: 2, partitionBy: 'user.name' }, 'BEER_ERR_PLACEMENT', 'parser')
  assert.throws(
    () =>
      createPipeline({
        parsers: [{ descriptor: prefixParser('a'), placement: { run: 'worker' } }, { descriptor: prefixParser('b') }],
        logger: quiet,
      }),
    (err: { code: string }) => err.code === 'BEER_ERR_PLACEMENT_PARSERS',
  )
})

test('push after stop is refused with a clear error', async () => {
  const p = createPipeline({ fallback: { descriptor: catchAll() }, logger: quiet })
  await p.start()
  await p.stop()
  assert.throws(() => p.push(inputs('late')), (e: { code: string }) => e.code === 'BEER_ERR_PIPELINE_NOT_RUNNING')
})

test('a module that wrongly returns promises is counted, and its rejection does not crash the process', async () => {
  const p = createPipeline({
    parsers: [{ descriptor: asyncParser() }],
    fallback: { descriptor: catchAll() },
    enrichers: [{ descriptor: asyncEnricher() }],
    sinks: [{ descriptor: memorySink('async') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('reject', 'async line'))
  await new Promise((r) => setTimeout(r, 20))
  const status = p.status()
  await p.stop()
  assert.deepEqual(seen.async!.map((e) => [e.message, e.parser]), [['reject', 'plain'], ['async line', 'plain']])
  assert.equal(status.find((s) => s.name === 'async-enricher')!.metrics.errors.BEER_ERR_MODULE_ASYNC, 2)
  assert.equal(status.find((s) => s.name === 'async-parser')!.metrics.errors.BEER_ERR_MODULE_ASYNC, 1)
})

test('an alert emitted from a timer reaches the sinks without waiting for the next input', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('timer') }],
    analyzers: [{ descriptor: delayedWatcher() }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('trigger'))
  await new Promise((r) => setTimeout(r, 60))
  const written = seen.timer!.map((e) => e.message)
  await p.stop()
  assert.deepEqual(written, ['trigger', 'late alert'])
})

test('the cause an alert points at is stored with the id the alert names', async () => {
  const p = createPipeline({
    fallback: { descriptor: catchAll() },
    sinks: [{ descriptor: memorySink('ids') }],
    analyzers: [{ descriptor: watcher('bad') }],
    logger: quiet,
  })
  await p.start()
  p.push(inputs('bad thing'))
  await p.stop()
  const [cause, alert] = seen.ids!
  // The sink received the cause after the analyzer gave it its id.
  assert.equal(typeof cause!.event!.id, 'string')
  assert.deepEqual(alert!.beer!.causes, [cause!.event!.id])
})

test('stop() gives up on a sink whose writes never finish, after the stop timeout, and closes it', async () => {
  const p = createPipeline({ fallback: { descriptor: catchAll() }, sinks: [{ descriptor: stuckSink() }], stopTimeout: 100, logger: quiet })
  await p.start()
  p.push(inputs('x'))
  log.length = 0
  await p.stop()
  assert.deepEqual(log, ['close stuck'])
})

test('a failed start closes the modules that did build', async () => {
  const p = createPipeline({
    sinks: [{ descriptor: memorySink('built') }, { descriptor: brokenSink() }],
    logger: quiet,
  })
  log.length = 0
  await assert.rejects(p.start(), (e: { code: string }) => e.code === 'BEER_ERR_TEST_OPEN')
  assert.deepEqual(log, ['close built'])
})

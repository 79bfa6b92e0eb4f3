import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LogEvent } from '@beer/core'
import { createPipeline } from '@beer/pipeline'
import type { PipelineOptions } from '@beer/pipeline'
import { sequences } from '../src/index.ts'
import type { SequencesStatus } from '../src/index.ts'
import { ev, failed, loggedIn } from './fixtures/harness.ts'
import { memorySink, passParser, stored } from './fixtures/modules.ts'
import { scenario } from './fixtures/scenario.ts'

const quiet = (): PipelineOptions['logger'] => () => ({ info() {}, warn() {}, error() {} })
const preload = [new URL('./fixtures/register-tsx.mjs', import.meta.url).href]
const ruleId = (e: LogEvent): string | undefined => (e.rule as { id?: string } | undefined)?.id
const alertsIn = (events: LogEvent[]): LogEvent[] => events.filter((e) => e.beer?.emitter !== undefined)

describe('through the pipeline', () => {
  it('alerts carry their causes and hop count, reach the sinks and the other analyzers, never their emitter', async () => {
    const p = createPipeline({
      parsers: [{ descriptor: passParser() }],
      analyzers: [
        {
          descriptor: sequences({
            name: 'seq',
            shipped: ['failed-logins-then-success-user'],
            lateness: 0,
            // Would fire on the analyzer's own alerts if they came back to it.
            rules: [{ id: 'echo', type: 'threshold', where: { 'rule.id': 'failed-logins-then-success-user' }, count: 1, window: '1m' }],
          }),
        },
        {
          // A correlation of correlations: a guessed password, then that account creates an account.
          descriptor: sequences({
            name: 'meta',
            shipped: false,
            lateness: 0,
            rules: [
              {
                id: 'guessed-then-new-account',
                type: 'sequence',
                by: 'user.name',
                maxspan: '1h',
                severity: 9,
                steps: [
                  { name: 'guessed', where: { 'event.kind': 'alert', 'rule.id': 'failed-logins-then-success-user' } },
                  { name: 'created-account', where: { 'event.action': 'added-user-account', 'event.outcome': 'success' } },
                ],
              },
            ],
          }),
        },
      ],
      sinks: [{ descriptor: memorySink('a') }],
      logger: quiet(),
    })
    await p.start()
    const input = [0, 1, 2, 3, 4].map((m) => failed(m, 'bob', `192.0.2.${m}`))
    input.push(loggedIn(5, 'bob'))
    await p.push(input)
    await p.push([ev(9, { 'event.action': 'added-user-account', 'event.outcome': 'success', 'user.name': 'bob', 'user.target.name': 'backdoor' })])
    const seqStatus = (await p.command('status', undefined, 'seq'))[0]!.answer as SequencesStatus
    await p.stop()
    const out = stored.a!
    const alerts = alertsIn(out)
    assert.deepEqual(alerts.map((a) => [a.beer!.emitter, ruleId(a), a.beer!.hops]), [
      ['seq', 'failed-logins-then-success-user', 1],
      ['meta', 'guessed-then-new-account', 2],
    ])
    const [first, second] = alerts as [LogEvent, LogEvent]
    // Causes point at events as stored: they were given ids before the sink wrote them.
    const storedIds = out.map((e) => e.event?.id)
    assert.equal(first.beer!.causes!.length, 6)
    for (const id of first.beer!.causes!) assert.ok(storedIds.includes(id), `cause ${id} stored with its id`)
    assert.deepEqual(second.beer!.causes, [first.event!.id, out.find((e) => e.event?.action === 'added-user-account')!.event!.id])
    // The alert follows its cause in the sink.
    assert.ok(out.indexOf(first) > out.findIndex((e) => e.event?.action === 'logged-in'))
    // seq saw the six events, the account creation and meta's alert, but not its own alert.
    assert.equal(seqStatus.received, 8)
    assert.equal(alerts.some((a) => ruleId(a) === 'echo'), false)
  })

  it('gives the same alerts partitioned by entity over two worker instances as inline', async () => {
    const s = scenario({ days: 1, users: 80, seed: 11 })
    const events = s.events.map((e, i) => ({ ...e, event: { ...e.event, id: `s${i}` } }))
    const run = async (placement: { run?: 'worker'; instances?: number; partitionBy?: string }, sink: string): Promise<LogEvent[]> => {
      const p = createPipeline({
        parsers: [{ descriptor: passParser() }],
        analyzers: [{ descriptor: sequences({ shipped: ['failed-logins-then-success-user'], idleFlush: false }), placement }],
        sinks: [{ descriptor: memorySink(sink) }],
        preload,
        logger: quiet(),
      })
      await p.start()
      for (let i = 0; i < events.length; i += 500) await p.push(structuredClone(events.slice(i, i + 500)))
      if (placement.instances === 2) {
        const answers = await p.command('status', undefined, 'sequences')
        // Each instance holds its own entities.
        assert.equal(answers.length, 2)
        assert.ok(answers.every((a) => (a.answer as SequencesStatus).received > 0))
      }
      await p.stop()
      return alertsIn(stored[sink]!)
    }
    const inline = await run({}, 'inline')
    const workers = await run({ run: 'worker', instances: 2, partitionBy: 'user.name' }, 'workers')
    assert.ok(inline.length >= 3, `alerts inline: ${inline.length}`)
    const view = (as: LogEvent[]): string[] => as.map((a) => `${a.event!.id} ${JSON.stringify(a.beer!.causes)} ${a.beer!.hops}`).sort()
    assert.deepEqual(view(workers), view(inline))
  })
})

// The sink's own behaviour (deduplication, queueing, retries, the pipe's failure modes), with a
// plain file or a named pipe of the test's own as the command file. nagios.test.ts checks the same
// against a real Nagios.
import assert from 'node:assert/strict'
import { constants, closeSync, openSync, readSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, it } from 'node:test'
import type { Sink } from '@beer/core'
import type { NagiosSinkOptions, NagiosSinkStatus } from '../src/index.ts'
import { create } from '../src/nagios.ts'
import { alert, context } from './helpers.ts'
import { mkfifo, until } from './harness.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-sink-nagios-'))
  dirs.push(d)
  return d
}

function open(options: NagiosSinkOptions, ctx = context()): Required<Sink> {
  return create(options, ctx) as Required<Sink>
}

function status(sink: Required<Sink>): NagiosSinkStatus {
  return sink.command('status') as NagiosSinkStatus
}

/** Command lines in a file, without their `[epoch] ` prefix. */
async function lines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  if (text.length > 0) assert.ok(text.endsWith('\n'))
  return text.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\[\d+\] /, ''))
}

/** Reads whatever a named pipe holds now, from a non-blocking read end. */
function drain(fd: number): string {
  const buf = Buffer.alloc(65536)
  let out = ''
  for (;;) {
    let n: number
    try {
      n = readSync(fd, buf, 0, buf.length, null)
    } catch (err) {
      if ((err as { code?: string }).code === 'EAGAIN') return out
      throw err
    }
    if (n === 0) return out
    out += buf.toString('utf8', 0, n)
  }
}

describe('nagios sink', () => {
  it('writes one external command per alert and ignores other events', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'nagios.cmd')
    await writeFile(file, '')
    const sink = open({ commandFile: file, perfdata: ['event.risk_score'] })
    const r = sink.write([alert('Login', 80), { event: { kind: 'event' }, message: 'not an alert' }, alert('Other', 30, 'two\nlines; and | pipe')])
    assert.equal(r, undefined, 'write() never returns a promise')
    await sink.flush()
    assert.deepEqual(await lines(file), [
      'PROCESS_SERVICE_CHECK_RESULT;web01;Login;2;risk 80 | risk_score=80',
      'PROCESS_SERVICE_CHECK_RESULT;web01;Other;1;two lines: and / pipe | risk_score=30',
    ])
    const s = status(sink)
    assert.equal(s.received, 2)
    assert.equal(s.ignored, 1)
    assert.equal(s.sent, 2)
    assert.equal(s.state, 'idle')
    await sink.close()
    assert.equal(status(sink).state, 'closed')
    assert.throws(() => sink.write([alert('Login', 80)]), { code: 'BEER_ERR_SINK_NAGIOS_CLOSED' })
  })

  it('sends the same host, service and state once per dedupInterval, counting the rest', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'nagios.cmd')
    await writeFile(file, '')
    const sink = open({ commandFile: file, dedupInterval: 400 })
    // A storm of the same alert, then a change of state, then back: the last CRITICAL must go out.
    sink.write([alert('Storm', 80, 'a'), alert('Storm', 80, 'b'), alert('Storm', 80, 'c')])
    sink.write([alert('Storm', 50, 'warn'), alert('Storm', 90, 'crit again'), alert('Storm', 90, 'd')])
    sink.write([alert('Storm', 80, 'other host', 'web02')])
    await sink.flush()
    assert.deepEqual(await lines(file), [
      'PROCESS_SERVICE_CHECK_RESULT;web01;Storm;2;a',
      'PROCESS_SERVICE_CHECK_RESULT;web01;Storm;1;warn',
      'PROCESS_SERVICE_CHECK_RESULT;web01;Storm;2;crit again',
      'PROCESS_SERVICE_CHECK_RESULT;web02;Storm;2;other host',
    ])
    assert.equal(status(sink).suppressed, 3)
    await sleep(450)
    sink.write([alert('Storm', 80, 'after the interval')])
    await sink.flush()
    assert.equal((await lines(file)).at(-1), 'PROCESS_SERVICE_CHECK_RESULT;web01;Storm;2;after the interval (+1 suppressed)')
    await sink.close()
  })

  it('never waits for a pipe nobody reads: holds a bounded queue, counts drops, retries', async () => {
    const dir = await tempDir()
    const fifo = path.join(dir, 'nagios.cmd')
    mkfifo(fifo)
    const ctx = context()
    const sink = open({ commandFile: fifo, maxQueue: 5, dedupInterval: 0, retryMin: 20, retryMax: 100 }, ctx)
    const started = Date.now()
    for (let i = 0; i < 20; i++) assert.equal(sink.write([alert(`S${i}`, 80)]), undefined)
    assert.ok(Date.now() - started < 1000, 'write() returned at once')
    await until('a failed attempt', () => (status(sink).failed > 0 ? true : undefined))
    let s = status(sink)
    assert.equal(s.errors.ENXIO! > 0, true, JSON.stringify(s.errors))
    assert.equal(s.queued, 5)
    assert.equal(s.dropped.queue_full, 15)
    assert.equal(s.state, 'retrying')
    assert.match(s.lastError ?? '', /no process reads it/)
    await assert.rejects(async () => sink.flush(), { code: 'BEER_ERR_SINK_NAGIOS_SEND' })
    assert.ok(ctx.logged.some((l) => l.level === 'error' && /dropped \d+ check results? because the queue holds maxQueue \(5\)/.test(l.message)), 'drops are logged')
    // A reader appears (Nagios starts): the retry delivers what was held, oldest dropped first.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    try {
      await until('delivery after the reader came', () => (status(sink).sent === 5 ? true : undefined))
      const got = drain(fd).split('\n').filter((l) => l !== '').map((l) => l.replace(/^\[\d+\] /, ''))
      assert.deepEqual(got, [15, 16, 17, 18, 19].map((i) => `PROCESS_SERVICE_CHECK_RESULT;web01;S${i};2;risk 80`))
      s = status(sink)
      assert.equal(s.queued, 0)
      assert.ok(ctx.logged.some((l) => l.level === 'info' && /again/.test(l.message)), 'recovery is logged')
    } finally {
      await sink.close()
      closeSync(fd)
    }
  })

  it('a full pipe (Nagios not keeping up) fails with EAGAIN, never splitting a line', async () => {
    const dir = await tempDir()
    const fifo = path.join(dir, 'nagios.cmd')
    mkfifo(fifo)
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
    const sink = open({ commandFile: fifo, maxQueue: 100, dedupInterval: 0, retryMin: 20, retryMax: 50 })
    try {
      // ~4 KiB lines: a 64 KiB pipe takes about 16 of them.
      const reason = 'x'.repeat(5000)
      for (let i = 0; i < 60; i++) sink.write([alert(`S${i}`, 80, reason)])
      await until('EAGAIN', () => (status(sink).errors.EAGAIN ? true : undefined))
      assert.ok(status(sink).queued > 0)
      let text = ''
      await until('all lines through', () => {
        text += drain(fd)
        return status(sink).sent === 60 ? true : undefined
      })
      text += drain(fd)
      const got = text.split('\n').filter((l) => l !== '')
      assert.equal(got.length, 60)
      got.forEach((l, i) => {
        assert.ok(Buffer.byteLength(l) + 1 <= 4096, `line ${i} is ${Buffer.byteLength(l) + 1} bytes`)
        assert.match(l, new RegExp(`^\\[\\d+\\] PROCESS_SERVICE_CHECK_RESULT;web01;S${i};2;x+\\.\\.\\.$`))
      })
    } finally {
      await sink.close()
      closeSync(fd)
    }
  })

  it('waits for a command file that does not exist yet, and drops what is too old', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'rw', 'nagios.cmd')
    const sink = open({ commandFile: file, maxAge: 1000, retryMin: 50, retryMax: 100 })
    sink.write([alert('Old', 80)])
    await until('ENOENT', () => (status(sink).errors.ENOENT ? true : undefined))
    await until('expiry', () => (status(sink).dropped.expired === 1 ? true : undefined), 5000)
    assert.equal(status(sink).queued, 0)
    await sink.close()
  })

  it('sends OK once no alert named a service for resolveAfter', async () => {
    const dir = await tempDir()
    const file = path.join(dir, 'nagios.cmd')
    await writeFile(file, '')
    const sink = open({ commandFile: file, resolveAfter: 1000 })
    sink.write([alert('Flappy', 80)])
    await until('the OK result', async () => ((await lines(file)).length === 2 ? true : undefined), 10_000)
    assert.deepEqual(await lines(file), ['PROCESS_SERVICE_CHECK_RESULT;web01;Flappy;2;risk 80', 'PROCESS_SERVICE_CHECK_RESULT;web01;Flappy;0;no alert for 1s'])
    assert.equal(status(sink).resolved, 1)
    await sink.close()
  })

  it('close() gives up after closeTimeout and counts what it could not deliver', async () => {
    const dir = await tempDir()
    const fifo = path.join(dir, 'nagios.cmd')
    mkfifo(fifo)
    const ctx = context()
    const sink = open({ commandFile: fifo, closeTimeout: 300, retryMin: 20 }, ctx)
    sink.write([alert('A', 80), alert('B', 80)])
    const t = Date.now()
    await sink.close()
    assert.ok(Date.now() - t < 3000)
    assert.equal(status(sink).dropped.closed, 2)
    assert.ok(ctx.logged.some((l) => /dropped 2 check results because the sink closed/.test(l.message)))
  })
})

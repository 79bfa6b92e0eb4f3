import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, describe, it } from 'node:test'
import type { LogEvent, ModuleContext, Sink } from '@beer/core'
import { file } from '../src/index.ts'
import type { FileRotateAnswer, FileSinkOptions, FileSinkStatus } from '../src/index.ts'
import { create } from '../src/file.ts'
import { freeRotatedPath, rotatedNames, timeStamp } from '../src/rotated-names.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-sink-file-'))
  dirs.push(d)
  return d
}

interface Logged {
  level: 'info' | 'warn' | 'error'
  message: string
}

function context(): ModuleContext & { logged: Logged[] } {
  const logged: Logged[] = []
  return {
    name: 'file',
    instance: 0,
    logged,
    log: {
      info: (message) => logged.push({ level: 'info', message }),
      warn: (message) => logged.push({ level: 'warn', message }),
      error: (message) => logged.push({ level: 'error', message }),
    },
    emit: () => {},
  }
}

function event(seq: number, padding = 300): LogEvent {
  return {
    '@timestamp': '2026-11-27T10:00:00.000Z',
    event: { id: `e${seq}`, kind: 'event' },
    seq,
    message: 'x'.repeat(padding),
    related: { ip: ['192.0.2.10'] },
  }
}

function status(sink: Required<Sink>): FileSinkStatus {
  return sink.command('status') as FileSinkStatus
}

/** Every line of every file in `dir`, by file, checking each line is whole and valid JSON. */
async function readDir(dir: string): Promise<Map<string, LogEvent[]>> {
  const out = new Map<string, LogEvent[]>()
  for (const name of (await readdir(dir)).sort()) {
    const text = await readFile(path.join(dir, name), 'utf8')
    if (text.length > 0) assert.ok(text.endsWith('\n'), `${name} ends inside a line`)
    const lines = text.length === 0 ? [] : text.slice(0, -1).split('\n')
    out.set(
      name,
      lines.map((l) => JSON.parse(l) as LogEvent),
    )
  }
  return out
}

function assertEachSeqOnce(files: Map<string, LogEvent[]>, n: number): void {
  const seen = new Uint8Array(n)
  for (const events of files.values()) {
    for (const e of events) {
      const s = e.seq as number
      assert.equal(seen[s], 0, `event ${s} written twice`)
      seen[s] = 1
    }
  }
  const missing = seen.indexOf(0)
  assert.equal(missing, -1, `event ${missing} missing`)
}

/** The live sink, with the optional Lifecycle methods it implements made callable. */
async function open(options: FileSinkOptions, ctx = context()): Promise<Required<Sink>> {
  return (await create(options, ctx)) as Required<Sink>
}

describe('file sink', () => {
  it('writes each event as one JSON line that reads back unchanged', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const sink = await open({ path: p })
    const events = [event(0), { ...event(1), message: 'ünïcødé ✓ 𝄞 "quoted"\nnewline' }, event(2)]
    await sink.write(events.slice(0, 2))
    await sink.write(events.slice(2))
    await sink.close()
    const text = await readFile(p, 'utf8')
    assert.equal(text, events.map((e) => JSON.stringify(e) + '\n').join(''))
    assert.deepEqual(status(sink).linesWritten, 3)
    assert.equal(status(sink).bytesWritten, Buffer.byteLength(text))
  })

  it('creates missing directories and creates the file with mode 0o640 by default', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'a', 'b', 'events.ndjson')
    const sink = await open({ path: p })
    await sink.close()
    assert.equal((await stat(p)).mode & 0o777, 0o640)
    assert.equal((await stat(path.dirname(p))).mode & 0o777, 0o750)
  })

  it('appends to an existing file and keeps its mode', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    await writeFile(p, JSON.stringify(event(0)) + '\n', { mode: 0o600 })
    const sink = await open({ path: p })
    await sink.write([event(1)])
    await sink.close()
    assert.deepEqual([...(await readDir(dir)).values()][0]!.map((e) => e.seq), [0, 1])
    assert.equal((await stat(p)).mode & 0o777, 0o600)
  })

  it('rotates by size under many concurrent writes: every event once, in order, no file above maxBytes', async () => {
    const dir = await tempDir()
    const maxBytes = 50_000
    const sink = await open({ path: path.join(dir, 'events.ndjson'), maxBytes, naming: 'counter', flushInterval: 5, fsync: 'never' })
    const n = 20_000
    const writes: Array<void | Promise<void>> = []
    for (let i = 0; i < n; i += 50) {
      writes.push(sink.write(Array.from({ length: 50 }, (_, k) => event(i + k, (i + k) % 700))))
      if (i % 2000 === 0) await sleep(1)
    }
    await Promise.all(writes)
    await sink.close()
    const files = await readDir(dir)
    assertEachSeqOnce(files, n)
    // Counter names sort in the order the files were written; the live file comes last.
    const names = [...files.keys()].filter((f) => f !== 'events.ndjson').concat('events.ndjson')
    const order = names.flatMap((f) => files.get(f)!.map((e) => e.seq as number))
    assert.deepEqual(order, Array.from({ length: n }, (_, i) => i))
    for (const name of files.keys()) {
      assert.ok((await stat(path.join(dir, name))).size <= maxBytes, `${name} is larger than maxBytes`)
    }
    assert.equal(status(sink).rotations, files.size - 1)
    assert.ok(files.size > 10)
  })

  it('gives a line longer than maxBytes a file of its own instead of splitting it', async () => {
    const dir = await tempDir()
    const sink = await open({ path: path.join(dir, 'events.ndjson'), maxBytes: 1000, naming: 'counter' })
    await sink.write([event(0, 10), event(1, 5000), event(2, 10)])
    await sink.close()
    const files = await readDir(dir)
    assertEachSeqOnce(files, 3)
    const sizes = await Promise.all([...files.keys()].map(async (f) => (await stat(path.join(dir, f))).size))
    assert.equal(sizes.filter((s) => s > 1000).length, 1)
    assert.equal(files.size, 3)
  })

  it('rotates a file already at maxBytes before its first new line', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    await writeFile(p, JSON.stringify(event(0, 1000)) + '\n')
    const sink = await open({ path: p, maxBytes: 1000, naming: 'counter' })
    await sink.write([event(1, 10)])
    await sink.close()
    const files = await readDir(dir)
    assert.deepEqual(files.get('events-000001.ndjson')!.map((e) => e.seq), [0])
    assert.deepEqual(files.get('events.ndjson')!.map((e) => e.seq), [1])
  })

  it('rotate command during a heavy write stream loses and splits nothing', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const sink = await open({ path: p, flushInterval: 2 })
    const n = 60_000
    const requested: Array<{ at: number; answer: Promise<unknown> }> = []
    for (let i = 0; i < n; i += 256) {
      const batch = Array.from({ length: Math.min(256, n - i) }, (_, k) => event(i + k))
      const busy = sink.write(batch)
      if (i > 0 && (i / 256) % 25 === 0) requested.push({ at: i + batch.length, answer: sink.command('rotate') as Promise<unknown> })
      await busy
      if ((i / 256) % 4 === 0) await new Promise((r) => setImmediate(r))
    }
    const answers = (await Promise.all(requested.map((r) => r.answer))) as Array<{ rotated: string }>
    await sink.close()
    const files = await readDir(dir)
    assertEachSeqOnce(files, n)
    assert.equal(new Set(answers.map((a) => a.rotated)).size, requested.length)
    // Each rotated file holds exactly the events accepted between its request and the previous one.
    let from = 0
    for (const [k, { at }] of requested.entries()) {
      const seqs = files.get(path.basename(answers[k]!.rotated))!.map((e) => e.seq)
      assert.deepEqual(seqs, Array.from({ length: at - from }, (_, j) => from + j))
      from = at
    }
    assert.equal(files.get('events.ndjson')![0]!.seq, from)
    assert.equal(status(sink).rotations, requested.length)
  })

  it('names rotated files after the time the file was started', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const before = Date.now()
    const sink = await open({ path: p })
    await sink.write([event(0)])
    const answer = (await sink.command('rotate')) as { rotated: string }
    await sink.close()
    const m = /^events-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z)\.ndjson$/.exec(path.basename(answer.rotated))
    assert.ok(m, `unexpected name ${answer.rotated}`)
    const started = Date.parse(m[1]!.replace(/T(\d{2})-(\d{2})-(\d{2})/, 'T$1:$2:$3'))
    assert.ok(started >= before - 1 && started <= Date.now())
  })

  it('never overwrites an existing file when picking a rotated name', async () => {
    const dir = await tempDir()
    const names = rotatedNames(path.join(dir, 'events.ndjson'), 'time')
    const start = Date.UTC(2026, 10, 27, 10)
    assert.equal(timeStamp(start), '2026-11-27T10-00-00.000Z')
    await writeFile(path.join(dir, 'events-2026-11-27T10-00-00.000Z.ndjson'), 'taken\n')
    await writeFile(path.join(dir, 'events-2026-11-27T10-00-00.000Z-1.ndjson'), 'taken\n')
    const free = await freeRotatedPath(names, start, 1)
    assert.equal(path.basename(free.path), 'events-2026-11-27T10-00-00.000Z-2.ndjson')
    const counters = rotatedNames(path.join(dir, 'events.ndjson'), 'counter')
    await writeFile(path.join(dir, 'events-000004.ndjson'), 'taken\n')
    assert.equal(path.basename((await freeRotatedPath(counters, start, 4)).path), 'events-000005.ndjson')
  })

  it('continues the counter after the highest rotated file already there', async () => {
    const dir = await tempDir()
    await writeFile(path.join(dir, 'events-000041.ndjson'), JSON.stringify(event(0)) + '\n')
    const sink = await open({ path: path.join(dir, 'events.ndjson'), naming: 'counter' })
    await sink.write([event(1)])
    const answer = (await sink.command('rotate')) as { rotated: string }
    await sink.close()
    assert.equal(path.basename(answer.rotated), 'events-000042.ndjson')
  })

  it('rotates at wall-clock interval boundaries', async () => {
    const dir = await tempDir()
    const interval = 150
    const sink = await open({ path: path.join(dir, 'events.ndjson'), interval, flushInterval: 10 })
    let seq = 0
    const until = Date.now() + 700
    while (Date.now() < until) {
      await sink.write([event(seq++, 50)])
      await sleep(5)
    }
    await sink.close()
    const files = await readDir(dir)
    assertEachSeqOnce(files, seq)
    const rotated = [...files.keys()].filter((f) => f !== 'events.ndjson')
    assert.ok(rotated.length >= 3, `${rotated.length} rotations in 700 ms at ${interval} ms`)
    // Files begun by a rotation are named after the boundary they begin at.
    const onBoundary = rotated.filter((f) => {
      const iso = f.slice('events-'.length, -'.ndjson'.length).replace(/T(\d{2})-(\d{2})-(\d{2})/, 'T$1:$2:$3')
      return Date.parse(iso) % interval === 0
    })
    assert.ok(onBoundary.length >= rotated.length - 1)
  })

  it('accepts intervals written as durations', () => {
    for (const interval of ['30s', '15m', '1h', '1d', 500]) file({ path: 'x.ndjson', interval })
    assert.throws(() => file({ path: 'x.ndjson', interval: '1 fortnight' }), { code: 'BEER_ERR_SINK_FILE_OPTIONS' })
  })

  it('rotates at startup a file left over from an earlier period', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    await writeFile(p, JSON.stringify(event(0)) + '\n')
    const yesterday = new Date(Date.now() - 86_400_000)
    await utimes(p, yesterday, yesterday)
    const sink = await open({ path: p, interval: '1d' })
    await sink.write([event(1)])
    await sink.close()
    const files = await readDir(dir)
    assert.equal(files.size, 2)
    assert.deepEqual(files.get('events.ndjson')!.map((e) => e.seq), [1])
  })

  it('keep deletes the oldest rotated files', async () => {
    const dir = await tempDir()
    const sink = await open({ path: path.join(dir, 'events.ndjson'), keep: 2 })
    const rotated: string[] = []
    for (let i = 0; i < 5; i++) {
      await sink.write([event(i)])
      rotated.push(((await sink.command('rotate')) as { rotated: string }).rotated)
    }
    await sink.close()
    const names = (await readdir(dir)).sort()
    assert.deepEqual(names, [...rotated.slice(-2).map((r) => path.basename(r)), 'events.ndjson'].sort())
  })

  it('does not rotate an empty file', async () => {
    const dir = await tempDir()
    const sink = await open({ path: path.join(dir, 'events.ndjson') })
    assert.deepEqual(await sink.command('rotate'), { rotated: null })
    await sink.close()
    assert.deepEqual(await readdir(dir), ['events.ndjson'])
  })

  it('counts an unserialisable event, logs it, and writes its neighbours', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const ctx = context()
    const sink = await open({ path: p }, ctx)
    const cyclic: LogEvent = { seq: -1 }
    cyclic.self = cyclic
    await sink.write([event(0), { seq: -2, big: 10n } as LogEvent, cyclic, event(1)])
    await sink.write([event(2)])
    await sink.close()
    assert.deepEqual((await readDir(dir)).get('events.ndjson')!.map((e) => e.seq), [0, 1, 2])
    assert.equal(status(sink).dropped, 2)
    assert.ok(ctx.logged.some((l) => l.level === 'error' && /cannot serialise/.test(l.message)))
  })

  it('close writes out every line still in memory', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const sink = await open({ path: p, flushInterval: 60_000 })
    await sink.write([event(0), event(1)])
    assert.equal((await readFile(p, 'utf8')).length, 0)
    assert.ok(status(sink).pendingBytes > 0)
    await sink.close()
    assert.equal((await readDir(dir)).get('events.ndjson')!.length, 2)
    assert.equal(status(sink).pendingBytes, 0)
    assert.throws(() => sink.write([event(2)]), { code: 'BEER_ERR_SINK_FILE_CLOSED' })
  })

  it('flush and the flush command write out pending lines and keep the sink open', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const sink = await open({ path: p, flushInterval: 60_000 })
    await sink.write([event(0)])
    await sink.flush()
    assert.equal((await readDir(dir)).get('events.ndjson')!.length, 1)
    await sink.write([event(1)])
    assert.deepEqual(await sink.command('flush'), { flushed: true })
    assert.equal((await readDir(dir)).get('events.ndjson')!.length, 2)
    await sink.close()
  })

  it('write returns a promise while more than maxPendingBytes wait, settling once below', async () => {
    const dir = await tempDir()
    const sink = await open({ path: path.join(dir, 'events.ndjson'), maxPendingBytes: 2000, flushInterval: 60_000 })
    assert.equal(sink.write([event(0)]), undefined)
    const busy = sink.write([event(1), event(2), event(3), event(4), event(5), event(6)])
    assert.ok(busy instanceof Promise)
    await busy
    assert.ok(status(sink).pendingBytes <= 2000)
    await sink.close()
    assertEachSeqOnce(await readDir(dir), 7)
  })

  it('status answers the counters, and unknown commands are ignored', async () => {
    const dir = await tempDir()
    const p = path.join(dir, 'events.ndjson')
    const sink = await open({ path: p })
    await sink.write([event(0), event(1)])
    await sink.flush()
    const s = status(sink)
    assert.equal(s.path, p)
    assert.equal(s.linesWritten, 2)
    assert.equal(s.bytesWritten, (await stat(p)).size)
    assert.deepEqual([s.dropped, s.rotations, s.pendingBytes, s.errors], [0, 0, 0, 0])
    assert.equal(sink.command('no-such-command'), undefined)
    await sink.close()
  })

  describe('fsync', () => {
    it("'batch' has each batch written and synced when its write settles", async () => {
      const dir = await tempDir()
      const p = path.join(dir, 'events.ndjson')
      const sink = await open({ path: p, fsync: 'batch', flushInterval: 60_000 })
      const pending = sink.write([event(0), event(1)])
      assert.ok(pending instanceof Promise)
      await pending
      assert.equal((await readDir(dir)).get('events.ndjson')!.length, 2)
      assert.ok(status(sink).syncs >= 1)
      // Batches arriving together share syncs.
      await Promise.all(Array.from({ length: 50 }, (_, i) => sink.write([event(2 + i)])))
      assert.ok(status(sink).syncs < 40)
      await sink.close()
    })

    it("'interval' syncs on flush and close", async () => {
      const dir = await tempDir()
      const sink = await open({ path: path.join(dir, 'events.ndjson'), fsync: 'interval', flushInterval: 60_000 })
      sink.write([event(0)])
      await sink.flush()
      assert.equal(status(sink).syncs, 1)
      sink.write([event(1)])
      await sink.close()
      assert.equal(status(sink).syncs, 2)
    })

    it("'interval' syncs on its own within a flushInterval or two", async () => {
      const dir = await tempDir()
      const sink = await open({ path: path.join(dir, 'events.ndjson'), fsync: 'interval', flushInterval: 20 })
      sink.write([event(0)])
      await sleep(150)
      assert.ok(status(sink).syncs >= 1)
      await sink.close()
    })

    it("'never' does not sync", async () => {
      const dir = await tempDir()
      const sink = await open({ path: path.join(dir, 'events.ndjson'), fsync: 'never', flushInterval: 5 })
      sink.write([event(0)])
      await sink.flush()
      await sink.command('rotate')
      sink.write([event(1)])
      await sink.close()
      assert.equal(status(sink).syncs, 0)
    })
  })

  describe('disk trouble', () => {
    it('creates the file again when it is deleted under the sink, and says so', async () => {
      const dir = await tempDir()
      const p = path.join(dir, 'events.ndjson')
      const ctx = context()
      const sink = await open({ path: p, flushInterval: 5 }, ctx)
      await sink.write([event(0)])
      await sink.flush()
      await unlink(p)
      await sleep(80)
      await sink.write([event(1)])
      await sink.flush()
      await sink.close()
      assert.deepEqual((await readDir(dir)).get('events.ndjson')!.map((e) => e.seq), [1])
      assert.ok(ctx.logged.some((l) => l.level === 'error' && /moved or deleted/.test(l.message)))
      assert.equal(status(sink).reopens, 1)
      assert.equal(status(sink).errors, 1)
    })

    it('keeps lines in memory while the file cannot be opened, and writes them once it can', async () => {
      const dir = await tempDir()
      const logs = path.join(dir, 'logs')
      const p = path.join(logs, 'events.ndjson')
      const ctx = context()
      const sink = await open({ path: p, flushInterval: 5 }, ctx)
      await sink.write([event(0)])
      await sink.flush()
      // A plain file where the directory was: the path cannot be created again.
      await rm(logs, { recursive: true })
      await writeFile(logs, 'not a directory')
      await sleep(80)
      await sink.write([event(1), event(2)])
      await assert.rejects(sink.flush() as Promise<void>, { code: 'BEER_ERR_SINK_FILE_WRITE' })
      assert.ok(status(sink).errors >= 1)
      assert.ok(status(sink).pendingBytes > 0)
      assert.ok(ctx.logged.some((l) => l.level === 'error' && /cannot write/.test(l.message)))
      await unlink(logs)
      await sink.flush()
      await sink.close()
      assert.deepEqual((await readDir(logs)).get('events.ndjson')!.map((e) => e.seq), [1, 2])
    })

    it('close while the disk refuses reports and counts the lines it could not write', async () => {
      const dir = await tempDir()
      const logs = path.join(dir, 'logs')
      const ctx = context()
      const sink = await open({ path: path.join(logs, 'events.ndjson'), flushInterval: 5 }, ctx)
      await rm(logs, { recursive: true })
      await writeFile(logs, 'not a directory')
      await sleep(80)
      sink.write([event(0), event(1)])
      await sink.close()
      assert.equal(status(sink).lost, 2)
      assert.ok(ctx.logged.some((l) => l.level === 'error' && /closed with 2 lines that could not be written/.test(l.message)))
    })

    it('refuses to start on a path that cannot be opened, with a clear error', async () => {
      const dir = await tempDir()
      await writeFile(path.join(dir, 'file'), '')
      await assert.rejects(open({ path: path.join(dir, 'file', 'events.ndjson') }), {
        code: 'BEER_ERR_SINK_FILE_OPEN',
        message: /cannot open .*not a directory/,
      })
    })

    it('rotate after logrotate moved the file away opens the path again', async () => {
      const dir = await tempDir()
      const p = path.join(dir, 'events.ndjson')
      const sink = await open({ path: p, flushInterval: 60_000 })
      await sink.write([event(0)])
      await sink.flush()
      await rename(p, path.join(dir, 'events.ndjson.1'))
      assert.deepEqual(await sink.command('rotate'), { reopened: p })
      await sink.write([event(1)])
      await sink.close()
      const files = await readDir(dir)
      assert.deepEqual(files.get('events.ndjson.1')!.map((e) => e.seq), [0])
      assert.deepEqual(files.get('events.ndjson')!.map((e) => e.seq), [1])
      assert.equal(status(sink).rotations, 0)
    })
  })

  describe('descriptor', () => {
    it('is plain cloneable data pointing at the module that builds the sink', () => {
      const d = file({ path: './logs/events.ndjson', maxBytes: 100_000_000 })
      assert.deepEqual(structuredClone(d), d)
      assert.equal(d.kind, 'sink')
      assert.equal(d.name, 'file')
      assert.equal(d.export, 'create')
      assert.match(d.module, /\/file\.(ts|js)$/)
      assert.equal(file({ path: 'x', name: 'archive' }).name, 'archive')
    })

    it('refuses invalid options, naming the option', () => {
      for (const bad of [
        {},
        { path: '' },
        { path: 'x', maxBytes: 0 },
        { path: 'x', keep: -1 },
        { path: 'x', fsync: 'sometimes' },
        { path: 'x', mode: 0o1777 },
        { path: 'x', naming: 'random' },
      ]) {
        assert.throws(() => file(bad as FileSinkOptions), { code: 'BEER_ERR_SINK_FILE_OPTIONS' }, JSON.stringify(bad))
      }
    })
  })
})

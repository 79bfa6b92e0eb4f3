import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { controlServer } from '@beer/control'
import type { ControlServer } from '@beer/control'
import { cpu, percent, rates, renderStatus, shortBytes } from '../src/format.ts'
import { fakeHandler } from './fixtures/fake-handler.ts'

const beer = fileURLToPath(new URL('../dist/beer.js', import.meta.url))

let dir: string
let server: ControlServer
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'beer-cli-'))
  server = await controlServer(fakeHandler(), { path: path.join(dir, 'beer.sock') })
})
after(async () => {
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built command as a real child process; `BEER_CONTROL` points at the test server unless `env` says otherwise. */
function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [beer, ...args],
      { env: { ...process.env, BEER_CONTROL: server.path, ...env }, cwd: dir },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    )
    child.stdin?.end()
  })
}

describe('beer', () => {
  it('prints status as tables of modules and listeners', async () => {
    const r = await run(['status'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n')
    assert.match(
      lines[0]!,
      /^MODULE\s+KIND\s+PLACEMENT\s+STATE\s+UPTIME\s+IN\s+OUT\s+EVENTS\/S\s+ERRORS\s+DROPS\s+RESTARTS\s+QUEUE\s+CPU\s+MEM\s+ELU$/,
    )
    // Inline modules have no state, CPU, memory or ELU of their own; events/s is the row's own figure.
    assert.match(r.stdout, /^file\s+sink\s+inline\s+-\s+1h0\dm\s+[\d,]+\s+[\d,]+\s+1,200\s+3\s+0\s+0\s+0\s+-\s+-\s+-$/m)
    assert.match(r.stdout, /^syslog\[0\]\s+parser\s+worker\s+running\s+1h0\dm\s+[\d,]+\s+[\d,]+\s+600\s+0\s+0\s+0\s+2\s+-\s+14\.2M\s+31%$/m)
    assert.match(r.stdout, /^logins\s+analyzer\s+process\s+running\s+12m\d\ds\s+[\d,]+\s+[\d,]+\s+1,200\s+1\s+0\s+1\s+0\s+9\.6s\s+61\.7M\s+12%$/m)
    assert.match(r.stdout, /^LISTENER\s+RECEIVED\s+BYTES\s+CONNECTIONS\s+ERRORS\s+DROPS$/m)
    assert.match(r.stdout, /^tcp:\/\/127\.0\.0\.1:5514\s+210\s+38\.3 KiB\s+2 open \/ 5\s+1\s+0$/m)
    assert.match(r.stdout, /^udp:\/\/127\.0\.0\.1:5514 dropped: queue_full=12$/m)
    assert.match(r.stdout, /^file errors: BEER_ERR_SINK_FILE_WRITE=3$/m)
    assert.match(r.stdout, /^logins last error: BEER_ERR_MODULE_CRASHED: killed by SIGKILL$/m)
    assert.match(r.stdout, /^process 4242: up 1h0\dm, CPU 41\.3 s user \+ 6\.8 s system, RSS 112\.5 MiB, heap 36\.7 MiB$/m)
    for (const line of lines) assert.ok(line.length <= 120, `fits 120 columns: ${line}`)
  })

  it('prints the raw status with --json', async () => {
    const r = await run(['status', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const response = JSON.parse(r.stdout)
    assert.equal(response.ok, true)
    assert.deepEqual(
      response.status.modules.map((m: { name: string }) => m.name),
      ['pipeline', 'syslog[0]', 'syslog[1]', 'logins', 'file'],
    )
  })

  it('rotates, flushes and resets, printing each module answer', async () => {
    assert.deepEqual(await run(['rotate']), {
      code: 0,
      stdout: 'file: {"rotated":"events-2026-11-27T10-00-00.000Z.ndjson"}\n',
      stderr: '',
    })
    assert.equal((await run(['flush', 'file'])).stdout, 'file: flushed\n')
    assert.equal((await run(['reset', 'syslog'])).stdout, 'syslog: reset\n')
  })

  it('sends a module its own command with JSON arguments', async () => {
    const r = await run(['file', 'echo', '{"since":"1h"}'])
    assert.deepEqual([r.code, r.stdout], [0, 'file: {"args":{"since":"1h"}}\n'])
  })

  it('looks up an address with the identity map, now or at a time', async () => {
    const now = await run(['identity', 'lookup', '192.0.2.10'])
    assert.equal(now.code, 0, now.stderr)
    assert.equal(now.stdout, 'identity:\n' + JSON.stringify({ asked: { ip: '192.0.2.10' }, user: 'alice' }, null, 2) + '\n')
    const at = await run(['identity', 'lookup', '192.0.2.10', '--at', '2026-11-27T08:00:00Z', '--json'])
    assert.deepEqual(JSON.parse(at.stdout).answers, [{ module: 'identity', answer: { asked: { ip: '192.0.2.10', at: '2026-11-27T08:00:00Z' }, user: 'alice' } }])
    const misplaced = await run(['file', 'rotate', '--at', '2026-11-27T08:00:00Z'])
    assert.equal(misplaced.code, 2)
    assert.match(misplaced.stderr, /--at goes with lookup/)
  })

  it('exits 1 when a module answers with an error', async () => {
    const r = await run(['file', 'fail'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'file: error BEER_ERR_SINK_FILE_ROTATE: cannot rename: EACCES\n')
  })

  it('exits 2 for an unknown module and for usage errors', async () => {
    const unknown = await run(['nosuch', 'rotate'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /BEER_ERR_COMMAND_UNKNOWN_MODULE: no module named 'nosuch'/)
    for (const args of [[], ['--bogus', 'status'], ['file'], ['file', 'echo', 'not json'], ['rotate', 'a', 'b']]) {
      const r = await run(args)
      assert.equal(r.code, 2, `beer ${args.join(' ')}`)
      assert.match(r.stderr, /usage: beer/)
    }
  })

  it('exits 3 and says which socket and how to open one when nobody listens', async () => {
    const missing = path.join(dir, 'elsewhere', 'beer.sock')
    const r = await run(['--socket', missing, 'status'])
    assert.equal(r.code, 3)
    assert.ok(r.stderr.includes(`cannot reach the control socket at ${missing}`), r.stderr)
    assert.match(r.stderr, /syslog\(\{ control/)
    assert.match(r.stderr, /--socket <path> or BEER_CONTROL/)
    const viaEnv = await run(['rotate'], { BEER_CONTROL: missing })
    assert.equal(viaEnv.code, 3)
  })

  it('top prints one snapshot and exits when stdout is not a terminal', async () => {
    const r = await run(['top'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^MODULE\s+KIND/)
    assert.ok(!r.stdout.includes('\x1b['), 'no terminal control sequences')
  })

  it('top redraws in a terminal and restores it on q', { skip: !hasScript() && 'needs script(1)' }, async () => {
    // script(1) gives the command a pseudo-terminal; what we write to its stdin reaches the command as keys.
    // The terminal is made 120 columns wide, which the whole module table fits.
    const cmd = `stty cols 120 rows 30 && ${JSON.stringify(process.execPath)} ${JSON.stringify(beer)} top`
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      env: { ...process.env, BEER_CONTROL: server.path, COLUMNS: '120', LINES: '30' },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')))
    const frames = (): number => out.split('(q to quit)').length - 1
    const deadline = Date.now() + 10_000
    while (frames() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    child.stdin.write('q')
    const code = await new Promise<number | null>((r) => child.once('exit', r))
    assert.ok(frames() >= 2, `two frames, got: ${JSON.stringify(out.slice(0, 400))}`)
    assert.equal(code, 0)
    assert.match(out, /^MODULE\s.*\sEVENTS\/S\s+ERRORS\s+DROPS\s+RESTARTS\s+QUEUE\s+CPU\s+MEM\s+ELU\r?$/m)
    assert.match(out, /^logins\s+analyzer\s+process\s+running\s.*\s9\.6s\s+61\.7M\s+12%\r?$/m)
    assert.ok(out.includes('\x1b[?1049h\x1b[?25l'), 'entered the alternate screen, cursor hidden')
    assert.ok(out.includes('\x1b[?25h\x1b[?1049l'), 'cursor shown and main screen restored')
  })
})

describe('status rendering', () => {
  it('computes events per second from two snapshots, counting a reset counter from zero', () => {
    assert.deepEqual(rates({ 'module:a': 100, 'module:b': 500 }, { 'module:a': 300, 'module:b': 40, 'module:c': 9 }, 2), {
      'module:a': 100,
      'module:b': 20,
    })
  })

  it('renders missing figures as dashes and unknown sections as JSON', () => {
    const text = renderStatus({ modules: [{ name: 'odd', metrics: { received_events: 'many' } }], build: { version: '1.2.3' } })
    assert.match(text, /^MODULE\s+KIND\s+PLACEMENT\s+STATE\s+UPTIME\s+IN\s+OUT\s+ERRORS\s+DROPS\s+RESTARTS\s+QUEUE\s+CPU\s+MEM\s+ELU$/m)
    assert.match(text, /^odd(\s+-){13}$/m)
    assert.match(text, /^build: \{"version":"1\.2\.3"\}$/m)
    assert.match(renderStatus(null), /\(no modules\)/)
    assert.match(renderStatus([{ name: 'pipeline', kind: 'pipeline' }]), /^pipeline\s+pipeline/m)
    // Fields of the wrong type are shown as missing rather than breaking the table.
    const odd = renderStatus([
      { name: 'w', placement: 'worker', state: 5, restarts: '2', queueDepth: null, cpuSystemMs: 1500 },
      { name: 'x', placement: 'process', heapUsedBytes: -1, elu: 'busy', lastError: 'gone' },
      { name: 'v', lastError: { code: 'BEER_ERR_X' } },
      { name: 'u', lastError: [1, 2] },
    ])
    assert.match(odd, /^w\s+-\s+worker(\s+-){8}\s+1\.5s\s+-\s+-$/m)
    assert.match(odd, /^x\s+-\s+process(\s+-){11}$/m)
    assert.match(odd, /^x last error: gone$/m)
    assert.match(odd, /^v last error: BEER_ERR_X$/m)
    assert.doesNotMatch(odd, /^u last error/m)
  })

  it('shows state, restarts, queue, CPU, memory and ELU of worker and process modules, and their last error', () => {
    const status = {
      modules: [
        moduleRow('pipeline', 'pipeline', 'inline', { queueDepth: 3, eventsPerSec: 2_500 }, 1_250_000, 1_250_000),
        moduleRow('parse[0]', 'parser', 'worker', {
          module: 'parse',
          instance: 0,
          state: 'running',
          queueDepth: 4,
          eventsPerSec: 1_250,
          threadId: 1,
          heapUsedBytes: 25_480_000,
          elu: 0.423,
        }, 625_000, 625_000),
        moduleRow('parse[1]', 'parser', 'worker', {
          module: 'parse',
          instance: 1,
          state: 'restarting',
          uptimeMs: 0,
          restarts: 3,
          threadId: 7,
          lastError: { code: 'BEER_ERR_MODULE_UNRESPONSIVE', message: 'no heartbeat answer for 5012 ms (a hang or an endless loop); killed' },
        }, 624_990, 624_990, { errors: { BEER_ERR_MODULE_UNRESPONSIVE: 3 } }),
        moduleRow('geo', 'enricher', 'process', {
          module: 'geo',
          instance: 0,
          state: 'running',
          uptimeMs: 7_379_000,
          queueDepth: 1,
          eventsPerSec: 2_499.6,
          pid: 5151,
          cpuUserMs: 83_250,
          cpuSystemMs: 21_900,
          rssBytes: 148_000_000,
          heapUsedBytes: 61_000_000,
          elu: 0.071,
        }, 1_249_990, 1_249_990, { dropped_events: { queue_full: 10 } }),
        moduleRow('file', 'sink', 'inline', { eventsPerSec: 2_500 }, 1_249_980, 1_249_980),
      ],
    }
    const table = [
      'MODULE    KIND     PLACEMENT STATE      UPTIME        IN       OUT EVENTS/S ERRORS DROPS RESTARTS QUEUE  CPU   MEM ELU',
      'pipeline  pipeline inline    -           2h03m 1,250,000 1,250,000    2,500      0     0        0     3    -     -   -',
      'parse[0]  parser   worker    running     2h03m   625,000   625,000    1,250      0     0        0     4    - 24.3M 42%',
      'parse[1]  parser   worker    restarting     0s   624,990   624,990        -      3     0        3     0    -     -   -',
      'geo       enricher process   running     2h02m 1,249,990 1,249,990    2,500      0    10        0     1 105s  141M  7%',
      'file      sink     inline    -           2h03m 1,249,980 1,249,980    2,500      0     0        0     0    -     -   -',
    ]
    const details = [
      'parse[1] errors: BEER_ERR_MODULE_UNRESPONSIVE=3',
      'parse[1] last error: BEER_ERR_MODULE_UNRESPONSIVE: no heartbeat answer for 5012 ms (a hang or an endless loop); killed',
      'geo dropped: queue_full=10',
    ]
    // One snapshot (beer status): each row's own events per second; CPU is user + system, MEM the
    // process's RSS or the worker's heap.
    assert.equal(renderStatus(status), [...table, '', ...details, ''].join('\n'))
    for (const line of table) assert.ok(line.length <= 120, `fits 120 columns: ${line}`)

    // Successive snapshots (beer top): their rate wins; rows without one keep their own figure.
    const live = renderStatus(status, { 'module:pipeline': 2_612.4, 'module:geo': 7.25 })
    assert.match(live, /^pipeline\s.*\s2,612\s+0\s+0\s+0\s+3\s+-\s+-\s+-$/m)
    assert.match(live, /^geo\s.*\s7\.3\s+0\s+10\s/m)
    assert.match(live, /^parse\[0\]\s.*\s1,250\s+0\s/m)
  })

  it('formats CPU seconds, memory and ELU compactly', () => {
    assert.deepEqual(
      [0, 512, 1023.6 * 1024, 12.3 * 1024 ** 2, 150 * 1024 ** 2, 1.2 * 1024 ** 3, undefined].map(shortBytes),
      ['0B', '512B', '1.0M', '12.3M', '150M', '1.2G', '-'],
    )
    assert.deepEqual(
      [cpu(400, undefined), cpu(9_960, 2_340), cpu(99_960, 0), cpu(1_000_000, 234_000), cpu(undefined, undefined)],
      ['0.4s', '12.3s', '100s', '1,234s', '-'],
    )
    assert.deepEqual([0, 0.071, 0.995, 1].map(percent), ['0%', '7%', '100%', '100%'])
  })
})

/** A module row as the runtime gives it, with `extra` fields over the inline defaults. */
function moduleRow(
  name: string,
  kind: string,
  placement: string,
  extra: Record<string, unknown>,
  received: number,
  sent: number,
  reasons: { errors?: Record<string, number>; dropped_events?: Record<string, number> } = {},
): Record<string, unknown> {
  return {
    name,
    kind,
    placement,
    uptimeMs: 7_384_000,
    restarts: 0,
    queueDepth: 0,
    ...extra,
    metrics: { received_events: received, sent_events: sent, dropped_events: reasons.dropped_events ?? {}, errors: reasons.errors ?? {} },
  }
}

function hasScript(): boolean {
  return spawnSync('script', ['--version']).status === 0
}

import assert from 'node:assert/strict'
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { controlServer } from '@beer/control'
import type { ControlServer } from '@beer/control'
import { rates, renderStatus } from '../src/format.ts'
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
    assert.match(lines[0]!, /^MODULE\s+KIND\s+PLACEMENT\s+UPTIME\s+IN\s+OUT\s+ERRORS\s+DROPS$/)
    assert.match(r.stdout, /^file\s+sink\s+inline\s+1h0\dm\s+[\d,]+\s+[\d,]+\s+3\s+0$/m)
    assert.match(r.stdout, /^LISTENER\s+RECEIVED\s+BYTES\s+CONNECTIONS\s+ERRORS\s+DROPS$/m)
    assert.match(r.stdout, /^tcp:\/\/127\.0\.0\.1:5514\s+210\s+38\.3 KiB\s+2 open \/ 5\s+1\s+0$/m)
    assert.match(r.stdout, /^udp:\/\/127\.0\.0\.1:5514 dropped: queue_full=12$/m)
    assert.match(r.stdout, /^file errors: BEER_ERR_SINK_FILE_WRITE=3$/m)
  })

  it('prints the raw status with --json', async () => {
    const r = await run(['status', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const response = JSON.parse(r.stdout)
    assert.equal(response.ok, true)
    assert.deepEqual(
      response.status.modules.map((m: { name: string }) => m.name),
      ['pipeline', 'syslog', 'file'],
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
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(beer)} top`
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
    assert.match(out, /EVENTS\/S/)
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
    assert.match(text, /^odd\s+-\s+-\s+-\s+-\s+-\s+-\s+-$/m)
    assert.match(text, /^build: \{"version":"1\.2\.3"\}$/m)
    assert.match(renderStatus(null), /\(no modules\)/)
    assert.match(renderStatus([{ name: 'pipeline', kind: 'pipeline' }]), /^pipeline\s+pipeline/m)
  })
})

function hasScript(): boolean {
  return spawnSync('script', ['--version']).status === 0
}

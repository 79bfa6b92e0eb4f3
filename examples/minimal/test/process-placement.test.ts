// The parse stage in a child process (`parsing: { run: 'process' }`), under each runtime. The
// example has no switch for it, so the test writes a collector of its own into a temporary project
// whose node_modules is the workspace's: it imports '@beer/syslog-server' and '@beer/sink-file' by
// name, as a user's project does, and runs as plain JavaScript under Node, Bun and Deno alike.
import { after } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { octetCounted, sendTcp, sendUdp, until } from '../../../packages/syslog-server/test/fixtures/clients.ts'
import { cleanUp, eachRuntime, fileText, launcher, portOf, readEvents, root, startCollector, tempDir } from './collector.ts'
import type { Launch, Runnable } from './collector.ts'

after(cleanUp)

const COLLECTOR = `import { syslog } from '@beer/syslog-server'
import { file } from '@beer/sink-file'

const env = process.env
const server = await syslog({
  listen: env.BEER_LISTEN.split(','),
  control: env.BEER_CONTROL,
  parsing: { run: 'process', instances: 1 },
  handleSignals: true,
})
  .to(file({ path: env.BEER_OUT }))
  .start()
console.log(\`beer listening on \${server.addresses.join(', ')}; events to \${env.BEER_OUT}\`)
`

/** A project directory with the collector as main.mjs and the workspace's packages installed. */
function project(): { dir: string; main: string } {
  const dir = tempDir()
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'beer-process-placement', private: true, type: 'module' }))
  // A junction needs no privilege on Windows; elsewhere the type is ignored.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'junction')
  const main = join(dir, 'main.mjs')
  writeFileSync(main, COLLECTOR)
  return { dir, main }
}

const built = join(root, 'packages/syslog-server/dist/index.js')

function launch(runtime: 'Node' | 'Bun' | 'Deno'): Launch {
  if (!existsSync(built)) return { missing: `${built} is not built: run npm run build` }
  return launcher(runtime)('main.mjs')
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

const MESSAGES = 200

async function processPlacement(l: Runnable, t: TestContext): Promise<void> {
  const { dir } = project()
  const out = join(dir, 'events.ndjson')
  const control = join(dir, 'beer.sock')
  const collector = await startCollector(
    l,
    { BEER_LISTEN: 'udp://127.0.0.1:0,tcp://127.0.0.1:0', BEER_OUT: out, BEER_CONTROL: control },
    { cwd: dir, control },
  )
  const { output } = collector

  const run = randomUUID()
  const expected = new Map<string, string>()
  const pieces = Array.from({ length: MESSAGES }, (_, n) => {
    const message = `tcp ${run} ${n}`
    const host = `host-${n}.example`
    expected.set(message, host)
    return octetCounted(
      n % 2 === 0 ? `<165>1 2026-11-27T10:00:00.123Z ${host} app 42 ID47 - ${message}` : `<34>Oct 11 22:14:15 ${host} su[231]: ${message}`,
    )
  })
  expected.set(`udp ${run}`, 'udp-sender')
  try {
    await sendTcp({ host: '127.0.0.1', port: portOf(collector.addresses, 'tcp') }, pieces)
    await sendUdp(`udp://127.0.0.1:${portOf(collector.addresses, 'udp')}`, [`<34>Oct 11 22:14:15 udp-sender su[231]: udp ${run}`])
  } catch (err) {
    throw new Error(`sending to the collector failed: ${(err as Error).message}\n${output()}`, { cause: err })
  }
  await until(`${expected.size} events in the output file`, 15_000, () => (readEvents(out).length >= expected.size ? true : undefined), () => `${output()}\n${fileText(out)}`)

  const status = await collector.status()
  const diagnostics = `${JSON.stringify(status, null, 1)}\n${output()}`
  const hosted = status.modules.filter((m) => m.placement !== 'inline')
  // One instance: the names carry no [n] suffix.
  assert.deepEqual(
    hosted.map((m) => ({ name: m.name, module: m.module, kind: m.kind, placement: m.placement, instance: m.instance, state: m.state })),
    [
      { name: 'syslog-header', module: 'syslog-header', kind: 'decoder', placement: 'process', instance: 0, state: 'running' },
      { name: 'syslog', module: 'syslog', kind: 'parser', placement: 'process', instance: 0, state: 'running' },
    ],
    diagnostics,
  )
  const pid = hosted[0]!.pid
  assert.ok(typeof pid === 'number' && pid > 0 && pid !== status.process.pid, `the parse stage runs in a process of its own\n${diagnostics}`)
  assert.equal(hosted[1]!.pid, pid, diagnostics)
  assert.equal(hosted[0]!.restarts, 0, diagnostics)
  assert.equal(hosted[0]!.metrics.received_events, expected.size, diagnostics)

  assert.deepEqual(await collector.stop(), { code: 0, signal: null }, `exit after SIGTERM\n${output()}`)
  // The collector waited for its child: nothing of it lingers.
  await until(`process ${pid} gone`, 5_000, () => (gone(pid) ? true : undefined), output)

  const events = readEvents(out)
  assert.equal(events.length, expected.size, `events in the file\n${fileText(out)}`)
  const byMessage = new Map(events.map((e) => [e.message, e]))
  for (const [message, host] of expected) {
    const e = byMessage.get(message)
    assert.ok(e, `no event for '${message}'\n${fileText(out)}`)
    assert.equal(e.log?.syslog?.hostname, host, JSON.stringify(e))
    assert.equal(e.host?.hostname, host, JSON.stringify(e))
  }
  t.diagnostic(`${[l.command, ...l.args].join(' ')} (${l.version}): parse stage in process ${pid}, collector ${status.process.pid}`)
}

eachRuntime(
  (name) => `parses in a child process under ${name} (parsing: { run: 'process' }): ${MESSAGES + 1} messages reach the file, SIGTERM exits 0`,
  launch,
  processPlacement,
)

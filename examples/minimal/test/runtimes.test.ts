// The minimal example as a user runs it, under each runtime the README promises: a real child
// process, real UDP and TCP sockets on loopback, the NDJSON file it writes, and a clean SIGTERM.
// Node runs the built dist/main.js; Bun and Deno run main.ts itself, resolving the @beer packages
// through node_modules to their built dist/ files as any user's project would.
import { test, after } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findBun, findDeno } from '../../../scripts/runtimes.mjs'
import { controlRequest } from '@beer/control'
import { freePort, octetCounted, sendTcp, sendUdp, until } from '../../../packages/syslog-server/test/fixtures/clients.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const inCI = process.env.CI === 'true'

type Launch = { command: string; args: string[]; version: string } | { missing: string }

function nodeLaunch(): Launch {
  const main = join(root, 'examples/minimal/dist/main.js')
  if (!existsSync(main)) return { missing: `${main} is not built: run npm run build` }
  return { command: process.execPath, args: ['examples/minimal/dist/main.js'], version: process.versions.node }
}

function runtimeLaunch(found: ReturnType<typeof findBun>, args: string[]): Launch {
  return found.found ? { command: found.path, args, version: found.version } : { missing: found.reason }
}

// The commands the README gives users, run from the repository root.
const runtimes: { name: string; launch: Launch; required: boolean }[] = [
  { name: 'Node', launch: nodeLaunch(), required: true },
  { name: 'Bun', launch: runtimeLaunch(findBun(), ['examples/minimal/main.ts']), required: inCI },
  { name: 'Deno', launch: runtimeLaunch(findDeno(), ['run', '-A', 'examples/minimal/main.ts']), required: inCI },
]

const children = new Set<ChildProcess>()
const dirs: string[] = []
// A failed assertion must not leave a collector running or a temporary directory behind.
after(() => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

type LogEvent = { message?: string; host?: { hostname?: string }; log?: { syslog?: { hostname?: string }; source?: { address?: string } } }

function readEvents(path: string): LogEvent[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  // Only whole lines: the sink may be between writes.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEvent)
}

async function roundTrip(t: TestContext, launch: Exclude<Launch, { missing: string }>): Promise<void> {
  const [udpPort, tcpPort] = [await freePort('udp'), await freePort('tcp')]
  const dir = mkdtempSync(join(tmpdir(), 'beer-runtime-'))
  dirs.push(dir)
  const out = join(dir, 'events.ndjson')
  const child = spawn(launch.command, launch.args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BEER_LISTEN: `udp://127.0.0.1:${udpPort},tcp://127.0.0.1:${tcpPort}`,
      BEER_OUT: out,
      BEER_CONTROL: join(dir, 'beer.sock'),
      // No update checks or crash reports over a network the test does not need.
      DENO_NO_UPDATE_CHECK: '1',
      DO_NOT_TRACK: '1',
      NO_COLOR: '1',
    },
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  child.once('exit', (code, signal) => {
    exit = { code, signal }
    children.delete(child)
  })
  child.once('error', (err) => (stderr += `\nspawn failed: ${err.message}`))
  const output = () => `--- stdout\n${stdout}--- stderr\n${stderr}--- exit ${JSON.stringify(exit ?? null)}`

  await until('"listening" on stdout', 30_000, () => {
    if (exit) throw new Error(`the example exited before listening\n${output()}`)
    return /listening/.test(stdout) || undefined
  }, output)

  const udpId = randomUUID()
  const tcpId = randomUUID()
  try {
    await sendUdp(`udp://127.0.0.1:${udpPort}`, [`<34>Oct 11 22:14:15 udp-sender su[231]: udp ${udpId}`])
    await sendTcp({ host: '127.0.0.1', port: tcpPort }, [
      octetCounted(`<165>1 2026-11-27T10:00:00.123Z tcp-sender.example app 42 ID47 - tcp ${tcpId}`),
    ])
  } catch (err) {
    throw new Error(`sending to the example failed: ${(err as Error).message}\n${output()}`, { cause: err })
  }
  await until('both events in the output file', 15_000, () => {
    const messages = readEvents(out).map((e) => e.message)
    return messages.includes(`udp ${udpId}`) && messages.includes(`tcp ${tcpId}`) ? true : undefined
  }, () => `${output()}\n--- ${out}\n${existsSync(out) ? readFileSync(out, 'utf8') : '(absent)'}`)

  // The control socket answers on this runtime too, with the listeners' counters.
  const reply = await controlRequest(join(dir, 'beer.sock'), { id: 1, command: 'status' })
  assert.ok(reply.ok && 'status' in reply, `status over the control socket\n${JSON.stringify(reply)}\n${output()}`)
  const listeners = (reply.status as { listeners: { received_events: number }[] }).listeners
  assert.deepEqual(listeners.map((l) => l.received_events), [1, 1])

  child.kill('SIGTERM')
  const stopped = await until('exit after SIGTERM', 15_000, () => exit, output)
  assert.deepEqual(stopped, { code: 0, signal: null }, `exit after SIGTERM\n${output()}`)

  const events = readEvents(out)
  const udp = events.filter((e) => e.message === `udp ${udpId}`)
  const tcp = events.filter((e) => e.message === `tcp ${tcpId}`)
  assert.equal(udp.length, 1, `one UDP event\n${JSON.stringify(events)}`)
  assert.equal(tcp.length, 1, `one TCP event\n${JSON.stringify(events)}`)
  assert.equal(udp[0]!.host?.hostname, 'udp-sender')
  assert.equal(udp[0]!.log?.syslog?.hostname, 'udp-sender')
  assert.match(String(udp[0]!.log?.source?.address), /^127\.0\.0\.1:\d+$/)
  assert.equal(tcp[0]!.host?.hostname, 'tcp-sender.example')
  assert.equal(tcp[0]!.log?.syslog?.hostname, 'tcp-sender.example')
  assert.match(String(tcp[0]!.log?.source?.address), /^127\.0\.0\.1:\d+$/)
  t.diagnostic(`${[launch.command, ...launch.args].join(' ')} (${launch.version})`)
}

for (const { name, launch, required } of runtimes) {
  const title = `runs the minimal example under ${name}: a UDP and a TCP message reach the file, SIGTERM exits 0`
  if ('missing' in launch) {
    if (required) {
      test(title, () => assert.fail(`${name} is required here${inCI ? ' (CI=true)' : ''}: ${launch.missing}`))
    } else {
      test(title, { skip: `${name} not found: ${launch.missing}` })
    }
    continue
  }
  test(title, { timeout: 90_000 }, (t) => roundTrip(t, launch))
}

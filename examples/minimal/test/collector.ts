// Runs a collector as a user does: a child process under Node, Bun or Deno, talked to over real
// sockets, read back from the NDJSON file it writes, and stopped with SIGTERM.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { TestContext } from 'node:test'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { controlRequest } from '@beer/control'
import type { ServerStatus } from '@beer/syslog-server'
import { findBun, findDeno } from '../../../scripts/runtimes.mjs'
import { until } from '../../../packages/syslog-server/test/fixtures/clients.ts'

export const root = fileURLToPath(new URL('../../../', import.meta.url))
export const inCI = process.env.CI === 'true'

export type Runnable = { command: string; args: string[]; version: string }
export type Launch = Runnable | { missing: string }
export type Runtime = 'Node' | 'Bun' | 'Deno'

/** How each runtime runs a script: Node a built .js file, Bun and Deno TypeScript or JavaScript. */
export function launcher(runtime: Runtime): (script: string) => Launch {
  if (runtime === 'Node') return (script) => ({ command: process.execPath, args: [script], version: process.versions.node })
  const found = runtime === 'Bun' ? findBun() : findDeno()
  if (!found.found) return () => ({ missing: found.reason })
  return (script) => ({ command: found.path, args: runtime === 'Bun' ? [script] : ['run', '-A', script], version: found.version })
}

/** Registers a test per runtime; a runtime not installed skips, or fails where it is required (CI). */
export function eachRuntime(
  title: (runtime: Runtime) => string,
  launch: (runtime: Runtime) => Launch,
  body: (launch: Runnable, t: TestContext, runtime: Runtime) => Promise<void>,
): void {
  for (const runtime of ['Node', 'Bun', 'Deno'] as const) {
    const l = launch(runtime)
    const required = runtime === 'Node' || inCI
    if ('missing' in l) {
      if (required) test(title(runtime), () => assert.fail(`${runtime} is required here${inCI ? ' (CI=true)' : ''}: ${l.missing}`))
      else test(title(runtime), { skip: `${runtime} not found: ${l.missing}` })
      continue
    }
    test(title(runtime), { timeout: 90_000 }, (t) => body(l, t, runtime))
  }
}

const children = new Set<ChildProcess>()
const dirs: string[] = []

/** For `after()`: a failed assertion must not leave a collector running or a temporary directory behind. */
export function cleanUp(): void {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'beer-runtime-'))
  dirs.push(dir)
  return dir
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null }

export interface Collector {
  /** stdout, stderr and exit so far, for assertion messages. */
  output(): string
  /** The listener URLs from the "listening on …" line (port 0 resolved). */
  addresses: string[]
  /** The status answer of the control socket. */
  status(): Promise<ServerStatus>
  /** Sends SIGTERM and resolves with how the process ended. */
  stop(ms?: number): Promise<Exit>
}

/**
 * Starts `launch` with `env` added to this process's environment and waits for the line
 * `… listening on <url>, <url>; …` on stdout.
 */
export async function startCollector(launch: Runnable, env: Record<string, string>, options: { cwd?: string; control: string }): Promise<Collector> {
  const child = spawn(launch.command, launch.args, {
    cwd: options.cwd ?? root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      // No update checks or crash reports over a network the test does not need.
      DENO_NO_UPDATE_CHECK: '1',
      DO_NOT_TRACK: '1',
      NO_COLOR: '1',
    },
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  let exit: Exit | undefined
  child.once('exit', (code, signal) => {
    exit = { code, signal }
    children.delete(child)
  })
  child.once('error', (err) => (stderr += `\nspawn failed: ${err.message}`))
  const output = (): string =>
    `--- ${[launch.command, ...launch.args].join(' ')} (${launch.version})\n--- stdout\n${stdout}--- stderr\n${stderr}--- exit ${JSON.stringify(exit ?? null)}`

  const line = await until('"listening on" on stdout', 30_000, () => {
    if (exit) throw new Error(`the collector exited before listening\n${output()}`)
    return /listening on ([^;\n]+)/.exec(stdout)?.[1]
  }, output)

  return {
    output,
    addresses: line.split(',').map((s) => s.trim()),
    async status() {
      const reply = await controlRequest(options.control, { id: 1, command: 'status' })
      assert.ok(reply.ok && 'status' in reply, `status over the control socket\n${JSON.stringify(reply)}\n${output()}`)
      return reply.status as ServerStatus
    },
    async stop(ms = 15_000) {
      child.kill('SIGTERM')
      return until('exit after SIGTERM', ms, () => exit, output)
    },
  }
}

export type LogEvent = {
  message?: string
  host?: { hostname?: string }
  log?: { syslog?: { hostname?: string; appname?: string }; source?: { address?: string } }
}

export function readEvents(path: string): LogEvent[] {
  if (!existsSync(path)) return []
  const text = readFileSync(path, 'utf8')
  // Only whole lines: the sink may be between writes.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEvent)
}

export function fileText(path: string): string {
  return `--- ${path}\n${existsSync(path) ? readFileSync(path, 'utf8').slice(-4000) : '(absent)'}`
}

/** `udp://127.0.0.1:5514` → the port, for the listener of that scheme. */
export function portOf(addresses: string[], scheme: 'udp' | 'tcp'): number {
  const url = addresses.find((a) => a.startsWith(`${scheme}://`))
  assert.ok(url, `a ${scheme} listener among ${addresses.join(', ')}`)
  return Number(url.slice(url.lastIndexOf(':') + 1))
}

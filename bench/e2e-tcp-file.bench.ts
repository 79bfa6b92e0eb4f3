// End to end: N syslog messages over TCP (LF framing) into a receiver that writes one JSON line per
// event to a file. beer (examples/minimal) and rsyslog do the same job in the same run, one after
// the other, each loaded by the same sender process and checked for loss the same way.
//
//   cd bench && node --import tsx e2e-tcp-file.bench.ts [--count 1000000] [--only beer|beer-workers|rsyslog]
//     [--runs 3] [--connections 4] [--timeout 120] [--beer-main <path to main.js>] [--cpu-prof <dir>]
//     [--beer-runtime <path to node, bun or deno binary>]
//     [--no-record]
//
// What is measured, per receiver:
// - wall time from the sender's first byte until the output file holds N lines (polled);
// - CPU (user + sys) of the receiver's process tree over that time, from /proc;
// - peak RSS (VmHWM) of the receiver's process tree just before it is stopped;
// - after a graceful stop (SIGTERM): every line valid JSON, every sequence number exactly once.
import { fork, spawn, spawnSync, execSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, mkdirSync } from 'node:fs'
import { once } from 'node:events'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { recordResults } from './lib/record.ts'
import { LineCounter, checkOutput, type OutputCheck } from './lib/ndjson-output.ts'
import { machineBusySeconds, treeCpuSeconds, treePeakRssBytes } from './lib/proc-stats.ts'
import { SHAPES } from './lib/syslog-corpus.ts'
import type { LoadGeneratorArgs } from './lib/tcp-load-generator.ts'

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
const REPO_DIR = path.resolve(BENCH_DIR, '..')
const GENERATOR = path.join(BENCH_DIR, 'lib', 'tcp-load-generator.ts')
const RSYSLOG_TEMPLATE = path.join(BENCH_DIR, 'rsyslog', 'e2e-tcp-file.conf.template')
const DEFAULT_BEER_MAIN = path.join(REPO_DIR, 'examples', 'minimal', 'dist', 'main.js')

const TARGET_EVENTS_PER_S = 250_000
const TARGET_SHARE_OF_RSYSLOG = 0.5
const CHUNK_BYTES = 64 * 1024
const POLL_MS = 20
/** Stop waiting when the sender is done and the output has not grown for this long. */
const STALL_MS = 15_000

// The rsyslog settings filled into bench/rsyslog/e2e-tcp-file.conf.template, chosen for throughput
// on this job: big dequeue batches and an asynchronous, large-buffered omfile. Measured on 2 cores
// against the alternatives: a Direct main queue was about 5× slower (imtcp threads contend for the
// action), a second queue worker gained nothing clear, and flushOnTXEnd="off" left the last
// buffer waiting for the 1 s flushInterval.
const RSYSLOG_SETTINGS: Record<string, string> = {
  QUEUE_SIZE: '200000',
  BATCH: '4096',
  ASYNC: 'on',
  FLUSH_ON_TX_END: 'on',
  IO_BUFFER: '1m',
}

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    connections: { type: 'string', default: '4' },
    timeout: { type: 'string', default: '120' },
    runs: { type: 'string', default: '3' },
    'beer-main': { type: 'string' },
    'beer-runtime': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
})
const COUNT = positiveInt('count', opts.count)
const CONNECTIONS = positiveInt('connections', opts.connections)
const TIMEOUT_MS = positiveInt('timeout', opts.timeout) * 1000
const RUNS = positiveInt('runs', opts.runs)
if (opts.only !== undefined && !['beer', 'beer-workers', 'rsyslog'].includes(opts.only)) fail('--only takes beer, beer-workers or rsyslog')

function positiveInt(name: string, text: string): number {
  const n = Number(text.replace(/_/g, ''))
  if (!Number.isInteger(n) || n <= 0) fail(`--${name} takes a positive integer, got ${JSON.stringify(text)}`)
  return n
}

function fail(message: string): never {
  console.error(message)
  process.exit(2)
}

// ---------------------------------------------------------------------------------------------
// Everything started here is stopped and removed on any exit: normal, error or signal.

const liveChildren = new Set<ChildProcess>()
const tempDirs = new Set<string>()

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  return child
}

function cleanup(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
  liveChildren.clear()
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

process.on('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping receivers and removing temp files`)
    cleanup()
    process.exit(130)
  })
}

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

// ---------------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  await once(srv, 'close')
  return port
}

/** Keeps the last lines a child wrote on stdout/stderr, for error messages. */
function captureOutput(child: ChildProcess, onLine?: (line: string) => void): () => string {
  const tail: string[] = []
  for (const stream of [child.stdout, child.stderr]) {
    let partial = ''
    stream?.setEncoding('utf8')
    stream?.on('data', (text: string) => {
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        tail.push(line)
        if (tail.length > 40) tail.shift()
        onLine?.(line)
      }
    })
  }
  return () => tail.join('\n')
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

async function waitForPort(port: number, child: ChildProcess, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited(child)) throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening:\n${output()}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline)
      throw new Error(`not listening on 127.0.0.1:${port} after ${timeoutMs / 1000} s:\n${output()}`)
    await sleep(50)
  }
}

async function stop(child: ChildProcess, graceMs = 30_000): Promise<string> {
  if (exited(child)) return describeExit(child)
  const done = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await done
  clearTimeout(timer)
  return describeExit(child)
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `signal ${child.signalCode}` : `exit ${child.exitCode}`
}

// ---------------------------------------------------------------------------------------------
// The receivers.

interface Started {
  child: ChildProcess
  output: () => string
}

interface Receiver {
  name: string
  /** Why it cannot run here, or undefined when it can. */
  unavailable(): string | undefined
  describe(): string[]
  start(dir: string, port: number, outPath: string): Promise<Started>
}

function findOnPath(cmd: string, extra: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extra]
  for (const dir of dirs) {
    const p = path.join(dir, cmd)
    try {
      if (statSync(p).isFile()) return p
    } catch {}
  }
  return undefined
}

function rsyslogReceiver(): Receiver {
  const sbin = ['/usr/sbin', '/sbin', '/usr/local/sbin']
  let bin = findOnPath('rsyslogd', sbin)
  let why: string | undefined
  if (!bin) {
    if (process.getuid?.() === 0 && findOnPath('apt-get', sbin)) {
      console.log('rsyslogd not found; installing the Debian package (apt-get install -y rsyslog)')
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
      let r = spawnSync('apt-get', ['install', '-y', 'rsyslog'], { stdio: 'inherit', env })
      if (r.status !== 0) {
        spawnSync('apt-get', ['update'], { stdio: 'inherit', env })
        r = spawnSync('apt-get', ['install', '-y', 'rsyslog'], { stdio: 'inherit', env })
      }
      bin = findOnPath('rsyslogd', sbin)
      if (!bin) why = 'rsyslogd not found and `apt-get install -y rsyslog` did not provide it'
    } else {
      why =
        'rsyslogd not found (install the rsyslog package, or run as root on Debian/Ubuntu to let the benchmark install it)'
    }
  }
  let version = ''
  if (bin) {
    version = ((spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0] ?? '')
      .replace(/\s*compiled with:?\s*$/, '')
      .replace(/\s+/g, ' ')
      .trim()
  }
  return {
    name: 'rsyslog',
    unavailable: () => why,
    describe: () => [
      `rsyslog: \`${version}\` (Debian package), started as \`rsyslogd -n -f <conf> -i <pidfile>\` with only its own config from [bench/rsyslog/e2e-tcp-file.conf.template](rsyslog/e2e-tcp-file.conf.template) (no system config, no imuxsock/imklog, workDirectory in a temp dir):`,
      `  \`imtcp\` on 127.0.0.1 bound to its own ruleset; main queue LinkedList, size ${RSYSLOG_SETTINGS.QUEUE_SIZE}, dequeueBatchSize ${RSYSLOG_SETTINGS.BATCH}, 1 worker;`,
      `  \`omfile\` with a \`type="list" option.jsonf="on"\` template of the header fields beer writes (ECS names as flat dotted keys; beer also writes host.*, process.*, the priority and structured data, and rsyslog's keys are longer, so the lines come out of similar size), asyncWriting=${RSYSLOG_SETTINGS.ASYNC}, flushOnTXEnd=${RSYSLOG_SETTINGS.FLUSH_ON_TX_END}, flushInterval=1, ioBufferSize=${RSYSLOG_SETTINGS.IO_BUFFER}.`,
    ],
    async start(dir, port, outPath) {
      let conf = readFileSync(RSYSLOG_TEMPLATE, 'utf8')
      const values: Record<string, string> = { ...RSYSLOG_SETTINGS, WORKDIR: dir, PORT: String(port), OUT: outPath }
      conf = conf.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
        if (!(key in values)) throw new Error(`rsyslog template: no value for {{${key}}}`)
        return values[key]!
      })
      const confPath = path.join(dir, 'rsyslog.conf')
      writeFileSync(confPath, conf)
      const check = spawnSync(bin!, ['-N1', '-f', confPath], { encoding: 'utf8' })
      if (check.status !== 0) throw new Error(`rsyslogd -N1 rejected the config:\n${check.stdout}${check.stderr}`)
      const child = track(
        spawn(bin!, ['-n', '-f', confPath, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] })
      )
      const output = captureOutput(child)
      await waitForPort(port, child, output)
      return { child, output }
    },
  }
}

/**
 * beer as the example runs it: inline (every stage on the main thread), or with
 * BEER_PARSE_WORKERS=2 (header parse, fallback parser and serialization in two worker threads;
 * the main thread reads sockets and writes what comes back).
 */
function beerReceiver(workers = 0): Receiver {
  const main = path.resolve(opts['beer-main'] ?? DEFAULT_BEER_MAIN)
  const cpuProfDir = opts['cpu-prof'] ? path.resolve(opts['cpu-prof']) : undefined
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []
  let commit = ''
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
    const dirty = execSync('git status --porcelain', { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
    if (dirty) commit += ' with uncommitted changes'
  } catch {}
  const shown = path.relative(REPO_DIR, main).startsWith('..') ? main : path.relative(REPO_DIR, main)
  return {
    name: workers > 0 ? 'beer-workers' : 'beer',
    unavailable: () =>
      existsSync(main)
        ? undefined
        : `${shown} not found: build it first (\`npm run build\` at the repo root), or pass --beer-main <path>`,
    describe: () => [
      `beer: \`${opts['beer-runtime'] ? path.basename(opts['beer-runtime']) : 'node'} ${nodeArgs.join(' ')}${nodeArgs.length ? ' ' : ''}${shown}\` (Node ${process.version}, commit ${
        commit || 'unknown'
      }) with \`BEER_LISTEN=tcp://127.0.0.1:<port>\` and \`BEER_OUT=<tmp>/events.ndjson\`${
        workers > 0 ? `, and \`BEER_PARSE_WORKERS=${workers}\` (the parse stage in ${workers} worker threads)` : ''
      }; stopped with SIGTERM (drains, flushes, exits).`,
    ],
    async start(dir, port, outPath) {
      if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true })
      const child = track(
        spawn(opts['beer-runtime'] ?? process.execPath, [...nodeArgs, main], {
          cwd: dir,
          env: {
            ...process.env,
            BEER_LISTEN: `tcp://127.0.0.1:${port}`,
            BEER_OUT: outPath,
            BEER_PARSE_WORKERS: String(workers),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      )
      let announce: () => void = () => {}
      const announced = new Promise<void>((resolve) => (announce = resolve))
      const output = captureOutput(child, (line) => {
        if (/listening/i.test(line)) announce()
      })
      const exit = once(child, 'exit').then(() => {
        throw new Error(`exited (${describeExit(child)}) before saying it was listening:\n${output()}`)
      })
      const timeout = sleep(20_000).then(() => {
        throw new Error(`did not print a "listening" line within 20 s:\n${output()}`)
      })
      await Promise.race([announced, exit, timeout])
      exit.catch(() => {})
      timeout.catch(() => {})
      await waitForPort(port, child, output)
      return { child, output }
    },
  }
}

// ---------------------------------------------------------------------------------------------
// One measured run.

interface RunResult {
  name: string
  complete: boolean
  wallS: number
  eventsPerS: number
  sendS: number | undefined
  cpuS: number
  /** CPU the sender spent, and what every other process on the machine took meanwhile, in cores. */
  senderCores: number
  otherCores: number
  peakRssBytes: number
  linesWhenTimed: number
  outputBytes: number
  exit: string
  check: OutputCheck
  note?: string
}

interface GeneratorMessage {
  type: 'ready' | 'started' | 'done' | 'error'
  bytes?: number
  startNs?: string
  endNs?: string
  cpuS?: number
  message?: string
}

let corpusBytes = 0
let corpusDir: string | undefined

async function measure(receiver: Receiver): Promise<RunResult> {
  const dir = makeTempDir(`beer-bench-e2e-${receiver.name}-`)
  let started: Started | undefined
  let gen: ChildProcess | undefined
  try {
    const port = await freePort()
    const outPath = path.join(dir, 'events.ndjson')
    started = await receiver.start(dir, port, outPath)
    const { child, output } = started
    const pid = child.pid!

    const genArgs: LoadGeneratorArgs = {
      host: '127.0.0.1',
      port,
      count: COUNT,
      connections: CONNECTIONS,
      chunkBytes: CHUNK_BYTES,
      ...(corpusDir ? { corpusDir } : {}),
    }
    gen = track(
      fork(GENERATOR, [JSON.stringify(genArgs)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    )
    let startNs: bigint | undefined
    let endNs: bigint | undefined
    let genError: string | undefined
    let genCpuS = NaN
    let ready!: () => void
    const isReady = new Promise<void>((resolve) => (ready = resolve))
    gen.on('message', (m: GeneratorMessage) => {
      if (m.type === 'ready') {
        corpusBytes = m.bytes!
        ready()
      } else if (m.type === 'started') startNs = BigInt(m.startNs!)
      else if (m.type === 'done') {
        endNs = BigInt(m.endNs!)
        genCpuS = m.cpuS!
      } else if (m.type === 'error') genError = m.message
    })
    const genExit = once(gen, 'exit')
    await Promise.race([
      isReady,
      genExit.then(() => {
        throw new Error(`load generator exited before it was ready: ${genError ?? describeExit(gen!)}`)
      }),
    ])

    const counter = new LineCounter(outPath)
    const cpu0 = treeCpuSeconds(pid)
    const busy0 = machineBusySeconds()
    const self0 = process.cpuUsage()
    gen.send({ type: 'go' })
    const t0 = process.hrtime.bigint()
    let lastLines = 0
    let lastGrowthNs = t0
    let doneNs: bigint | undefined
    let note: string | undefined
    for (;;) {
      await sleep(POLL_MS)
      const lines = counter.poll()
      const now = process.hrtime.bigint()
      if (lines !== lastLines) {
        lastLines = lines
        lastGrowthNs = now
      }
      if (lines >= COUNT) {
        doneNs = now
        break
      }
      if (genError) {
        note = `sender failed: ${genError}`
        break
      }
      if (exited(child)) {
        note = `receiver died (${describeExit(child)}):\n${output()}`
        break
      }
      if (Number(now - t0) / 1e6 > TIMEOUT_MS) {
        note = `timed out after ${TIMEOUT_MS / 1000} s with ${lines} of ${COUNT} lines`
        break
      }
      if (endNs !== undefined && Number(now - lastGrowthNs) / 1e6 > STALL_MS) {
        note = `output stopped growing at ${lines} of ${COUNT} lines (${STALL_MS / 1000} s after the sender finished)`
        break
      }
    }
    const cpuS = exited(child) ? NaN : treeCpuSeconds(pid) - cpu0
    const busyS = machineBusySeconds() - busy0
    const self = process.cpuUsage(self0)
    const selfS = (self.user + self.system) / 1e6
    const peakRssBytes = exited(child) ? NaN : treePeakRssBytes(pid)
    const linesWhenTimed = counter.lines
    const from = startNs ?? t0
    const wallS = Number((doneNs ?? lastGrowthNs) - from) / 1e9
    const timedS = Number(process.hrtime.bigint() - t0) / 1e9
    // The sender finishes once the receiver has closed its side of every connection.
    if (!exited(gen)) await Promise.race([genExit, sleep(10_000)])
    const sendS = endNs !== undefined ? Number(endNs - from) / 1e9 : undefined
    const otherCores = (busyS - cpuS - (Number.isFinite(genCpuS) ? genCpuS : 0) - selfS) / timedS

    const exit = await stop(child)
    if (!exited(gen)) {
      gen.kill('SIGKILL')
      await genExit
    }
    counter.poll()
    counter.close()
    const check = await checkOutput(outPath, COUNT)
    if (exit !== 'exit 0' && receiver.name.startsWith('beer'))
      note = [note, `stopped with ${exit}:\n${output()}`].filter(Boolean).join('\n')
    return {
      name: receiver.name,
      complete: doneNs !== undefined,
      wallS,
      eventsPerS: linesWhenTimed / wallS,
      sendS,
      cpuS,
      senderCores: genCpuS / (sendS ?? NaN),
      otherCores: Math.max(0, otherCores),
      peakRssBytes,
      linesWhenTimed,
      outputBytes: counter.bytes,
      exit,
      check,
      ...(note ? { note } : {}),
    }
  } finally {
    for (const c of [gen, started?.child]) if (c && !exited(c)) c.kill('SIGKILL')
    removeTempDir(dir)
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—')
const fixed = (n: number | undefined, d: number) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : '—')
const mib = (n: number) => (Number.isFinite(n) ? (n / 2 ** 20).toFixed(0) : '—')

function lossFree(r: RunResult): boolean {
  const c = r.check
  return (
    r.complete &&
    c.lines === COUNT &&
    c.missing === 0 &&
    c.duplicates === 0 &&
    c.invalidJson === 0 &&
    c.withoutSeq === 0
  )
}

/** A receiver's runs: the median run (by rate) stands for it; loss is the worst run's. */
interface Summary {
  name: string
  runs: RunResult[]
  median: RunResult
  lossFree: boolean
  missing: number
  duplicates: number
  invalid: number
}

function summarize(name: string, runs: RunResult[]): Summary {
  const byRate = [...runs].sort((a, b) => a.eventsPerS - b.eventsPerS)
  return {
    name,
    runs,
    median: byRate[Math.floor((byRate.length - 1) / 2)]!,
    lossFree: runs.every(lossFree),
    missing: Math.max(...runs.map((r) => r.check.missing)),
    duplicates: Math.max(...runs.map((r) => r.check.duplicates)),
    invalid: Math.max(...runs.map((r) => r.check.invalidJson + r.check.withoutSeq)),
  }
}

function busyWarning(summaries: Summary[]): string {
  const worst = Math.max(0, ...summaries.flatMap((s) => s.runs.map((r) => r.otherCores)).filter(Number.isFinite))
  return worst > 0.3
    ? `**Other work took up to ${worst.toFixed(
        2
      )} cores during a run: these figures are lower and noisier than on a quiet machine.**`
    : 'The machine was otherwise quiet.'
}

function table(summaries: Summary[]): string {
  const rows = [
    '| receiver | events/s (median run) | every run (events/s) | wall (s) | sender done (s) | CPU user+sys (s) | CPU per event (µs) | peak RSS (MiB) | output bytes/event | missing | duplicates | invalid lines | stop | sender (cores) | rest of machine (cores) |',
    '|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|',
  ]
  for (const s of summaries) {
    const r = s.median
    const every = s.runs.map((x) => int(x.eventsPerS) + (x.complete ? '' : ' (incomplete)')).join(', ')
    const stops = [...new Set(s.runs.map((x) => x.exit))].join(', ')
    rows.push(
      `| ${s.name} | ${int(r.eventsPerS)} | ${every} | ${fixed(r.wallS, 2)} | ${fixed(r.sendS, 2)} | ${fixed(
        r.cpuS,
        2
      )} | ${fixed((r.cpuS / r.linesWhenTimed) * 1e6, 2)} | ${mib(r.peakRssBytes)} | ${int(
        r.outputBytes / r.check.lines
      )} | ${int(s.missing)} | ${int(s.duplicates)} | ${int(s.invalid)} | ${stops} | ${fixed(
        r.senderCores,
        2
      )} | ${fixed(r.otherCores, 2)} |`
    )
  }
  return rows.join('\n')
}

function verdict(summaries: Summary[], skipped: Map<string, string>): string[] {
  const beer = summaries.find((s) => s.name === 'beer')
  const rs = summaries.find((s) => s.name === 'rsyslog')
  const goal = `Figure to reach: beer ≥ ${int(TARGET_EVENTS_PER_S)} events/s with no loss, and ≥ ${
    TARGET_SHARE_OF_RSYSLOG * 100
  }% of rsyslog's rate in the same run.`
  if (!beer) return [goal, '', `Result: not measured (beer ${skipped.get('beer') ?? 'was not run'}).`]
  const misses: string[] = []
  if (!beer.lossFree) misses.push('beer lost, duplicated or mangled events')
  if (!(beer.median.eventsPerS >= TARGET_EVENTS_PER_S))
    misses.push(`beer's rate is below ${int(TARGET_EVENTS_PER_S)} events/s`)
  let ratio: string
  if (rs && rs.lossFree) {
    const share = beer.median.eventsPerS / rs.median.eventsPerS
    ratio = `beer/rsyslog = ${share.toFixed(2)} (${(share * 100).toFixed(0)}% of rsyslog's rate)`
    if (share < TARGET_SHARE_OF_RSYSLOG)
      misses.push(`beer is below ${TARGET_SHARE_OF_RSYSLOG * 100}% of rsyslog's rate`)
  } else if (rs) ratio = 'no ratio: rsyslog did not deliver every event in this run'
  else ratio = `no ratio: rsyslog ${skipped.get('rsyslog') ?? 'was not run'}`
  const status =
    misses.length > 0
      ? `**not met** (${misses.join('; ')})`
      : rs?.lossFree
      ? '**met**'
      : '**not shown** (no rsyslog figure to compare with)'
  const lines = [goal, '', `Result: ${status}; ${ratio}.`]
  const workers = summaries.find((s) => s.name === 'beer-workers')
  if (workers) {
    const gain = workers.median.eventsPerS / beer.median.eventsPerS
    lines.push(
      '',
      `Parse stage in 2 worker threads: ${int(workers.median.eventsPerS)} events/s, ${gain.toFixed(2)}× the inline pipeline in the same run (${
        gain > 1 ? 'higher' : '**not higher**'
      })${workers.lossFree ? ', no loss' : ', **with loss**'}${rs?.lossFree ? `; ${(workers.median.eventsPerS / rs.median.eventsPerS).toFixed(2)}× rsyslog` : ''}.`,
    )
  }
  return lines
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wanted = opts.only ? [opts.only] : ['rsyslog', 'beer', 'beer-workers']
  const skipped = new Map<string, string>()
  const receivers: Receiver[] = []
  for (const name of wanted) {
    const receiver = name === 'beer' ? beerReceiver() : name === 'beer-workers' ? beerReceiver(2) : rsyslogReceiver()
    const why = receiver.unavailable()
    if (why) {
      console.log(`${name}: skipped: ${why}`)
      skipped.set(name, `skipped: ${why}`)
    } else receivers.push(receiver)
  }
  corpusDir = makeTempDir('beer-bench-e2e-corpus-')
  const runs = new Map<string, RunResult[]>(receivers.map((r) => [r.name, []]))
  // Interleaved (rsyslog, beer, rsyslog, beer, …) so a slow patch of the machine hits both.
  for (let n = 1; n <= RUNS; n++) {
    for (const receiver of receivers) {
      if (skipped.has(receiver.name)) continue
      console.log(
        `${receiver.name} (run ${n} of ${RUNS}): sending ${int(COUNT)} messages over ${CONNECTIONS} TCP connections…`
      )
      try {
        const r = await measure(receiver)
        runs.get(receiver.name)!.push(r)
        console.log(
          `${receiver.name} (run ${n} of ${RUNS}): ${int(r.eventsPerS)} events/s, ${r.wallS.toFixed(
            2
          )} s, CPU ${r.cpuS.toFixed(2)} s, ${int(r.check.lines)} lines, ${int(r.check.missing)} missing, ${int(
            r.check.duplicates
          )} duplicates, ${int(r.check.invalidJson + r.check.withoutSeq)} invalid`
        )
        if (r.note) console.log(`${receiver.name}: ${r.note}`)
        for (const p of r.check.problems) console.log(`${receiver.name}: ${p}`)
      } catch (err) {
        const message = (err as Error).message ?? String(err)
        console.log(`${receiver.name}: failed: ${message}`)
        skipped.set(receiver.name, `failed: ${message.split('\n')[0]}`)
      }
    }
  }
  const summaries = receivers
    .filter((r) => runs.get(r.name)!.length > 0)
    .map((r) => summarize(r.name, runs.get(r.name)!))

  const shapes = SHAPES.map((s) => `${s.percent}% ${s.name} (${s.format})`).join(', ')
  const notes = summaries.flatMap((s) =>
    s.runs.filter((r) => r.note).map((r) => `- ${s.name}: ${r.note!.split('\n')[0]}`)
  )
  const body = [
    table(summaries),
    '',
    ...verdict(summaries, skipped),
    '',
    `- load: ${int(COUNT)} messages, ${(corpusBytes / 2 ** 20).toFixed(0)} MiB (mean ${(corpusBytes / COUNT).toFixed(
      0
    )} bytes a line): ${shapes}; made-up content, documentation IP ranges; each line carries \`seq=<n>\`.`,
    `- sender: a separate Node process (bench/lib/tcp-load-generator.ts), every byte built before timing, ${CONNECTIONS} TCP connections to 127.0.0.1, RFC 6587 LF framing, ${
      CHUNK_BYTES / 1024
    } KiB writes waiting for 'drain'. It shares the machine's cores with the receiver.`,
    `- ${RUNS} run${
      RUNS > 1 ? 's' : ''
    } per receiver, interleaved; the row shows the median run, and the loss columns the worst run.`,
    `- sender (cores): the sender's own CPU while sending. Rest of machine: busy CPU (/proc/stat) not charged to the receiver, the sender or this script (other processes, kernel network work) over the timed window; ${os.availableParallelism()} cores in all. ${busyWarning(
      summaries
    )}`,
    `- wall: first byte sent until the output file held every line (polled every ${POLL_MS} ms). CPU: user+sys of the receiver's process tree over that time (/proc). Peak RSS: VmHWM summed over the receiver's processes. Loss: after a SIGTERM stop, each line JSON-parsed and its \`seq\` counted.`,
    ...receivers
      .filter((r) => runs.get(r.name)!.length > 0)
      .flatMap((r) => r.describe().map((d) => (d.startsWith('  ') ? d : `- ${d}`))),
    ...[...skipped].map(([name, why]) => `- ${name}: ${why}`),
    ...notes,
    ...(summaries.length ? ['', 'One output line each:', ''] : []),
    ...summaries.flatMap((s) => [`${s.name}:`, '', '```json', s.median.check.sample, '```', '']),
  ].join('\n')

  console.log('\n' + body)
  const command = ['cd bench && node --import tsx e2e-tcp-file.bench.ts', ...process.argv.slice(2)].join(' ')
  if (opts['no-record']) console.log('not recorded (--no-record)')
  else if (opts.only)
    console.log('not recorded (--only measures one receiver; the results file keeps both side by side)')
  else if (summaries.length === 0) console.log('not recorded (nothing measured)')
  else recordResults('e2e-tcp-file', 'End to end: TCP to NDJSON file', command, body)
  if (summaries.length === 0) process.exitCode = 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})

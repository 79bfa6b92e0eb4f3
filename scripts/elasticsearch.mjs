// A real single-node Elasticsearch on loopback for tests, benchmarks and CI: no security, a small
// heap, data and logs under .cache/elasticsearch/ (git-ignored).
//
//   node scripts/elasticsearch.mjs start [--version 9.2.0] [--port 9200] [--keep-data]
//   node scripts/elasticsearch.mjs stop
//   node scripts/elasticsearch.mjs status      exit 0 when it answers, 1 otherwise
//   node scripts/elasticsearch.mjs url         prints the URL of the running node
//
// `start` prints `BEER_ES_URL=<url>` and writes the URL to .cache/elasticsearch/url, which the
// sink-es tests and benchmarks read when BEER_ES_URL is not set. It downloads the distribution
// once, from Maven Central (`org.elasticsearch.distribution.integ-test-zip:elasticsearch:<v>:zip`,
// the zip Elasticsearch's own integration tests use: the server with transport, x-pack-core and
// security modules, and no bundled JDK), with `mvn` when there is one, else over HTTPS with the
// SHA-1 Maven publishes beside it.
//
// Java: ES_JAVA_HOME, then JAVA_HOME, then the newest JDK under /usr/lib/jvm, /usr/local/lib/jvm
// or /opt/java whose `release` file says 21 or later (Elasticsearch 9 needs 21+).
// Elasticsearch refuses to run as root: as root, the node runs as BEER_ES_USER (default `nobody`),
// which gets ownership of the node's own folder (config, data, logs).
//
// Other settings: BEER_ES_VERSION (default 9.2.0), BEER_ES_PORT (default 9200, or a free port
// when 9200 is taken), BEER_ES_HEAP (default 512m), BEER_ES_CACHE (default .cache/elasticsearch).
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const cache = resolve(process.env.BEER_ES_CACHE ?? join(root, '.cache/elasticsearch'))
const urlFile = join(cache, 'url')
// Where the node's own folder (config, data, logs, pid) is: under the cache, unless the user the
// node runs as cannot reach it (a checkout under /root), then under the system's temp folder.
const runDirFile = join(cache, 'run-dir')
let run = existsSync(runDirFile) ? readFileSync(runDirFile, 'utf8').trim() : join(cache, 'run')
let pidFile = join(run, 'es.pid')
const GROUP = 'org.elasticsearch.distribution.integ-test-zip'
const MIN_JAVA = 21

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    version: { type: 'string', default: process.env.BEER_ES_VERSION ?? '9.2.0' },
    port: { type: 'string', default: process.env.BEER_ES_PORT },
    'keep-data': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
})

const say = (line) => process.stderr.write(`elasticsearch: ${line}\n`)

async function main() {
  const cmd = positionals[0]
  if (opts.help || !cmd) {
    process.stdout.write('usage: node scripts/elasticsearch.mjs start|stop|status|url [--version 9.2.0] [--port 9200] [--keep-data]\n')
    return cmd ? 0 : 2
  }
  switch (cmd) {
    case 'start':
      return start()
    case 'stop':
      return stop()
    case 'status':
      return status()
    case 'url': {
      const url = runningUrl()
      if (!url) return 1
      process.stdout.write(url + '\n')
      return 0
    }
    default:
      say(`unknown command '${cmd}'; use start, stop, status or url`)
      return 2
  }
}

// ---- start ---------------------------------------------------------------------------------------

async function start() {
  const running = runningUrl()
  if (running && (await health(running))) {
    say(`already running at ${running}`)
    process.stdout.write(`BEER_ES_URL=${running}\n`)
    return 0
  }
  const version = opts.version
  const java = findJava()
  say(`Java ${java.version} at ${java.home}`)
  let dist = await distribution(version)
  const port = opts.port ? Number(opts.port) : await freePort(9200)
  const asUser = process.getuid?.() === 0 ? dropTo() : undefined
  run = join(cache, 'run')
  if (asUser && !reachable(cache, asUser)) {
    const base = join(tmpdir(), `beer-elasticsearch-${createHash('sha1').update(cache).digest('hex').slice(0, 8)}`)
    say(`${asUser.name} cannot reach ${cache}; running the node from ${base}`)
    mkdirSync(base, { recursive: true, mode: 0o755 })
    const copy = join(base, `elasticsearch-${version}`)
    if (!existsSync(join(copy, 'bin/elasticsearch'))) cpSync(dist, copy, { recursive: true })
    dist = copy
    run = join(base, 'run')
  }
  pidFile = join(run, 'es.pid')
  writeFileSync(runDirFile, run + '\n')

  if (!opts['keep-data']) rmSync(join(run, 'data'), { recursive: true, force: true })
  for (const d of ['data', 'logs', 'tmp']) mkdirSync(join(run, d), { recursive: true })
  rmSync(join(run, 'config'), { recursive: true, force: true })
  cpSync(join(dist, 'config'), join(run, 'config'), { recursive: true })
  writeFileSync(
    join(run, 'config/elasticsearch.yml'),
    [
      'cluster.name: beer-test',
      'node.name: beer-test-node',
      'discovery.type: single-node',
      'xpack.security.enabled: false',
      'network.host: 127.0.0.1',
      `http.port: ${port}`,
      `path.data: ${join(run, 'data')}`,
      `path.logs: ${join(run, 'logs')}`,
      // A test machine's disk is often fuller than the default watermarks (85/90/95 %) allow.
      'cluster.routing.allocation.disk.threshold_enabled: false',
      // Tests delete their indices by pattern.
      'action.destructive_requires_name: false',
      '',
    ].join('\n'),
  )
  rmSync(pidFile, { force: true })
  rmSync(urlFile, { force: true })

  if (asUser) chownTree(run, asUser.uid, asUser.gid)
  say(`starting ${version} on 127.0.0.1:${port}${asUser ? ` as ${asUser.name}` : ''} (heap ${heap()})`)
  const started = Date.now()
  // -d: the launcher returns once the node has started (or failed to); -p: the node's own pid.
  const r = spawnSync(join(dist, 'bin/elasticsearch'), ['-d', '-p', pidFile], {
    env: {
      ...process.env,
      ES_JAVA_HOME: java.home,
      ES_JAVA_OPTS: `-Xms${heap()} -Xmx${heap()}`,
      ES_PATH_CONF: join(run, 'config'),
      ES_TMPDIR: join(run, 'tmp'),
      HOME: run,
    },
    cwd: run,
    encoding: 'utf8',
    timeout: 300_000,
    ...(asUser ? { uid: asUser.uid, gid: asUser.gid } : {}),
  })
  if (r.status !== 0) {
    say(`the node did not start (exit ${r.status ?? r.signal ?? r.error?.message})`)
    process.stderr.write((r.stdout ?? '') + (r.stderr ?? '') + logTail())
    return 1
  }
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 180_000
  while (Date.now() < deadline) {
    const pid = readPid()
    if (pid === undefined || !alive(pid)) {
      say('the node exited while starting')
      process.stderr.write(logTail())
      return 1
    }
    const h = await health(url)
    if (h === 'green' || h === 'yellow') {
      writeFileSync(urlFile, url + '\n')
      say(`${h} at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`)
      process.stdout.write(`BEER_ES_URL=${url}\n`)
      return 0
    }
    await sleep(500)
  }
  say('the node did not become yellow or green within 180 s; stopping it')
  process.stderr.write(logTail())
  await stop()
  return 1
}

function heap() {
  return process.env.BEER_ES_HEAP ?? '512m'
}

function dropTo() {
  const name = process.env.BEER_ES_USER ?? 'nobody'
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim())
    return { name, uid, gid }
  } catch {
    throw new Error(`running as root, and Elasticsearch refuses root; no user '${name}' to run it as (set BEER_ES_USER)`)
  }
}

/** Whether `user` may enter every folder from / down to `dir` (its execute bit for them). */
function reachable(dir, user) {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const st = statSync(d)
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001
    if ((st.mode & bit) === 0) return false
    if (d === dirname(d)) return true
  }
}

function chownTree(dir, uid, gid) {
  chownSync(dir, uid, gid)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) chownTree(p, uid, gid)
    else chownSync(p, uid, gid)
  }
}

// ---- the distribution ------------------------------------------------------------------------------

async function distribution(version) {
  const dir = join(cache, `elasticsearch-${version}`)
  if (existsSync(join(dir, 'bin/elasticsearch'))) return dir
  mkdirSync(cache, { recursive: true })
  const zip = join(cache, `elasticsearch-${version}.zip`)
  if (!existsSync(zip)) await download(version, zip)
  const tmp = join(cache, `unzip-${process.pid}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)
  say(`unpacking ${zip}`)
  const u = spawnSync('unzip', ['-q', zip, '-d', tmp], { stdio: 'inherit' })
  if (u.status !== 0) {
    // No unzip: the JDK's jar tool reads zips too (it does not keep the executable bits).
    const jar = join(findJava().home, 'bin/jar')
    const j = spawnSync(jar, ['xf', zip], { cwd: tmp, stdio: 'inherit' })
    if (j.status !== 0) throw new Error(`cannot unpack ${zip}: neither unzip nor ${jar} worked`)
    for (const sub of ['bin', 'jdk/bin']) {
      const binDir = join(tmp, `elasticsearch-${version}`, sub)
      if (existsSync(binDir)) for (const f of readdirSync(binDir)) spawnSync('chmod', ['+x', join(binDir, f)])
    }
  }
  renameSync(join(tmp, `elasticsearch-${version}`), dir)
  rmSync(tmp, { recursive: true, force: true })
  return dir
}

async function download(version, zip) {
  const artifact = `${GROUP}:elasticsearch:${version}:zip`
  const m2 = join(homedir(), '.m2/repository', ...GROUP.split('.'), 'elasticsearch', version, `elasticsearch-${version}.zip`)
  if (existsSync(m2)) {
    say(`copying ${artifact} from the local Maven repository`)
    copyFileSync(m2, zip)
    return
  }
  if (spawnSync('mvn', ['--version'], { stdio: 'ignore' }).status === 0) {
    say(`downloading ${artifact} with mvn`)
    const r = spawnSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${cache}`], { stdio: 'inherit' })
    if (r.status === 0 && existsSync(zip)) return
    say('mvn could not fetch it; trying Maven Central over HTTPS')
  }
  const url = `https://repo1.maven.org/maven2/${GROUP.replaceAll('.', '/')}/elasticsearch/${version}/elasticsearch-${version}.zip`
  say(`downloading ${url}`)
  const res = await fetch(url)
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}; is ${version} a published Elasticsearch version?`)
  const body = Buffer.from(await res.arrayBuffer())
  const sumRes = await fetch(url + '.sha1')
  if (sumRes.ok) {
    const want = (await sumRes.text()).trim().split(/\s+/)[0]
    const got = createHash('sha1').update(body).digest('hex')
    if (want !== got) throw new Error(`${url}: SHA-1 ${got} differs from the published ${want}`)
  }
  writeFileSync(zip + '.part', body)
  renameSync(zip + '.part', zip)
}

// ---- Java ------------------------------------------------------------------------------------------

function javaVersion(home) {
  try {
    const release = readFileSync(join(home, 'release'), 'utf8')
    const m = /^JAVA_VERSION="?(\d+)(?:\.(\d+))?/m.exec(release)
    if (!m) return undefined
    // Java 8 and older say 1.8.
    const major = m[1] === '1' ? Number(m[2]) : Number(m[1])
    return existsSync(join(home, 'bin/java')) ? major : undefined
  } catch {
    return undefined
  }
}

function findJava() {
  const tried = []
  for (const name of ['ES_JAVA_HOME', 'JAVA_HOME']) {
    const home = process.env[name]
    if (!home) continue
    const v = javaVersion(home)
    if (v !== undefined && v >= MIN_JAVA) return { home, version: v }
    tried.push(`${name}=${home} (${v === undefined ? 'no JDK there' : `Java ${v}`})`)
  }
  const found = []
  for (const base of ['/usr/lib/jvm', '/usr/local/lib/jvm', '/opt/java', '/opt']) {
    if (!existsSync(base)) continue
    for (const d of readdirSync(base)) {
      const home = join(base, d)
      try {
        if (!statSync(home).isDirectory()) continue
      } catch {
        continue
      }
      const v = javaVersion(home)
      if (v !== undefined) found.push({ home, version: v })
    }
  }
  found.sort((a, b) => b.version - a.version)
  if (found[0] && found[0].version >= MIN_JAVA) return found[0]
  throw new Error(
    `Elasticsearch 9 needs Java ${MIN_JAVA} or later; found ${[...tried, ...found.map((f) => `${f.home} (Java ${f.version})`)].join(', ') || 'none'}. Install a JDK 21+ or set ES_JAVA_HOME.`,
  )
}

// ---- stop and status --------------------------------------------------------------------------------

async function stop() {
  const pid = readPid()
  rmSync(urlFile, { force: true })
  if (pid === undefined || !alive(pid)) {
    say('not running')
    rmSync(pidFile, { force: true })
    return 0
  }
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (alive(pid) && Date.now() < deadline) await sleep(200)
  if (alive(pid)) {
    say(`pid ${pid} did not stop within 30 s; killing it`)
    process.kill(pid, 'SIGKILL')
    while (alive(pid)) await sleep(100)
  }
  rmSync(pidFile, { force: true })
  say(`stopped (pid ${pid})`)
  return 0
}

async function status() {
  const url = runningUrl()
  const h = url ? await health(url) : undefined
  if (!url || !h) {
    process.stdout.write('not running\n')
    return 1
  }
  process.stdout.write(`running at ${url} (pid ${readPid()}), cluster ${h}\n`)
  return 0
}

function runningUrl() {
  const pid = readPid()
  if (pid === undefined || !alive(pid) || !existsSync(urlFile)) return undefined
  return readFileSync(urlFile, 'utf8').trim()
}

function readPid() {
  try {
    const n = Number(readFileSync(pidFile, 'utf8').trim())
    return Number.isInteger(n) && n > 0 && isElasticsearch(n) ? n : undefined
  } catch {
    return undefined
  }
}

// A pid file left by a node that is gone can name another process by now (after a reboot): stop
// must never signal that one. On Linux the process's command line says whether it is a node.
function isElasticsearch(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('org.elasticsearch')
  } catch (err) {
    return err.code !== 'ENOENT' || process.platform !== 'linux'
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    // A zombie still answers kill(0): a stopped node that nobody reaped is not running.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch (err) {
    return err.code === 'EPERM' || (err.code === 'ENOENT' && process.platform !== 'linux')
  }
}

async function health(url) {
  try {
    const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`, { signal: AbortSignal.timeout(3000) })
    if (!res.ok) return undefined
    return (await res.json()).status
  } catch {
    return undefined
  }
}

function logTail() {
  const file = join(run, 'logs/beer-test.log')
  if (!existsSync(file)) return ''
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
  return `--- last lines of ${file} ---\n${lines.slice(-30).join('\n')}\n`
}

function freePort(preferred) {
  const tryPort = (port) =>
    new Promise((resolvePort) => {
      const s = createServer()
      s.once('error', () => resolvePort(undefined))
      s.listen(port, '127.0.0.1', () => {
        const p = s.address().port
        s.close(() => resolvePort(p))
      })
    })
  return tryPort(preferred).then((p) => p ?? tryPort(0))
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

main().then(
  (code) => process.exit(code),
  (err) => {
    say(err.message)
    process.exit(1)
  },
)

// Starts a real Nagios 4 and NSCA daemon of the test's own, each with a generated configuration in a
// temporary folder, and reads back what Nagios recorded. Never the system's services.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { accessSync, constants, openSync, closeSync } from 'node:fs'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const SEARCH = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin']

/** The full path of the first of `names` found on PATH or in the usual sbin folders. */
export function findBinary(...names: string[]): string | undefined {
  for (const name of names) {
    for (const dir of SEARCH) {
      if (!dir) continue
      const p = path.join(dir, name)
      try {
        accessSync(p, constants.X_OK)
        return p
      } catch {}
    }
  }
  return undefined
}

export const NAGIOS = findBinary('nagios4', 'nagios')
export const NSCA = findBinary('nsca')
export const SEND_NSCA = findBinary('send_nsca')

/**
 * `false` when the binaries are there; otherwise the reason to skip, printed once. In CI a missing
 * binary fails instead: these tests are the proof that Nagios takes what the sink sends.
 */
export function skipUnless(...bins: Array<[string, string | undefined]>): string | false {
  const missing = bins.filter(([, p]) => p === undefined).map(([n]) => n)
  if (missing.length === 0) return false
  const reason = `${missing.join(', ')} not installed (apt-get install --no-install-recommends nagios4-core nsca)`
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI: ${reason}; the Nagios tests must run in CI`)
  console.log(`notice: ${reason}: the tests against a real Nagios skip here (they run in CI).`)
  return reason
}

const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

async function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child)
    return
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const late = await Promise.race([exited.then(() => false), sleep(timeoutMs).then(() => true)])
  if (late) {
    child.kill('SIGKILL')
    await exited
  }
  children.delete(child)
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

export function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', ['-m', '0660', p])
  if (r.status !== 0) throw new Error(`mkfifo ${p}: ${r.stderr}`)
}

export interface StatusBlock {
  [key: string]: string
}

/** The blocks of a status.dat (`servicestatus { … }`), by type. */
export function parseStatus(text: string): Map<string, StatusBlock[]> {
  const out = new Map<string, StatusBlock[]>()
  for (const m of text.matchAll(/^(\w+) \{\n([\s\S]*?)\n\t\}/gm)) {
    const block: StatusBlock = {}
    for (const line of m[2]!.split('\n')) {
      const t = line.replace(/^\t/, '')
      const eq = t.indexOf('=')
      if (eq > 0) block[t.slice(0, eq)] = t.slice(eq + 1)
    }
    const list = out.get(m[1]!) ?? []
    list.push(block)
    out.set(m[1]!, list)
  }
  return out
}

export interface HostDef {
  name: string
  services: string[]
}

const OBJECTS_HEAD = `define timeperiod {
  timeperiod_name 24x7
  alias 24x7
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00
}
define command {
  command_name passive
  command_line /bin/true
}
define contact {
  contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period 24x7
  service_notification_period 24x7
  host_notification_options n
  service_notification_options n
  host_notification_commands passive
  service_notification_commands passive
}
`

function objects(hosts: readonly HostDef[]): string {
  let text = OBJECTS_HEAD
  for (const h of hosts) {
    // Passive only: nothing but the results the sink sends changes these states.
    text += `define host {
  host_name ${h.name}
  address 127.0.0.1
  max_check_attempts 1
  check_period 24x7
  check_command passive
  active_checks_enabled 0
  passive_checks_enabled 1
  check_freshness 0
  contacts nobody
  notification_period 24x7
}
`
    for (const s of h.services) {
      text += `define service {
  host_name ${h.name}
  service_description ${s}
  check_command passive
  max_check_attempts 1
  check_interval 5
  retry_interval 1
  check_period 24x7
  active_checks_enabled 0
  passive_checks_enabled 1
  check_freshness 0
  contacts nobody
  notification_period 24x7
}
`
    }
  }
  return text
}

/** A Nagios 4 of the test's own, in the foreground as a child process. */
export class NagiosServer {
  readonly dir: string
  readonly commandFile: string
  readonly statusFile: string
  readonly logFile: string
  readonly #child: ChildProcess

  private constructor(dir: string, child: ChildProcess) {
    this.dir = dir
    this.commandFile = path.join(dir, 'rw', 'nagios.cmd')
    this.statusFile = path.join(dir, 'status.dat')
    this.logFile = path.join(dir, 'nagios.log')
    this.#child = child
  }

  static async start(dir: string, hosts: readonly HostDef[]): Promise<NagiosServer> {
    if (!NAGIOS) throw new Error('nagios4 is not installed')
    await mkdir(path.join(dir, 'rw'), { recursive: true })
    await mkdir(path.join(dir, 'checkresults'), { recursive: true })
    const user = os.userInfo()
    const p = (f: string): string => path.join(dir, f)
    await writeFile(p('objects.cfg'), objects(hosts))
    await writeFile(
      p('nagios.cfg'),
      [
        `log_file=${p('nagios.log')}`,
        `cfg_file=${p('objects.cfg')}`,
        `object_cache_file=${p('objects.cache')}`,
        `precached_object_file=${p('objects.precache')}`,
        `status_file=${p('status.dat')}`,
        'status_update_interval=1',
        // Nagios drops privileges to nagios_user only when started as root.
        `nagios_user=${user.uid === 0 ? 'root' : user.username}`,
        `nagios_group=${user.uid === 0 ? 'root' : String(user.gid)}`,
        'check_external_commands=1',
        `command_file=${p('rw/nagios.cmd')}`,
        `lock_file=${p('nagios.lock')}`,
        `temp_file=${p('nagios.tmp')}`,
        `temp_path=${dir}`,
        `check_result_path=${p('checkresults')}`,
        `state_retention_file=${p('retention.dat')}`,
        'retain_state_information=0',
        `query_socket=${p('rw/nagios.qh')}`,
        'check_workers=1',
        'check_result_reaper_frequency=1',
        'accept_passive_service_checks=1',
        'accept_passive_host_checks=1',
        'passive_host_checks_are_soft=0',
        'log_passive_checks=1',
        'log_external_commands=1',
        'enable_notifications=0',
        'enable_flap_detection=0',
        'use_syslog=0',
        "illegal_object_name_chars=`~!$%^&*|'\"<>?,()=",
        "illegal_macro_output_chars=`~$&|'\"<>",
        '',
      ].join('\n'),
    )
    const out = openSync(p('stdout.log'), 'a')
    const child = spawn(NAGIOS, [p('nagios.cfg')], { cwd: dir, stdio: ['ignore', out, out] })
    closeSync(out)
    children.add(child)
    const server = new NagiosServer(dir, child)
    try {
      await until('Nagios to start', async () => {
        if (child.exitCode !== null) throw new Error(`nagios4 exited with ${child.exitCode}: ${await readFile(p('stdout.log'), 'utf8')}`)
        const [cmd, st] = await Promise.all([stat(server.commandFile).catch(() => null), stat(server.statusFile).catch(() => null)])
        return cmd?.isFIFO() && st ? true : undefined
      })
    } catch (err) {
      await server.stop()
      throw err
    }
    return server
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  async stop(): Promise<void> {
    await stopChild(this.#child)
  }

  async status(): Promise<Map<string, StatusBlock[]>> {
    return parseStatus(await readFile(this.statusFile, 'utf8').catch(() => ''))
  }

  async service(host: string, service: string): Promise<StatusBlock | undefined> {
    return (await this.status()).get('servicestatus')?.find((b) => b.host_name === host && b.service_description === service)
  }

  async host(host: string): Promise<StatusBlock | undefined> {
    return (await this.status()).get('hoststatus')?.find((b) => b.host_name === host)
  }

  /**
   * Waits until status.dat shows a passive result for the service that `accept` approves.
   * Before any result a passive service shows has_been_checked=0.
   */
  async waitService(host: string, service: string, accept: (b: StatusBlock) => boolean, timeoutMs = 20_000): Promise<StatusBlock> {
    return until(`Nagios to record a result for ${host};${service}`, async () => {
      const b = await this.service(host, service)
      return b && b.has_been_checked === '1' && accept(b) ? b : undefined
    }, timeoutMs)
  }

  async waitHost(host: string, accept: (b: StatusBlock) => boolean, timeoutMs = 20_000): Promise<StatusBlock> {
    return until(`Nagios to record a result for host ${host}`, async () => {
      const b = await this.host(host)
      return b && b.has_been_checked === '1' && accept(b) ? b : undefined
    }, timeoutMs)
  }

  /** Lines of nagios.log, without their `[epoch] ` prefix. */
  async log(): Promise<string[]> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '')
    return text.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\[\d+\] /, ''))
  }
}

export interface NscaConfig {
  port: number
  commandFile: string
  decryptionMethod: 0 | 1
  password?: string
}

/** An NSCA daemon of the test's own (`nsca -f --single`), feeding the given command file. */
export class NscaServer {
  readonly port: number
  readonly #child: ChildProcess

  private constructor(port: number, child: ChildProcess) {
    this.port = port
    this.#child = child
  }

  static async start(dir: string, c: NscaConfig): Promise<NscaServer> {
    if (!NSCA) throw new Error('nsca is not installed')
    await mkdir(dir, { recursive: true })
    const cfg = path.join(dir, `nsca-${c.port}.cfg`)
    await writeFile(
      cfg,
      [
        `server_port=${c.port}`,
        'server_address=127.0.0.1',
        `command_file=${c.commandFile}`,
        `alternate_dump_file=${path.join(dir, `nsca-${c.port}.dump`)}`,
        'aggregate_writes=0',
        'append_to_file=0',
        'max_packet_age=30',
        `decryption_method=${c.decryptionMethod}`,
        ...(c.password === undefined ? [] : [`password=${c.password}`]),
        'debug=0',
        '',
      ].join('\n'),
    )
    const out = openSync(path.join(dir, `nsca-${c.port}.out`), 'a')
    const child = spawn(NSCA, ['-f', '-c', cfg, '--single'], { cwd: dir, stdio: ['ignore', out, out] })
    closeSync(out)
    children.add(child)
    const server = new NscaServer(c.port, child)
    try {
      await until(`nsca to listen on ${c.port}`, async () => {
        if (child.exitCode !== null) throw new Error(`nsca exited with ${child.exitCode}`)
        const ok = await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: c.port })
          s.once('connect', () => {
            s.destroy()
            resolve(true)
          })
          s.once('error', () => resolve(false))
        })
        return ok ? true : undefined
      })
    } catch (err) {
      await server.stop()
      throw err
    }
    return server
  }

  async stop(): Promise<void> {
    await stopChild(this.#child)
  }
}

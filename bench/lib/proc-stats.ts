// CPU time and peak memory of a process and all its descendants, read from Linux /proc
// (proc(5): /proc/<pid>/stat fields 14–15 utime/stime in clock ticks, /proc/<pid>/status VmHWM).
// Threads are part of their process; child processes (a receiver's own workers) are added in.
import { readFileSync, readdirSync } from 'node:fs'
import { execSync } from 'node:child_process'

let ticksPerSecond = 100
try {
  ticksPerSecond = Number(execSync('getconf CLK_TCK').toString().trim()) || 100
} catch {}

interface StatLine {
  pid: number
  ppid: number
  cpuTicks: number
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces or ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    return { pid, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) }
  } catch {
    return undefined
  }
}

/** `root` and every process below it that is alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const st = readStat(pid)
    if (!st) continue
    const list = children.get(st.ppid) ?? []
    list.push(pid)
    children.set(st.ppid, list)
  }
  const out: number[] = []
  const todo = [root]
  while (todo.length) {
    const pid = todo.pop()!
    out.push(pid)
    todo.push(...(children.get(pid) ?? []))
  }
  return out
}

/** User + system CPU seconds used so far by `root` and its live descendants. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0
  for (const pid of processTree(root)) ticks += readStat(pid)?.cpuTicks ?? 0
  return ticks / ticksPerSecond
}

/** Peak resident set size (VmHWM) in bytes, summed over `root` and its live descendants. */
export function treePeakRssBytes(root: number): number {
  let kib = 0
  for (const pid of processTree(root)) {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) kib += Number(m[1])
    } catch {}
  }
  return kib * 1024
}

/** CPU seconds the whole machine has spent busy (all cores; /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  const f = first.trim().split(/\s+/).slice(1).map(Number)
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!
  return busy / ticksPerSecond
}

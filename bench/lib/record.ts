import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import { execSync } from 'node:child_process'

const RESULTS = new URL('../RESULTS.md', import.meta.url)

/** One line naming the machine a figure was measured on. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu'
  const memGiB = (os.totalmem() / 2 ** 30).toFixed(1)
  let kernel = os.release()
  try {
    kernel = execSync('uname -r').toString().trim()
  } catch {}
  return `${os.availableParallelism()} cores (${cpu}), ${memGiB} GiB, Linux ${kernel}, Node ${process.version}`
}

/**
 * Replaces this benchmark's section of bench/RESULTS.md (between its markers) with `body`, headed
 * by the date, the exact command and the machine, so every figure says how it was produced.
 */
export function recordResults(name: string, title: string, command: string, body: string): void {
  const start = `<!-- bench:${name} -->`
  const end = `<!-- /bench:${name} -->`
  const section = [
    start,
    `## ${title}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- command: \`${command}\``,
    `- machine: ${machine()}`,
    '',
    body.trimEnd(),
    end,
  ].join('\n')
  let text = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nEach section is rewritten by the benchmark named in it; run `npm run bench` (all) or the command shown.\n'
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i >= 0 && j > i) text = text.slice(0, i) + section + text.slice(j + end.length)
  else text = text.trimEnd() + '\n\n' + section + '\n'
  writeFileSync(RESULTS, text)
  console.log(`recorded in bench/RESULTS.md (${name})`)
}

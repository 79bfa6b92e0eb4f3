// The one-thread timing harness of the parser benchmarks: compiled passes, one full collection,
// warm-up, then rounds in rotating order, the median per runner.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export type Runner = (line: string) => number

// One full collection before the warm-up, so that no contender starts with garbage left by what
// ran before. None between timed passes: a forced full collection with nothing in flight frees the
// object shapes that only the last pass's (dead) objects had, and the runtime then discards the
// compiled code that relies on them (`--trace-deopt`: "marking dependent code for deoptimization,
// reason: weak objects"), so the pass after it measures recompilation. A running collector
// collects fully only now and then, with events in flight. Each pass's young garbage is collected
// during that pass; the rotating order spreads what remains alike.
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/**
 * A timed pass over a corpus, compiled afresh per runner so that no call site is shared.
 * `catchErrors` counts a throw as a result instead of ending the pass (peers that throw on
 * lines they cannot read).
 */
function makePass(run: Runner, catchErrors: boolean): (lines: string[]) => number {
  const body = catchErrors ? 'try { sink ^= run(lines[i]) } catch { sink ^= 1 }' : 'sink ^= run(lines[i])'
  const pass = new Function(
    'run',
    'lines',
    `let sink = 0
    const t0 = performance.now()
    for (let i = 0; i < lines.length; i++) { ${body} }
    const ms = performance.now() - t0
    if (sink === 0.5) console.log(sink)
    return ms`,
  ) as (run: Runner, lines: string[]) => number
  return (lines) => pass(run, lines)
}

export interface PassOptions {
  warmup: number
  rounds: number
  catchErrors?: boolean
}

/**
 * Median lines/s of each (runner, corpus) pair: `warmup` untimed passes each, then `rounds`
 * rounds in which every pair makes one timed pass, in rotating order, so that a change in
 * machine load during the run touches all of them alike.
 */
export function medianRates(pairs: readonly (readonly [Runner, string[]])[], o: PassOptions): number[] {
  const passes = pairs.map(([run]) => makePass(run, o.catchErrors === true))
  collectGarbage()
  pairs.forEach(([, lines], k) => {
    for (let w = 0; w < o.warmup; w++) passes[k]!(lines)
  })
  const rates: number[][] = pairs.map(() => [])
  for (let r = 0; r < o.rounds; r++) {
    for (let k = 0; k < pairs.length; k++) {
      const j = (k + r) % pairs.length
      rates[j]!.push((pairs[j]![1].length / passes[j]!(pairs[j]![1])) * 1000)
    }
  }
  return rates.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]!)
}

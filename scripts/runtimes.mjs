// Finds the Bun and Deno binaries that the root devDependencies `bun` and `deno` install, for tests
// that run code under those runtimes. `node scripts/runtimes.mjs` prints what it finds.
//
// Both npm packages ship a postinstall script that puts the binary in place of a stub; npm may skip
// it (`--ignore-scripts`, or an install-script policy that denies it). The binary itself is in a
// platform package installed as an optional dependency (`@oven/bun-linux-x64`,
// `@deno/linux-x64-glibc`, …), which needs no script, so that is looked at too. Every candidate must
// answer `--version` before it is used: this rejects the stub and a Bun build the CPU cannot run
// (the default x64 build needs AVX2; `@oven/bun-<os>-x64-baseline` does not).
//
// BEER_BUN / BEER_DENO name a binary to use instead (another version, or one installed elsewhere).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(join(root, 'package.json'))
const windows = process.platform === 'win32'

/**
 * @typedef {{ found: true, name: string, path: string, version: string }} Found
 * @typedef {{ found: false, name: string, reason: string }} Missing
 * @typedef {Found | Missing} Runtime
 */

/** @returns {Runtime} */
export function findBun() {
  return pick('bun', 'BEER_BUN', [
    packageFile('bun', 'bin/bun.exe'),
    ...bunPlatformPackages().map((p) => packageFile(p, windows ? 'bin/bun.exe' : 'bin/bun')),
  ], 'npm ci (root devDependency "bun")')
}

/** @returns {Runtime} */
export function findDeno() {
  const exe = windows ? 'deno.exe' : 'deno'
  return pick('deno', 'BEER_DENO', [
    packageFile('deno', exe),
    ...denoPlatformPackages().map((p) => packageFile(p, exe)),
  ], 'npm ci (root devDependency "deno")')
}

/** Package names as in the `optionalDependencies` of the npm packages `bun` and `deno`. */
function bunPlatformPackages() {
  const os = /** @type {Record<string, string>} */ ({ linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd' })[process.platform]
  const arch = /** @type {Record<string, string>} */ ({ x64: 'x64', arm64: 'aarch64' })[process.arch]
  if (!os || !arch) return []
  const base = `@oven/bun-${os}-${arch}${os === 'linux' && isMusl() ? '-musl' : ''}`
  return arch === 'x64' ? [base, `${base}-baseline`] : [base]
}

function denoPlatformPackages() {
  const arch = /** @type {Record<string, string>} */ ({ x64: 'x64', arm64: 'arm64' })[process.arch]
  if (!arch) return []
  if (process.platform === 'linux') return isMusl() ? [] : [`@deno/linux-${arch}-glibc`]
  if (process.platform === 'darwin' || process.platform === 'win32') return [`@deno/${process.platform}-${arch}`]
  return []
}

function isMusl() {
  if (process.platform !== 'linux') return false
  // Without excludeNetwork the report resolves host names, which can hang without a network.
  const report = /** @type {{ excludeNetwork?: boolean, getReport(): object }} */ (process.report)
  const before = report.excludeNetwork
  report.excludeNetwork = true
  try {
    return !(/** @type {{ header?: { glibcVersionRuntime?: string } }} */ (report.getReport()).header?.glibcVersionRuntime)
  } finally {
    report.excludeNetwork = before
  }
}

/**
 * @param {string} pkg
 * @param {string} file
 * @returns {string | null}
 */
function packageFile(pkg, file) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), file)
  } catch {
    return null
  }
}

/**
 * @param {string} name
 * @param {string} envVar
 * @param {(string | null)[]} candidates
 * @param {string} remedy
 * @returns {Runtime}
 */
function pick(name, envVar, candidates, remedy) {
  const override = process.env[envVar]
  const paths = override ? [override] : candidates.filter(/** @returns {p is string} */ (p) => p !== null && existsSync(p))
  /** @type {string[]} */
  const refused = []
  for (const path of paths) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 })
    const version = r.status === 0 ? /\d+\.\d+\.\d+\S*/.exec(r.stdout)?.[0] : undefined
    if (version) return { found: true, name, path, version }
    refused.push(`${path}: ${why(r)}`)
  }
  if (override) return { found: false, name, reason: `${envVar}=${override} does not run: ${refused.join('; ')}` }
  const tried = refused.length ? ` (present but not runnable: ${refused.join('; ')})` : ''
  return { found: false, name, reason: `no runnable ${name} binary for ${process.platform}-${process.arch} under node_modules${tried}; run ${remedy}` }
}

/** @param {import('node:child_process').SpawnSyncReturns<string>} r */
function why(r) {
  if (r.error) return r.error.message
  // SIGILL: an instruction the CPU lacks, i.e. the AVX2 build of Bun on an older CPU.
  if (r.signal === 'SIGILL') return 'illegal instruction (a build this CPU cannot run; for Bun on x64 without AVX2 add @oven/bun-<os>-x64-baseline)'
  if (r.signal) return `killed by ${r.signal}`
  return `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let ok = true
  for (const r of [findBun(), findDeno()]) {
    if (r.found) console.log(`${r.name} ${r.version}  ${r.path}`)
    else {
      ok = false
      console.log(`${r.name}: ${r.reason}`)
    }
  }
  if (process.platform === 'linux' && process.arch === 'x64') {
    const avx2 = /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))
    console.log(`cpu: ${avx2 ? 'AVX2 (runs the default Bun build)' : 'no AVX2 (needs @oven/bun-linux-x64-baseline)'}`)
  }
  process.exit(ok ? 0 : 1)
}

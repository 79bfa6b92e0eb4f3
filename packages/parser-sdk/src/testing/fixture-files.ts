// The kit's only file-system code: tests run on Node (and on Bun and Deno, which implement node:fs).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FixtureSet, FixtureText } from './check-fixtures.ts'

/** A fixtures folder given as a URL (`new URL('../fixtures/', import.meta.url)`) or a path. */
export function fixturesPath(fixtures: string | URL): string {
  return fixtures instanceof URL || fixtures.startsWith('file:') ? fileURLToPath(fixtures) : fixtures
}

/** The `.log` files of a fixtures folder and of its `not-mine/` folder, by name, without reading them. */
export function listFixtures(dir: string): { files: string[]; notMine: string[] } {
  const logs = (d: string) => (isDir(d) ? readdirSync(d).filter((f) => f.endsWith('.log')).sort() : [])
  return { files: logs(dir), notMine: logs(join(dir, 'not-mine')).map((f) => `not-mine/${f}`) }
}

/** Reads a fixtures folder: each `.log` with the `.json` beside it, and `not-mine/*.log`. */
export function readFixtures(dir: string): FixtureSet {
  const { files, notMine } = listFixtures(dir)
  const read = (file: string): FixtureText => ({ file, text: readFileSync(join(dir, file), 'utf8') })
  const json = isDir(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []
  return {
    files: files.map((file) => {
      const expected = join(dir, file.replace(/\.log$/, '.json'))
      return existsSync(expected) ? { ...read(file), expected: readFileSync(expected, 'utf8') } : read(file)
    }),
    notMine: notMine.map(read),
    orphans: json.filter((f) => !files.includes(f.replace(/\.json$/, '.log'))).sort(),
  }
}

export function writeFixture(dir: string, file: string, text: string): void {
  writeFileSync(join(dir, file), text)
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory()
}

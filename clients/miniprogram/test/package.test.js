// The kit as an npm package: `npm pack` holds exactly the kit, and a project that installs
// the tarball (as WeChat DevTools' 构建 npm, uni-app or Taro projects do) can require it and
// gets its types.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const KIT = path.join(__dirname, '..')
const TSC = path.join(KIT, '..', 'node_modules', 'typescript', 'bin', 'tsc')
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

test('npm pack contains the kit, its types and its package.json, nothing else', () => {
  const [packed] = JSON.parse(npm(['pack', '--dry-run', '--json'], KIT))
  const manifest = JSON.parse(fs.readFileSync(path.join(KIT, 'package.json'), 'utf8'))
  assert.equal(packed.name, 'wxauth-miniprogram')
  assert.equal(packed.version, manifest.version)
  assert.deepEqual(packed.files.map((f) => f.path).sort(), ['package.json', 'wxauth.d.ts', 'wxauth.js'])
  assert.equal(manifest.main, 'wxauth.js')
  assert.equal(manifest.types, 'wxauth.d.ts')
  assert.equal(manifest.dependencies, undefined)
})

test('an installed tarball can be required and type-checked by its package name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxauth-pack-'))
  try {
    const tarball = path.join(dir, npm(['pack', '--pack-destination', dir], KIT).trim().split('\n').pop())
    const app = path.join(dir, 'app')
    fs.mkdirSync(app)
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
    npm(['install', '--no-audit', '--no-fund', '--offline', tarball], app)

    const out = execFileSync(
      process.execPath,
      ['-e', "const k = require('wxauth-miniprogram'); console.log(typeof k.createClient, typeof k.wxAuthError)"],
      { cwd: app, encoding: 'utf8' }
    )
    assert.equal(out.trim(), 'function function')

    // The official typings reach the app as in a TypeScript mini-program project (no DOM lib).
    const typings = path.join(KIT, '..', 'node_modules', 'miniprogram-api-typings')
    fs.symlinkSync(typings, path.join(app, 'node_modules', 'miniprogram-api-typings'))
    fs.writeFileSync(
      path.join(app, 'index.ts'),
      "import { createClient, type Session } from 'wxauth-miniprogram'\n" +
        "const auth = createClient({ baseUrl: 'https://auth.example.com' })\n" +
        'export const session: Promise<Session> = auth.login()\n'
    )
    const bad = "import { createClient } from 'wxauth-miniprogram'\ncreateClient({ baseUrl: 42 })\n"
    fs.writeFileSync(path.join(app, 'bad.ts'), bad)
    const tsc = (file) =>
      execFileSync(process.execPath, [TSC, '--strict', '--noEmit', '--lib', 'es2017', '--types', 'miniprogram-api-typings', file], {
        cwd: app,
        encoding: 'utf8',
      })
    tsc('index.ts')
    assert.throws(() => tsc('bad.ts'), (err) => /bad\.ts.*not assignable to type 'string'/.test(err.stdout))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

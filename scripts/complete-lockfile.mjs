// The npm registry this project's machines reach serves the platform packages
// of the machine's own kind only (linux). `npm install` therefore leaves the
// other platforms' optional binaries (esbuild, rollup, biome, ...) out of
// package-lock.json, and `npm ci` then refuses the lock as out of sync.
//
// This script adds an entry for each missing optional platform package,
// marked optional with the os / cpu / libc its name declares, so `npm ci`
// accepts the lock and skips them on machines they are not for. Run it after
// every `npm install` that changes the lock: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

const OS = [
  'aix',
  'android',
  'darwin',
  'freebsd',
  'linux',
  'netbsd',
  'openbsd',
  'openharmony',
  'sunos',
  'win32',
  'wasi',
];
const CPU = [
  'arm64',
  'arm',
  'x64',
  'ia32',
  'ppc64',
  's390x',
  'mips64el',
  'riscv64',
  'loong64',
  'loongarch64',
  'wasm32',
];

/** os / cpu / libc from a platform package name such as `@esbuild/linux-x64` or `cli-linux-arm64-musl`. */
function platformOf(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const os = parts.find((p) => OS.includes(p));
  let cpu = parts.find((p) => CPU.includes(p));
  if (!cpu && parts.includes('arm')) cpu = 'arm';
  if (base.includes('arm-eabi') || base.includes('arm-gnueabihf') || base.includes('arm-musleabihf'))
    cpu = 'arm';
  const entry = {};
  if (os) entry.os = [os === 'openharmony' ? 'openharmony' : os];
  if (cpu) entry.cpu = [cpu === 'loongarch64' ? 'loong64' : cpu];
  if (base.includes('musl')) entry.libc = ['musl'];
  else if (base.includes('gnu') && os === 'linux') entry.libc = ['glibc'];
  return entry;
}

let added = 0;
for (const [key, pkg] of Object.entries(packages)) {
  const optional = pkg.optionalDependencies ?? {};
  for (const [dep, range] of Object.entries(optional)) {
    const base = key === '' ? '' : `${key}/`;
    const candidates = [`${base}node_modules/${dep}`, `node_modules/${dep}`];
    if (candidates.some((c) => packages[c])) continue;
    const version = range.replace(/^[\^~=]/, '');
    if (!/^\d+\.\d+\.\d+/.test(version)) continue;
    packages[`node_modules/${dep}`] = { version, optional: true, ...platformOf(dep) };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);

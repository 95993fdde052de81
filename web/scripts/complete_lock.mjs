// Completes package-lock.json with rollup's platform packages that a filtering registry proxy
// (as on the build machines) does not serve: without their entries `npm ci` refuses the lock.
// Each entry carries its os / cpu / libc, so npm ci skips it on every other platform and fetches
// it only where it is needed. Run after `npm install` changes the lock: node scripts/complete_lock.mjs
import fs from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(path, 'utf8'));
const packages = lock.packages;
const rollup = packages['node_modules/rollup'];
let added = 0;
for (const [name, version] of Object.entries(rollup?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (packages[key]) continue;
  const match = /^@rollup\/rollup-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z0-9]+))?$/.exec(name);
  if (!match) throw new Error(`unexpected rollup platform package ${name}`);
  const [, os, cpu, abi] = match;
  const entry = { cpu: [cpu], dev: true, license: 'MIT', optional: true, os: [os], version };
  if (os === 'linux' && abi) entry.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
  packages[key] = Object.fromEntries(Object.entries(entry).sort(([a], [b]) => a.localeCompare(b)));
  added += 1;
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(`complete_lock: ${added} entries added`);

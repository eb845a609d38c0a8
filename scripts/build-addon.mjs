#!/usr/bin/env node
// Builds build/Release/hyphae.node with cmake-js against node-api-headers
// (napi_versions in package.json), so no Node headers are downloaded.
// Used as the package's install script and by scripts/setup.
//   --force   reconfigure and rebuild from scratch
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

let cmakeJs;
try {
  cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
} catch {
  console.error('hyphae: cmake-js is not installed; run `npm install` first.');
  process.exit(1);
}

const force = process.argv.includes('--force');
const args = [cmakeJs, force ? 'rebuild' : 'compile', '--out', 'build', '--config', 'Release'];
if (process.env.HYPHAE_WERROR === '1') args.push('--CDHYPHAE_WERROR=ON');

// npm passes its `nodedir` setting down as an environment variable; cmake-js
// must use node-api-headers instead of whatever that points to.
const env = { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2' };
delete env.npm_config_nodedir;
delete env.NPM_CONFIG_NODEDIR;

const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error(
    'hyphae: building the native addon failed. It needs a C++20 compiler, CMake >= 3.20 and\n' +
      '  Boost >= 1.81 and nlohmann-json headers; on Debian 12:\n' +
      '  sudo apt-get install -y build-essential cmake libboost1.81-dev nlohmann-json3-dev',
  );
  process.exit(result.status ?? 1);
}

// Loads the compiled addon. A missing or broken build gets an error that
// names the command that builds it.
import { createRequire } from 'node:module';
import { ErrorCodes, HyphaeError } from './errors.js';

const require = createRequire(import.meta.url);
// HYPHAE_ADDON: another build of the addon (the sanitizer run of the tests,
// scripts/test-js-sanitized).
const addonPath = process.env.HYPHAE_ADDON ?? '../build/Release/hyphae.node';

function load() {
  try {
    return require(addonPath);
  } catch (cause) {
    throw new HyphaeError(
      ErrorCodes.NATIVE_MISSING,
      'hyphae: the native addon build/Release/hyphae.node could not be loaded ' +
        `(${cause.message}). Build it with \`npm run build\` in the hyphae package ` +
        '(or `npm rebuild hyphae` from a project that depends on it).',
      { cause },
    );
  }
}

export const { NativeServer } = load();

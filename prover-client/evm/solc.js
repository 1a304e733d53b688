#!/usr/bin/env node
// A stand-in for a native `solc` over the npm `solc` package (solc-js), for tools that run
// a compiler binary: `--version` and `--standard-json` (standard JSON on stdin, answer on
// stdout; imports are read from the file system relative to the working directory).
// `--solcjs-version` prints solc-js's own version string.
//
// The package is found at $PROVREG_SOLCJS (the package's folder), else by Node's usual
// module resolution.
'use strict';

const fs = require('fs');
const path = require('path');

const solc = require(process.env.PROVREG_SOLCJS || 'solc');

// solc-js reports an `Emscripten.clang` build; tools that parse the native compiler's
// answer expect a platform build string.
function nativeVersion() {
  return solc.version().replace(/\.Emscripten\.clang$/, '.Linux.g++');
}

function readImport(importPath) {
  try {
    return { contents: fs.readFileSync(path.resolve(importPath), 'utf8') };
  } catch (e) {
    return { error: `cannot read ${importPath}: ${e.message}` };
  }
}

function standardJson() {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    const output = solc.compile(Buffer.concat(chunks).toString('utf8'), { import: readImport });
    // No process.exit() here: it would cut a piped answer short (at 64 KiB).
    process.stdout.write(output);
  });
}

const args = process.argv.slice(2);
if (args.includes('--solcjs-version')) {
  process.stdout.write(`${solc.version()}\n`);
} else if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${nativeVersion()}\n`);
} else if (args.includes('--standard-json')) {
  standardJson();
} else {
  process.stderr.write('only --version and --standard-json are supported\n');
  process.exitCode = 2;
}

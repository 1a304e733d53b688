#!/usr/bin/env node
// Compiles ProvenanceAnchor.sol with the pinned solc-js (standard JSON, no network) into the
// checked-in artifact ProvenanceAnchor.json.
//
//   node build.js          write the artifact
//   node build.js --check  exit 1 when the artifact differs from a fresh compilation
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const SOURCE = 'ProvenanceAnchor.sol';
const CONTRACT = 'ProvenanceAnchor';
const ARTIFACT = path.join(__dirname, `${CONTRACT}.json`);

const settings = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: 'none' },
  outputSelection: { [SOURCE]: { [CONTRACT]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

function compile() {
  const content = fs.readFileSync(path.join(__dirname, SOURCE), 'utf8');
  const input = { language: 'Solidity', sources: { [SOURCE]: { content } }, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (errors.length > 0) throw new Error(`${SOURCE} does not compile`);
  const contract = output.contracts[SOURCE][CONTRACT];
  const artifact = {
    contractName: CONTRACT,
    sourceName: SOURCE,
    compiler: { name: 'solc', version: solc.version() },
    settings: { evmVersion: settings.evmVersion, optimizer: settings.optimizer, metadata: settings.metadata },
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
  };
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

function main() {
  const fresh = compile();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(ARTIFACT) ? fs.readFileSync(ARTIFACT, 'utf8') : '';
    if (current !== fresh) {
      process.stderr.write(`${path.basename(ARTIFACT)} is stale: run \`node build.js\` in ${__dirname}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`${path.basename(ARTIFACT)} matches ${SOURCE} (solc ${solc.version()})\n`);
    return;
  }
  fs.writeFileSync(ARTIFACT, fresh);
  process.stdout.write(`wrote ${path.basename(ARTIFACT)} (solc ${solc.version()})\n`);
}

main();

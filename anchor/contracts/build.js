#!/usr/bin/env node
// Compiles the contracts with the pinned solc-js (standard JSON, no network) into their
// checked-in artifacts: ProvenanceAnchor.sol into ProvenanceAnchor.json and
// ProvregCollection.sol into ProvregCollection.json. Imports (`@openzeppelin/contracts/…`) are
// read from node_modules.
//
//   node build.js          write the artifacts
//   node build.js --check  exit 1 when an artifact differs from a fresh compilation
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const CONTRACTS = ['ProvenanceAnchor', 'ProvenanceLog', 'ProvregCollection'];

const settings = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  metadata: { bytecodeHash: 'none' },
};

function readImport(importPath) {
  try {
    return { contents: fs.readFileSync(path.join(__dirname, 'node_modules', importPath), 'utf8') };
  } catch (e) {
    return { error: `cannot read ${importPath} from node_modules: ${e.message}` };
  }
}

function compile(contract) {
  const source = `${contract}.sol`;
  const content = fs.readFileSync(path.join(__dirname, source), 'utf8');
  const outputSelection = { [source]: { [contract]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } };
  const input = { language: 'Solidity', sources: { [source]: { content } }, settings: { ...settings, outputSelection } };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readImport }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const e of output.errors || []) process.stderr.write(`${e.formattedMessage || e.message}\n`);
  if (errors.length > 0) throw new Error(`${source} does not compile`);
  const compiled = output.contracts[source][contract];
  const artifact = {
    contractName: contract,
    sourceName: source,
    compiler: { name: 'solc', version: solc.version() },
    settings,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
  };
  return `${JSON.stringify(artifact, null, 2)}\n`;
}

function main() {
  const check = process.argv.includes('--check');
  for (const contract of CONTRACTS) {
    const artifact = path.join(__dirname, `${contract}.json`);
    const fresh = compile(contract);
    if (!check) {
      fs.writeFileSync(artifact, fresh);
      process.stdout.write(`wrote ${contract}.json (solc ${solc.version()})\n`);
    } else if ((fs.existsSync(artifact) ? fs.readFileSync(artifact, 'utf8') : '') !== fresh) {
      process.stderr.write(`${contract}.json is stale: run \`node build.js\` in ${__dirname}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${contract}.json matches ${contract}.sol (solc ${solc.version()})\n`);
    }
  }
}

main();

// Compiles every JSON Schema in contracts/schemas/ with Ajv in strict mode (draft 2020-12, formats asserted by
// ajv-formats) and validates payloads against them.
//
//   node validate.mjs            every example (contracts/examples/<provider>/<type>.json) and golden payload
//                                (contracts/golden/v<N>/<provider>.<type>.json); exit 1 on any failure
//   node validate.mjs --stdin    reads {"cases": [{"schema": "session.create", "payload": {...}}, ...]} and writes
//                                {"results": [{"valid": bool, "errors": [...]}, ...]}: the Python tests' way in
//
// Strict mode refuses unknown keywords, unknown formats, `required` names without a `properties` entry and
// keywords whose type is not pinned: a schema that compiles here uses only what every 2020-12 validator knows.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const CONTRACTS = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMAS = join(CONTRACTS, 'schemas');

async function jsonFiles(dir) {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return names.map((name) => join(dir, name));
}

async function readJson(path) {
  return JSON.parse(await readFile(path, 'utf8'));
}

async function compileAll() {
  // allErrors: report every problem, as a publisher debugging a refused command wants (and as the tests count).
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const validators = new Map();
  for (const path of await jsonFiles(SCHEMAS)) {
    const schema = await readJson(path);
    validators.set(basename(path, '.json'), ajv.compile(schema)); // throws on anything strict mode refuses
  }
  return validators;
}

// ".../golden/v1/primer.session.create.json" and ".../examples/primer/session.create.json" -> "session.create"
function messageType(path) {
  return basename(path, '.json').split('.').slice(-2).join('.');
}

async function payloadFiles() {
  const found = [];
  for (const root of ['examples', 'golden']) {
    for (const entry of (await readdir(join(CONTRACTS, root), { withFileTypes: true })).filter((e) => e.isDirectory())) {
      found.push(...(await jsonFiles(join(CONTRACTS, root, entry.name))));
    }
  }
  return found.filter((path) => basename(path).includes('session.')).sort();
}

function brief(errors) {
  return (errors ?? []).map(({ instancePath, schemaPath, keyword, params, message }) => ({
    instancePath,
    schemaPath,
    keyword,
    params,
    message,
  }));
}

async function checkFiles(validators) {
  let failed = 0;
  const files = await payloadFiles();
  for (const path of files) {
    const validate = validators.get(messageType(path));
    if (validate === undefined) {
      console.error(`${path}: no schema ${messageType(path)}.json`);
      failed += 1;
    } else if (!validate(await readJson(path))) {
      for (const e of brief(validate.errors)) console.error(`${path}: ${e.instancePath || '/'} ${e.message}`);
      failed += 1;
    }
  }
  if (failed > 0) {
    console.error(`${failed} of ${files.length} payload(s) invalid`);
    process.exit(1);
  }
  console.log(
    `${validators.size} schemas compile in Ajv strict mode (draft 2020-12, formats asserted); ` +
      `${files.length} example and golden payloads valid`,
  );
}

async function checkStdin(validators) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const { cases } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const results = cases.map(({ schema, payload }) => {
    const validate = validators.get(schema);
    if (validate === undefined) throw new Error(`no schema ${schema}.json`);
    const valid = validate(payload);
    return { valid, errors: brief(validate.errors) };
  });
  process.stdout.write(JSON.stringify({ schemas: [...validators.keys()], results }) + '\n');
}

const validators = await compileAll();
if (process.argv.includes('--stdin')) await checkStdin(validators);
else await checkFiles(validators);

// Validates an AsyncAPI document with the official parser: `node validate.mjs contracts/asyncapi.yaml`.
// Exits 1 when the parser reports any diagnostic of severity error (or no document at all); warnings,
// information and hints are printed but not fatal.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';

const SEVERITY = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'hint',
};

const path = resolve(process.argv[2] ?? 'contracts/asyncapi.yaml');
const source = await readFile(path, 'utf8');
const { document, diagnostics } = await new Parser().parse(source, { source: path });

for (const d of diagnostics) {
  const where = d.path.length ? d.path.join('.') : '(root)';
  const line = d.range ? `:${d.range.start.line + 1}` : '';
  console.log(`${SEVERITY[d.severity] ?? d.severity} ${d.code} ${path}${line} ${where}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (errors.length > 0 || document === undefined) {
  console.error(`${path}: invalid AsyncAPI (${errors.length} error(s))`);
  process.exit(1);
}
const warnings = diagnostics.length - errors.length;
console.log(
  `${path}: valid AsyncAPI ${document.version()} (${document.channels().length} channels, ` +
    `${document.operations().length} operations, ${document.messages().length} messages; ${warnings} non-fatal diagnostic(s))`,
);

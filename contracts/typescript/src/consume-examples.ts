// Decodes every event example and golden payload of contracts/ with the generated types (and a few events of
// the future the versioning policy promises to tolerate), then sums revenue per provider from amount/currency:
// the analytics team's first query. Exits 1 on the first payload it cannot decode.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { decodeEvent, KNOWN_ERROR_CODES } from "./consumer";

const CONTRACTS = join(__dirname, "..", "..");
const EVENT_FILE = /session\.(created|updated|failed|expired)\.json$/;

function payloads(): string[] {
  const found: string[] = [];
  for (const provider of readdirSync(join(CONTRACTS, "examples"))) {
    for (const name of readdirSync(join(CONTRACTS, "examples", provider))) {
      if (EVENT_FILE.test(name)) found.push(join(CONTRACTS, "examples", provider, name));
    }
  }
  for (const version of readdirSync(join(CONTRACTS, "golden"))) {
    for (const name of readdirSync(join(CONTRACTS, "golden", version))) {
      if (EVENT_FILE.test(name)) found.push(join(CONTRACTS, "golden", version, name));
    }
  }
  return found.sort();
}

function future(path: string): string[] {
  // The same created event from a provider added later, and a failure with a code added later.
  const event = JSON.parse(readFileSync(path, "utf8"));
  const created = { ...event, provider: "stripe", session: { provider: "stripe", id: "cs_1", url: "https://x" } };
  const failed = {
    type: "session.failed", event_id: event.event_id, occurred_at: event.occurred_at, command_id: event.command_id,
    operation: "create", error: { code: "fraud_suspected", message: "new code", retryable: false },
  };
  return [JSON.stringify(created), JSON.stringify(failed)];
}

const files = payloads();
const revenue = new Map<string, number>();
let decoded = 0;
for (const file of files) {
  let event;
  try {
    event = decodeEvent(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`${file}: ${String(error)}`);
    process.exit(1);
  }
  decoded += 1;
  if ((event.type === "session.created" || event.type === "session.updated") &&
      event.session.provider !== event.event.provider) {
    console.error(`${file}: the session's provider differs from the event's`);
    process.exit(1);
  }
  const { amount, currency, provider } = event.event;
  if (event.type === "session.created" && typeof amount === "number" && currency) {
    const key = `${provider} ${currency}`;
    revenue.set(key, (revenue.get(key) ?? 0) + amount);
  }
}
const created = files.find((file) => file.endsWith("primer/session.created.json"));
if (created === undefined) throw new Error("no primer session.created example");
for (const json of future(created)) {
  const event = decodeEvent(json);
  if (event.type === "session.created" && event.session.provider !== "stripe") process.exit(1);
  if (event.type === "session.failed" && (KNOWN_ERROR_CODES as readonly string[]).includes(event.event.error.code)) {
    process.exit(1);
  }
  decoded += 1;
}
const sums = [...revenue].map(([key, minor]) => `${key} ${minor}`).join(", ");
console.log(`${decoded} events decoded with the generated TypeScript types (${files.length} examples and golden ` +
  `payloads, 2 from a later version); created revenue in minor units: ${sums}`);

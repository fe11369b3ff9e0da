// A typed consumer of payment-sessions events, on the types quicktype generated from contracts/schemas/
// (src/contract.ts, `npm run generate`; never edited by hand). Convert.* check every field at run time.
//
// What this file adds is what the schemas leave to the consumer (contracts/VERSIONING.md):
// - the event is chosen by its `type`; an unknown type is reported, not guessed;
// - the session is chosen by its `provider`; a provider added after these types were generated is kept as an
//   opaque OtherSession (provider, id, expires_at), as the versioning policy asks;
// - error.code is any string: the codes known today are listed, an unknown one is a plain failure.

import {
  AcquiredSession,
  ApplePaySession,
  Convert,
  MpgsSession,
  PrimerSession,
  SessionCreated,
  SessionExpired,
  SessionFailed,
  SessionUpdated,
  WorldlineSession,
} from "./contract";

export interface OtherSession {
  provider: string;
  id: string;
  expires_at?: Date | null;
  [property: string]: unknown;
}

export type Session = PrimerSession | WorldlineSession | ApplePaySession | MpgsSession | AcquiredSession | OtherSession;

export type Event =
  | { type: "session.created"; event: SessionCreated; session: Session }
  | { type: "session.updated"; event: SessionUpdated; session: Session }
  | { type: "session.failed"; event: SessionFailed }
  | { type: "session.expired"; event: SessionExpired };

export const KNOWN_ERROR_CODES = [
  "invalid_command", "validation_failed", "authentication_failed", "not_found", "conflict", "provider_unavailable",
  "rate_limited", "timeout", "unsupported", "expired", "provider_error", "forbidden", "misconfigured",
] as const;

export function sessionOf(raw: { [key: string]: unknown }): Session {
  const json = JSON.stringify(raw);
  switch (raw["provider"]) {
    case "primer":
      return Convert.toPrimerSession(json);
    case "worldline":
      return Convert.toWorldlineSession(json);
    case "worldline-applepay":
      return Convert.toApplePaySession(json);
    case "mpgs":
      return Convert.toMpgsSession(json);
    case "acquired":
      return Convert.toAcquiredSession(json);
    default: {
      const { provider, id, expires_at } = raw;
      if (typeof provider !== "string" || typeof id !== "string") {
        throw new Error("a session needs a string provider and id");
      }
      return { ...raw, provider, id, expires_at: typeof expires_at === "string" ? new Date(expires_at) : null };
    }
  }
}

export function decodeEvent(json: string): Event {
  const type = (JSON.parse(json) as { type?: unknown }).type;
  switch (type) {
    case "session.created": {
      const event = Convert.toSessionCreated(json);
      return { type, event, session: sessionOf(event.session) };
    }
    case "session.updated": {
      const event = Convert.toSessionUpdated(json);
      return { type, event, session: sessionOf(event.session) };
    }
    case "session.failed":
      return { type, event: Convert.toSessionFailed(json) };
    case "session.expired":
      return { type, event: Convert.toSessionExpired(json) };
    default:
      throw new Error(`not an event type this consumer knows: ${String(type)}`);
  }
}

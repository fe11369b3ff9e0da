// To parse this data:
//
//   import { Convert, SessionCreated, SessionUpdated, SessionFailed, SessionExpired, PrimerSession, WorldlineSession, ApplePaySession, MpgsSession, AcquiredSession } from "./file";
//
//   const sessionCreated = Convert.toSessionCreated(json);
//   const sessionUpdated = Convert.toSessionUpdated(json);
//   const sessionFailed = Convert.toSessionFailed(json);
//   const sessionExpired = Convert.toSessionExpired(json);
//   const primerSession = Convert.toPrimerSession(json);
//   const worldlineSession = Convert.toWorldlineSession(json);
//   const applePaySession = Convert.toApplePaySession(json);
//   const mpgsSession = Convert.toMpgsSession(json);
//   const acquiredSession = Convert.toAcquiredSession(json);
//
// These functions will throw an error if the JSON doesn't
// match the expected interface, even if the JSON is valid.

/**
 * A session was created at the provider.
 */
export interface SessionCreated {
    account?:        null | string;
    amount?:         number | null;
    command_id:      string;
    correlation_id?: null | string;
    currency?:       null | string;
    /**
     * A UUID, the same for a redelivered command's outcome: deduplicate on it.
     */
    event_id: string;
    /**
     * RFC 3339 time with an offset (the service's clock writes UTC, `Z`).
     */
    occurred_at: Date;
    order_id?:   null | string;
    provider?:   null | string;
    session:     { [key: string]: any };
    type:        SessionCreatedType;
    [property: string]: any;
}

export type SessionCreatedType = "session.created";

/**
 * A session was updated at the provider.
 */
export interface SessionUpdated {
    account?:        null | string;
    amount?:         number | null;
    command_id:      string;
    correlation_id?: null | string;
    currency?:       null | string;
    /**
     * A UUID, the same for a redelivered command's outcome: deduplicate on it.
     */
    event_id: string;
    /**
     * RFC 3339 time with an offset (the service's clock writes UTC, `Z`).
     */
    occurred_at: Date;
    order_id?:   null | string;
    provider?:   null | string;
    session:     { [key: string]: any };
    type:        SessionUpdatedType;
    [property: string]: any;
}

export type SessionUpdatedType = "session.updated";

/**
 * A command ended without a session (typed error).
 */
export interface SessionFailed {
    account?:        null | string;
    amount?:         number | null;
    attempts?:       number;
    command_id:      string;
    correlation_id?: null | string;
    currency?:       null | string;
    error:           ErrorInfo;
    /**
     * A UUID, the same for a redelivered command's outcome: deduplicate on it.
     */
    event_id: string;
    /**
     * RFC 3339 time with an offset (the service's clock writes UTC, `Z`).
     */
    occurred_at: Date;
    operation:   Operation;
    order_id?:   null | string;
    provider?:   null | string;
    type:        SessionFailedType;
    [property: string]: any;
}

export interface ErrorInfo {
    /**
     * One of `invalid_command`, `validation_failed`, `authentication_failed`, `not_found`,
     * `conflict`, `provider_unavailable`, `rate_limited`, `timeout`, `unsupported`, `expired`,
     * `provider_error`, `forbidden`, `misconfigured`; the vocabulary may grow: treat an unknown
     * code as a plain failure (see `retryable`).
     */
    code:                string;
    field?:              null | string;
    message:             string;
    provider_code?:      null | string;
    provider_reference?: null | string;
    provider_status?:    number | null;
    retryable:           boolean;
    [property: string]: any;
}

export type Operation = "create" | "update";

export type SessionFailedType = "session.failed";

/**
 * A session reached its expires_at with no later update.
 *
 * A session the service created or updated reached its ``expires_at`` with no later update
 * by the service:
 * it can no longer be used. The envelope (``command_id`` ... ``currency``) is that of the
 * command whose event
 * set this expiry. Published once the time has passed (within about a second), at least
 * once.
 */
export interface SessionExpired {
    account?:        null | string;
    amount?:         number | null;
    command_id:      string;
    correlation_id?: null | string;
    currency?:       null | string;
    /**
     * A UUID, the same for a redelivered command's outcome: deduplicate on it.
     */
    event_id: string;
    /**
     * RFC 3339 time with an offset (the service's clock writes UTC, `Z`).
     */
    expires_at: Date;
    /**
     * RFC 3339 time with an offset (the service's clock writes UTC, `Z`).
     */
    occurred_at: Date;
    order_id?:   null | string;
    provider?:   null | string;
    session_id:  string;
    type:        SessionExpiredType;
    [property: string]: any;
}

export type SessionExpiredType = "session.expired";

/**
 * ``id`` is the client token (Primer names sessions by it).
 */
export interface PrimerSession {
    client_token: string;
    expires_at?:  Date | null;
    id:           string;
    provider:     PrimerSessionProvider;
    warnings?:    PrimerWarning[];
    [property: string]: any;
}

export type PrimerSessionProvider = "primer";

export interface PrimerWarning {
    code?:    null | string;
    message?: null | string;
    type?:    null | string;
    [property: string]: any;
}

/**
 * ``id`` is ``client_session_id``; the session lives 2 hours from creation.
 */
export interface WorldlineSession {
    asset_url?:        null | string;
    client_api_url?:   null | string;
    client_session_id: string;
    customer_id:       string;
    expires_at?:       Date | null;
    id:                string;
    invalid_tokens?:   string[];
    provider:          WorldlineSessionProvider;
    region?:           null | string;
    [property: string]: any;
}

export type WorldlineSessionProvider = "worldline";

/**
 * ``session_object`` is Apple's opaque merchant session, to hand to
 * ``completeMerchantValidation``.
 */
export interface ApplePaySession {
    expires_at?:    Date | null;
    id:             string;
    provider:       ApplePaySessionProvider;
    session_object: string;
    [property: string]: any;
}

export type ApplePaySessionProvider = "worldline-applepay";

export interface MpgsSession {
    aes256_key?:           null | string;
    authentication_limit?: number | null;
    expires_at?:           Date | null;
    id:                    string;
    provider:              MpgsSessionProvider;
    update_status?:        null | string;
    version?:              null | string;
    [property: string]: any;
}

export type MpgsSessionProvider = "mpgs";

/**
 * ``id`` is Acquired's ``session_id``; the session lives 10 minutes.
 */
export interface AcquiredSession {
    expires_at?: Date | null;
    id:          string;
    provider:    AcquiredSessionProvider;
    [property: string]: any;
}

export type AcquiredSessionProvider = "acquired";

// Converts JSON strings to/from your types
// and asserts the results of JSON.parse at runtime
export class Convert {
    public static toSessionCreated(json: string): SessionCreated {
        return cast(JSON.parse(json), r("SessionCreated"));
    }

    public static sessionCreatedToJson(value: SessionCreated): string {
        return JSON.stringify(uncast(value, r("SessionCreated")), null, 2);
    }

    public static toSessionUpdated(json: string): SessionUpdated {
        return cast(JSON.parse(json), r("SessionUpdated"));
    }

    public static sessionUpdatedToJson(value: SessionUpdated): string {
        return JSON.stringify(uncast(value, r("SessionUpdated")), null, 2);
    }

    public static toSessionFailed(json: string): SessionFailed {
        return cast(JSON.parse(json), r("SessionFailed"));
    }

    public static sessionFailedToJson(value: SessionFailed): string {
        return JSON.stringify(uncast(value, r("SessionFailed")), null, 2);
    }

    public static toSessionExpired(json: string): SessionExpired {
        return cast(JSON.parse(json), r("SessionExpired"));
    }

    public static sessionExpiredToJson(value: SessionExpired): string {
        return JSON.stringify(uncast(value, r("SessionExpired")), null, 2);
    }

    public static toPrimerSession(json: string): PrimerSession {
        return cast(JSON.parse(json), r("PrimerSession"));
    }

    public static primerSessionToJson(value: PrimerSession): string {
        return JSON.stringify(uncast(value, r("PrimerSession")), null, 2);
    }

    public static toWorldlineSession(json: string): WorldlineSession {
        return cast(JSON.parse(json), r("WorldlineSession"));
    }

    public static worldlineSessionToJson(value: WorldlineSession): string {
        return JSON.stringify(uncast(value, r("WorldlineSession")), null, 2);
    }

    public static toApplePaySession(json: string): ApplePaySession {
        return cast(JSON.parse(json), r("ApplePaySession"));
    }

    public static applePaySessionToJson(value: ApplePaySession): string {
        return JSON.stringify(uncast(value, r("ApplePaySession")), null, 2);
    }

    public static toMpgsSession(json: string): MpgsSession {
        return cast(JSON.parse(json), r("MpgsSession"));
    }

    public static mpgsSessionToJson(value: MpgsSession): string {
        return JSON.stringify(uncast(value, r("MpgsSession")), null, 2);
    }

    public static toAcquiredSession(json: string): AcquiredSession {
        return cast(JSON.parse(json), r("AcquiredSession"));
    }

    public static acquiredSessionToJson(value: AcquiredSession): string {
        return JSON.stringify(uncast(value, r("AcquiredSession")), null, 2);
    }
}

function invalidValue(typ: any, val: any, key: any, parent: any = ''): never {
    const prettyTyp = prettyTypeName(typ);
    const parentText = parent ? ` on ${parent}` : '';
    const keyText = key ? ` for key "${key}"` : '';
    throw Error(`Invalid value${keyText}${parentText}. Expected ${prettyTyp} but got ${JSON.stringify(val)}`);
}

function prettyTypeName(typ: any): string {
    if (Array.isArray(typ)) {
        if (typ.length === 2 && typ[0] === undefined) {
            return `an optional ${prettyTypeName(typ[1])}`;
        } else {
            return `one of [${typ.map(a => { return prettyTypeName(a); }).join(", ")}]`;
        }
    } else if (typeof typ === "object" && typ.literal !== undefined) {
        return typ.literal;
    } else {
        return typeof typ;
    }
}

function jsonToJSProps(typ: any): any {
    if (typ.jsonToJS === undefined) {
        const map: any = {};
        typ.props.forEach((p: any) => map[p.json] = { key: p.js, typ: p.typ });
        typ.jsonToJS = map;
    }
    return typ.jsonToJS;
}

function jsToJSONProps(typ: any): any {
    if (typ.jsToJSON === undefined) {
        const map: any = {};
        typ.props.forEach((p: any) => map[p.js] = { key: p.json, typ: p.typ });
        typ.jsToJSON = map;
    }
    return typ.jsToJSON;
}

function transform(val: any, typ: any, getProps: any, key: any = '', parent: any = ''): any {
    function transformPrimitive(typ: string, val: any): any {
        if (typeof typ === typeof val) return val;
        return invalidValue(typ, val, key, parent);
    }

    function transformUnion(typs: any[], val: any): any {
        // val must validate against one typ in typs
        const l = typs.length;
        for (let i = 0; i < l; i++) {
            const typ = typs[i];
            try {
                return transform(val, typ, getProps);
            } catch (_) {}
        }
        return invalidValue(typs, val, key, parent);
    }

    function transformEnum(cases: string[], val: any): any {
        if (cases.indexOf(val) !== -1) return val;
        return invalidValue(cases.map(a => { return l(a); }), val, key, parent);
    }

    function transformArray(typ: any, val: any): any {
        // val must be an array with no invalid elements
        if (!Array.isArray(val)) return invalidValue(l("array"), val, key, parent);
        return val.map(el => transform(el, typ, getProps));
    }

    function transformDate(val: any): any {
        if (val === null) {
            return null;
        }
        const d = new Date(val);
        if (isNaN(d.valueOf())) {
            return invalidValue(l("Date"), val, key, parent);
        }
        return d;
    }

    function transformObject(props: { [k: string]: any }, additional: any, val: any): any {
        if (val === null || typeof val !== "object" || Array.isArray(val)) {
            return invalidValue(l(ref || "object"), val, key, parent);
        }
        const result: any = {};
        Object.getOwnPropertyNames(props).forEach(key => {
            const prop = props[key];
            const v = Object.prototype.hasOwnProperty.call(val, key) ? val[key] : undefined;
            result[prop.key] = transform(v, prop.typ, getProps, key, ref);
        });
        Object.getOwnPropertyNames(val).forEach(key => {
            if (!Object.prototype.hasOwnProperty.call(props, key)) {
                result[key] = transform(val[key], additional, getProps, key, ref);
            }
        });
        return result;
    }

    if (typ === "any") return val;
    if (typ === null) {
        if (val === null) return val;
        return invalidValue(typ, val, key, parent);
    }
    if (typ === false) return invalidValue(typ, val, key, parent);
    let ref: any = undefined;
    while (typeof typ === "object" && typ.ref !== undefined) {
        ref = typ.ref;
        typ = typeMap[typ.ref];
    }
    if (Array.isArray(typ)) return transformEnum(typ, val);
    if (typeof typ === "object") {
        return typ.hasOwnProperty("unionMembers") ? transformUnion(typ.unionMembers, val)
            : typ.hasOwnProperty("arrayItems")    ? transformArray(typ.arrayItems, val)
            : typ.hasOwnProperty("props")         ? transformObject(getProps(typ), typ.additional, val)
            : invalidValue(typ, val, key, parent);
    }
    // Numbers can be parsed by Date but shouldn't be.
    if (typ === Date && typeof val !== "number") return transformDate(val);
    return transformPrimitive(typ, val);
}

function cast<T>(val: any, typ: any): T {
    return transform(val, typ, jsonToJSProps);
}

function uncast<T>(val: T, typ: any): any {
    return transform(val, typ, jsToJSONProps);
}

function l(typ: any) {
    return { literal: typ };
}

function a(typ: any) {
    return { arrayItems: typ };
}

function u(...typs: any[]) {
    return { unionMembers: typs };
}

function o(props: any[], additional: any) {
    return { props, additional };
}

function m(additional: any) {
    return { props: [], additional };
}

function r(name: string) {
    return { ref: name };
}

const typeMap: any = {
    "SessionCreated": o([
        { json: "account", js: "account", typ: u(undefined, u(null, "")) },
        { json: "amount", js: "amount", typ: u(undefined, u(0, null)) },
        { json: "command_id", js: "command_id", typ: "" },
        { json: "correlation_id", js: "correlation_id", typ: u(undefined, u(null, "")) },
        { json: "currency", js: "currency", typ: u(undefined, u(null, "")) },
        { json: "event_id", js: "event_id", typ: "" },
        { json: "occurred_at", js: "occurred_at", typ: Date },
        { json: "order_id", js: "order_id", typ: u(undefined, u(null, "")) },
        { json: "provider", js: "provider", typ: u(undefined, u(null, "")) },
        { json: "session", js: "session", typ: m("any") },
        { json: "type", js: "type", typ: r("SessionCreatedType") },
    ], "any"),
    "SessionUpdated": o([
        { json: "account", js: "account", typ: u(undefined, u(null, "")) },
        { json: "amount", js: "amount", typ: u(undefined, u(0, null)) },
        { json: "command_id", js: "command_id", typ: "" },
        { json: "correlation_id", js: "correlation_id", typ: u(undefined, u(null, "")) },
        { json: "currency", js: "currency", typ: u(undefined, u(null, "")) },
        { json: "event_id", js: "event_id", typ: "" },
        { json: "occurred_at", js: "occurred_at", typ: Date },
        { json: "order_id", js: "order_id", typ: u(undefined, u(null, "")) },
        { json: "provider", js: "provider", typ: u(undefined, u(null, "")) },
        { json: "session", js: "session", typ: m("any") },
        { json: "type", js: "type", typ: r("SessionUpdatedType") },
    ], "any"),
    "SessionFailed": o([
        { json: "account", js: "account", typ: u(undefined, u(null, "")) },
        { json: "amount", js: "amount", typ: u(undefined, u(0, null)) },
        { json: "attempts", js: "attempts", typ: u(undefined, 0) },
        { json: "command_id", js: "command_id", typ: "" },
        { json: "correlation_id", js: "correlation_id", typ: u(undefined, u(null, "")) },
        { json: "currency", js: "currency", typ: u(undefined, u(null, "")) },
        { json: "error", js: "error", typ: r("ErrorInfo") },
        { json: "event_id", js: "event_id", typ: "" },
        { json: "occurred_at", js: "occurred_at", typ: Date },
        { json: "operation", js: "operation", typ: r("Operation") },
        { json: "order_id", js: "order_id", typ: u(undefined, u(null, "")) },
        { json: "provider", js: "provider", typ: u(undefined, u(null, "")) },
        { json: "type", js: "type", typ: r("SessionFailedType") },
    ], "any"),
    "ErrorInfo": o([
        { json: "code", js: "code", typ: "" },
        { json: "field", js: "field", typ: u(undefined, u(null, "")) },
        { json: "message", js: "message", typ: "" },
        { json: "provider_code", js: "provider_code", typ: u(undefined, u(null, "")) },
        { json: "provider_reference", js: "provider_reference", typ: u(undefined, u(null, "")) },
        { json: "provider_status", js: "provider_status", typ: u(undefined, u(0, null)) },
        { json: "retryable", js: "retryable", typ: true },
    ], "any"),
    "SessionExpired": o([
        { json: "account", js: "account", typ: u(undefined, u(null, "")) },
        { json: "amount", js: "amount", typ: u(undefined, u(0, null)) },
        { json: "command_id", js: "command_id", typ: "" },
        { json: "correlation_id", js: "correlation_id", typ: u(undefined, u(null, "")) },
        { json: "currency", js: "currency", typ: u(undefined, u(null, "")) },
        { json: "event_id", js: "event_id", typ: "" },
        { json: "expires_at", js: "expires_at", typ: Date },
        { json: "occurred_at", js: "occurred_at", typ: Date },
        { json: "order_id", js: "order_id", typ: u(undefined, u(null, "")) },
        { json: "provider", js: "provider", typ: u(undefined, u(null, "")) },
        { json: "session_id", js: "session_id", typ: "" },
        { json: "type", js: "type", typ: r("SessionExpiredType") },
    ], "any"),
    "PrimerSession": o([
        { json: "client_token", js: "client_token", typ: "" },
        { json: "expires_at", js: "expires_at", typ: u(undefined, u(Date, null)) },
        { json: "id", js: "id", typ: "" },
        { json: "provider", js: "provider", typ: r("PrimerSessionProvider") },
        { json: "warnings", js: "warnings", typ: u(undefined, a(r("PrimerWarning"))) },
    ], "any"),
    "PrimerWarning": o([
        { json: "code", js: "code", typ: u(undefined, u(null, "")) },
        { json: "message", js: "message", typ: u(undefined, u(null, "")) },
        { json: "type", js: "type", typ: u(undefined, u(null, "")) },
    ], "any"),
    "WorldlineSession": o([
        { json: "asset_url", js: "asset_url", typ: u(undefined, u(null, "")) },
        { json: "client_api_url", js: "client_api_url", typ: u(undefined, u(null, "")) },
        { json: "client_session_id", js: "client_session_id", typ: "" },
        { json: "customer_id", js: "customer_id", typ: "" },
        { json: "expires_at", js: "expires_at", typ: u(undefined, u(Date, null)) },
        { json: "id", js: "id", typ: "" },
        { json: "invalid_tokens", js: "invalid_tokens", typ: u(undefined, a("")) },
        { json: "provider", js: "provider", typ: r("WorldlineSessionProvider") },
        { json: "region", js: "region", typ: u(undefined, u(null, "")) },
    ], "any"),
    "ApplePaySession": o([
        { json: "expires_at", js: "expires_at", typ: u(undefined, u(Date, null)) },
        { json: "id", js: "id", typ: "" },
        { json: "provider", js: "provider", typ: r("ApplePaySessionProvider") },
        { json: "session_object", js: "session_object", typ: "" },
    ], "any"),
    "MpgsSession": o([
        { json: "aes256_key", js: "aes256_key", typ: u(undefined, u(null, "")) },
        { json: "authentication_limit", js: "authentication_limit", typ: u(undefined, u(0, null)) },
        { json: "expires_at", js: "expires_at", typ: u(undefined, u(Date, null)) },
        { json: "id", js: "id", typ: "" },
        { json: "provider", js: "provider", typ: r("MpgsSessionProvider") },
        { json: "update_status", js: "update_status", typ: u(undefined, u(null, "")) },
        { json: "version", js: "version", typ: u(undefined, u(null, "")) },
    ], "any"),
    "AcquiredSession": o([
        { json: "expires_at", js: "expires_at", typ: u(undefined, u(Date, null)) },
        { json: "id", js: "id", typ: "" },
        { json: "provider", js: "provider", typ: r("AcquiredSessionProvider") },
    ], "any"),
    "SessionCreatedType": [
        "session.created",
    ],
    "SessionUpdatedType": [
        "session.updated",
    ],
    "Operation": [
        "create",
        "update",
    ],
    "SessionFailedType": [
        "session.failed",
    ],
    "SessionExpiredType": [
        "session.expired",
    ],
    "PrimerSessionProvider": [
        "primer",
    ],
    "WorldlineSessionProvider": [
        "worldline",
    ],
    "ApplePaySessionProvider": [
        "worldline-applepay",
    ],
    "MpgsSessionProvider": [
        "mpgs",
    ],
    "AcquiredSessionProvider": [
        "acquired",
    ],
};

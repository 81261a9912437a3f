//! Every rule the diff reports, with its severity and the direction that
//! breaks: the list `drift.toml` is checked against and `docs/drift.md`
//! documents (`drift/tests/it/rules.rs` compares them).

use serde::Serialize;

/// Where a schema rule's data flows, which decides what breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Not about a schema.
    None,
    /// Sent by the client (request bodies, parameters, webhook responses):
    /// narrowing breaks.
    Request,
    /// Sent by the API (responses, response headers, webhook requests):
    /// widening breaks.
    Response,
}

/// One rule: its id, its severity as the diff gives it, its direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// The rule id (`response-property-removed`).
    pub id: String,
    /// The severity, in words (`breaking`, `warning (strict: breaking)`...).
    pub severity: &'static str,
    /// The direction, for schema rules.
    pub direction: Direction,
    /// What it reports.
    pub summary: &'static str,
}

/// The prefixes of the schema rules and their direction.
pub(crate) const SCHEMA_PREFIXES: [(&str, Direction); 6] = [
    ("request-body", Direction::Request),
    ("request-parameter", Direction::Request),
    ("webhook-response", Direction::Request),
    ("response", Direction::Response),
    ("response-header", Direction::Response),
    ("webhook-request-body", Direction::Response),
];

/// The schema rules: suffix, severity for data the client sends, for data
/// the API sends (`-` where the rule does not occur), summary.
pub(crate) const SCHEMA_RULES: &[(&str, &str, &str, &str)] = &[
    ("type-changed", "breaking", "breaking", "the type changed (info when it only widens a request or narrows a response)"),
    ("nullable-added", "info", "breaking", "`null` now allowed"),
    ("nullable-removed", "breaking", "info", "`null` no longer allowed"),
    ("enum-value-added", "info", "warning (strict: breaking)", "an enum value added"),
    ("enum-value-removed", "breaking", "info", "an enum value removed"),
    ("enum-constraint-added", "breaking", "info", "a value restricted to an enum"),
    ("enum-constraint-removed", "info", "warning (strict: breaking)", "an enum restriction removed"),
    ("extensible-enum-value-added", "info", "info", "an `x-extensible-enum` value added (clients must accept unknown values)"),
    ("extensible-enum-value-removed", "breaking", "info", "an `x-extensible-enum` value removed"),
    ("enum-made-extensible", "info", "warning (strict: breaking)", "an `enum` became an `x-extensible-enum`"),
    ("enum-no-longer-extensible", "breaking", "info", "an `x-extensible-enum` became a closed `enum`"),
    ("constraint-tightened", "breaking", "info", "a bound, `multipleOf`, `uniqueItems`, `minContains`/`maxContains`, or a 2020-12 keyword (`if`/`then`/`else`, `dependentRequired`, `dependentSchemas`, `prefixItems`, `contains`, `unevaluatedItems`, `propertyNames`, `patternProperties`, `contentSchema`) added or narrowed"),
    ("constraint-relaxed", "info", "warning", "the same keywords removed or widened"),
    ("pattern-changed", "warning (info when removed)", "warning (info when added)", "`pattern` changed"),
    ("format-changed", "warning", "warning", "`format` changed"),
    ("default-changed", "warning", "info", "`default` changed: clients that leave the value out get another"),
    ("default-added", "info", "info", "`default` added"),
    ("default-removed", "warning", "info", "`default` removed"),
    ("discriminator-added", "warning", "info", "a `discriminator` added"),
    ("discriminator-removed", "info", "warning", "a `discriminator` removed"),
    ("discriminator-property-changed", "breaking", "breaking", "the discriminator's `propertyName` changed"),
    ("discriminator-mapping-changed", "breaking", "breaking", "a discriminator value maps to another schema"),
    ("discriminator-mapping-added", "info", "warning (strict: breaking)", "a discriminator value added"),
    ("discriminator-mapping-removed", "breaking", "info", "a discriminator value removed"),
    ("content-encoding-changed", "breaking", "breaking", "`contentEncoding` changed (base64...)"),
    ("content-media-type-changed", "breaking", "breaking", "`contentMediaType` changed"),
    ("property-removed", "warning", "breaking", "a property removed"),
    ("property-added", "info", "info", "an optional property added (any property, in a response)"),
    ("property-added-required", "breaking", "-", "a required property added to a request"),
    ("property-made-required", "breaking", "info", "a property made required"),
    ("property-made-optional", "info", "breaking", "a property made optional"),
    ("property-became-read-only", "warning", "-", "a request property became `readOnly`: clients sending it may be refused"),
    ("property-no-longer-read-only", "info", "-", "a request property is no longer `readOnly`"),
    ("property-became-write-only", "-", "breaking", "a response property became `writeOnly`: no longer returned"),
    ("property-no-longer-write-only", "-", "info", "a response property is no longer `writeOnly`"),
    ("property-deprecated", "info", "info", "a property deprecated"),
    ("property-undeprecated", "info", "info", "a property no longer deprecated"),
    ("required-alternatives-changed", "breaking when it narrows", "breaking when it widens", "the alternative `required` sets of `anyOf`/`oneOf` changed"),
    ("additional-properties-disallowed", "breaking", "info", "`additionalProperties: false` (or `unevaluatedProperties: false`) added"),
    ("additional-properties-allowed", "info", "warning", "additional properties allowed again"),
    ("variant-added", "info", "warning (strict: breaking)", "a `oneOf`/`anyOf` alternative added"),
    ("variant-removed", "breaking", "info", "a `oneOf`/`anyOf` alternative removed"),
];

/// The rules that are not about a schema: id, severity, summary.
pub(crate) const OTHER_RULES: &[(&str, &str, &str)] = &[
    ("operation-added", "info", "an operation added"),
    (
        "operation-removed",
        "breaking",
        "an operation removed (not deprecated, or deprecated without a sunset date)",
    ),
    (
        "operation-removed-before-sunset",
        "breaking",
        "a deprecated operation removed before its `x-sunset` date",
    ),
    (
        "operation-removed-after-sunset",
        "warning",
        "a deprecated operation removed once its `x-sunset` date has passed",
    ),
    (
        "operation-deprecated",
        "warning",
        "an operation deprecated, with an `x-sunset` date",
    ),
    (
        "operation-deprecated-without-sunset",
        "warning",
        "an operation deprecated without an `x-sunset` date: clients are not told when it goes",
    ),
    (
        "operation-undeprecated",
        "info",
        "an operation no longer deprecated",
    ),
    (
        "operation-sunset-invalid",
        "warning",
        "`x-sunset` is not a date",
    ),
    (
        "operation-sunset-brought-forward",
        "warning",
        "the sunset date of a deprecated operation moved earlier",
    ),
    (
        "operation-sunset-announced",
        "info",
        "a deprecated operation got its sunset date",
    ),
    (
        "operation-sunset-postponed",
        "info",
        "the sunset date of a deprecated operation moved later",
    ),
    (
        "operation-stability-decreased",
        "breaking",
        "`x-stability-level` lowered (`stable` to `beta`...)",
    ),
    (
        "operation-stability-increased",
        "info",
        "`x-stability-level` raised",
    ),
    (
        "operation-stability-invalid",
        "warning",
        "`x-stability-level` is not draft, alpha, beta or stable",
    ),
    (
        "operation-id-changed",
        "warning",
        "operationId changed: generated clients rename the method",
    ),
    ("operation-id-removed", "warning", "operationId removed"),
    ("operation-id-added", "info", "operationId added"),
    (
        "operation-tag-removed",
        "warning",
        "a tag removed from an operation: generated clients move the method",
    ),
    ("operation-tag-added", "info", "a tag added to an operation"),
    (
        "tag-renamed",
        "warning",
        "a tag renamed on every operation that had it",
    ),
    (
        "component-renamed",
        "info",
        "a component renamed (its refs moved with it): the same on the wire",
    ),
    (
        "request-parameter-added",
        "info",
        "an optional parameter added",
    ),
    (
        "request-parameter-added-required",
        "breaking",
        "a required parameter added",
    ),
    (
        "request-parameter-removed",
        "warning",
        "a parameter removed",
    ),
    (
        "request-parameter-location-changed",
        "breaking",
        "a parameter moved (query to header...)",
    ),
    (
        "request-parameter-made-required",
        "breaking",
        "a parameter made required",
    ),
    (
        "request-parameter-made-optional",
        "info",
        "a parameter made optional",
    ),
    (
        "request-parameter-style-changed",
        "breaking",
        "a parameter's serialisation style changed",
    ),
    (
        "request-parameter-explode-changed",
        "breaking",
        "a parameter's `explode` changed",
    ),
    (
        "request-parameter-deprecated",
        "info",
        "a parameter deprecated",
    ),
    (
        "request-parameter-undeprecated",
        "info",
        "a parameter no longer deprecated",
    ),
    (
        "request-body-added",
        "info",
        "an optional request body added",
    ),
    (
        "request-body-added-required",
        "breaking",
        "a required request body added",
    ),
    (
        "request-body-removed",
        "warning",
        "the request body removed",
    ),
    (
        "request-body-made-required",
        "breaking",
        "the request body made required",
    ),
    (
        "request-body-made-optional",
        "info",
        "the request body made optional",
    ),
    (
        "request-body-content-type-removed",
        "breaking",
        "a request media type removed",
    ),
    (
        "request-body-content-type-added",
        "info",
        "a request media type added",
    ),
    (
        "response-status-removed",
        "breaking (2xx, 3xx), warning (default), info",
        "a response status removed",
    ),
    (
        "response-status-added",
        "warning (2xx, 3xx), info",
        "a response status added",
    ),
    (
        "response-body-removed",
        "breaking",
        "a response no longer has a body",
    ),
    ("response-body-added", "info", "a response now has a body"),
    (
        "response-content-type-removed",
        "breaking",
        "a response media type removed",
    ),
    (
        "response-content-type-added",
        "info",
        "a response media type added",
    ),
    (
        "response-header-removed",
        "warning",
        "a response header removed",
    ),
    ("response-header-added", "info", "a response header added"),
    (
        "response-header-made-optional",
        "breaking",
        "a required response header made optional",
    ),
    (
        "response-header-made-required",
        "info",
        "a response header made required",
    ),
    (
        "security-added",
        "breaking (info as a new alternative)",
        "authentication now required, or an alternative added",
    ),
    (
        "security-removed",
        "breaking (info when anonymous access opens)",
        "a security alternative removed, or authentication dropped",
    ),
    (
        "security-scope-added",
        "breaking",
        "an operation needs one more OAuth scope",
    ),
    (
        "security-scope-removed",
        "info",
        "an operation needs one scope fewer",
    ),
    (
        "security-scheme-changed",
        "breaking",
        "a security scheme's type, place, name or HTTP scheme changed",
    ),
    (
        "security-oauth-flow-removed",
        "breaking",
        "an OAuth flow removed from a scheme",
    ),
    (
        "security-oauth-flow-added",
        "info",
        "an OAuth flow added to a scheme",
    ),
    (
        "security-oauth-url-changed",
        "warning",
        "an OAuth authorization, token or refresh URL, or an OpenID Connect URL, changed",
    ),
    (
        "security-oauth-scope-removed",
        "breaking",
        "a scope removed from an OAuth flow",
    ),
    (
        "security-oauth-scope-added",
        "info",
        "a scope added to an OAuth flow",
    ),
    (
        "webhook-removed",
        "warning",
        "a webhook removed: subscribers no longer receive it",
    ),
    ("webhook-added", "info", "a webhook added"),
    (
        "webhook-request-body-removed",
        "breaking",
        "a webhook no longer sends a body",
    ),
    (
        "webhook-request-body-added",
        "info",
        "a webhook now sends a body",
    ),
    (
        "webhook-request-body-content-type-added",
        "warning",
        "a webhook may send another media type",
    ),
    (
        "webhook-request-body-content-type-removed",
        "info",
        "a webhook no longer sends a media type",
    ),
    (
        "version-major-bump-missing",
        "breaking",
        "`--check-version`: breaking changes without a major bump of `info.version`",
    ),
    (
        "version-decreased",
        "warning",
        "`--check-version`: `info.version` went down",
    ),
    (
        "version-not-semver",
        "warning",
        "`--check-version`: `info.version` is not a semantic version, the policy is not checked",
    ),
    (
        "drift-ignore-expired",
        "warning",
        "a `drift.toml` ignore past its expiry date (what it hid is reported again)",
    ),
    (
        "drift-ignore-unused",
        "info",
        "a `drift.toml` ignore that matched no finding",
    ),
    (
        "lifecycle-access-token-ttl-decreased",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-access-token-ttl-increased",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-action-changed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-binding-added",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-binding-condition-changed",
        "breaking",
        "the `when` condition of one of an operation's bindings changed",
    ),
    (
        "lifecycle-binding-removed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-concurrent-refresh-one-wins",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-concurrent-refresh-same-answer",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-location-added",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-location-removed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-logout-ends-changed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-logout-status-changed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-outcome-status-changed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-keeps-access",
        "warning",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-lifetime-absolute",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-lifetime-sliding",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-no-longer-single-use",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-now-single-use",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-revokes-access",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-token-ttl-decreased",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-refresh-token-ttl-increased",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-reuse-grace-cut",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-reuse-grace-raised",
        "warning",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-reuse-no-longer-ends-session",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-reuse-now-ends-session",
        "warning",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-revoke-cascade-added",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-revoke-cascade-dropped",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-revoke-no-longer-always-succeeds",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-revoke-now-always-succeeds",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-rotation-disabled",
        "warning",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-rotation-enabled",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-session-ttl-decreased",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-session-ttl-increased",
        "info",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-success-status-changed",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
    (
        "lifecycle-token-location-moved",
        "breaking",
        "a behaviour change of `x-token-lifecycle` (docs/bindings.md)",
    ),
];

/// Every rule of the diff, schema rules under each prefix.
pub fn rules() -> Vec<RuleInfo> {
    let mut out: Vec<RuleInfo> = OTHER_RULES
        .iter()
        .map(|(id, severity, summary)| RuleInfo {
            id: (*id).to_owned(),
            severity,
            direction: Direction::None,
            summary,
        })
        .collect();
    for (prefix, direction) in SCHEMA_PREFIXES {
        for (suffix, request, response, summary) in SCHEMA_RULES {
            let severity = match direction {
                Direction::Response => *response,
                _ => *request,
            };
            if severity == "-" {
                continue;
            }
            out.push(RuleInfo {
                id: format!("{prefix}-{suffix}"),
                severity,
                direction,
                summary,
            });
        }
    }
    out
}

/// Is this a rule id of the diff?
pub(crate) fn is_known(id: &str) -> bool {
    OTHER_RULES.iter().any(|(r, _, _)| *r == id)
        || SCHEMA_PREFIXES.iter().any(|(prefix, _)| {
            id.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|suffix| SCHEMA_RULES.iter().any(|(s, ..)| *s == suffix))
        })
}

/// The known rule id most like `id`, for a typo in a config.
pub(crate) fn closest(id: &str) -> Option<String> {
    rules()
        .into_iter()
        .map(|r| (strsim::jaro_winkler(id, &r.id), r.id))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

/// The changes that break only clients with exhaustive matches, as rule
/// suffixes: under [`BreakingPolicy::Strict`](crate::BreakingPolicy) they
/// are breaking in data the API sends.
pub const EXHAUSTIVE_MATCH_CHANGES: [&str; 5] = [
    "enum-value-added",
    "variant-added",
    "enum-constraint-removed",
    "enum-made-extensible",
    "discriminator-mapping-added",
];

/// Is `rule` an exhaustive-match change in data the API sends?
pub(crate) fn exhaustive_match(rule: &str) -> bool {
    SCHEMA_PREFIXES
        .iter()
        .filter(|(_, d)| *d == Direction::Response)
        .any(|(prefix, _)| {
            rule.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|s| EXHAUSTIVE_MATCH_CHANGES.contains(&s))
        })
}

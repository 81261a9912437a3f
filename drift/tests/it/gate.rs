//! What judges the diff besides the documents: the breaking policy, a
//! `drift.toml` (severities, ignores with a reason and an expiry), and the
//! version policy.

use drift::{diff_with, BreakingPolicy, Config, FailOn, Format, Options, Severity};
use serde_json::Value;

use crate::load;
use crate::pairs::today;

fn pair(name: &str) -> (Value, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/pairs")
        .join(name);
    (load(&dir.join("old.yaml")), load(&dir.join("new.yaml")))
}

fn with_versions(name: &str, old: &str, new: &str) -> (Value, Value) {
    let (mut o, mut n) = pair(name);
    o["info"]["version"] = Value::from(old);
    n["info"]["version"] = Value::from(new);
    (o, n)
}

fn severity_of(report: &drift::Report, rule: &str) -> Option<Severity> {
    report.by_rule(rule).next().map(|f| f.severity)
}

fn options() -> Options {
    Options::default().today(today())
}

#[test]
fn the_strict_policy_makes_exhaustive_match_changes_in_what_the_api_sends_breaking() {
    for (name, rule) in [
        ("response-enum-value-added", "response-enum-value-added"),
        ("response-variant-added", "response-variant-added"),
        (
            "response-enum-constraint-removed",
            "response-enum-constraint-removed",
        ),
        (
            "response-enum-made-extensible",
            "response-enum-made-extensible",
        ),
        (
            "response-discriminator-mapping-added",
            "response-discriminator-mapping-added",
        ),
        (
            "webhook-request-body-enum-value-added",
            "webhook-request-body-enum-value-added",
        ),
    ] {
        let (old, new) = pair(name);
        let lenient = diff_with(&old, &new, &options());
        assert_eq!(
            severity_of(&lenient, rule),
            Some(Severity::Warning),
            "{name}"
        );
        assert!(
            !lenient.exceeds(FailOn::Breaking),
            "{name}:\n{}",
            lenient.to_text()
        );
        let strict = diff_with(&old, &new, &options().policy(BreakingPolicy::Strict));
        assert_eq!(
            severity_of(&strict, rule),
            Some(Severity::Breaking),
            "{name}"
        );
    }
    // A value added where the client sends it breaks no one, whatever the
    // policy; so does a value of an extensible enum.
    for (name, rule) in [
        (
            "request-body-enum-value-added",
            "request-body-enum-value-added",
        ),
        (
            "response-extensible-enum-value-added",
            "response-extensible-enum-value-added",
        ),
    ] {
        let (old, new) = pair(name);
        let strict = diff_with(&old, &new, &options().policy(BreakingPolicy::Strict));
        assert_eq!(severity_of(&strict, rule), Some(Severity::Info), "{name}");
    }
}

#[test]
fn policy_names() {
    assert_eq!(
        "strict".parse::<BreakingPolicy>().unwrap(),
        BreakingPolicy::Strict
    );
    assert_eq!(
        "Lenient".parse::<BreakingPolicy>().unwrap(),
        BreakingPolicy::Lenient
    );
    assert_eq!(BreakingPolicy::default(), BreakingPolicy::Lenient);
    let e = "loose".parse::<BreakingPolicy>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown breaking policy `loose` (expected strict or lenient)"
    );
}

const CONFIG: &str = r##"
breaking-policy = "strict"
check-version = true

[rules]
response-status-added = "breaking"
operation-tag-added = "off"

[[ignore]]
rule = "response-property-removed"
operation = "get /pets"
pointer = "#/components/schemas/Pet"
reason = "the mobile app stopped reading `status` in 4.2"
expires = 2026-06-30
"##;

#[test]
fn a_config_reads_policy_severities_and_ignores() {
    let config = Config::from_toml(CONFIG).unwrap();
    assert_eq!(config.breaking_policy, Some(BreakingPolicy::Strict));
    assert_eq!(config.check_version, Some(true));
    assert_eq!(config.rules.len(), 2);
    assert_eq!(config.ignore[0].expires.to_string(), "2026-06-30");
    let options = Options::from_config(config);
    assert_eq!(options.policy, BreakingPolicy::Strict);
    assert!(options.check_version);
}

#[test]
fn rules_set_severities_or_turn_a_rule_off() {
    let config = Config::from_toml(CONFIG).unwrap();
    let (old, new) = pair("response-status-added");
    let report = diff_with(
        &old,
        &new,
        &Options::from_config(config.clone()).today(today()),
    );
    assert_eq!(
        severity_of(&report, "response-status-added"),
        Some(Severity::Breaking)
    );
    let (old, new) = pair("operation-tag-added");
    let report = diff_with(&old, &new, &Options::from_config(config).today(today()));
    assert!(
        report.by_rule("operation-tag-added").next().is_none(),
        "{}",
        report.to_text()
    );
}

#[test]
fn an_ignore_hides_its_finding_until_it_expires_then_is_reported_itself() {
    let config = Config::from_toml(CONFIG).unwrap();
    let (old, new) = pair("response-property-removed");
    let plain = diff_with(&old, &new, &options());
    assert_eq!(plain.by_rule("response-property-removed").count(), 2);

    // Before its expiry it holds: GET is hidden (the method's case does not
    // matter), POST is not.
    let mut live = Options::from_config(config.clone()).today(today());
    live.check_version = false;
    let report = diff_with(&old, &new, &live);
    let left: Vec<_> = report
        .by_rule("response-property-removed")
        .map(|f| f.operation.clone().unwrap_or_default())
        .collect();
    assert_eq!(left, ["POST /pets"], "{}", report.to_text());
    assert_eq!(report.ignored.len(), 1);
    assert_eq!(
        report.ignored[0].finding.operation.as_deref(),
        Some("GET /pets")
    );
    assert!(report.ignored[0].reason.contains("mobile app"));
    assert_eq!(report.ignored[0].expires, "2026-06-30");
    assert!(
        report.summary().ends_with(", 1 ignored"),
        "{}",
        report.summary()
    );

    // The day after, the finding is back and the stale entry is a warning.
    let late = drift::Date::from_calendar_date(2026, time::Month::July, 1).unwrap();
    let mut expired = Options::from_config(config).today(late);
    expired.check_version = false;
    let report = diff_with(&old, &new, &expired);
    assert_eq!(report.by_rule("response-property-removed").count(), 2);
    assert!(report.ignored.is_empty());
    let f = report
        .by_rule(drift::IGNORE_EXPIRED)
        .next()
        .expect("the expired ignore");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("2026-06-30") && f.message.contains("mobile app"),
        "{}",
        f.message
    );
}

#[test]
fn operation_names_in_an_ignore_match_as_operations_do() {
    let config = Config::from_toml(
        r##"
[[ignore]]
rule = "response-property-removed"
operation = "post /pets"
reason = "known"
expires = "2030-01-01"
"##,
    )
    .unwrap();
    let (old, new) = pair("response-property-removed");
    let report = diff_with(&old, &new, &Options::from_config(config).today(today()));
    assert_eq!(report.ignored.len(), 1);
    assert_eq!(
        report.ignored[0].finding.operation.as_deref(),
        Some("POST /pets")
    );
}

#[test]
fn an_ignore_that_matches_nothing_is_reported() {
    let config = Config::from_toml(
        r#"
[[ignore]]
rule = "operation-removed"
operation = "DELETE /nothing"
reason = "dropped in 2.0"
expires = 2030-01-01
"#,
    )
    .unwrap();
    let (old, new) = pair("operation-added");
    let report = diff_with(&old, &new, &Options::from_config(config).today(today()));
    let f = report
        .by_rule(drift::IGNORE_UNUSED)
        .next()
        .expect("the unused ignore");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.message.contains("DELETE /nothing"), "{}", f.message);
}

#[test]
fn bad_configs_say_what_is_wrong() {
    let err = |text: &str| Config::from_toml(text).unwrap_err().to_string();
    let e = err("[rules]\nresponse-property-remove = \"off\"\n");
    assert!(e.contains("unknown rule `response-property-remove`"), "{e}");
    assert!(
        e.contains("did you mean `response-property-removed`"),
        "{e}"
    );
    let e = err("[[ignore]]\nrule = \"operation-removed\"\nexpires = 2030-01-01\n");
    assert!(e.contains("needs a reason"), "{e}");
    let e = err("[[ignore]]\nrule = \"operation-removed\"\nreason = \"r\"\n");
    assert!(e.contains("needs an expiry date"), "{e}");
    let e = err("[[ignore]]\nrule = \"operation-removed\"\nreason = \"r\"\nexpires = \"soon\"\n");
    assert!(e.contains("not a date"), "{e}");
    let e = err("[rules]\noperation-removed = \"loud\"\n");
    assert!(e.starts_with("invalid drift config"), "{e}");
    let e = err("fail-on = \"warning\"\n");
    assert!(e.contains("fail-on"), "{e}");
}

#[test]
fn a_breaking_change_needs_a_major_bump() {
    let name = "response-property-removed";
    let check = |old: &str, new: &str| {
        let (o, n) = with_versions(name, old, new);
        diff_with(&o, &n, &options().check_version(true))
    };
    let report = check("1.4.2", "1.5.0");
    let f = report
        .by_rule("version-major-bump-missing")
        .next()
        .expect("a finding");
    assert_eq!(f.severity, Severity::Breaking);
    assert_eq!(
        f.message,
        "2 breaking changes, but info.version went from 1.4.2 to 1.5.0 (a minor bump): a breaking change needs 2.0.0 or later"
    );
    assert_eq!(f.new.as_deref(), Some("#/info/version"));
    assert!(check("1.4.2", "1.4.3")
        .by_rule("version-major-bump-missing")
        .next()
        .is_some());
    assert!(check("1.4.2", "1.4.2")
        .by_rule("version-major-bump-missing")
        .next()
        .is_some());
    for (old, new) in [
        ("1.4.2", "2.0.0"),
        ("v1.4", "v2"),
        ("1.4.2", "2.0.0-rc.1"),
        ("0.3.1", "0.4.0"),
        ("0.0.3", "0.0.4"),
    ] {
        let report = check(old, new);
        assert!(
            report
                .by_rule("version-major-bump-missing")
                .next()
                .is_none(),
            "{old} -> {new}:\n{}",
            report.to_text()
        );
    }
    // 0.y.z: the minor part is the major one.
    assert!(check("0.3.1", "0.3.2")
        .by_rule("version-major-bump-missing")
        .next()
        .is_some());
    // Without breaking changes any bump will do; a downgrade is a warning.
    let (o, n) = with_versions("response-property-added", "1.4.2", "1.4.1");
    let report = diff_with(&o, &n, &options().check_version(true));
    assert_eq!(
        severity_of(&report, "version-decreased"),
        Some(Severity::Warning)
    );
    // Without --check-version nothing is said.
    let (o, n) = with_versions(name, "1.4.2", "1.5.0");
    assert!(diff_with(&o, &n, &options())
        .by_rule("version-major-bump-missing")
        .next()
        .is_none());
}

#[test]
fn a_version_that_is_not_semver_is_a_note_not_a_crash() {
    for version in ["2024-06-01", "latest", ""] {
        let (o, n) = with_versions("response-property-removed", "1.0.0", version);
        let report = diff_with(&o, &n, &options().check_version(true));
        let f = report.by_rule("version-not-semver").next().expect("a note");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message.contains("not a semantic version"),
            "{}",
            f.message
        );
        assert!(report
            .by_rule("version-major-bump-missing")
            .next()
            .is_none());
    }
    let (mut o, n) = pair("response-property-removed");
    o["info"] = Value::Null;
    let report = diff_with(&o, &n, &options().check_version(true));
    assert!(report.by_rule("version-not-semver").next().is_some());
}

#[test]
fn rules_apply_to_the_version_policy_and_the_config_findings_too() {
    let config = Config::from_toml(
        "check-version = true\n[rules]\nversion-not-semver = \"off\"\nversion-major-bump-missing = \"warning\"\n",
    )
    .unwrap();
    let options = Options::from_config(config).today(today());
    let (o, n) = with_versions("response-property-removed", "1.0.0", "latest");
    assert!(diff_with(&o, &n, &options)
        .by_rule("version-not-semver")
        .next()
        .is_none());
    let (o, n) = with_versions("response-property-removed", "1.0.0", "1.1.0");
    let report = diff_with(&o, &n, &options);
    assert_eq!(
        severity_of(&report, "version-major-bump-missing"),
        Some(Severity::Warning)
    );
}

#[test]
fn ignored_breaks_need_no_bump_and_render_as_skipped() {
    let config = Config::from_toml(
        r##"
check-version = true
[[ignore]]
rule = "response-property-removed"
reason = "announced in the 1.5 release notes"
expires = 2026-12-31
"##,
    )
    .unwrap();
    let (o, n) = with_versions("response-property-removed", "1.4.2", "1.5.0");
    let report = diff_with(&o, &n, &Options::from_config(config).today(today()));
    assert!(report.findings.is_empty(), "{}", report.to_text());
    assert!(!report.exceeds(FailOn::Info));
    let junit = report.render(Format::Junit, "spec drift");
    assert!(junit.contains("skipped=\"2\""), "{junit}");
    insta::assert_snapshot!(format!(
        "{}\n{}\n{junit}",
        report.render(Format::Text, "spec drift"),
        report.render(Format::Markdown, "spec drift")
    ));
}

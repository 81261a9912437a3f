//! `docs/bindings.md` agrees with the reader of the vocabulary, table by
//! table: every field, action, outcome and rule it lists is the reader's,
//! and none is missing; the defaults it shows are the model's.

use openapi::model::{ActionKind, OutcomeName, Policy};
use openapi::vocabulary::{
    needs, ACCOUNT_FIELDS, BINDING_FIELDS, CLIENT_BINDING_FIELDS, CLIENT_FIELDS,
    INTROSPECTION_FIELDS, ISSUE_FIELDS, OUTCOME_FIELDS, POLICY_ALIASES, POLICY_FIELDS, ROOT_FIELDS,
    SOURCE_OBJECT_FIELDS, TOKENS_FIELDS,
};
use openapi::Rule;

fn page() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/bindings.md");
    std::fs::read_to_string(path).expect("docs/bindings.md")
}

/// The rows of the table whose first header cell is `first`, as cells with
/// backticks and spaces trimmed.
fn table(page: &str, first: &str) -> Vec<Vec<String>> {
    let mut lines = page
        .lines()
        .skip_while(|l| l.split('|').nth(1).map(str::trim) != Some(first));
    assert!(lines.next().is_some(), "no table headed `{first}`");
    lines
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

fn first_column(page: &str, first: &str) -> Vec<String> {
    table(page, first)
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

#[test]
fn every_object_lists_exactly_the_fields_the_reader_knows() {
    let page = page();
    for (header, fields) in [
        ("root field", &ROOT_FIELDS[..]),
        ("account field", &ACCOUNT_FIELDS[..]),
        ("client field", &CLIENT_FIELDS[..]),
        ("tokens field", &TOKENS_FIELDS[..]),
        ("client binding field", &CLIENT_BINDING_FIELDS[..]),
        ("policy field", &POLICY_FIELDS[..]),
        ("binding field", &BINDING_FIELDS[..]),
        ("issue field", &ISSUE_FIELDS[..]),
        ("introspection field", &INTROSPECTION_FIELDS[..]),
        ("location field", &SOURCE_OBJECT_FIELDS[..]),
        ("outcome field", &OUTCOME_FIELDS[..]),
    ] {
        assert_eq!(first_column(&page, header), fields, "table `{header}`");
    }
}

#[test]
fn the_old_names_and_their_new_ones() {
    let page = page();
    let rows: Vec<(String, String)> = table(&page, "old name")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let aliases: Vec<(String, String)> = POLICY_ALIASES
        .iter()
        .map(|(o, n)| (o.to_string(), n.to_string()))
        .collect();
    assert_eq!(rows, aliases);
}

#[test]
fn the_actions_and_what_each_needs() {
    let page = page();
    let rows = table(&page, "action");
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ActionKind::ALL.map(ActionKind::as_str));
    for row in &rows {
        let action = ActionKind::parse(&row[0]).expect("an action");
        let listed: Vec<String> = row[1]
            .split(',')
            .map(|f| f.trim().trim_matches('`').to_owned())
            .filter(|f| !f.starts_with("nothing"))
            .collect();
        assert_eq!(listed, needs(action), "what `{}` needs", row[0]);
    }
}

#[test]
fn the_outcomes_and_the_details_of_invalid() {
    let page = page();
    let mut names = first_column(&page, "outcome");
    names.extend(first_column(&page, "detail"));
    names.extend(first_column(&page, "operation outcome"));
    assert_eq!(names, OutcomeName::ALL.map(OutcomeName::as_str));
    let mapped = first_column(&page, "outcome");
    assert_eq!(mapped, OutcomeName::MAPPED.map(OutcomeName::as_str));
}

#[test]
fn the_policy_defaults_are_the_models() {
    let page = page();
    let defaults = serde_json::to_value(Policy::default()).unwrap();
    for row in table(&page, "policy field") {
        let (field, shown) = (&row[0], &row[1]);
        if field == "rotateOnRefresh" {
            // Defaults to the value of another field.
            assert_eq!(shown, "refreshSingleUse");
            assert_eq!(Policy::default().rotate_on_refresh, None);
            continue;
        }
        let expected = &defaults[field.as_str()];
        if shown == "none" {
            assert!(expected.is_null(), "default of `{field}` is {expected}");
            continue;
        }
        let text = expected
            .as_str()
            .map_or_else(|| expected.to_string(), str::to_owned);
        assert_eq!(shown, &text, "default of `{field}`");
    }
}

#[test]
fn the_rules_are_the_readers() {
    let page = page();
    assert_eq!(first_column(&page, "rule"), Rule::ALL.map(Rule::id));
}

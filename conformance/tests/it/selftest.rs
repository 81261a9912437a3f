use conformance::Property::GuardsRefuseDeadTokens;
use conformance::Status;

use crate::support::{config, spec, specs, with_guarded_operation, Served};

#[test]
fn the_mock_passes_its_own_suite_for_every_spec_over_many_seeds() {
    for (name, value) in specs() {
        let served = Served::start(spec(value.clone()));
        let checked = spec(value.clone());
        let guarded = checked
            .operations()
            .iter()
            .any(|op| checked.guards_of(op).next().is_some());
        for seed in 0..10 {
            let c = config(&served.uri(), value.clone(), 20, seed);
            let report = conformance::run(&c, &conformance::NoProgress).unwrap();
            assert!(
                report.passed(),
                "{name}, seed {seed}:\n{}",
                report.to_text()
            );
            assert!(
                report.sequences >= 20,
                "{name}: {} sequences",
                report.sequences
            );
            let guard = GuardsRefuseDeadTokens.name();
            let exercised = report
                .checks
                .iter()
                .any(|c| c.name == guard && c.status == Status::Passed);
            assert_eq!(exercised, guarded, "{name}, seed {seed}: {guard}");
        }
    }
}

/// The reference spec has no guarded operation: one is added, so that the
/// guard property is exercised too.
#[test]
fn every_lifecycle_property_is_exercised_on_the_reference_spec() {
    let (value, _) = with_guarded_operation(openapi::reference::reference_json());
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 150, 7),
        &conformance::NoProgress,
    )
    .unwrap();
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == conformance::Status::Skipped)
        .map(|c| format!("{} ({:?})", c.name, c.message))
        .collect();
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
    assert!(report.passed(), "{}", report.to_text());
}

#[test]
fn a_spec_without_guarded_operations_skips_the_guard_property_with_the_reason() {
    let value = openapi::reference::reference_json();
    let served = Served::start(spec(value.clone()));
    let report = conformance::run(
        &config(&served.uri(), value, 20, 0),
        &conformance::NoProgress,
    )
    .unwrap();
    let guard = report
        .checks
        .iter()
        .find(|c| c.name == conformance::Property::GuardsRefuseDeadTokens.name())
        .unwrap();
    assert_eq!(guard.status, conformance::Status::Skipped);
    assert!(
        guard
            .message
            .as_deref()
            .unwrap_or("")
            .contains("no guarded operation"),
        "{guard:?}"
    );
}

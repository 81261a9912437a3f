use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use serde_json::json;

use conformance::{HttpTarget, Property, RefMachine};

use crate::support::{config, policy, reference_with, spec, Served};

/// Run `cases` sequences through proptest-state-machine, as an
/// implementation's own test would with `prop_state_machine!`.
fn sequences(target: &str, cases: u32) -> Result<(), TestError<String>> {
    let checked = openapi::reference::reference_json();
    conformance::install(&config(target, checked, cases, 0)).unwrap();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = RefMachine::sequential_strategy(1..12);
    runner
        .run(&strategy, |(init, steps, seen)| {
            HttpTarget::test_sequential(Config::default(), init, steps, seen);
            Ok(())
        })
        .map_err(|e| match e {
            TestError::Fail(reason, _) => TestError::Fail(reason, String::new()),
            TestError::Abort(reason) => TestError::Abort(reason),
        })
}

#[test]
fn http_target_passes_on_the_mock_and_names_the_property_it_breaks() {
    let served = Served::start(spec(openapi::reference::reference_json()));
    assert_eq!(sequences(&served.uri(), 20), Ok(()));

    let mut defective = reference_with("refreshSingleUse", json!(false));
    policy(&mut defective, "rotateOnRefresh", json!(true));
    let served = Served::start(spec(defective));
    match sequences(&served.uri(), 200) {
        Err(TestError::Fail(reason, _)) => assert!(
            Property::ALL
                .iter()
                .any(|p| reason.message().contains(p.name())),
            "{reason}"
        ),
        other => panic!("the defect went unnoticed: {other:?}"),
    }
}

//! Two mock replicas sharing one state through a real redis-server,
//! requests alternating between them through a round-robin balancer: the
//! suite's verdicts are those of one in-memory mock, on the reference
//! spec and on fixtures/oidc.yaml (the authorization-code flow, RS256).

use std::collections::BTreeMap;

use conformance::Status;

use crate::support::{config, root, spec, RoundRobin, Served};
use crate::support_redis::Redis;

fn verdicts(report: &conformance::Report) -> BTreeMap<String, Status> {
    report
        .checks
        .iter()
        .map(|c| (c.name.clone(), c.status))
        .collect()
}

/// The suite on `value` against one in-memory mock and against two
/// replicas on one redis-server behind a round-robin balancer, over
/// `seeds`: the same verdicts, all passed.
fn same_verdicts_through_two_replicas(value: &serde_json::Value, seeds: std::ops::Range<u64>) {
    let Some(redis) = Redis::start() else {
        return;
    };
    let alone = Served::start(spec(value.clone()));
    let a = Served::start_replica(spec(value.clone()), &redis.url());
    let b = Served::start_replica(spec(value.clone()), &redis.url());
    let balancer = RoundRobin::start(vec![a.uri(), b.uri()]);
    for seed in seeds {
        let one = conformance::run(
            &config(&alone.uri(), value.clone(), 20, seed),
            &conformance::NoProgress,
        )
        .unwrap();
        let two = conformance::run(
            &config(&balancer.uri(), value.clone(), 20, seed),
            &conformance::NoProgress,
        )
        .unwrap();
        assert!(one.passed(), "seed {seed}, one mock:\n{}", one.to_text());
        assert!(
            two.passed(),
            "seed {seed}, two replicas:\n{}",
            two.to_text()
        );
        assert_eq!(verdicts(&two), verdicts(&one), "seed {seed}");
        assert!(
            two.sequences >= 20,
            "seed {seed}: {} sequences",
            two.sequences
        );
    }
    // Both replicas answered, about half each.
    let sent = balancer.sent();
    let total: u64 = sent.iter().sum();
    assert!(
        sent.iter().all(|&n| n >= total / 3),
        "requests per replica: {sent:?}"
    );
}

#[test]
fn two_replicas_on_one_redis_give_the_verdicts_of_one_mock() {
    same_verdicts_through_two_replicas(&openapi::reference::reference_json(), 0..3);
}

/// fixtures/oidc.yaml: the login command's authorization-code flow has
/// its code issued by one replica and exchanged on the other, and RS256
/// JWTs of one replica verify with the other's JWKS.
#[test]
fn two_replicas_on_one_redis_run_the_code_flow_of_oidc_yaml_as_one_mock() {
    let text = std::fs::read_to_string(root().join("fixtures/oidc.yaml")).unwrap();
    let value: serde_json::Value = serde_norway::from_str(&text).unwrap();
    same_verdicts_through_two_replicas(&value, 0..2);
}

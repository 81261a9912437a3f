//! Two mock replicas sharing one state through a real redis-server,
//! requests alternating between them through a round-robin balancer: the
//! suite's verdicts are those of one in-memory mock.

use std::collections::BTreeMap;

use conformance::Status;

use crate::support::{config, spec, Redis, RoundRobin, Served};

fn verdicts(report: &conformance::Report) -> BTreeMap<String, Status> {
    report
        .checks
        .iter()
        .map(|c| (c.name.clone(), c.status))
        .collect()
}

#[test]
fn two_replicas_on_one_redis_give_the_verdicts_of_one_mock() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let value = openapi::reference::reference_json();
    let alone = Served::start(spec(value.clone()));
    let a = Served::start_replica(spec(value.clone()), &redis.url());
    let b = Served::start_replica(spec(value.clone()), &redis.url());
    let balancer = RoundRobin::start(vec![a.uri(), b.uri()]);
    for seed in 0..3 {
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

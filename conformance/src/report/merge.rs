//! `conformance merge`: the JSON reports of the shards of one run
//! (`--shard I/N`) joined into one report.
//!
//! **Invariant:** the reports merged come from one spec (the same digest),
//! one seed and one `N`, each shard at most once (and every shard, unless
//! partial merges are allowed); per check, failed wins over passed, passed
//! over not exercised, not exercised over not applicable and deselected;
//! counts add up, and failures keep their minimal sequences.

use std::collections::BTreeMap;

use crate::report::{CheckResult, Group, Report, Status};
use crate::shard::Shard;

/// How to merge.
#[derive(Debug, Clone, Copy, Default)]
pub struct MergeOptions {
    /// Merge even when shards are missing (the report says which).
    pub allow_partial: bool,
}

/// Why reports cannot be merged. Each names the reports (by the labels
/// given, usually their file names).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    /// No report given.
    #[error("no report to merge")]
    Nothing,
    /// Two reports of different specs.
    #[error("{first} and {other} check different specs (digests {first_digest} and {other_digest}): shards of one run share the spec")]
    Spec {
        /// The first report.
        first: String,
        /// The other report.
        other: String,
        /// The first one's spec digest (shortened).
        first_digest: String,
        /// The other one's.
        other_digest: String,
    },
    /// Two reports of different seeds.
    #[error("{first} has seed {first_seed} and {other} seed {other_seed}: shards of one run share the seed")]
    Seed {
        /// The first report.
        first: String,
        /// The other report.
        other: String,
        /// Its seed.
        first_seed: u64,
        /// The other's.
        other_seed: u64,
    },
    /// Two reports split the run differently.
    #[error(
        "{first} is shard {first_shard} and {other} shard {other_shard}: shards of one run share N"
    )]
    Total {
        /// The first report.
        first: String,
        /// The other report.
        other: String,
        /// Its shard.
        first_shard: Shard,
        /// The other's.
        other_shard: Shard,
    },
    /// One shard given twice.
    #[error("shard {shard} is given twice: {first} and {other}")]
    Duplicate {
        /// The shard.
        shard: Shard,
        /// The first report of it.
        first: String,
        /// The second.
        other: String,
    },
    /// Shards missing.
    #[error("shard{} {} of {total} missing (given: {}); merge them all, or pass --allow-partial", if missing.len() > 1 { "s" } else { "" }, list(missing), list(given))]
    Missing {
        /// The shards missing, 1-based.
        missing: Vec<u32>,
        /// The shards given.
        given: Vec<u32>,
        /// N.
        total: u32,
    },
}

fn list(shards: &[u32]) -> String {
    let words: Vec<String> = shards.iter().map(ToString::to_string).collect();
    words.join(", ")
}

/// The first 12 hex digits of a digest, for messages.
fn short(digest: &str) -> String {
    match digest {
        "" => "none".to_owned(),
        d => d.chars().take(12).collect(),
    }
}

/// How strongly a status stands in a merge: the higher wins.
fn rank(status: Status) -> u8 {
    match status {
        Status::Failed => 4,
        Status::Passed => 3,
        Status::NotExercised => 2,
        Status::NotApplicable => 1,
        Status::Deselected => 0,
    }
}

/// Join the reports of the shards of one run, each with a label for the
/// messages (its file name): checked to be of one spec, seed and `N`, each
/// shard once and every shard (unless [`MergeOptions::allow_partial`]). A
/// report of a whole run counts as shard 1/1.
pub fn merge(reports: &[(String, Report)], options: MergeOptions) -> Result<Report, MergeError> {
    let Some((first_label, first)) = reports.first() else {
        return Err(MergeError::Nothing);
    };
    let shard_of = |r: &Report| r.shard.unwrap_or(Shard::WHOLE);
    let total = shard_of(first).total;
    let mut given: BTreeMap<u32, &str> = BTreeMap::new();
    for (label, r) in reports {
        if r.spec_digest != first.spec_digest {
            return Err(MergeError::Spec {
                first: first_label.clone(),
                other: label.clone(),
                first_digest: short(&first.spec_digest),
                other_digest: short(&r.spec_digest),
            });
        }
        if r.seed != first.seed {
            return Err(MergeError::Seed {
                first: first_label.clone(),
                other: label.clone(),
                first_seed: first.seed,
                other_seed: r.seed,
            });
        }
        let shard = shard_of(r);
        if shard.total != total {
            return Err(MergeError::Total {
                first: first_label.clone(),
                other: label.clone(),
                first_shard: shard_of(first),
                other_shard: shard,
            });
        }
        if let Some(before) = given.insert(shard.index, label) {
            return Err(MergeError::Duplicate {
                shard,
                first: before.to_owned(),
                other: label.clone(),
            });
        }
    }
    let missing: Vec<u32> = (1..=total).filter(|i| !given.contains_key(i)).collect();
    if !missing.is_empty() && !options.allow_partial {
        return Err(MergeError::Missing {
            missing,
            given: given.keys().copied().collect(),
            total,
        });
    }
    // In shard order, whatever the order given.
    let mut ordered: Vec<&Report> = reports.iter().map(|(_, r)| r).collect();
    ordered.sort_by_key(|r| shard_of(r).index);
    let mut out = Report::new(&first.spec, &first.target, first.seed);
    out.spec_digest = first.spec_digest.clone();
    out.merged = ordered.iter().map(|r| shard_of(r)).collect();
    out.allow_unexercised = ordered.iter().all(|r| r.allow_unexercised);
    if !missing.is_empty() {
        let shards: Vec<String> = missing.iter().map(|i| format!("{i}/{total}")).collect();
        out.warnings.push(format!(
            "a partial merge: shard{} {} missing",
            if missing.len() > 1 { "s" } else { "" },
            shards.join(", ")
        ));
    }
    let mut index: BTreeMap<(Group, String), usize> = BTreeMap::new();
    for r in &ordered {
        for c in &r.checks {
            match index.get(&(c.group, c.name.clone())) {
                Some(&i) => join(&mut out.checks[i], c),
                None => {
                    index.insert((c.group, c.name.clone()), out.checks.len());
                    out.checks.push(c.clone());
                }
            }
        }
        for (list, numbers) in &r.units {
            out.units
                .entry(list.clone())
                .or_default()
                .extend(numbers.iter().copied());
        }
        out.requests += r.requests;
        out.sequences += r.sequences;
        // The shards ran side by side: the longest is the run's.
        out.seconds = out.seconds.max(r.seconds);
        if out.stop.is_none() {
            out.stop.clone_from(&r.stop);
        }
        out.incomplete |= r.incomplete;
        if out.could_not_log_in.is_none() {
            out.could_not_log_in.clone_from(&r.could_not_log_in);
        }
        for w in &r.warnings {
            if !out.warnings.contains(w) {
                out.warnings.push(w.clone());
            }
        }
    }
    for numbers in out.units.values_mut() {
        numbers.sort_unstable();
        numbers.dedup();
    }
    out.checks.sort_by_key(|c| c.group);
    Ok(out)
}

/// `other`'s result of the same check joined into `into`: the stronger
/// status (and its message, sequence and request numbers) wins, the
/// counts add up.
fn join(into: &mut CheckResult, other: &CheckResult) {
    let checks = into.checks + other.checks;
    if rank(other.status) > rank(into.status) {
        *into = other.clone();
    }
    into.checks = checks;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: u32, total: u32, checks: Vec<CheckResult>) -> (String, Report) {
        let mut r = Report::new("t", "http://x", 7);
        r.spec_digest = "ab".into();
        r.shard = Shard::new(index, total);
        r.checks = checks;
        (format!("shard-{index}.json"), r)
    }

    #[test]
    fn failed_wins_over_passed_and_passed_over_not_exercised() {
        let g = Group::Stateful;
        let merged = merge(
            &[
                shard(
                    1,
                    2,
                    vec![
                        CheckResult::passed(g, "a", 2),
                        CheckResult::not_exercised(g, "b", "x"),
                    ],
                ),
                shard(
                    2,
                    2,
                    vec![
                        CheckResult::failed(g, "a", 3, "bad", vec![]),
                        CheckResult::passed(g, "b", 1),
                    ],
                ),
            ],
            MergeOptions::default(),
        )
        .unwrap();
        let got: Vec<(Status, u64)> = merged.checks.iter().map(|c| (c.status, c.checks)).collect();
        assert_eq!(got, [(Status::Failed, 5), (Status::Passed, 1)]);
        assert_eq!(merged.checks[0].message.as_deref(), Some("bad"));
    }
}

//! Reports: a human summary with each failure as a replayable curl
//! sequence, JSON, JUnit XML (one testcase per check and operation), and
//! one self-contained HTML page for a QA lead ([`html`]).

mod html;
pub mod merge;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::budget::Stop;
use crate::driver::Exchange;
use crate::shard::Shard;

/// The kind of a check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Per-operation requests generated from schemas.
    Stateless,
    /// Lifecycle sequences against the model.
    Stateful,
    /// Concurrent refreshes.
    Concurrency,
    /// Every request of every phase: answered, in time, within the body
    /// bound.
    Transport,
}

impl Group {
    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Stateless => "stateless",
            Group::Stateful => "stateful",
            Group::Concurrency => "concurrency",
            Group::Transport => "transport",
        }
    }
}

/// How a check ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It held every time it was checked.
    Passed,
    /// It failed.
    Failed,
    /// The spec says the API does not do this: passed over, the verdict
    /// unaffected.
    NotApplicable,
    /// It applies, but the run never reached it (its budget, no account,
    /// a login that failed, a request the suite cannot build, no answer):
    /// the run fails unless unexercised checks are allowed.
    NotExercised,
    /// Left out by `--checks` or `--exclude-checks`: passed over, the
    /// verdict unaffected.
    Deselected,
}

impl Status {
    /// Every status, in summary order.
    pub const ALL: [Status; 5] = [
        Status::Passed,
        Status::Failed,
        Status::NotApplicable,
        Status::NotExercised,
        Status::Deselected,
    ];

    /// The word summaries use.
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::NotApplicable => "not applicable",
            Status::NotExercised => "not exercised",
            Status::Deselected => "deselected",
        }
    }

    /// The name JSON and HTML classes use (`not-exercised`).
    pub fn key(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::NotApplicable => "not-applicable",
            Status::NotExercised => "not-exercised",
            Status::Deselected => "deselected",
        }
    }

    /// Whether the message is a reason (as opposed to a failure).
    fn explains(self) -> bool {
        !matches!(self, Status::Passed | Status::Failed)
    }
}

/// What a run means, and its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing failed and every applicable check was exercised (or that
    /// was allowed): exit 0.
    Passed,
    /// A check failed: exit 1.
    Failed,
    /// Nothing failed, but an applicable check was not exercised: exit 3.
    Unexercised,
}

impl Verdict {
    /// The exit code of the `conformance` binary.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Passed => 0,
            Verdict::Failed => 1,
            Verdict::Unexercised => 3,
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CheckResult {
    /// Its kind.
    pub group: Group,
    /// Its name (a property, or `operation: what`).
    pub name: String,
    /// How it ended.
    pub status: Status,
    /// How many times it was checked.
    pub checks: u64,
    /// The failure, or why it is not applicable, was not exercised or
    /// was deselected.
    pub message: Option<String>,
    /// The minimal failing sequence.
    pub steps: Vec<Exchange>,
    /// The request of the run (counted from its start) that first
    /// exercised it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_at: Option<u64>,
    /// The request of the run that first showed the failure, before
    /// shrinking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<u64>,
}

impl CheckResult {
    /// A passed check.
    pub fn passed(group: Group, name: impl Into<String>, checks: u64) -> CheckResult {
        CheckResult {
            group,
            name: name.into(),
            status: Status::Passed,
            checks,
            message: None,
            steps: Vec::new(),
            first_at: None,
            detected_at: None,
        }
    }

    /// A check of `status` that was not judged, and why (not applicable,
    /// not exercised, deselected).
    fn unjudged(
        group: Group,
        name: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            status,
            message: Some(reason.into()),
            ..CheckResult::passed(group, name, 0)
        }
    }

    /// A check the spec makes not applicable, and why.
    pub fn not_applicable(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult::unjudged(group, name, Status::NotApplicable, reason)
    }

    /// An applicable check the run did not reach, and why.
    pub fn not_exercised(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult::unjudged(group, name, Status::NotExercised, reason)
    }

    /// A check `--checks` or `--exclude-checks` left out.
    pub fn deselected(group: Group, name: impl Into<String>) -> CheckResult {
        let reason = "--checks or --exclude-checks left it out";
        CheckResult::unjudged(group, name, Status::Deselected, reason)
    }

    /// A check the run's selection left out, and how (`--include`,
    /// `--exclude` leaving out every operation it needs).
    pub fn deselected_by(
        group: Group,
        name: impl Into<String>,
        reason: impl Into<String>,
    ) -> CheckResult {
        CheckResult::unjudged(group, name, Status::Deselected, reason)
    }

    /// A failed check.
    pub fn failed(
        group: Group,
        name: impl Into<String>,
        checks: u64,
        message: impl Into<String>,
        steps: Vec<Exchange>,
    ) -> CheckResult {
        CheckResult {
            group,
            name: name.into(),
            status: Status::Failed,
            checks,
            message: Some(message.into()),
            steps,
            first_at: None,
            detected_at: None,
        }
    }

    /// The same result with the request that first exercised it.
    pub fn first_at(mut self, at: Option<u64>) -> CheckResult {
        self.first_at = at;
        self
    }

    /// The same result with the request that first showed its failure.
    pub fn detected_at(mut self, at: Option<u64>) -> CheckResult {
        self.detected_at = at;
        self
    }
}

/// What made a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `conformance run`: a failure's steps are the shrunk minimal
    /// sequence, and the seed replays the run.
    #[default]
    Run,
    /// `conformance proxy`: a failure's step is the first violating
    /// exchange of traffic the proxy saw; no seed replays it.
    Proxy,
}

/// How a report's failures are reproduced: what their steps are, and
/// what to do ([`Report::reproduce`]); every format renders this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reproduce {
    /// What a failure's steps are ("minimal sequence").
    pub steps: &'static str,
    /// What reproduces them, in words ("replay the run with ").
    pub how: &'static str,
    /// The flag that goes with `how`, if any (`--seed 3`).
    pub flag: Option<String>,
}

impl Reproduce {
    /// `how` and the flag as one text.
    pub fn hint(&self) -> String {
        format!("{}{}", self.how, self.flag.as_deref().unwrap_or(""))
    }
}

/// The report of a run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    /// The spec's title.
    pub spec: String,
    /// The SHA-256 of the spec document (as JSON), hex: the reports
    /// `conformance merge` joins must have the same.
    #[serde(default)]
    pub spec_digest: String,
    /// The target's base URL.
    pub target: String,
    /// The seed that replays the run (a proxy's report: 0, meaningless).
    pub seed: u64,
    /// What made the report: a suite run (`conformance run`, the seed
    /// replays it) or the proxy (judged traffic); it says how to
    /// reproduce a failure ([`Report::reproduce`]). Absent in JSON: a run.
    #[serde(default)]
    pub source: Source,
    /// The shard the run was (`--shard I/N`); `None`: the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The shards a merged report joins (empty: not a merge).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<Shard>,
    /// The generated units the run sent, by list (stateless cases of each
    /// probe, sequences of each stateful round, directed scripts, race
    /// rounds, ...), each list's unit numbers in order: what a shard ran.
    /// In JSON, each list's numbers as one text of ranges (`0-99`,
    /// `1,4,7`).
    #[serde(default, with = "crate::shard::compact")]
    pub units: BTreeMap<String, Vec<u64>>,
    /// Set when the run could not log in: one line, with the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub could_not_log_in: Option<String>,
    /// Whether checks that were not exercised still let the run pass.
    pub allow_unexercised: bool,
    /// Every check.
    pub checks: Vec<CheckResult>,
    /// Requests sent, every phase counted.
    pub requests: u64,
    /// Stateful sequences run.
    pub sequences: u64,
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// Why the run stopped before its phases were over (a bound reached,
    /// a failing target, Ctrl-C); `None`: it ran to the end.
    pub stop: Option<Stop>,
    /// Whether the run is incomplete: stopped by a failing target, an
    /// unreachable one or Ctrl-C rather than by a bound the user set.
    pub incomplete: bool,
    /// What every reader must know (certificates not verified).
    pub warnings: Vec<String>,
}

fn count(report: &Report, status: Status) -> usize {
    report.checks.iter().filter(|c| c.status == status).count()
}

impl Report {
    /// A report of no check yet.
    pub fn new(spec: &str, target: &str, seed: u64) -> Report {
        Report {
            spec: spec.to_owned(),
            spec_digest: String::new(),
            target: target.to_owned(),
            seed,
            source: Source::Run,
            shard: None,
            merged: Vec::new(),
            units: BTreeMap::new(),
            could_not_log_in: None,
            allow_unexercised: false,
            checks: Vec::new(),
            requests: 0,
            sequences: 0,
            seconds: 0.0,
            stop: None,
            incomplete: false,
            warnings: Vec::new(),
        }
    }

    /// The report of a run that could not start (the target unreachable
    /// from the start): incomplete, no check.
    pub fn not_started(spec: &str, target: &str, seed: u64, stop: Stop) -> Report {
        let mut r = Report::new(spec, target, seed);
        r.stop = Some(stop);
        r.incomplete = true;
        r
    }

    /// What the run means: failed if a check failed; unexercised if an
    /// applicable check was not exercised (unless that is allowed);
    /// passed otherwise. (A run stopped early is also said to be so in
    /// [`Report::stop`]; what it did not reach is not exercised.)
    pub fn verdict(&self) -> Verdict {
        if count(self, Status::Failed) > 0 {
            Verdict::Failed
        } else if count(self, Status::NotExercised) > 0 && !self.allow_unexercised {
            Verdict::Unexercised
        } else {
            Verdict::Passed
        }
    }

    /// Whether the verdict is [`Verdict::Passed`]: no check failed, and
    /// every applicable one was exercised (or that is allowed).
    pub fn passed(&self) -> bool {
        self.verdict() == Verdict::Passed
    }

    /// The results of the checks with this status.
    pub fn with_status(&self, status: Status) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(move |c| c.status == status)
    }

    /// The statuses present, with their counts, in summary order (passed,
    /// failed and not exercised always).
    fn tally(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .into_iter()
            .map(|s| (s, count(self, s)))
            .filter(|(s, n)| {
                *n > 0 || matches!(s, Status::Passed | Status::Failed | Status::NotExercised)
            })
            .collect()
    }

    /// The line that says what not exercised checks mean for this run, if
    /// there are any.
    pub fn unexercised_line(&self) -> Option<String> {
        let n = count(self, Status::NotExercised);
        let what = match n {
            0 => return None,
            1 => "1 applicable check was not exercised".to_owned(),
            n => format!("{n} applicable checks were not exercised"),
        };
        Some(if self.allow_unexercised {
            format!("{what} (allowed by --allow-unexercised)")
        } else if count(self, Status::Failed) == 0 {
            format!("NOT VERIFIED: {what}; the run fails (exit 3) unless --allow-unexercised")
        } else {
            what
        })
    }

    /// The one line that says how the run ended early, if it did.
    pub fn stop_line(&self) -> Option<String> {
        let stop = self.stop.as_ref()?;
        Some(if self.incomplete {
            format!("INCOMPLETE: {stop}; the report covers what was checked before")
        } else {
            format!("stopped: {stop}; the report covers what was checked before")
        })
    }

    /// How this report's failures are reproduced: a run's minimal
    /// sequence with the seed that replays it, or the proxy's first
    /// violating exchange, reproduced by sending the traffic again.
    pub fn reproduce(&self) -> Reproduce {
        match self.source {
            Source::Run => Reproduce {
                steps: "minimal sequence",
                how: "replay the run with ",
                flag: Some(format!("--seed {}", self.seed)),
            },
            Source::Proxy => Reproduce {
                steps: "first violating exchange",
                how: "rerun the traffic through the proxy to reproduce it",
                flag: None,
            },
        }
    }

    /// What the report covers, after the target and spec: `seed 3, shard
    /// 2/3` for a run, `traffic through the proxy` for the proxy.
    pub fn origin(&self) -> String {
        match self.source {
            Source::Run => format!("seed {}{}", self.seed, self.shard_words()),
            Source::Proxy => "traffic through the proxy".to_owned(),
        }
    }

    /// `, shard 2/3` or `, shards 1/3, 2/3, 3/3 merged`; empty for a
    /// whole run.
    fn shard_words(&self) -> String {
        if !self.merged.is_empty() {
            let shards: Vec<String> = self.merged.iter().map(ToString::to_string).collect();
            return format!(", shards {} merged", shards.join(", "));
        }
        self.shard
            .map_or_else(String::new, |s| format!(", shard {s}"))
    }

    /// The human summary.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(line) = &self.could_not_log_in {
            let _ = writeln!(out, "could not log in: {line}");
        }
        for w in &self.warnings {
            let _ = writeln!(out, "WARNING: {w}");
        }
        let _ = writeln!(
            out,
            "conformance of {} against \"{}\" ({})",
            self.target,
            self.spec,
            self.origin()
        );
        let mut group = None;
        for c in &self.checks {
            if group != Some(c.group) {
                let _ = writeln!(out, "\n{}", c.group.as_str());
                group = Some(c.group);
            }
            let mark = match c.status {
                Status::Passed => "ok".to_owned(),
                Status::Failed => "FAILED".to_owned(),
                Status::NotApplicable => "n/a".to_owned(),
                Status::NotExercised => "NOT EXERCISED".to_owned(),
                Status::Deselected => "deselected".to_owned(),
            };
            let detail = match (&c.message, c.status) {
                (Some(m), s) if s.explains() => format!(" ({m})"),
                (_, Status::Passed) => format!(" ({} checks)", c.checks),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {mark:<13} {}{detail}", c.name);
        }
        for c in self.checks.iter().filter(|c| c.status == Status::Failed) {
            let _ = writeln!(out, "\n--- FAILED: {} ({})", c.name, c.group.as_str());
            if let Some(m) = &c.message {
                let _ = writeln!(out, "{m}");
            }
            if !c.steps.is_empty() {
                let r = self.reproduce();
                let _ = writeln!(out, "{} ({}):", r.steps, r.hint());
                for (i, s) in c.steps.iter().enumerate() {
                    let _ = writeln!(out, "  {}. {}", i + 1, s.step);
                    let _ = writeln!(out, "     {}", s.curl);
                    if s.status != 0 {
                        let _ = writeln!(
                            out,
                            "     expected {}; received {} {}",
                            s.expected, s.status, s.body
                        );
                    }
                }
            }
        }
        if let Some(line) = self.stop_line() {
            let _ = writeln!(out, "\n{line}");
        }
        let tally: Vec<String> = self
            .tally()
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        let _ = writeln!(
            out,
            "\n{} ({} requests, {} sequences, {:.1} s)",
            tally.join(", "),
            self.requests,
            self.sequences,
            self.seconds
        );
        if let Some(line) = self.unexercised_line() {
            let _ = writeln!(out, "{line}");
        }
        out
    }

    /// JSON: the fields, and `reproduce` (what a failure's steps are and
    /// how to reproduce them, as the other formats say it).
    pub fn to_json(&self) -> String {
        let value = serde_json::to_value(self).map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                let r = self.reproduce();
                o.insert(
                    "reproduce".to_owned(),
                    serde_json::json!({ "steps": r.steps, "how": r.hint() }),
                );
            }
            v
        });
        value
            .and_then(|v| serde_json::to_string_pretty(&v))
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// JUnit XML: one testsuite per group, one testcase per check.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        // Not exercised is an error (the check could not run), or a skip
        // where that is allowed.
        let error = |c: &CheckResult| c.status == Status::NotExercised && !self.allow_unexercised;
        let skip = |c: &CheckResult| c.status.explains() && !error(c);
        let _ = writeln!(
            out,
            "<testsuites name=\"conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            self.checks.len(),
            count(self, Status::Failed),
            self.checks.iter().filter(|c| error(c)).count(),
            self.checks.iter().filter(|c| skip(c)).count(),
            self.seconds
        );
        let mut groups: Vec<Group> = self.checks.iter().map(|c| c.group).collect();
        groups.sort();
        groups.dedup();
        let login = self
            .could_not_log_in
            .iter()
            .map(|l| format!("could not log in: {l}"));
        let notes = self.warnings.iter().map(|w| format!("WARNING: {w}"));
        for note in login
            .chain(notes)
            .chain(self.stop_line())
            .chain(self.unexercised_line())
        {
            let _ = writeln!(out, "  <!-- {} -->", xml(&note).replace("--", "- -"));
        }
        for group in groups {
            let cases: Vec<&CheckResult> =
                self.checks.iter().filter(|c| c.group == group).collect();
            if cases.is_empty() {
                continue;
            }
            let failures = cases.iter().filter(|c| c.status == Status::Failed).count();
            let errors = cases.iter().filter(|c| error(c)).count();
            let skipped = cases.iter().filter(|c| skip(c)).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
                group.as_str(),
                cases.len()
            );
            for c in cases {
                let _ = write!(
                    out,
                    "    <testcase classname=\"conformance.{}\" name=\"{}\"",
                    group.as_str(),
                    xml(&c.name)
                );
                let reason = || {
                    let why = c.message.as_deref().unwrap_or("");
                    xml(&format!("{}: {why}", c.status.label()))
                };
                match c.status {
                    Status::Passed => out.push_str("/>\n"),
                    _ if error(c) => {
                        let _ = writeln!(
                            out,
                            ">\n      <error type=\"not-exercised\" message=\"{}\"/>\n    </testcase>",
                            reason()
                        );
                    }
                    _ if c.status.explains() => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            reason()
                        );
                    }
                    _ => {
                        let mut body = String::new();
                        for (i, s) in c.steps.iter().enumerate() {
                            let _ = writeln!(body, "{}. {}\n   {}", i + 1, s.step, s.curl);
                            if s.status != 0 {
                                let _ = writeln!(
                                    body,
                                    "   expected {}; received {} {}",
                                    s.expected, s.status, s.body
                                );
                            }
                        }
                        let r = self.reproduce();
                        let _ = writeln!(body, "{}: {}", r.steps, r.hint());
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            xml(c.message.as_deref().unwrap_or("")),
                            xml(&body)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

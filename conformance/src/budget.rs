//! Staging manners: how many requests a run may send (`--budget`), for how
//! long (`--duration`), how fast (`--rate-limit`), and when a failing target
//! ends it (requests failing in a row, or Ctrl-C). Every request of every
//! phase asks [`Budget::acquire`] first, so the bounds hold across phases.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bounds of a run.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Total requests, every phase counted (`--budget`).
    pub requests: Option<u64>,
    /// Wall time of the run (`--duration`).
    pub duration: Option<Duration>,
    /// Requests per period (`--rate-limit`).
    pub rate: Option<Rate>,
    /// Requests failing in a row that stop the run: no answer, or a
    /// gateway error (502, 503, 504). 0: never stop.
    pub max_failures_in_a_row: u32,
    /// Set (by a Ctrl-C handler) to stop the run; the report is written.
    pub interrupt: Option<Arc<AtomicBool>>,
}

/// A rate: `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests.
    pub count: u32,
    /// Per this period.
    pub per: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `10/s`, `100/m`, `1000/h` (as Schemathesis writes it).
    fn from_str(s: &str) -> Result<Rate, String> {
        let bad = || format!("`{s}` is not a rate such as 10/s, 100/m or 1000/h");
        let (count, unit) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        if count == 0 {
            return Err(bad());
        }
        Ok(Rate { count, per })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "m",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Why a run stopped before its phases were over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "reason")]
pub enum Stop {
    /// `--budget` requests were sent.
    Budget {
        /// The budget.
        requests: u64,
    },
    /// `--duration` is over.
    Duration {
        /// The duration, as given.
        duration: String,
    },
    /// Requests failed in a row: the target is down.
    Failing {
        /// How many.
        count: u32,
        /// The last failure.
        last: String,
    },
    /// Ctrl-C.
    Interrupted,
    /// The target did not answer the first request.
    Unreachable {
        /// What the client said.
        message: String,
    },
    /// The run could not start (a TLS file, the mock's admin API).
    NotStarted {
        /// Why.
        message: String,
    },
}

impl Stop {
    /// Whether the run is incomplete (as opposed to a bound the user set
    /// being reached).
    pub fn incomplete(&self) -> bool {
        matches!(
            self,
            Stop::Failing { .. }
                | Stop::Interrupted
                | Stop::Unreachable { .. }
                | Stop::NotStarted { .. }
        )
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Budget { requests } => write!(f, "the budget of {requests} requests is spent"),
            Stop::Duration { duration } => write!(f, "the duration of {duration} is over"),
            Stop::Failing { count, last } => {
                write!(f, "{count} requests failed in a row (last: {last})")
            }
            Stop::Interrupted => f.write_str("interrupted (Ctrl-C)"),
            Stop::Unreachable { message } => write!(f, "the target is unreachable: {message}"),
            Stop::NotStarted { message } => write!(f, "the run could not start: {message}"),
        }
    }
}

/// The pacing of a rate limit: when the next request may go (GCRA, no
/// burst). Pure: the caller passes the time and sleeps the answer, so the
/// arithmetic is tested without a clock.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `rate`.
    pub fn new(rate: Rate) -> Pacer {
        Pacer {
            interval: rate.per / rate.count,
            next: None,
        }
    }

    /// How long a request that wants to go at `now` must wait; books its
    /// slot.
    pub fn delay(&mut self, now: Instant) -> Duration {
        let slot = self.next.map_or(now, |n| n.max(now));
        self.next = Some(slot + self.interval);
        slot - now
    }
}

/// The run's counters against its [`Limits`], shared by every thread.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    started: Instant,
    sent: AtomicU64,
    failures_in_a_row: AtomicU32,
    stop: Mutex<Option<Stop>>,
    pacer: Mutex<Option<Pacer>>,
}

impl Budget {
    /// Counting from now.
    pub fn new(limits: Limits) -> Budget {
        let pacer = limits.rate.map(Pacer::new);
        Budget {
            limits,
            started: Instant::now(),
            sent: AtomicU64::new(0),
            failures_in_a_row: AtomicU32::new(0),
            stop: Mutex::new(None),
            pacer: Mutex::new(pacer),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Requests the budget still allows (`u64::MAX` without a budget).
    pub fn left(&self) -> u64 {
        self.limits
            .requests
            .map_or(u64::MAX, |b| b.saturating_sub(self.sent()))
    }

    /// Why the run stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.stop.lock().ok().and_then(|s| s.clone())
    }

    fn halt(&self, why: Stop) -> Stop {
        let mut stop = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        stop.get_or_insert(why).clone()
    }

    /// The time a request may still take before `--duration` is over.
    pub fn time_left(&self) -> Option<Duration> {
        self.limits
            .duration
            .map(|d| d.saturating_sub(self.started.elapsed()))
    }

    /// Take one request from the budget, after the rate limit's wait; the
    /// reason to send nothing when the run is over.
    pub fn acquire(&self) -> Result<(), Stop> {
        if let Some(stop) = self.stopped() {
            return Err(stop);
        }
        if self
            .limits
            .interrupt
            .as_ref()
            .is_some_and(|i| i.load(Ordering::SeqCst))
        {
            return Err(self.halt(Stop::Interrupted));
        }
        if let Some(d) = self.limits.duration {
            if self.started.elapsed() >= d {
                let duration = humantime::format_duration(d).to_string();
                return Err(self.halt(Stop::Duration { duration }));
            }
        }
        let taken = self.sent.fetch_add(1, Ordering::SeqCst);
        if let Some(b) = self.limits.requests {
            if taken >= b {
                self.sent.fetch_sub(1, Ordering::SeqCst);
                return Err(self.halt(Stop::Budget { requests: b }));
            }
        }
        let wait = match self.pacer.lock() {
            Ok(mut p) => p.as_mut().map(|p| p.delay(Instant::now())),
            Err(_) => None,
        };
        if let Some(wait) = wait.filter(|w| !w.is_zero()) {
            // Pacing, not synchronisation: the rate limit is a wait.
            std::thread::sleep(wait);
        }
        Ok(())
    }

    /// Record how a request went: `Some(what)` for a failure (no answer,
    /// or a gateway error). Enough failures in a row stop the run.
    pub fn record(&self, failure: Option<&str>) {
        let Some(what) = failure else {
            self.failures_in_a_row.store(0, Ordering::SeqCst);
            return;
        };
        let n = self.failures_in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
        let max = self.limits.max_failures_in_a_row;
        if max > 0 && n >= max {
            self.halt(Stop::Failing {
                count: n,
                last: what.to_owned(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_like_schemathesis() {
        let r: Rate = "10/s".parse().unwrap();
        assert_eq!(r.per / r.count, Duration::from_millis(100));
        assert_eq!("100/m".parse::<Rate>().unwrap().to_string(), "100/m");
        assert!("0/s".parse::<Rate>().is_err());
        assert!("10".parse::<Rate>().is_err());
        assert!("10/d".parse::<Rate>().is_err());
    }

    /// The pacing of a burst, on a virtual clock: 30 requests wanted at once
    /// at 10/s go 100 ms apart, and a later request after a pause waits
    /// for nothing.
    #[test]
    fn a_rate_limit_spaces_requests_on_a_virtual_clock() {
        let mut pacer = Pacer::new("10/s".parse().unwrap());
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..30).map(|_| pacer.delay(t0)).collect();
        assert_eq!(waits[0], Duration::ZERO);
        assert_eq!(waits[1], Duration::from_millis(100));
        assert_eq!(waits[29], Duration::from_millis(2900));
        // 30 requests over 2.9 s: never more than 10 in any second.
        let sends: Vec<Duration> = waits.clone();
        for (i, s) in sends.iter().enumerate() {
            let in_window = sends[i..]
                .iter()
                .filter(|t| **t < *s + Duration::from_secs(1))
                .count();
            assert!(in_window <= 10, "{in_window} requests within a second");
        }
        let later = t0 + Duration::from_secs(10);
        assert_eq!(pacer.delay(later), Duration::ZERO);
        assert_eq!(pacer.delay(later), Duration::from_millis(100));
    }

    #[test]
    fn the_budget_counts_every_request_and_stops_at_the_bound() {
        let budget = Budget::new(Limits {
            requests: Some(3),
            ..Limits::default()
        });
        for _ in 0..3 {
            budget.acquire().unwrap();
        }
        assert_eq!(budget.acquire(), Err(Stop::Budget { requests: 3 }));
        assert_eq!(budget.sent(), 3);
        assert_eq!(budget.left(), 0);
        assert!(!budget.stopped().unwrap().incomplete());
    }

    #[test]
    fn failures_in_a_row_stop_the_run_and_an_answer_resets_the_count() {
        let budget = Budget::new(Limits {
            max_failures_in_a_row: 3,
            ..Limits::default()
        });
        budget.record(Some("timeout"));
        budget.record(Some("timeout"));
        budget.record(None);
        budget.record(Some("timeout"));
        budget.record(Some("timeout"));
        assert_eq!(budget.stopped(), None);
        budget.record(Some("connection reset"));
        let stop = budget.acquire().unwrap_err();
        assert!(stop.incomplete());
        assert_eq!(
            stop.to_string(),
            "3 requests failed in a row (last: connection reset)"
        );
    }

    #[test]
    fn a_duration_over_stops_the_run_and_caps_the_next_timeout() {
        let budget = Budget::new(Limits {
            duration: Some(Duration::ZERO),
            ..Limits::default()
        });
        assert_eq!(budget.time_left(), Some(Duration::ZERO));
        let stop = budget.acquire().unwrap_err();
        assert_eq!(stop.to_string(), "the duration of 0s is over");
        assert!(!stop.incomplete());
        assert_eq!(budget.sent(), 0);
    }

    #[test]
    fn an_interrupt_stops_the_run() {
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::new(Limits {
            interrupt: Some(flag.clone()),
            ..Limits::default()
        });
        budget.acquire().unwrap();
        flag.store(true, Ordering::SeqCst);
        assert_eq!(budget.acquire(), Err(Stop::Interrupted));
    }
}

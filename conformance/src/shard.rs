//! Suite sharding (`--shard I/N`): which generated units a run sends, and
//! the ledger of the units it sent.
//!
//! A unit is one thing the unsharded run generates and sends on its own:
//! a stateless case of one probe of one operation, a random stateful
//! sequence of a round, a directed script, a race round, the malformed
//! requests, the expiry waits. Units are numbered in lists (`stateless
//! login: invalid bodies rejected`, `stateful round 0`, `directed`,
//! `race`, ...) in the order the unsharded run generates them with the
//! same seed; unit `j` of list `L` belongs to shard
//! `(j + offset(L)) % N + 1`, where the offset is a hash of the list's
//! name (so one-unit lists do not all land on shard 1). What a unit needs
//! (the logins, a failing case's shrinking) runs whole in the shard that
//! runs the unit.
//!
//! **Invariant:** the partition depends on the list names, the numbers
//! and `N` only (the seed and the spec fix the lists), never on timing:
//! the shards of one `N` are disjoint and together the whole.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// One shard of a run: `index` of `total`, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// Which shard, 1 to `total`.
    pub index: u32,
    /// How many shards.
    pub total: u32,
}

impl Shard {
    /// The whole run: shard 1 of 1.
    pub const WHOLE: Shard = Shard { index: 1, total: 1 };

    /// Shard `index` of `total`; `None` unless 1 ≤ index ≤ total.
    pub fn new(index: u32, total: u32) -> Option<Shard> {
        (index >= 1 && index <= total).then_some(Shard { index, total })
    }

    /// Whether this is the whole run.
    pub fn is_whole(self) -> bool {
        self.total == 1
    }

    /// Whether unit `number` of `list` belongs to this shard.
    pub fn takes(self, list: &str, number: u64) -> bool {
        if self.is_whole() {
            return true;
        }
        let n = u64::from(self.total);
        (number % n + offset(list) % n) % n == u64::from(self.index - 1)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not I/N with 1 ≤ I ≤ N (such as 1/3)");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let i: u32 = i.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n).ok_or_else(bad)
    }
}

/// FNV-1a of a list's name: the same on every machine and every build.
fn offset(list: &str) -> u64 {
    list.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The units a run sent, by list, each list's numbers in order.
#[derive(Debug, Default)]
pub struct Ledger {
    units: Mutex<BTreeMap<String, Vec<u64>>>,
}

impl Ledger {
    /// Unit `number` of `list` was sent.
    pub fn record(&self, list: &str, number: u64) {
        let mut units = self.units.lock().unwrap_or_else(|e| e.into_inner());
        units.entry(list.to_owned()).or_default().push(number);
    }

    /// Every unit sent, each list sorted.
    pub fn units(&self) -> BTreeMap<String, Vec<u64>> {
        let mut units = self.units.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for numbers in units.values_mut() {
            numbers.sort_unstable();
            numbers.dedup();
        }
        units
    }
}

/// Whether `shard` sends unit `number` of `list`; recorded in `ledger`
/// when it does.
pub fn take(shard: Shard, ledger: &Ledger, list: &str, number: u64) -> bool {
    let takes = shard.takes(list, number);
    if takes {
        ledger.record(list, number);
    }
    takes
}

/// Unit numbers in reports: one line per list, runs of consecutive
/// numbers as ranges (`0-99`, `1,4,7`), so a whole run's report stays
/// short.
pub mod compact {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// `numbers` (sorted) as `0-3,7,9-10`.
    pub fn text(numbers: &[u64]) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut i = 0;
        while i < numbers.len() {
            let start = numbers[i];
            let mut end = start;
            while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
                i += 1;
                end = numbers[i];
            }
            parts.push(if end == start {
                start.to_string()
            } else {
                format!("{start}-{end}")
            });
            i += 1;
        }
        parts.join(",")
    }

    /// The numbers of `0-3,7,9-10`.
    pub fn numbers(text: &str) -> Result<Vec<u64>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || format!("`{part}` is not a unit number or a range N-M");
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u64, u64) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
            if b < a {
                return Err(bad());
            }
            out.extend(a..=b);
        }
        Ok(out)
    }

    /// Serialize a report's units.
    pub fn serialize<S: Serializer>(
        units: &BTreeMap<String, Vec<u64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let texts: BTreeMap<&String, String> = units.iter().map(|(k, v)| (k, text(v))).collect();
        texts.serialize(s)
    }

    /// Deserialize a report's units.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<u64>>, D::Error> {
        let texts = BTreeMap::<String, String>::deserialize(d)?;
        texts
            .into_iter()
            .map(|(k, v)| Ok((k, numbers(&v).map_err(serde::de::Error::custom)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shards_of_n_are_disjoint_and_together_the_whole() {
        for total in 1..6 {
            for list in ["stateless a", "directed", "race", "malformed"] {
                for number in 0..50 {
                    let owners = (1..=total)
                        .filter(|i| Shard::new(*i, total).unwrap().takes(list, number))
                        .count();
                    assert_eq!(owners, 1, "{list} {number} of {total}");
                }
            }
        }
    }

    #[test]
    fn unit_numbers_read_back_from_their_text() {
        let numbers = vec![0, 1, 2, 3, 7, 9, 10];
        assert_eq!(compact::text(&numbers), "0-3,7,9-10");
        assert_eq!(compact::numbers("0-3,7,9-10"), Ok(numbers));
        assert!(compact::numbers("3-1").is_err());
    }

    #[test]
    fn shards_parse_one_based() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, total: 3 }));
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}

//! What the benches share: their command line.

use std::collections::BTreeMap;

/// A bench's command line: `--name N` numbers and bare `--flags`
/// (`cargo bench` passes `--bench` among them; unknown ones are ignored).
pub struct Flags {
    numbers: BTreeMap<String, u64>,
    bare: Vec<String>,
}

impl Flags {
    /// This process's arguments. A flag followed by a number takes it; one
    /// that is not is bare.
    pub fn parse() -> Flags {
        let mut flags = Flags {
            numbers: BTreeMap::new(),
            bare: Vec::new(),
        };
        let mut it = std::env::args().skip(1).peekable();
        while let Some(arg) = it.next() {
            match it.peek().and_then(|v| v.parse().ok()) {
                Some(n) => {
                    it.next();
                    flags.numbers.insert(arg, n);
                }
                None => flags.bare.push(arg),
            }
        }
        flags
    }

    /// The number after `name`, or `default`.
    pub fn num(&self, name: &str, default: u64) -> u64 {
        self.numbers.get(name).copied().unwrap_or(default)
    }

    /// Whether the bare flag `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.bare.iter().any(|b| b == name)
    }
}

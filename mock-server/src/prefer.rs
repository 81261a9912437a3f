//! The `Prefer` header (`code=404`, `example=name`, `dynamic=true` of
//! unbound operations, as Prism reads it; `delay=MS` of any operation), and
//! honouring it. A preference the mock cannot honour is the caller's
//! mistake: a 400 that says what there is, never another answer that looks
//! like success.

use openapi::spec::Operation;

use crate::respond::{self, Choice, Reply};

/// What a `Prefer` header asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefer {
    code: Option<String>,
    example: Option<String>,
    dynamic: bool,
    delay: Option<String>,
}

/// The longest delay a request may ask for, or `--latency` add: a minute.
pub const MAX_DELAY_MS: u64 = 60_000;

/// A delay added to every answer: uniformly between `min` and `max`
/// milliseconds (`--latency MIN..MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// The shortest delay, in milliseconds.
    pub min_ms: u64,
    /// The longest delay, in milliseconds (at most [`MAX_DELAY_MS`]).
    pub max_ms: u64,
}

impl Latency {
    /// `min..max` (or one number), in milliseconds, within the bound.
    pub fn parse(s: &str) -> Result<Latency, String> {
        let (min, max) = s.split_once("..").unwrap_or((s, s));
        let ms = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{s}` is not MIN..MAX in milliseconds (e.g. 100..800)"))
        };
        let (min_ms, max_ms) = (ms(min)?, ms(max)?);
        if min_ms > max_ms || max_ms > MAX_DELAY_MS {
            return Err(format!(
                "`{s}`: MIN must not exceed MAX, and MAX not {MAX_DELAY_MS} ms"
            ));
        }
        Ok(Latency { min_ms, max_ms })
    }

    fn draw(self) -> u64 {
        rand::random_range(self.min_ms..=self.max_ms)
    }
}

/// The delay before answering, in milliseconds: `Prefer: delay=MS` when
/// the request asks for one, else a draw from `latency`. A delay that is
/// not a number of milliseconds up to [`MAX_DELAY_MS`] is a 400.
pub(crate) fn delay(prefer: Option<&str>, latency: Option<Latency>) -> Result<Option<u64>, Reply> {
    let Some(asked) = prefer.map(Prefer::parse).and_then(|p| p.delay) else {
        return Ok(latency.map(Latency::draw));
    };
    match asked.parse::<u64>() {
        Ok(ms) if ms <= MAX_DELAY_MS => Ok(Some(ms)),
        _ => {
            let detail = format!(
                "Prefer: delay={asked} is not a delay in milliseconds from 0 to {MAX_DELAY_MS}"
            );
            Err(respond::problem(400, detail).into())
        }
    }
}

impl Prefer {
    /// The preferences of a `Prefer` header value (unknown ones ignored).
    pub(crate) fn parse(header: &str) -> Prefer {
        let mut p = Prefer::default();
        for part in header.split([',', ';']) {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                "code" => p.code = Some(v.to_owned()),
                "example" => p.example = Some(v.to_owned()),
                "dynamic" => p.dynamic = v == "true",
                "delay" => p.delay = Some(v.to_owned()),
                _ => {}
            }
        }
        p
    }

    /// The status to answer: the preferred one, which `op` must document,
    /// or else the operation's default.
    pub(crate) fn status(&self, op: &Operation) -> Result<u16, Reply> {
        let Some(code) = &self.code else {
            return Ok(default_status(op));
        };
        match code.parse::<u16>() {
            Ok(c) if op.response(c).is_some() => Ok(c),
            _ => {
                let listed: Vec<&str> = op.responses.iter().map(|r| r.status.as_str()).collect();
                let detail = format!(
                    "Prefer: code={code} is not a status this operation documents ({})",
                    listed.join(", ")
                );
                Err(respond::problem(400, detail).into())
            }
        }
    }

    /// How to pick the body of the `status` answer: the preferred example,
    /// which that response must have, or a generated body.
    pub(crate) fn choice<'a>(
        &'a self,
        op: &Operation,
        status: u16,
        seed: u64,
        accept: Option<&'a str>,
    ) -> Result<Choice<'a>, Reply> {
        if let Some(name) = &self.example {
            let names: Vec<&str> = op
                .response(status)
                .into_iter()
                .flat_map(|r| &r.content)
                .flat_map(|m| &m.examples)
                .map(|(n, _)| n.as_str())
                .collect();
            if !names.contains(&name.as_str()) {
                let there = if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                };
                let detail = format!(
                    "Prefer: example={name} names no example of the {status} response (examples: {there})"
                );
                return Err(respond::problem(400, detail).into());
            }
        }
        Ok(Choice {
            example: self.example.as_deref(),
            outcome: &[],
            dynamic: self.dynamic,
            variant: if self.dynamic {
                seed.wrapping_add(1)
            } else {
                0
            },
            accept,
            clear: &[],
        })
    }
}

/// What an operation answers when nothing is preferred: its success
/// status, else its lowest redirect, else 200 if documented, else its
/// first documented status.
fn default_status(op: &Operation) -> u16 {
    let documented: Vec<u16> = op.statuses().collect();
    op.success_status()
        .or_else(|| {
            documented
                .iter()
                .copied()
                .filter(|s| (300..400).contains(s))
                .min()
        })
        .or_else(|| op.response(200).map(|_| 200))
        .or_else(|| documented.first().copied())
        .unwrap_or(200)
}

#[cfg(test)]
mod tests {
    use super::Prefer;

    #[test]
    fn several_preferences_in_one_header() {
        let p = Prefer::parse("code=200, example=\"one\"; dynamic=true, other=x, junk, delay=5");
        assert_eq!(
            p,
            Prefer {
                code: Some("200".into()),
                example: Some("one".into()),
                dynamic: true,
                delay: Some("5".into()),
            }
        );
        assert_eq!(Prefer::parse(""), Prefer::default());
    }

    #[test]
    fn delays_are_bounded() {
        use super::{delay, Latency};
        assert_eq!(delay(Some("delay=250"), None), Ok(Some(250)));
        assert_eq!(delay(None, None), Ok(None));
        assert!(delay(Some("delay=60001"), None).is_err());
        assert!(delay(Some("delay=-1"), None).is_err());
        let fixed = Latency::parse("7").unwrap();
        assert_eq!(delay(None, Some(fixed)), Ok(Some(7)));
        assert_eq!(delay(Some("delay=0"), Some(fixed)), Ok(Some(0)));
        let range = Latency::parse("100..800").unwrap();
        assert!(delay(None, Some(range))
            .unwrap()
            .is_some_and(|d| (100..=800).contains(&d)));
        for bad in ["800..100", "1..70000", "a..b", ""] {
            assert!(Latency::parse(bad).is_err(), "{bad}");
        }
    }
}

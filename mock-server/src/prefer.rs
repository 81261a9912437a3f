//! The `Prefer` header of unbound operations (`code=404`,
//! `example=name`, `dynamic=true`, as Prism reads it), and honouring it. A
//! preference the spec cannot honour is the caller's mistake: a 400 that
//! says what there is, never another answer that looks like success.

use openapi::spec::Operation;

use crate::respond::{self, Choice, Reply};

/// What a `Prefer` header asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Prefer {
    code: Option<String>,
    example: Option<String>,
    dynamic: bool,
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
        let p = Prefer::parse("code=200, example=\"one\"; dynamic=true, other=x, junk");
        assert_eq!(
            p,
            Prefer {
                code: Some("200".into()),
                example: Some("one".into()),
                dynamic: true,
            }
        );
        assert_eq!(Prefer::parse(""), Prefer::default());
    }
}

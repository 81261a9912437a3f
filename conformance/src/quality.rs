//! `tokens unpredictable`: a token must not be predictable from earlier
//! ones. What varies between successive tokens of one kind and one user is
//! estimated in bits; under [`MIN_BITS`] fails, with the tokens as
//! examples and the pattern that explains them (a counter, a timestamp,
//! the user name).
//!
//! The estimate, in words:
//!
//! - a JWT is judged by its decoded header and payload: a claim that is
//!   the same in every token is fixed and counts nothing, a timestamp or a
//!   counter counts nothing, any other varying claim is estimated as text;
//!   a real signature (an algorithm other than `none`, at least 16 bytes,
//!   different in every token) counts its length, up to 256 bits, since
//!   nobody without the key can compute it;
//! - any other token is text, or the text it decodes to when it is base64
//!   or hex of printable characters (`base64("demo:17")`). From each the
//!   user name is removed, and every run of digits that increases from
//!   token to token (a counter) or reads as a time near now (a timestamp);
//!   what is left counts `log2(alphabet)` bits per position that varies
//!   (the alphabet being the smallest of digits, hex, base36, letters,
//!   base62, base64 or printable ASCII holding every character seen there).
//!
//! It is an estimate from a few tokens, built to find evident patterns and
//! short tokens without false alarms on random ones: 18 random bytes in
//! base64url give 144 bits, a 32-digit hex `jti` 124 bits, a JWT with an
//! HMAC-SHA256 signature 256 more; the mock's tokens (a stamp of counters
//! and times, and a 136-bit MAC tag) pass by their tag.

use std::collections::BTreeMap;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use serde_json::Value;

use openapi::model::TokenKind;

use crate::property::Property;
use crate::stateful::{Failure, IssuedToken, Outcome};

/// Tokens of one kind and one user needed for a judgement.
pub const MIN_SAMPLES: usize = 8;

/// The least estimated unpredictable content of a token, in bits.
pub const MIN_BITS: f64 = 128.0;

/// Tokens shown as examples in a failure.
const EXAMPLES: usize = 4;

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub enum Quality {
    /// Fewer than [`MIN_SAMPLES`] tokens of one kind and one user.
    TooFew {
        /// The most tokens of one kind and one user.
        have: usize,
    },
    /// Judged: how many tokens, the request of the run that issued the
    /// last one needed, and the failure, if any.
    Judged {
        /// Tokens judged.
        tokens: u64,
        /// The request that issued the [`MIN_SAMPLES`]th token.
        at: u64,
        /// What is predictable, with examples.
        failure: Option<String>,
    },
}

/// An estimate of what cannot be predicted in a series of tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Bits.
    pub bits: f64,
    /// The patterns found (each explains some variation, counted as none).
    pub patterns: Vec<String>,
}

/// Judge the tokens issued in a run, by kind and user (every pair with
/// [`MIN_SAMPLES`] tokens at least); `now` is the Unix time, for telling
/// timestamps.
pub fn judge(tokens: &[IssuedToken], now: u64) -> Quality {
    let mut groups: BTreeMap<(bool, &str), Vec<&IssuedToken>> = BTreeMap::new();
    for t in tokens {
        let group = groups
            .entry((t.kind == TokenKind::Access, t.user.as_str()))
            .or_default();
        if !group.iter().any(|g| g.token == t.token) {
            group.push(t);
        }
    }
    let have = groups.values().map(Vec::len).max().unwrap_or(0);
    if have < MIN_SAMPLES {
        return Quality::TooFew { have };
    }
    let mut failures: Vec<(bool, String)> = Vec::new();
    let mut count = 0;
    let mut at = u64::MAX;
    // The pairs that had enough tokens first come first.
    let mut judged: Vec<_> = groups
        .iter()
        .filter(|(_, g)| g.len() >= MIN_SAMPLES)
        .collect();
    judged.sort_by_key(|(_, g)| g[MIN_SAMPLES - 1].at);
    for ((access, user), group) in judged {
        count += group.len() as u64;
        at = at.min(group[MIN_SAMPLES - 1].at);
        let texts: Vec<&str> = group.iter().map(|t| t.token.as_str()).collect();
        let e = estimate(&texts, user, now);
        // One failure per kind is enough to read.
        if e.bits >= MIN_BITS || failures.iter().any(|(a, _)| a == access) {
            continue;
        }
        let kind = if *access { "access" } else { "refresh" };
        let why = if e.patterns.is_empty() {
            String::new()
        } else {
            format!(": {}", e.patterns.join("; "))
        };
        let examples: Vec<&str> = texts.iter().take(EXAMPLES).copied().collect();
        failures.push((
            *access,
            format!(
                "{kind} tokens of \"{user}\" carry an estimated {:.0} unpredictable bits, under {MIN_BITS:.0}{why}; successive tokens: {}",
                e.bits,
                examples.join(", ")
            ),
        ));
    }
    let failures: Vec<String> = failures.into_iter().map(|(_, f)| f).collect();
    Quality::Judged {
        tokens: count,
        at,
        failure: (!failures.is_empty()).then(|| failures.join("\n")),
    }
}

/// Judge the tokens `out` collected and record the verdict under
/// [`Property::TokensUnpredictable`] (nothing when too few were issued).
pub fn record(out: &mut Outcome) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if let Quality::Judged {
        tokens,
        at,
        failure,
    } = judge(&out.tokens, now)
    {
        out.exercise(Property::TokensUnpredictable, tokens, at);
        if let Some(message) = failure {
            out.fail(Failure {
                property: Property::TokensUnpredictable,
                message,
                steps: Vec::new(),
                detected_at: at,
            });
        }
    }
}

/// The unpredictable content of `tokens` (successive tokens of one kind
/// and one user, in the order issued).
pub fn estimate(tokens: &[&str], user: &str, now: u64) -> Estimate {
    if let Some(jwts) = tokens
        .iter()
        .map(|t| Jwt::parse(t))
        .collect::<Option<Vec<_>>>()
    {
        return jwt_estimate(&jwts, user, now);
    }
    if let Some(decoded) = decoded_texts(tokens) {
        let views: Vec<&str> = decoded.iter().map(String::as_str).collect();
        let mut e = text_estimate(&views, user, now);
        e.patterns
            .insert(0, "they are base64 or hex of text".into());
        return e;
    }
    text_estimate(tokens, user, now)
}

/// A JWT, decoded.
struct Jwt {
    header: Value,
    payload: Value,
    signature: Vec<u8>,
}

fn lenient(alphabet: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    )
}

impl Jwt {
    fn parse(token: &str) -> Option<Jwt> {
        let url = lenient(&alphabet::URL_SAFE);
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Value = serde_json::from_slice(&url.decode(h).ok()?).ok()?;
        header.get("alg")?.as_str()?;
        let payload: Value = serde_json::from_slice(&url.decode(p).ok()?).ok()?;
        let signature = url.decode(s).ok()?;
        Some(Jwt {
            header,
            payload,
            signature,
        })
    }
}

/// Every scalar of a JSON value by its pointer.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten(&format!("{prefix}/{k}"), v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}/{i}"), v, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn jwt_estimate(jwts: &[Jwt], user: &str, now: u64) -> Estimate {
    let claims: Vec<BTreeMap<String, String>> = jwts
        .iter()
        .map(|j| {
            let mut m = BTreeMap::new();
            flatten("header", &j.header, &mut m);
            flatten("payload", &j.payload, &mut m);
            m
        })
        .collect();
    let mut paths: Vec<&String> = claims.iter().flat_map(|c| c.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut bits = 0.0;
    let mut patterns = Vec::new();
    for path in paths {
        let values: Vec<&str> = claims
            .iter()
            .map(|c| c.get(path).map_or("", String::as_str))
            .collect();
        if values.iter().all(|v| *v == values[0]) {
            continue;
        }
        let e = text_estimate(&values, user, now);
        bits += e.bits;
        let claim = path.rsplit('/').next().unwrap_or(path);
        patterns.extend(e.patterns.into_iter().map(|p| format!("`{claim}`: {p}")));
    }
    let none = jwts.iter().any(|j| {
        j.header
            .get("alg")
            .and_then(Value::as_str)
            .is_none_or(|a| a.eq_ignore_ascii_case("none"))
    });
    let shortest = jwts.iter().map(|j| j.signature.len()).min().unwrap_or(0);
    let mut signatures: Vec<&[u8]> = jwts.iter().map(|j| j.signature.as_slice()).collect();
    signatures.sort();
    signatures.dedup();
    if !none && shortest >= 16 && signatures.len() == jwts.len() {
        bits += (shortest as f64 * 8.0).min(256.0);
    } else {
        patterns.push("a JWT without a real signature (none, short or repeated)".into());
    }
    Estimate { bits, patterns }
}

/// Bytes a text decodes to, if it does.
type Decoder = dyn Fn(&str) -> Option<Vec<u8>>;

/// The texts `tokens` decode to, when every one is base64 (standard or
/// URL-safe) or hex of printable ASCII.
fn decoded_texts(tokens: &[&str]) -> Option<Vec<String>> {
    let printable = |b: &[u8]| b.len() >= 4 && b.iter().all(|c| (0x20..0x7f).contains(c));
    let hex = |t: &str| -> Option<Vec<u8>> {
        if t.len() % 2 != 0 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
            .collect()
    };
    let decoders: [&Decoder; 3] = [
        &hex,
        &|t| lenient(&alphabet::URL_SAFE).decode(t).ok(),
        &|t| lenient(&alphabet::STANDARD).decode(t).ok(),
    ];
    decoders.iter().find_map(|decode| {
        tokens
            .iter()
            .map(|t| decode(t).filter(|b| printable(b)))
            .map(|b| b.and_then(|b| String::from_utf8(b).ok()))
            .collect()
    })
}

/// Runs of digits and of anything else.
fn runs(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut digits = None;
    for (i, c) in text.char_indices() {
        let d = c.is_ascii_digit();
        if digits.is_some_and(|prev| prev != d) {
            out.push((digits == Some(true), &text[start..i]));
            start = i;
        }
        digits = Some(d);
    }
    if start < text.len() {
        out.push((digits == Some(true), &text[start..]));
    }
    out
}

/// Whether `values` read as times near `now` (seconds, milliseconds,
/// microseconds or nanoseconds since 1970, within ten years).
fn timestamps(values: &[u128], now: u64) -> bool {
    const TEN_YEARS: u128 = 10 * 365 * 86_400;
    let now = u128::from(now);
    [1, 1_000, 1_000_000, 1_000_000_000].iter().any(|unit| {
        values.iter().all(|v| {
            (v / unit).abs_diff(now) < TEN_YEARS && *v >= now.saturating_sub(TEN_YEARS) * unit
        })
    })
}

/// Whether `values` increase from one to the next (nine in ten steps at
/// least: a counter shared with other users or kinds still shows).
fn increasing(values: &[u128]) -> bool {
    let steps = values.len().saturating_sub(1);
    let up = values.windows(2).filter(|w| w[1] > w[0]).count();
    steps >= 2 && up * 10 >= steps * 9
}

fn text_estimate(tokens: &[&str], user: &str, now: u64) -> Estimate {
    let mut patterns = Vec::new();
    // The user name.
    let mut texts: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
    if user.chars().count() >= 3 {
        // In every token: a random token may hold it by chance.
        let needle = user.to_lowercase();
        if texts.iter().all(|t| t.to_lowercase().contains(&needle)) {
            patterns.push(format!("they contain the user name \"{user}\""));
            texts = texts.iter().map(|t| remove_ci(t, &needle)).collect();
        }
    }
    // Counters and timestamps: runs of digits, aligned by their index.
    let split: Vec<Vec<(bool, &str)>> = texts.iter().map(|t| runs(t)).collect();
    let digit_runs = |r: &Vec<(bool, &str)>| r.iter().filter(|(d, _)| *d).count();
    let mut drop: Vec<usize> = Vec::new();
    let n = split.first().map_or(0, digit_runs);
    if n > 0 && split.iter().all(|r| digit_runs(r) == n) {
        for j in 0..n {
            let values: Option<Vec<u128>> = split
                .iter()
                .map(|r| r.iter().filter(|(d, _)| *d).nth(j)?.1.parse().ok())
                .collect();
            let Some(values) = values else { continue };
            if timestamps(&values, now) {
                patterns.push("what varies is a timestamp".into());
                drop.push(j);
            } else if increasing(&values) {
                patterns.push("what varies is a counter".into());
                drop.push(j);
            }
        }
    }
    let rest: Vec<String> = split
        .iter()
        .map(|r| {
            let mut j = 0;
            r.iter()
                .filter(|(d, _)| {
                    let keep = !*d || !drop.contains(&j);
                    j += usize::from(*d);
                    keep
                })
                .map(|(_, s)| *s)
                .collect()
        })
        .collect();
    Estimate {
        bits: varying_bits(&rest),
        patterns,
    }
}

fn remove_ci(text: &str, needle_lower: &str) -> String {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut i = 0;
    while let Some(found) = lower[i..].find(needle_lower) {
        out.push_str(&text[i..i + found]);
        i += found + needle_lower.len();
    }
    out.push_str(&text[i..]);
    out
}

/// Bits of what varies between `texts`: per varying position when all
/// have the same length, else over what lies between their common prefix
/// and suffix (the shortest such middle).
fn varying_bits(texts: &[String]) -> f64 {
    let chars: Vec<Vec<char>> = texts.iter().map(|t| t.chars().collect()).collect();
    let Some(first) = chars.first() else {
        return 0.0;
    };
    let varying: Vec<Vec<char>> = if chars.iter().all(|c| c.len() == first.len()) {
        let positions: Vec<usize> = (0..first.len())
            .filter(|&i| chars.iter().any(|c| c[i] != first[i]))
            .collect();
        chars
            .iter()
            .map(|c| positions.iter().map(|&i| c[i]).collect())
            .collect()
    } else {
        let shortest = chars.iter().map(Vec::len).min().unwrap_or(0);
        let prefix = (0..shortest)
            .take_while(|&i| chars.iter().all(|c| c[i] == first[i]))
            .count();
        let suffix = (0..shortest - prefix)
            .take_while(|&i| {
                let at = |c: &Vec<char>| c[c.len() - 1 - i];
                chars.iter().all(|c| at(c) == at(first))
            })
            .count();
        chars
            .iter()
            .map(|c| c[prefix..c.len() - suffix].to_vec())
            .collect()
    };
    let width = varying.iter().map(Vec::len).min().unwrap_or(0);
    width as f64 * alphabet_bits(varying.iter().flatten().copied())
}

/// `log2` of the smallest usual alphabet holding every character.
fn alphabet_bits(chars: impl Iterator<Item = char>) -> f64 {
    let chars: Vec<char> = chars.collect();
    let all = |f: &dyn Fn(char) -> bool| chars.iter().all(|c| f(*c));
    let size: f64 = if all(&|c| c.is_ascii_digit()) {
        10.0
    } else if all(&|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        || all(&|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
    {
        16.0
    } else if all(&|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        || all(&|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        36.0
    } else if all(&|c| c.is_ascii_alphabetic()) {
        52.0
    } else if all(&|c| c.is_ascii_alphanumeric()) {
        62.0
    } else if all(&|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || all(&|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
    {
        64.0
    } else if all(&|c| c.is_ascii_graphic() || c == ' ') {
        95.0
    } else {
        256.0
    };
    size.log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_767_225_600; // 2026-01-01

    fn bits(tokens: &[String], user: &str) -> Estimate {
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        estimate(&refs, user, NOW)
    }

    /// Deterministic bytes that look random (SplitMix64).
    fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn jwt(header: Value, payload: Value, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes()),
            b64(signature)
        )
    }

    #[test]
    fn random_opaque_tokens_pass() {
        for n in [MIN_SAMPLES as u64, 9, 16, 50, 300] {
            for seed in 0..40 {
                let base = (n * 1000 + seed) * 1000;
                for encode in [b64 as fn(&[u8]) -> String, hex] {
                    let tokens: Vec<String> = (0..n)
                        .map(|i| encode(&random_bytes(base + i, 18)))
                        .collect();
                    let e = bits(&tokens, "demo");
                    assert!(e.bits >= MIN_BITS, "{n} tokens, seed {seed}: {e:?}");
                }
            }
        }
    }

    #[test]
    fn the_mocks_tokens_pass_by_their_tag_alone() {
        use openapi::model::{Action, Model, Outcome, Policy};
        // Successive logins and refreshes: session ids, serials and times
        // count (and vary) in the stamp; the MAC tag is what is left.
        let mut model = Model::new(Policy::default(), [("demo", "demo")]);
        let mut codec = mock_server::MockCodec::new();
        let (mut access, mut refresh) = (Vec::new(), Vec::new());
        for i in 0..MIN_SAMPLES as u64 * 2 {
            let login = Action::Login {
                username: Some("demo"),
                password: Some("demo"),
            };
            let Outcome::Issued(t) = model.apply(login, NOW + i, &mut codec) else {
                panic!("login")
            };
            access.push(t.access_token.to_string());
            refresh.push(t.refresh_token.to_string());
        }
        for tokens in [access, refresh] {
            let e = bits(&tokens, "demo");
            assert!(e.bits >= MIN_BITS, "{e:?}");
        }
    }

    #[test]
    fn a_random_token_that_happens_to_hold_the_user_name_changes_nothing() {
        let mut tokens: Vec<String> = (0..200).map(|i| b64(&random_bytes(i, 18))).collect();
        tokens[3] = format!("xxDeMo{}", &tokens[3][6..]);
        let e = bits(&tokens, "demo");
        assert!(e.bits >= 140.0 && e.patterns.is_empty(), "{e:?}");
    }

    #[test]
    fn counters_timestamps_and_the_user_name_fail_with_the_reason() {
        let counter: Vec<String> = (1..=9).map(|i| format!("demo-{}", 2 * i)).collect();
        let e = bits(&counter, "demo");
        assert_eq!(e.bits, 0.0, "{e:?}");
        assert!(e.patterns.iter().any(|p| p.contains("counter")), "{e:?}");
        assert!(e.patterns.iter().any(|p| p.contains("user name")), "{e:?}");

        let stamps: Vec<String> = (0..9)
            .map(|i| format!("tok{}", NOW * 1000 + i * 7))
            .collect();
        let e = bits(&stamps, "demo");
        assert_eq!(e.bits, 0.0, "{e:?}");
        assert!(e.patterns.iter().any(|p| p.contains("timestamp")), "{e:?}");

        // base64 of "user:counter" is seen through.
        let encoded: Vec<String> = (10..19)
            .map(|i| b64(format!("alice:{i}").as_bytes()))
            .collect();
        let e = bits(&encoded, "alice");
        assert_eq!(e.bits, 0.0, "{e:?}");

        // A counter beside 64 random bits is still too little.
        let short: Vec<String> = (0..9)
            .map(|i| format!("{i:06}{}", hex(&random_bytes(i, 8))))
            .collect();
        let e = bits(&short, "demo");
        assert!(e.bits < MIN_BITS && e.bits >= 60.0, "{e:?}");
    }

    #[test]
    fn jwts_are_judged_by_what_varies() {
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        // simplejwt's shape: a uuid4 hex jti, timestamps, an HMAC-SHA256.
        let simplejwt: Vec<String> = (0..9u64)
            .map(|i| {
                let mut jti = random_bytes(i, 16);
                jti[6] = (jti[6] & 0x0f) | 0x40;
                let payload = serde_json::json!({
                    "token_type": "access", "exp": NOW + 300 + i, "iat": NOW + i,
                    "jti": hex(&jti), "user_id": 1
                });
                jwt(header.clone(), payload, &random_bytes(1000 + i, 32))
            })
            .collect();
        let e = bits(&simplejwt, "demo");
        assert!(e.bits >= MIN_BITS, "{e:?}");
        // Unsigned, with a counter for an id: nothing is unpredictable.
        let none = serde_json::json!({"alg": "none"});
        let counted: Vec<String> = (0..9u64)
            .map(|i| {
                jwt(
                    none.clone(),
                    serde_json::json!({"sub": "demo", "jti": i, "iat": NOW + i}),
                    b"",
                )
            })
            .collect();
        let e = bits(&counted, "demo");
        assert_eq!(e.bits, 0.0, "{e:?}");
        assert!(
            e.patterns
                .iter()
                .any(|p| p.contains("`jti`: what varies is a counter")),
            "{e:?}"
        );
    }

    #[test]
    fn judge_needs_enough_tokens_and_names_the_kind() {
        let issued = |kind, token: String, at| IssuedToken {
            kind,
            user: "demo".into(),
            token,
            at,
        };
        let few: Vec<IssuedToken> = (0..3)
            .map(|i| issued(TokenKind::Access, format!("demo-{i}"), i))
            .collect();
        assert_eq!(judge(&few, NOW), Quality::TooFew { have: 3 });
        let mut many: Vec<IssuedToken> = (0..10)
            .map(|i| issued(TokenKind::Refresh, format!("demo-{i}"), 10 + i))
            .collect();
        many.extend((0..10).map(|i| issued(TokenKind::Access, b64(&random_bytes(i, 18)), 30 + i)));
        match judge(&many, NOW) {
            Quality::Judged {
                tokens,
                at,
                failure: Some(f),
            } => {
                assert_eq!(tokens, 20);
                assert_eq!(at, 17);
                assert!(f.starts_with("refresh tokens of \"demo\""), "{f}");
                assert!(f.contains("demo-0, demo-1, demo-2, demo-3"), "{f}");
                assert!(!f.contains("access"), "{f}");
            }
            other => panic!("{other:?}"),
        }
    }
}

//! Scalar strategies: strings (plain, formats, patterns), numbers, and
//! values of any type.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just, Union};
use serde_json::{json, Map, Number, Value};

/// Strings are at most this long unless `minLength` demands more.
pub(crate) const MAX_STR: usize = 24;

const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const PUNCT: &str = "-_.,:;!?@#$%&*()[]{}'\"/\\+=~^|<>`";
const UNICODE: &str = "éüßñçøåЖжΩλ中文日本語🙂€";

fn chars(set: &str) -> Vec<char> {
    set.chars().collect()
}

/// One character of a generated string: mostly alphanumeric. Header
/// characters are visible ASCII without spaces.
pub(crate) fn char_strategy(header: bool) -> BoxedStrategy<char> {
    if header {
        Union::new_weighted(vec![
            (8, select(chars(ALNUM)).boxed()),
            (1, select(chars(PUNCT)).boxed()),
        ])
        .boxed()
    } else {
        let mut punct = chars(PUNCT);
        punct.push(' ');
        Union::new_weighted(vec![
            (16, select(chars(ALNUM)).boxed()),
            (3, select(punct).boxed()),
            (1, select(chars(UNICODE)).boxed()),
        ])
        .boxed()
    }
}

/// Strings of `min..=max` characters.
pub(crate) fn plain_string(min: usize, max: usize, header: bool) -> BoxedStrategy<String> {
    vec(char_strategy(header), min..=max.max(min))
        .prop_map(|cs| cs.into_iter().collect::<String>())
        .boxed()
}

fn digits(n: usize) -> BoxedStrategy<String> {
    vec(select(chars("0123456789")), n)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

fn hex(n: usize) -> BoxedStrategy<String> {
    vec(select(chars("0123456789abcdef")), n)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

fn lower(min: usize, max: usize) -> BoxedStrategy<String> {
    vec(select(chars("abcdefghijklmnopqrstuvwxyz")), min..=max)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

fn label() -> BoxedStrategy<String> {
    (
        lower(1, 1),
        vec(select(chars("abcdefghijklmnopqrstuvwxyz0123456789")), 0..=7),
    )
        .prop_map(|(a, rest)| format!("{a}{}", rest.into_iter().collect::<String>()))
        .boxed()
}

fn hostname() -> BoxedStrategy<String> {
    (
        vec(label(), 1..=2),
        select(vec!["com", "org", "net", "io", "test"]),
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
        .boxed()
}

fn date() -> BoxedStrategy<String> {
    (1970u32..=2099, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed()
}

fn time() -> BoxedStrategy<String> {
    let offset = prop_oneof![
        3 => Just("Z".to_owned()),
        1 => (prop::bool::ANY, 0u32..=14, select(vec![0u32, 30, 45]))
            .prop_map(|(neg, h, m)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' })),
    ];
    let frac = prop_oneof![3 => Just(String::new()), 1 => digits(3).prop_map(|d| format!(".{d}"))];
    (0u32..=23, 0u32..=59, 0u32..=59, frac, offset)
        .prop_map(|(h, m, s, f, o)| format!("{h:02}:{m:02}:{s:02}{f}{o}"))
        .boxed()
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Strings of a known `format`, or `None` for formats without a special
/// shape (`password`, `binary`, unknown ones).
pub(crate) fn format_strategy(format: &str) -> Option<BoxedStrategy<String>> {
    Some(match format {
        "date-time" => (date(), time())
            .prop_map(|(d, t)| format!("{d}T{t}"))
            .boxed(),
        "date" => date(),
        "time" => time(),
        "email" | "idn-email" => (label(), hostname())
            .prop_map(|(l, h)| format!("{l}@{h}"))
            .boxed(),
        "uuid" => (
            hex(8),
            hex(4),
            hex(3),
            select(chars("89ab")),
            hex(3),
            hex(12),
        )
            .prop_map(|(a, b, c, v, d, e)| format!("{a}-{b}-4{c}-{v}{d}-{e}"))
            .boxed(),
        "uri" | "url" | "iri" | "uri-reference" | "iri-reference" => (
            select(vec!["https", "http"]),
            hostname(),
            vec(label(), 0..=2),
        )
            .prop_map(|(s, h, path)| format!("{s}://{h}/{}", path.join("/")))
            .boxed(),
        "hostname" | "idn-hostname" => hostname(),
        "ipv4" => any::<[u8; 4]>()
            .prop_map(|b| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]))
            .boxed(),
        "ipv6" => any::<[u16; 8]>()
            .prop_map(|g| {
                g.iter()
                    .map(|x| format!("{x:x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .boxed(),
        "byte" => vec(any::<u8>(), 0..=12).prop_map(|b| base64(&b)).boxed(),
        "duration" => (1u32..=99, select(vec!["D", "W", "M", "Y"]))
            .prop_map(|(n, u)| format!("P{n}{u}"))
            .boxed(),
        "json-pointer" => vec(label(), 0..=3)
            .prop_map(|ts| ts.iter().map(|t| format!("/{t}")).collect())
            .boxed(),
        _ => return None,
    })
}

/// A string that breaks `format`, for formats the validator checks.
pub(crate) fn bad_format(format: &str) -> Option<&'static str> {
    Some(match format {
        "date-time" => "2021-13-45T25:61:00Z",
        "date" => "2021-13-45",
        "time" => "25:61:00Z",
        "email" | "idn-email" => "not-an-email",
        "uuid" => "not-a-uuid",
        "uri" | "iri" => "no scheme here",
        "hostname" | "idn-hostname" => "-bad host-",
        "ipv4" => "999.1.1.1",
        "ipv6" => "not:an:ipv6",
        "duration" => "P",
        "json-pointer" => "no-leading-slash",
        _ => return None,
    })
}

/// Rewrite an ECMA-262 pattern into what the `regex` crate and proptest's
/// generator understand: `\d`/`\w` become ASCII classes, and unbounded
/// repetitions are bounded (`*` → `{0,6}`, `+` → `{1,6}`, `{n,}` →
/// `{n,n+6}`) so that generated strings stay short.
pub(crate) fn rewrite_pattern(pattern: &str, bound: bool) -> String {
    let mut out = String::new();
    let mut it = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('w') => out.push_str(if in_class {
                    "A-Za-z0-9_"
                } else {
                    "[A-Za-z0-9_]"
                }),
                Some('D') if !in_class => out.push_str("[^0-9]"),
                Some('W') if !in_class => out.push_str("[^A-Za-z0-9_]"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `]` or `^]` is literal.
                if it.peek() == Some(&'^') {
                    out.push(it.next().unwrap_or('^'));
                }
                if it.peek() == Some(&']') {
                    it.next();
                    out.push_str("\\]");
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '*' if bound && !in_class => out.push_str("{0,6}"),
            '+' if bound && !in_class => out.push_str("{1,6}"),
            '{' if bound && !in_class => {
                // `{n,}` → `{n,n+6}`; other forms are copied.
                let rest: String = it.clone().take_while(|&c| c != '}').collect();
                match rest.strip_suffix(',').and_then(|n| n.parse::<u32>().ok()) {
                    Some(n) => {
                        out.push_str(&format!("{{{n},{}}}", n + 6));
                        for _ in 0..=rest.len() {
                            it.next();
                        }
                    }
                    None => out.push('{'),
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Strings matching `pattern` (as the `regex` crate reads it, after
/// [`rewrite_pattern`]), or `None` when the pattern is beyond the generator.
pub(crate) fn pattern_strategy(pattern: &str) -> Option<(BoxedStrategy<String>, regex::Regex)> {
    let check = regex::Regex::new(&rewrite_pattern(pattern, false)).ok()?;
    let mut gen = rewrite_pattern(pattern, true);
    // proptest does not generate anchors; a leading `^` and a trailing `$`
    // are implied by generating the whole string from the pattern.
    if let Some(rest) = gen.strip_prefix('^') {
        gen = rest.to_owned();
    }
    if gen.ends_with('$') && !gen.ends_with("\\$") {
        gen.pop();
    }
    let strategy = proptest::string::string_regex(&gen).ok()?;
    Some((strategy.boxed(), check))
}

/// A JSON number from `f`, or 0 when it is not finite.
pub(crate) fn num(f: f64) -> Value {
    Number::from_f64(f).map_or(json!(0), Value::Number)
}

/// Integer bounds and step of an `integer` schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IntRange {
    pub(crate) lo: i128,
    pub(crate) hi: i128,
    pub(crate) step: i128,
}

fn f(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(Value::as_f64)
}

/// A numeric bound: the value and whether it is exclusive.
pub(crate) type Bound = (f64, bool);

/// Lower and upper bounds of a numeric schema: (value, exclusive). Reads
/// both the 3.0 (boolean) and the 3.1 (numeric) exclusive forms.
pub(crate) fn bounds(m: &Map<String, Value>) -> (Option<Bound>, Option<Bound>) {
    let side = |inclusive: &str, exclusive: &str, lower: bool| {
        let inc = f(m, inclusive);
        match m.get(exclusive) {
            Some(Value::Bool(true)) => inc.map(|v| (v, true)),
            Some(Value::Number(n)) => {
                let e = n.as_f64().unwrap_or(0.0);
                match inc {
                    Some(i) if (lower && i > e) || (!lower && i < e) => Some((i, false)),
                    _ => Some((e, true)),
                }
            }
            _ => inc.map(|v| (v, false)),
        }
    };
    (
        side("minimum", "exclusiveMinimum", true),
        side("maximum", "exclusiveMaximum", false),
    )
}

/// The integer range of an integer schema.
pub(crate) fn int_range(m: &Map<String, Value>) -> IntRange {
    let (lo_b, hi_b) = bounds(m);
    let (mut lo, mut hi) = match m.get("format").and_then(Value::as_str) {
        Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    if let Some((v, excl)) = lo_b {
        let c = v.ceil();
        let b = if excl && c == v { c + 1.0 } else { c };
        lo = lo.max(b.clamp(-1e30, 1e30) as i128);
    }
    if let Some((v, excl)) = hi_b {
        let c = v.floor();
        let b = if excl && c == v { c - 1.0 } else { c };
        hi = hi.min(b.clamp(-1e30, 1e30) as i128);
    }
    let step = match f(m, "multipleOf") {
        Some(s) if s >= 1.0 && s.fract() == 0.0 && s < 1e15 => s as i128,
        _ => 1,
    };
    IntRange { lo, hi, step }
}

fn int_value(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(i) => json!(i),
        Err(_) => num(n as f64),
    }
}

/// Integers in the range: mostly small, sometimes at the bounds.
pub(crate) fn integer(r: IntRange, minimal: bool) -> BoxedStrategy<Value> {
    let div_ceil = |a: i128, b: i128| -(-a).div_euclid(b);
    let klo = div_ceil(r.lo, r.step);
    let khi = r.hi.div_euclid(r.step);
    if klo > khi {
        return Just(int_value(r.lo)).boxed();
    }
    let step = r.step;
    let to_value = move |k: i128| int_value(k * step);
    // Small multiples near zero (or near the closest bound).
    let (slo, shi) = if klo > 100 {
        (klo, klo.saturating_add(100).min(khi))
    } else if khi < -100 {
        (khi.saturating_sub(100).max(klo), khi)
    } else {
        (klo.max(-100), khi.min(100))
    };
    let small = if slo >= 0 {
        (slo..=shi).boxed()
    } else if shi <= 0 {
        ((-shi)..=(-slo)).prop_map(|k| -k).boxed()
    } else {
        // Shrink towards zero.
        prop_oneof![0..=shi, (0..=-slo).prop_map(|k| -k)].boxed()
    };
    if minimal {
        return small.prop_map(to_value).boxed();
    }
    Union::new_weighted(vec![
        (8, small.prop_map(to_value).boxed()),
        (1, select(vec![klo, khi]).prop_map(to_value).boxed()),
        (1, (klo..=khi).prop_map(to_value).boxed()),
    ])
    .boxed()
}

/// Numbers within the bounds of a `number` schema.
pub(crate) fn number(m: &Map<String, Value>, minimal: bool) -> BoxedStrategy<Value> {
    let (lo_b, hi_b) = bounds(m);
    if let Some(step) = f(m, "multipleOf").filter(|s| *s > 0.0) {
        // Multiples k * step with k in the bounds.
        let lo = lo_b.map_or(-1e6, |(v, e)| {
            let k = (v / step).ceil();
            if e && k * step <= v {
                k + 1.0
            } else {
                k
            }
        });
        let hi = hi_b.map_or(1e6, |(v, e)| {
            let k = (v / step).floor();
            if e && k * step >= v {
                k - 1.0
            } else {
                k
            }
        });
        let (lo, hi) = (lo.max(-1e6) as i64, hi.min(1e6) as i64);
        if lo > hi {
            return Just(num(lo as f64 * step)).boxed();
        }
        let (slo, shi) = (lo.max(-100).min(hi), hi.min(lo.max(-100) + 200));
        return (slo..=shi)
            .prop_map(move |k| {
                let v = k as f64 * step;
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    json!(v as i64)
                } else {
                    num(v)
                }
            })
            .boxed();
    }
    let lo = lo_b.map_or(f64::NEG_INFINITY, |b| b.0);
    let hi = hi_b.map_or(f64::INFINITY, |b| b.0);
    let lo_ex = lo_b.is_some_and(|b| b.1);
    let hi_ex = hi_b.is_some_and(|b| b.1);
    // A window of the range to draw from.
    let (wlo, whi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo, hi),
        (true, false) => (lo, lo.max(0.0) + 1000.0),
        (false, true) => (hi.min(0.0) - 1000.0, hi),
        (false, false) => (-1000.0, 1000.0),
    };
    let ok = move |x: &f64| {
        x.is_finite()
            && (if lo_ex { *x > lo } else { *x >= lo })
            && (if hi_ex { *x < hi } else { *x <= hi })
    };
    let mid = if ok(&0.0) {
        0.0
    } else {
        wlo + (whi - wlo) / 2.0
    };
    let span = whi - wlo;
    let fallback = move |x: f64| if ok(&x) { x } else { mid };
    let frac = (0.0f64..=1.0).prop_map(move |u| {
        let x = wlo + span * u;
        // Two decimals keep values readable.
        let r = (x * 100.0).round() / 100.0;
        fallback(if ok(&r) { r } else { x })
    });
    let whole = (wlo.ceil().max(-1e15) as i64
        ..=whi.floor().min(1e15).max(wlo.ceil().max(-1e15)) as i64)
        .prop_map(move |k| fallback(k as f64));
    let mut edges = Vec::new();
    if lo.is_finite() && !lo_ex {
        edges.push(lo);
    }
    if hi.is_finite() && !hi_ex {
        edges.push(hi);
    }
    let mut parts = vec![(4, frac.boxed()), (3, whole.boxed())];
    if !edges.is_empty() && !minimal {
        parts.push((1, select(edges).boxed()));
    }
    Union::new_weighted(parts)
        .prop_map(|x| {
            if x.fract() == 0.0 && x.abs() < 1e15 {
                json!(x as i64)
            } else {
                num(x)
            }
        })
        .boxed()
}

/// Small JSON values of any type. Header values are scalars.
pub(crate) fn any_value(header: bool) -> BoxedStrategy<Value> {
    let scalar = prop_oneof![
        3 => plain_string(if header { 1 } else { 0 }, 8, header).prop_map(Value::String),
        2 => (-100i64..=100).prop_map(|i| json!(i)),
        1 => (-100.0f64..100.0).prop_map(|f| num((f * 100.0).round() / 100.0)),
        1 => any::<bool>().prop_map(Value::Bool),
        if header { 0 } else { 1 } => Just(Value::Null),
    ];
    if header {
        return scalar.boxed();
    }
    let scalar = scalar.boxed();
    prop_oneof![
        8 => scalar.clone(),
        1 => vec(scalar.clone(), 0..=3).prop_map(Value::Array),
        1 => vec((lower(1, 6), scalar), 0..=3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
    ]
    .boxed()
}

/// JSON equality as JSON Schema sees it (`1` equals `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Whether `v` is of the JSON Schema type `t`.
pub(crate) fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => false,
    }
}

/// A header value for a generated value (`simple` style): strings as they
/// are, numbers and booleans printed, arrays and objects comma-separated.
pub(crate) fn to_header(v: &Value) -> String {
    fn scalar(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    match v {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        Value::Object(m) => m
            .iter()
            .flat_map(|(k, v)| [k.clone(), scalar(v)])
            .collect::<Vec<_>>()
            .join(","),
        other => scalar(other),
    }
}

/// Whether `s` is a header value we send: visible ASCII (inner spaces
/// allowed), not empty, no surrounding whitespace.
pub(crate) fn header_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && !s.starts_with(' ')
        && !s.ends_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn base64_matches_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn patterns_are_rewritten() {
        assert_eq!(rewrite_pattern(r"^\d+$", true), "^[0-9]{1,6}$");
        assert_eq!(rewrite_pattern(r"[\w-]*", true), "[A-Za-z0-9_-]{0,6}");
        assert_eq!(rewrite_pattern(r"a{2,}b{3}", true), "a{2,8}b{3}");
        assert_eq!(rewrite_pattern(r"\\d", false), r"\\d");
        assert_eq!(rewrite_pattern(r"[+*]\+", true), r"[+*]\+");
    }

    #[test]
    fn pattern_strings_match() {
        let mut runner = TestRunner::deterministic();
        for p in [
            r"^[A-Z]{3}-[0-9]{2}$",
            r"^\d{4}-\d+$",
            r"ab+c",
            r"^(foo|bar)_\w*$",
        ] {
            let (s, re) = pattern_strategy(p).unwrap();
            for _ in 0..50 {
                let v = s.new_tree(&mut runner).unwrap().current();
                assert!(re.is_match(&v), "{v:?} does not match {p}");
            }
        }
        assert!(pattern_strategy(r"(?=x)").is_none());
    }

    #[test]
    fn header_values_are_checked() {
        assert!(header_ok("abc def"));
        assert!(!header_ok(" abc"));
        assert!(!header_ok("abc\n"));
        assert!(!header_ok("é"));
        assert!(!header_ok(""));
        assert_eq!(to_header(&json!(["a", 1, true])), "a,1,true");
        assert_eq!(to_header(&json!({"a": 1, "b": "x"})), "a,1,b,x");
    }
}

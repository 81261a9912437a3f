//! OpenAPI runtime expressions (`$request.body#/a/b`, `$request.header.X`)
//! and RFC 6901 JSON pointers.

use std::fmt;

use serde_json::Value;

/// Where a parameter sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// A path segment.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

impl Location {
    pub(crate) fn parse(s: &str) -> Option<Location> {
        Some(match s {
            "path" => Location::Path,
            "query" => Location::Query,
            "header" => Location::Header,
            "cookie" => Location::Cookie,
            _ => return None,
        })
    }

    /// The word OpenAPI uses (`in:`).
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// Where a value sits in a request or a response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `$request.body#/pointer`
    RequestBody(Pointer),
    /// `$request.header.NAME` (the name is kept lowercase)
    RequestHeader(String),
    /// `$request.query.NAME`
    RequestQuery(String),
    /// `$request.path.NAME`
    RequestPath(String),
    /// `$request.cookie.NAME` (our extension)
    RequestCookie(String),
    /// `$response.body#/pointer`
    ResponseBody(Pointer),
    /// `$response.header.NAME` (the name is kept lowercase)
    ResponseHeader(String),
}

impl Expr {
    /// Parse a runtime expression; `None` when it is not one we support.
    pub fn parse(text: &str) -> Option<Expr> {
        let text = text.trim();
        if let Some(ptr) = text.strip_prefix("$request.body") {
            return Some(Expr::RequestBody(body_pointer(ptr)?));
        }
        if let Some(ptr) = text.strip_prefix("$response.body") {
            return Some(Expr::ResponseBody(body_pointer(ptr)?));
        }
        // The name is everything after the prefix: header names may hold
        // dots (`$request.header.x.token` names the header `x.token`).
        type Make = fn(&str) -> Expr;
        let places: [(&str, Make); 5] = [
            ("$request.header.", |n| {
                Expr::RequestHeader(n.to_ascii_lowercase())
            }),
            ("$request.query.", |n| Expr::RequestQuery(n.to_owned())),
            ("$request.path.", |n| Expr::RequestPath(n.to_owned())),
            ("$request.cookie.", |n| Expr::RequestCookie(n.to_owned())),
            ("$response.header.", |n| {
                Expr::ResponseHeader(n.to_ascii_lowercase())
            }),
        ];
        places
            .iter()
            .find_map(|(prefix, make)| Some(make(non_empty(text.strip_prefix(prefix)?)?)))
    }

    /// The parameter place a request expression names (`None` for bodies
    /// and response expressions).
    pub fn request_place(&self) -> Option<(Location, &str)> {
        match self {
            Expr::RequestHeader(n) => Some((Location::Header, n)),
            Expr::RequestQuery(n) => Some((Location::Query, n)),
            Expr::RequestPath(n) => Some((Location::Path, n)),
            Expr::RequestCookie(n) => Some((Location::Cookie, n)),
            _ => None,
        }
    }

    /// Whether this expression reads the request (rather than the response).
    pub fn is_request(&self) -> bool {
        !matches!(self, Expr::ResponseBody(_) | Expr::ResponseHeader(_))
    }
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn body_pointer(rest: &str) -> Option<Pointer> {
    match rest {
        "" => Some(Pointer::root()),
        _ => Pointer::parse(rest.strip_prefix('#')?),
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::RequestBody(p) => write!(f, "$request.body#{p}"),
            Expr::RequestHeader(n) => write!(f, "$request.header.{n}"),
            Expr::RequestQuery(n) => write!(f, "$request.query.{n}"),
            Expr::RequestPath(n) => write!(f, "$request.path.{n}"),
            Expr::RequestCookie(n) => write!(f, "$request.cookie.{n}"),
            Expr::ResponseBody(p) => write!(f, "$response.body#{p}"),
            Expr::ResponseHeader(n) => write!(f, "$response.header.{n}"),
        }
    }
}

/// An RFC 6901 JSON pointer, split into unescaped tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Pointer(Vec<String>);

impl Pointer {
    /// The whole document.
    pub fn root() -> Pointer {
        Pointer(Vec::new())
    }

    /// Parse `/a/b~1c`; `None` unless it is empty or starts with `/`.
    pub fn parse(text: &str) -> Option<Pointer> {
        if text.is_empty() {
            return Some(Pointer::root());
        }
        let rest = text.strip_prefix('/')?;
        Some(Pointer(
            rest.split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect(),
        ))
    }

    /// The unescaped tokens.
    pub fn tokens(&self) -> &[String] {
        &self.0
    }

    /// A pointer one level deeper.
    pub fn push(&self, token: impl Into<String>) -> Pointer {
        let mut tokens = self.0.clone();
        tokens.push(token.into());
        Pointer(tokens)
    }

    /// The value at this pointer, if any.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.0.iter().try_fold(value, |v, t| match v {
            Value::Object(m) => m.get(t),
            Value::Array(a) => a.get(t.parse::<usize>().ok()?),
            _ => None,
        })
    }

    /// Set the value at this pointer, creating objects on the way. Returns
    /// false (and changes nothing further) where an existing non-container
    /// value or an out-of-range index is in the way.
    pub fn set(&self, target: &mut Value, new: Value) -> bool {
        let Some((last, parents)) = self.0.split_last() else {
            *target = new;
            return true;
        };
        let mut cur = target;
        for t in parents {
            if cur.is_null() {
                *cur = Value::Object(Default::default());
            }
            cur = match cur {
                Value::Object(m) => m.entry(t.clone()).or_insert(Value::Null),
                Value::Array(a) => match t.parse::<usize>() {
                    Ok(i) if i < a.len() => &mut a[i],
                    _ => return false,
                },
                _ => return false,
            };
        }
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        match cur {
            Value::Object(m) => {
                m.insert(last.clone(), new);
                true
            }
            Value::Array(a) => match last.parse::<usize>() {
                Ok(i) if i < a.len() => {
                    a[i] = new;
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Remove the value at this pointer, if there is one (the root becomes
    /// `null`). Returns whether something was removed.
    pub fn remove(&self, target: &mut Value) -> bool {
        let Some((last, parents)) = self.0.split_last() else {
            *target = Value::Null;
            return true;
        };
        let parent = parents.iter().try_fold(target, |v, t| match v {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?),
            _ => None,
        });
        match parent {
            Some(Value::Object(m)) => m.shift_remove(last).is_some(),
            Some(Value::Array(a)) => match last.parse::<usize>() {
                Ok(i) if i < a.len() => {
                    a.remove(i);
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.0 {
            write!(f, "/{}", t.replace('~', "~0").replace('/', "~1"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_form() {
        let cases = [
            "$request.body#/refreshToken",
            "$request.body#/data/attributes/refreshToken",
            "$request.header.x-auth-token",
            "$request.query.token",
            "$request.path.refreshToken",
            "$request.cookie.sid",
            "$response.body#/data/attributes/accessToken",
            "$response.header.x-token",
        ];
        for c in cases {
            let e = Expr::parse(c).unwrap_or_else(|| panic!("{c}"));
            assert_eq!(e.to_string(), c);
        }
        assert_eq!(
            Expr::parse("$request.header.Authorization"),
            Some(Expr::RequestHeader("authorization".into()))
        );
    }

    #[test]
    fn rejects_garbage() {
        for c in [
            "",
            "$request",
            "$request.body/x",
            "$request.header.",
            "$req.header.x",
            "$request.body#x",
            "$url",
        ] {
            assert_eq!(Expr::parse(c), None, "{c}");
        }
    }

    #[test]
    fn pointer_escapes_round_trip() {
        let p = Pointer::parse("/a~1b/c~0d").unwrap();
        assert_eq!(p.tokens(), ["a/b", "c~d"]);
        assert_eq!(p.to_string(), "/a~1b/c~0d");
    }

    #[test]
    fn pointer_get_and_set() {
        let mut v = json!({"data": {"list": [1, 2]}});
        let p = Pointer::parse("/data/attributes/token").unwrap();
        assert!(p.set(&mut v, json!("t")));
        assert_eq!(p.get(&v), Some(&json!("t")));
        assert!(Pointer::parse("/data/list/1")
            .unwrap()
            .set(&mut v, json!(9)));
        assert_eq!(v["data"]["list"], json!([1, 9]));
        assert!(!Pointer::parse("/data/list/5")
            .unwrap()
            .set(&mut v, json!(0)));
        assert!(!Pointer::parse("/data/list/1/x")
            .unwrap()
            .set(&mut v, json!(0)));
    }

    #[test]
    fn pointer_remove() {
        let mut v = json!({"a": {"b": 1, "c": [1, 2, 3]}, "d": 2});
        let ptr = |s: &str| Pointer::parse(s).unwrap();
        assert!(ptr("/a/b").remove(&mut v));
        assert!(ptr("/a/c/1").remove(&mut v));
        assert!(!ptr("/a/c/9").remove(&mut v));
        assert!(!ptr("/x/y").remove(&mut v));
        assert_eq!(v, json!({"a": {"c": [1, 3]}, "d": 2}));
        assert!(ptr("").remove(&mut v));
        assert_eq!(v, Value::Null);
    }
}

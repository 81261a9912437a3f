//! Matching request paths against the spec's path templates.
//!
//! Templates are split into segments; a segment is a literal, a whole
//! `{param}`, or a mix (`{name}.{ext}`) compiled to a regex. When several
//! templates match, the one with the most literal segments, leftmost first,
//! wins (`/refresh-tokens/mine` beats `/refresh-tokens/{refreshToken}`).

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use crate::spec::Operation;
use crate::wire::Component;

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
    Mixed { regex: Regex, names: Vec<String> },
}

#[derive(Debug)]
struct Route {
    segments: Vec<Segment>,
    /// `(uppercase method, operation index)`.
    methods: Vec<(String, usize)>,
}

type Params = Vec<(String, String)>;

/// The routing table of a spec.
#[derive(Debug)]
pub struct Router {
    routes: Vec<Route>,
    base_path: String,
}

/// The result of routing a request.
#[derive(Debug)]
pub enum Routed {
    /// An operation, with its path parameters (decoded).
    Found {
        /// Index into `Spec::operations()`.
        op: usize,
        /// Path parameters.
        params: Vec<(String, String)>,
    },
    /// The path exists but not with this method.
    MethodNotAllowed {
        /// The methods the path has.
        allow: Vec<String>,
    },
    /// No template matches.
    NotFound,
}

impl Router {
    /// Build the table. `base_path` is the path of the first server URL
    /// (`/v1` of `https://api.example.com/v1`), accepted as an optional
    /// prefix of every request path.
    pub fn new(operations: &[Operation], base_path: &str) -> Router {
        let mut routes: Vec<Route> = Vec::new();
        // Templates by key, so that a document of thousands of paths is
        // indexed in linear time (no regex compiled to compare two).
        let mut index: HashMap<Vec<String>, usize> = HashMap::new();
        for (i, op) in operations.iter().enumerate() {
            match index.entry(template_key(&op.path)) {
                Entry::Occupied(e) => routes[*e.get()].methods.push((op.method.clone(), i)),
                Entry::Vacant(e) => {
                    e.insert(routes.len());
                    routes.push(Route {
                        segments: parse_template(&op.path),
                        methods: vec![(op.method.clone(), i)],
                    });
                }
            }
        }
        Router {
            routes,
            base_path: base_path.trim_end_matches('/').to_owned(),
        }
    }

    /// Route `method path` (path without the query string).
    pub fn route(&self, method: &str, path: &str) -> Routed {
        let lookup = |with: Option<&str>| {
            self.best(path, with).or_else(|| {
                let rest = path.strip_prefix(&self.base_path)?;
                (!self.base_path.is_empty() && rest.starts_with('/'))
                    .then(|| self.best(rest, with))
                    .flatten()
            })
        };
        // The best template that has the method; when none has it, the best
        // template (a 405 naming its methods). Two templates of one shape
        // (`/v2/{name}` GET, `/v2/{resource}` DELETE) both route.
        let found = lookup(Some(method)).or_else(|| lookup(None));
        let Some((route, params)) = found else {
            return Routed::NotFound;
        };
        let method = if method == "HEAD" && !route.methods.iter().any(|(m, _)| m == "HEAD") {
            "GET"
        } else {
            method
        };
        match route.methods.iter().find(|(m, _)| m == method) {
            Some((_, op)) => Routed::Found { op: *op, params },
            None => {
                let mut allow: Vec<String> = route.methods.iter().map(|(m, _)| m.clone()).collect();
                if allow.iter().any(|m| m == "GET") && !allow.iter().any(|m| m == "HEAD") {
                    allow.push("HEAD".into());
                }
                Routed::MethodNotAllowed { allow }
            }
        }
    }

    /// The methods of the template matching `path`, if any.
    pub fn methods(&self, path: &str) -> Option<Vec<String>> {
        match self.route("\0", path) {
            Routed::MethodNotAllowed { allow } => Some(allow),
            _ => None,
        }
    }

    /// The template matching `path` with the most literal segments
    /// (leftmost first); only templates with `method` (HEAD: or GET) when
    /// one is given.
    fn best(&self, path: &str, method: Option<&str>) -> Option<(&Route, Params)> {
        let parts: Vec<&str> = path.split('/').skip(1).collect();
        let mut best: Option<(Vec<bool>, &Route, Params)> = None;
        for route in &self.routes {
            if route.segments.len() != parts.len() {
                continue;
            }
            if let Some(m) = method {
                let has = |m: &str| route.methods.iter().any(|(x, _)| x == m);
                if !(has(m) || m == "HEAD" && has("GET")) {
                    continue;
                }
            }
            let Some(params) = matches(route, &parts) else {
                continue;
            };
            let score: Vec<bool> = route
                .segments
                .iter()
                .map(|s| matches!(s, Segment::Literal(_)))
                .collect();
            if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                best = Some((score, route, params));
            }
        }
        best.map(|(_, r, p)| (r, p))
    }
}

/// What makes two templates the same route: literal segments, parameter
/// names, and the pattern of mixed segments (whatever their names).
fn template_key(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|seg| match segment_kind(seg) {
            Kind::Literal => format!("L{seg}"),
            Kind::Param => format!("P{}", &seg[1..seg.len() - 1]),
            Kind::Mixed => format!("M{}", mixed_pattern(seg).0),
        })
        .collect()
}

enum Kind {
    Literal,
    Param,
    Mixed,
}

fn segment_kind(seg: &str) -> Kind {
    let open = seg.matches('{').count();
    if open == 0 {
        Kind::Literal
    } else if open == 1 && seg.starts_with('{') && seg.ends_with('}') {
        Kind::Param
    } else {
        Kind::Mixed
    }
}

/// The regex of a mixed segment (`{name}.{ext}`) and its parameter names.
fn mixed_pattern(seg: &str) -> (String, Vec<String>) {
    let mut pattern = String::from("^");
    let mut names = Vec::new();
    let mut rest = seg;
    while let Some(start) = rest.find('{') {
        pattern.push_str(&regex::escape(&rest[..start]));
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        names.push(rest[start + 1..start + len].to_owned());
        pattern.push_str("(.+?)");
        rest = &rest[start + len + 1..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    (pattern, names)
}

fn decode(s: &str) -> String {
    Component::PathSegment.decode(s)
}

fn matches(route: &Route, parts: &[&str]) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    for (seg, part) in route.segments.iter().zip(parts) {
        match seg {
            Segment::Literal(l) => {
                if l != part && *l != decode(part) {
                    return None;
                }
            }
            Segment::Param(name) => {
                if part.is_empty() {
                    return None;
                }
                params.push((name.clone(), decode(part)));
            }
            Segment::Mixed { regex, names } => {
                let caps = regex.captures(part)?;
                for (i, name) in names.iter().enumerate() {
                    let v = caps.get(i + 1).map_or("", |m| m.as_str());
                    params.push((name.clone(), decode(v)));
                }
            }
        }
    }
    Some(params)
}

fn parse_template(path: &str) -> Vec<Segment> {
    path.split('/')
        .skip(1)
        .map(|seg| {
            match segment_kind(seg) {
                Kind::Literal => return Segment::Literal(seg.to_owned()),
                Kind::Param => return Segment::Param(seg[1..seg.len() - 1].to_owned()),
                Kind::Mixed => {}
            }
            let (pattern, names) = mixed_pattern(seg);
            match Regex::new(&pattern) {
                Ok(regex) => Segment::Mixed { regex, names },
                Err(_) => Segment::Literal(seg.to_owned()),
            }
        })
        .collect()
}

/// The path of the first server URL (`/v1` of `https://x.example/v1`).
pub fn base_path(doc: &Value) -> String {
    let url = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or("");
    // `https://host/v1`, `//host/v1` (a converted Swagger 2.0 document
    // without `schemes`), or `/v1`.
    let path = match url
        .split_once("://")
        .or_else(|| url.strip_prefix("//").map(|r| ("", r)))
    {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    if path.contains('{') {
        String::new()
    } else {
        path.trim_end_matches('/').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(paths: &[(&str, &str)]) -> Router {
        let spec = serde_json::json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": paths.iter().fold(serde_json::Map::new(), |mut m, (method, path)| {
                let item = m.entry(path.to_string()).or_insert(serde_json::json!({}));
                item[method] = serde_json::json!({"responses": {"200": {"description": "ok"}}});
                m
            }),
        });
        let spec = crate::Spec::from_value(spec).unwrap();
        Router::new(spec.operations(), "/v1")
    }

    #[test]
    fn literal_beats_parameter() {
        let r = router(&[
            ("delete", "/refresh-tokens/{refreshToken}"),
            ("delete", "/refresh-tokens/mine"),
        ]);
        match r.route("DELETE", "/refresh-tokens/mine") {
            Routed::Found { op, params } => {
                assert_eq!(op, 1);
                assert!(params.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match r.route("DELETE", "/refresh-tokens/a%2Fb") {
            Routed::Found { op, params } => {
                assert_eq!(op, 0);
                assert_eq!(params, [("refreshToken".into(), "a/b".into())]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn method_not_allowed_lists_methods() {
        let r = router(&[("get", "/me"), ("put", "/me")]);
        match r.route("POST", "/me") {
            Routed::MethodNotAllowed { allow } => assert_eq!(allow, ["GET", "PUT", "HEAD"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(r.route("GET", "/nope"), Routed::NotFound));
        assert!(matches!(
            r.route("HEAD", "/me"),
            Routed::Found { op: 0, .. }
        ));
    }

    #[test]
    fn mixed_segments_and_base_path() {
        let r = router(&[("get", "/files/{name}.{ext}")]);
        match r.route("GET", "/v1/files/report.tar.gz") {
            Routed::Found { params, .. } => assert_eq!(
                params,
                [
                    ("name".into(), "report".into()),
                    ("ext".into(), "tar.gz".into())
                ]
            ),
            other => panic!("{other:?}"),
        }
    }
}

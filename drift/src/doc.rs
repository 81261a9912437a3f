//! Walking an OpenAPI document: pointers, `$ref` resolution, operations.

use serde_json::Value;

/// The HTTP methods an OpenAPI path item can hold.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many `$ref` hops are followed before giving up (a cycle of refs).
const MAX_HOPS: usize = 32;

/// Escapes one JSON pointer reference token (RFC 6901).
pub(crate) fn escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_escaped(&mut out, token);
    out
}

fn push_escaped(out: &mut String, token: &str) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Appends a token to a `#/...` pointer.
pub(crate) fn join(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + 1 + token.len());
    out.push_str(base);
    out.push('/');
    push_escaped(&mut out, token);
    out
}

/// Decodes `%XX` escapes (refs are URI fragments).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A value of the document together with its pointer.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    /// The value.
    pub v: &'a Value,
    /// Its `#/...` pointer.
    pub ptr: String,
}

impl<'a> Node<'a> {
    pub fn new(v: &'a Value, ptr: impl Into<String>) -> Self {
        Node { v, ptr: ptr.into() }
    }

    /// The child `key` of an object, with its pointer.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        self.v.get(key).map(|v| Node::new(v, join(&self.ptr, key)))
    }

    /// The entries of an object child (empty when absent or not an object).
    pub fn entries(&self, key: &str) -> Vec<(&'a String, Node<'a>)> {
        let base = join(&self.ptr, key);
        match self.v.get(key) {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| (k, Node::new(v, join(&base, k))))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The entries of this node when it is an object.
    pub fn children(&self) -> Vec<(&'a String, Node<'a>)> {
        match self.v {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (k, Node::new(v, join(&self.ptr, k))))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The elements of an array child (empty when absent or not an array).
    pub fn items(&self, key: &str) -> Vec<Node<'a>> {
        let base = join(&self.ptr, key);
        match self.v.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, v)| Node::new(v, format!("{base}/{i}")))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A string child.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.v.get(key).and_then(Value::as_str)
    }

    /// A boolean child.
    pub fn bool(&self, key: &str) -> Option<bool> {
        self.v.get(key).and_then(Value::as_bool)
    }
}

/// A whole document, for resolving local refs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub root: &'a Value,
}

impl<'a> Doc<'a> {
    pub fn new(root: &'a Value) -> Self {
        Doc { root }
    }

    /// The root node.
    pub fn node(&self) -> Node<'a> {
        Node::new(self.root, "#")
    }

    /// Looks a local ref (`#/a/b`) up; `None` for external or dangling refs.
    pub fn lookup(&self, reference: &str) -> Option<Node<'a>> {
        let frag = reference.strip_prefix('#')?;
        let decoded = percent_decode(frag);
        if !decoded.is_empty() && !decoded.starts_with('/') {
            return None;
        }
        self.root
            .pointer(&decoded)
            .map(|v| Node::new(v, format!("#{decoded}")))
    }

    /// Follows `$ref`s from a node. Returns the target and the name of the
    /// last ref followed (its last pointer token). A dangling or cyclic ref
    /// stops at the node that holds it.
    pub fn resolve(&self, node: Node<'a>) -> (Node<'a>, Option<String>) {
        let mut cur = node;
        let mut name = None;
        for _ in 0..MAX_HOPS {
            let Some(r) = cur.v.get("$ref").and_then(Value::as_str) else {
                return (cur, name);
            };
            match self.lookup(r) {
                Some(next) => {
                    name = Some(ref_name(r));
                    cur = next;
                }
                None => return (cur, name),
            }
        }
        (cur, name)
    }
}

/// The last token of a ref, unescaped: the component's name.
pub(crate) fn ref_name(reference: &str) -> String {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    percent_decode(last).replace("~1", "/").replace("~0", "~")
}

/// One operation of a document.
#[derive(Debug, Clone)]
pub(crate) struct Operation<'a> {
    /// The path template as written.
    pub path: &'a str,
    /// The lowercase method.
    pub method: &'static str,
    /// The operation object.
    pub node: Node<'a>,
    /// The path item (for shared parameters).
    pub item: Node<'a>,
}

impl Operation<'_> {
    /// `METHOD /path`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.path)
    }
}

/// Every operation of the document, in document order. Path items may be refs.
pub(crate) fn operations<'a>(doc: Doc<'a>) -> Vec<Operation<'a>> {
    let mut out = Vec::new();
    for (path, item) in doc.node().entries("paths") {
        let (item, _) = doc.resolve(item);
        if !item.v.is_object() {
            continue;
        }
        for method in METHODS {
            if let Some(node) = item.get(method) {
                if node.v.is_object() {
                    out.push(Operation {
                        path,
                        method,
                        node,
                        item: item.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The key matching operations across documents: the path with parameter
/// names blanked (`/pets/{}`), and the method.
pub(crate) fn path_key(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0usize;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push('{');
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The names of the template parameters of a path, in order.
pub(crate) fn path_params(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + len].to_owned());
        rest = &rest[start + len + 1..];
    }
    out
}

/// Is this status key a success (2xx, 3xx, `2XX`, `3XX`)?
pub(crate) fn is_success(status: &str) -> bool {
    matches!(status.as_bytes().first(), Some(b'2' | b'3'))
}

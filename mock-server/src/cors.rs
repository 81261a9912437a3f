//! Which browser origins may call the mock.

/// The CORS policy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cors {
    /// No CORS headers at all.
    Off,
    /// Origins on this machine: `localhost`, `127.0.0.1`, `[::1]`, any port
    /// (the default).
    #[default]
    Localhost,
    /// Every origin.
    Any,
    /// Exactly these origins (`https://app.example.com`).
    Origins(Vec<String>),
}

impl Cors {
    /// Whether a request from `origin` gets CORS headers.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Cors::Off => false,
            Cors::Any => true,
            Cors::Origins(list) => list.iter().any(|o| o.trim_end_matches('/') == origin),
            Cors::Localhost => {
                let Some((_, rest)) = origin.split_once("://") else {
                    return false;
                };
                let host = if let Some(v6) = rest.strip_prefix('[') {
                    v6.split(']').next().map(|h| format!("[{h}]"))
                } else {
                    rest.split(':').next().map(str::to_owned)
                };
                matches!(host.as_deref(), Some("localhost" | "127.0.0.1" | "[::1]"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cors;

    #[test]
    fn localhost_only_by_default() {
        let c = Cors::default();
        assert!(c.allows("http://localhost:5173"));
        assert!(c.allows("http://127.0.0.1:3000"));
        assert!(c.allows("http://[::1]:8000"));
        assert!(!c.allows("https://evil.example"));
        assert!(!c.allows("http://localhost.evil.example"));
        assert!(!c.allows("null"));
    }

    #[test]
    fn explicit_origins() {
        let c = Cors::Origins(vec!["https://app.example.com/".into()]);
        assert!(c.allows("https://app.example.com"));
        assert!(!c.allows("https://other.example.com"));
        assert!(!Cors::Off.allows("http://localhost"));
        assert!(Cors::Any.allows("https://anything.example"));
    }
}

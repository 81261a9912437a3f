//! The problem document (RFC 9457) of every 4xx the mock builds itself,
//! and the schema the reference spec documents its 400s with.
//!
//! One type for both, so that what the mock sends and what the reference
//! spec promises cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One invalid part of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Where the offending value is, as an OpenAPI runtime expression:
    /// `$request.body#/password` (a JSON Pointer into the body),
    /// `$request.header.x-auth-token`, `$request.query.NAME`, `$request.path.NAME`.
    pub location: String,
    /// What is wrong with it.
    pub message: String,
}

/// A problem detail (RFC 9457): why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI identifying the problem type; `about:blank` when the status code
    /// says it all.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    pub type_: String,
    /// A short, human-readable summary of the problem type.
    pub title: String,
    /// The HTTP status code of this occurrence.
    #[schema(value_type = i32, minimum = 100, maximum = 599)]
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// A URI reference identifying this occurrence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri-reference", nullable = false)]
    pub instance: Option<String>,
    /// Each invalid part of the request (empty when no single part is to
    /// blame).
    pub errors: Vec<FieldError>,
}

/// The media type of a problem document.
pub const MEDIA_TYPE: &str = "application/problem+json";

impl Problem {
    /// A problem of type `about:blank` that blames no single field.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            type_: "about:blank".to_owned(),
            title: title.into(),
            status,
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
        }
    }

    /// The same problem, blaming these fields too.
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = FieldError>) -> Problem {
        self.errors.extend(errors);
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FieldError, Problem};

    #[test]
    fn every_problem_lists_its_errors_even_none() {
        let p = Problem::new(404, "Not Found", "nothing here");
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"type": "about:blank", "title": "Not Found", "status": 404,
                   "detail": "nothing here", "errors": []})
        );
    }

    #[test]
    fn a_problem_reads_back_as_it_was_written() {
        let e = FieldError {
            location: "$request.body#/name".into(),
            message: "too long".into(),
        };
        let p = Problem {
            instance: Some("/x/1".into()),
            ..Problem::new(400, "Bad Request", "no").with_errors([e])
        };
        let back: Problem = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}

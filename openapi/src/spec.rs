//! Loading an OpenAPI 3.0/3.1 document (or a Swagger 2.0 one, converted
//! by [`crate::swagger2`] first) and indexing its operations.
//!
//! The document stays a `serde_json::Value`; the index ([`Operation`],
//! [`Parameter`], [`Response`]) holds resolved copies of what the mock and the
//! suite need on every request, each with the JSON pointer it came from so
//! that schemas can be validated in place and errors can name spec paths.

use std::path::Path;

use serde_json::Value;

use crate::binding::{Lifecycle, Source};
use crate::doc::check_refs;
use crate::error::{BindingProblem, LoadError};
use crate::model::ActionKind;
use crate::schema::Schemas;
use crate::swagger2::{self, Origins};
use crate::{index, vocabulary};

pub use crate::doc::{resolve, Version, METHODS};
pub use crate::index::schema_ref;
pub use crate::operation::{
    Header, Location, MediaType, Operation, Parameter, RequestBody, Response, SchemaRef,
    SecurityAlternative, SecurityScheme,
};

/// A loaded, indexed OpenAPI document.
#[derive(Debug)]
pub struct Spec {
    doc: Value,
    version: Version,
    operations: Vec<Operation>,
    lifecycle: Lifecycle,
    schemas: Schemas,
    guards: Vec<Source>,
    warnings: Vec<BindingProblem>,
    swagger2: bool,
    origins: Origins,
}

impl Spec {
    /// Load a document from a file (YAML or JSON, by content).
    pub fn from_path(path: &Path) -> Result<Spec, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Spec::from_str(&text)
    }

    /// Load a document from YAML or JSON text.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Spec, LoadError> {
        let doc: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| LoadError::Parse(e.to_string()))?
        } else {
            serde_norway::from_str(text).map_err(|e| LoadError::Parse(e.to_string()))?
        };
        Spec::from_value(doc)
    }

    /// Index an already parsed document. A Swagger 2.0 document is
    /// converted first ([`swagger2::convert`]); the pointers of its errors
    /// name places of the document as written.
    pub fn from_value(doc: Value) -> Result<Spec, LoadError> {
        match swagger2::normalize(&doc) {
            Some(converted) => {
                let origins = converted.origins;
                let mut spec = Spec::from_openapi(converted.document)
                    .map_err(|e| e.relocate(|p| origins.original(p)))?;
                for w in &mut spec.warnings {
                    w.at = origins.original(&w.at);
                }
                spec.swagger2 = true;
                spec.origins = origins;
                Ok(spec)
            }
            None => Spec::from_openapi(doc),
        }
    }

    fn from_openapi(doc: Value) -> Result<Spec, LoadError> {
        let version = match doc.get("openapi").and_then(Value::as_str) {
            Some(v) if v.starts_with("3.0") => Version::V30,
            Some(v) if v.starts_with("3.1") => Version::V31,
            Some(v) => return Err(LoadError::Version(v.to_owned())),
            None => match doc.get("swagger") {
                Some(v) => {
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    return Err(LoadError::Version(format!("{v} (swagger)")));
                }
                None => return Err(LoadError::NotOpenApi),
            },
        };
        check_refs(&doc, &doc, &mut String::new(), 0)?;
        let mut problems = Vec::new();
        let lifecycle = vocabulary::read_root(&doc, &mut problems);
        let operations = index::operations(&doc, &lifecycle.policy, &mut problems)?;
        let (warnings, errors): (Vec<_>, Vec<_>) =
            problems.into_iter().partition(|p| p.rule.is_warning());
        if !errors.is_empty() {
            return Err(LoadError::Bindings(errors));
        }
        let schemas = Schemas::new(&doc, version)?;
        let mut guards: Vec<Source> = Vec::new();
        for b in operations.iter().flat_map(|o| &o.bindings) {
            if b.action == ActionKind::Protected {
                if let Some(s) = b.access_token.as_ref().filter(|s| !guards.contains(s)) {
                    guards.push(s.clone());
                }
            }
        }
        Ok(Spec {
            doc,
            version,
            operations,
            lifecycle,
            schemas,
            guards,
            warnings,
            swagger2: false,
            origins: Origins::default(),
        })
    }

    /// The document as loaded: the conversion, for a Swagger 2.0 document.
    pub fn document(&self) -> &Value {
        &self.doc
    }

    /// Its OpenAPI version (3.0 for a converted Swagger 2.0 document).
    pub fn version(&self) -> Version {
        self.version
    }

    /// Whether the document as written was Swagger 2.0.
    pub fn is_swagger2(&self) -> bool {
        self.swagger2
    }

    /// The pointer maps between [`Spec::document`] and the document as
    /// written (the identity, unless it was Swagger 2.0): the pointers of
    /// the index name places of the former, users want the latter.
    pub fn origins(&self) -> &Origins {
        &self.origins
    }

    /// `info.title`, or an empty string.
    pub fn title(&self) -> &str {
        self.doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Every operation, in document order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.operation_id.as_deref() == Some(id))
    }

    /// The root lifecycle declaration (accounts and policy).
    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// The guard rule's places: where `protected` bindings read their
    /// access token, each once.
    pub fn guards(&self) -> &[Source] {
        &self.guards
    }

    /// The guards of an unbound operation: the guard places it carries a
    /// credential at (see [`Operation::carries`]), in order. The first of
    /// them the request fills is checked by the model: a dead token there
    /// gets a 401, as on the protected operations themselves. None for
    /// bound operations (their binding says what they do).
    pub fn guards_of<'s>(&'s self, op: &'s Operation) -> impl Iterator<Item = &'s Source> + 's {
        let unbound = !op.is_bound();
        self.guards.iter().filter(move |s| unbound && op.carries(s))
    }

    /// What the vocabulary warns of in the document (an old field name):
    /// problems that do not stop it loading. Lint reports them too.
    pub fn warnings(&self) -> &[BindingProblem] {
        &self.warnings
    }

    /// The schema validators of this document.
    pub fn schemas(&self) -> &Schemas {
        &self.schemas
    }
}

/// Every problem of the `x-token-lifecycle` vocabulary in `doc`, in
/// document order, read by [`crate::vocabulary`] as the loader reads it,
/// but going on where the loader stops: an operation that cannot be indexed
/// at all is passed over (the loader says why; that is not a binding
/// problem). `drift`'s lint reports these; a document whose structure is
/// sound loads if and only if this is empty. A Swagger 2.0 document is
/// read converted, its problems placed in the document as written.
pub fn binding_problems(doc: &Value) -> Vec<crate::BindingProblem> {
    if let Some(converted) = swagger2::normalize(doc) {
        let mut problems = binding_problems(&converted.document);
        for p in &mut problems {
            p.at = converted.origins.original(&p.at);
        }
        return problems;
    }
    let mut problems = Vec::new();
    let lifecycle = vocabulary::read_root(doc, &mut problems);
    index::operations_tolerant(doc, &lifecycle.policy, &mut problems);
    problems
}

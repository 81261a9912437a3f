//! Namespaces: one model, clock and journal per name, chosen by the
//! `x-mock-namespace` request header, so that a conformance run (or a
//! second developer) never changes the state a frontend developer sees.
//!
//! The default namespace is the one a request without the header gets: the
//! developer's. It always exists and cannot be deleted. Others are made on
//! first use, up to a bound; past it a request gets a 409 saying how to make
//! room, never an eviction of someone's state.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use poem::http::HeaderMap;

use openapi::model::Model;

use crate::jwt::Signer;
use crate::state::State;
use crate::store::{StateError, Store};

/// The header that picks a namespace.
pub const NAMESPACE_HEADER: &str = "x-mock-namespace";

/// The namespace of requests without the header.
pub const DEFAULT_NAMESPACE: &str = "default";

/// How many namespaces a mock keeps by default (the default one included).
pub const DEFAULT_MAX_NAMESPACES: usize = 64;

/// The longest namespace name.
const MAX_NAME: usize = 64;

/// Why a request cannot have the namespace it asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NamespaceError {
    /// Not a name the mock accepts.
    #[error(
        "`{0}` is not a namespace name: use 1 to {MAX_NAME} letters, digits, `.`, `_` or `-` \
         in the {NAMESPACE_HEADER} header"
    )]
    BadName(String),
    /// The bound is reached.
    #[error(
        "the mock already keeps {max} namespaces, the most it may: delete one \
         (DELETE /__mock/namespaces/NAME) or start the mock with a larger --max-namespaces"
    )]
    Full {
        /// The bound.
        max: usize,
    },
    /// The shared state (`--state redis://…`) cannot say.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StateError> for NamespaceError {
    fn from(e: StateError) -> NamespaceError {
        NamespaceError::Unavailable(e.to_string())
    }
}

impl NamespaceError {
    /// The status of the refusal.
    pub(crate) fn status(&self) -> u16 {
        match self {
            NamespaceError::BadName(_) => 400,
            NamespaceError::Full { .. } => 409,
            NamespaceError::Unavailable(_) => 503,
        }
    }
}

/// The namespace a request names, if any (an empty header names none).
/// Only the header: an operation's query is the API's, not the mock's.
pub(crate) fn requested(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(NAMESPACE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").trim())
        .filter(|v| !v.is_empty())
}

fn valid(name: &str) -> bool {
    name.len() <= MAX_NAME
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Every namespace of a mock, and the blank model new ones start from.
#[derive(Debug)]
pub(crate) struct Namespaces {
    /// Policy and accounts, no sessions: what a new namespace starts as;
    /// and the served spec's JWT signer.
    blank: Mutex<(Model, Option<Arc<Signer>>)>,
    max: usize,
    map: RwLock<BTreeMap<String, Arc<State>>>,
    /// Where replicas share their namespaces, if they do.
    store: Option<Arc<Store>>,
}

impl Namespaces {
    /// The default namespace alone; at most `max` namespaces in all.
    /// With a `store`, every namespace's state is the one it holds, and
    /// the names (and the bound) are shared by every replica.
    pub(crate) fn new(
        blank: Model,
        signer: Option<Arc<Signer>>,
        max: usize,
        store: Option<Arc<Store>>,
    ) -> Namespaces {
        let default = Arc::new(State::new(
            DEFAULT_NAMESPACE,
            blank.clone(),
            signer.clone(),
            store.clone(),
        ));
        Namespaces {
            blank: Mutex::new((blank, signer)),
            max: max.max(1),
            map: RwLock::new(BTreeMap::from([(DEFAULT_NAMESPACE.to_owned(), default)])),
            store,
        }
    }

    /// Where replicas share their state, if they do.
    pub(crate) fn store(&self) -> Option<&Store> {
        self.store.as_deref()
    }

    /// The local copy of a namespace, made if new (no check of the bound).
    fn local(&self, name: &str) -> Arc<State> {
        let mut map = self.map.write();
        if let Some(state) = map.get(name) {
            return state.clone();
        }
        let (blank, signer) = self.blank.lock().clone();
        let state = Arc::new(State::new(name, blank, signer, self.store.clone()));
        map.insert(name.to_owned(), state.clone());
        state
    }

    /// The default namespace.
    pub(crate) fn default_space(&self) -> Arc<State> {
        self.get(DEFAULT_NAMESPACE)
            .expect("the default namespace is never removed")
    }

    /// The namespace `name`, if it exists.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<State>> {
        self.map.read().get(name).cloned()
    }

    /// The namespace `name` (the default one for `None`), made if new;
    /// and whether it was made just now.
    pub(crate) fn get_or_create(
        &self,
        name: Option<&str>,
    ) -> Result<(Arc<State>, bool), NamespaceError> {
        let name = name.unwrap_or(DEFAULT_NAMESPACE);
        if let Some(state) = self.get(name) {
            return Ok((state, false));
        }
        if !valid(name) {
            return Err(NamespaceError::BadName(name.to_owned()));
        }
        if let Some(store) = &self.store {
            // The default namespace is never recorded: the others share
            // the rest of the bound.
            if !store.register(name, self.max - 1)? {
                return Err(NamespaceError::Full { max: self.max });
            }
            return Ok((self.local(name), true));
        }
        let mut map = self.map.write();
        if let Some(state) = map.get(name) {
            return Ok((state.clone(), false));
        }
        if map.len() >= self.max {
            return Err(NamespaceError::Full { max: self.max });
        }
        let (blank, signer) = self.blank.lock().clone();
        let state = Arc::new(State::new(name, blank, signer, None));
        map.insert(name.to_owned(), state.clone());
        Ok((state, true))
    }

    /// Every namespace this replica knows, by name.
    pub(crate) fn list(&self) -> Vec<Arc<State>> {
        self.map.read().values().cloned().collect()
    }

    /// Every namespace, by name: with a store, those any replica made.
    pub(crate) fn list_shared(&self) -> Result<Vec<Arc<State>>, StateError> {
        let Some(store) = &self.store else {
            return Ok(self.list());
        };
        let names = store.namespaces()?;
        let mut list = vec![self.default_space()];
        list.extend(names.iter().map(|n| self.local(n)));
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// The bound.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Forget a namespace. `false` if there was none of that name; the
    /// default namespace cannot go (reset it instead).
    pub(crate) fn remove(&self, name: &str) -> Result<bool, StateError> {
        if name == DEFAULT_NAMESPACE {
            return Ok(false);
        }
        let local = self.map.write().remove(name).is_some();
        let Some(store) = &self.store else {
            return Ok(local);
        };
        let shared = store.namespaces()?.iter().any(|n| n == name);
        store.remove(name)?;
        Ok(local || shared)
    }

    /// A reloaded spec's policy and accounts. Sessions are kept while the
    /// policy stays the same (accounts are added or changed in place); a
    /// new policy means new models, since tokens issued under the old one
    /// would follow rules the spec no longer states. Says whether state was
    /// dropped.
    pub(crate) fn reload(&self, blank: Model, signer: Option<Arc<Signer>>) -> bool {
        let changed = self.blank.lock().0.policy() != blank.policy();
        for state in self.list() {
            if let Err(e) = state.adopt(&blank, changed, signer.clone()) {
                tracing::warn!(namespace = %state.name, error = %e, "the reload did not reach the shared state");
            }
        }
        *self.blank.lock() = (blank, signer);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaces(max: usize) -> Namespaces {
        Namespaces::new(
            Model::new(Default::default(), [("demo", "demo")]),
            None,
            max,
            None,
        )
    }

    #[test]
    fn names_are_checked_and_the_bound_holds() {
        let s = spaces(2);
        assert!(s.get_or_create(None).is_ok());
        assert!(s.get_or_create(Some("run-1.a_b")).is_ok());
        assert_eq!(
            s.get_or_create(Some("run-2")).unwrap_err(),
            NamespaceError::Full { max: 2 }
        );
        for bad in ["a b", "é", "x/y", &"n".repeat(65)] {
            let e = s.get_or_create(Some(bad)).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
        }
        assert!(!s.remove(DEFAULT_NAMESPACE).unwrap());
        assert!(s.remove("run-1.a_b").unwrap());
        assert!(s.get_or_create(Some("run-2")).is_ok());
    }
}

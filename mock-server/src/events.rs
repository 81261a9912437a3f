//! Live updates for the dashboard: every change of a namespace (a request
//! answered, the clock moved, a reset) and every reload of the spec is sent
//! to `GET /__mock/events` as a server-sent event. An event says *what*
//! changed; the page then reads the state from the admin API, so the event
//! stream and the admin API cannot disagree.

use std::sync::Arc;

use futures::StreamExt;
use poem::web::sse::{Event, SSE};
use poem::Response;
use tokio::sync::broadcast;

use crate::handler::Mock;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// A namespace's state (a request answered, its clock moved, a
    /// reset), by name.
    State(String),
    /// The namespaces themselves (one made or deleted).
    Namespaces,
    /// The spec was reloaded (`Ok`) or a reload failed (`Err`, the load
    /// error).
    Spec(Result<String, String>),
}

impl Change {
    /// The SSE event, if a page watching `namespace` wants it.
    fn event(&self, namespace: &str) -> Option<Event> {
        match self {
            Change::State(n) if n == namespace => {
                Some(Event::message(n.clone()).event_type("state"))
            }
            Change::State(_) => None,
            Change::Namespaces => Some(Event::message("changed").event_type("namespaces")),
            Change::Spec(Ok(title)) => Some(Event::message(title.clone()).event_type("spec")),
            Change::Spec(Err(error)) => {
                Some(Event::message(error.clone()).event_type("spec-error"))
            }
        }
    }
}

/// `GET /__mock/events?namespace=NAME`: the changes of one namespace (the
/// default one when not named), and of the spec, as server-sent events.
pub(crate) fn stream(mock: &Arc<Mock>, namespace: String) -> Response {
    let rx = mock.events.subscribe();
    // An event without data is never dispatched by a browser: each says
    // something.
    let hi = namespace.clone();
    let hello = futures::stream::once(async move { Event::message(hi).event_type("hello") });
    let changes = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(change) => return Some((change, rx)),
                // A slow page missed some: it reads the state again anyway.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .filter_map(move |change| {
        let event = change.event(&namespace);
        async move { event }
    });
    poem::IntoResponse::into_response(
        SSE::new(hello.chain(changes)).keep_alive(std::time::Duration::from_secs(15)),
    )
}

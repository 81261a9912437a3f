//! Where a person starts: `GET /` (when the spec has no `/`) answers a small
//! index of the mock, and `/__mock/api-docs/` is Swagger UI for the spec
//! being served, its "try it out" aimed at this mock.

use poem::http::HeaderMap;
use serde_json::{json, Value};

use openapi::model::ActionKind;

use crate::jwt::Endpoints;
use crate::read;
use crate::respond::Reply;
use crate::served::Served;

/// Where the Swagger UI of the served spec is.
pub(crate) const API_DOCS: &str = "/__mock/api-docs/";
/// Where its document (servers pointed at the mock) is.
pub(crate) const API_DOCUMENT: &str = "/__mock/api-docs/openapi.json";
/// Where the dashboard is.
pub(crate) const DASHBOARD: &str = "/__mock/ui";
/// Where the admin API's Swagger UI is.
pub(crate) const ADMIN_DOCS: &str = "/__mock/docs/";

/// The spec as the docs page shows it: its servers replaced by this mock
/// (the path of its first server kept), so that "try it out" calls reach
/// the mock and not the real API.
pub(crate) fn document(served: &Served) -> Value {
    let mut doc = served.spec.document().clone();
    if let Some(obj) = doc.as_object_mut() {
        let base = served.base_path();
        let url = if base.is_empty() {
            "/".to_owned()
        } else {
            base
        };
        obj.insert(
            "servers".into(),
            json!([{"url": url, "description": "this mock"}]),
        );
    }
    doc
}

/// Swagger UI (the one poem-openapi bundles for the admin API) with
/// another document in it.
#[derive(Debug)]
pub(crate) struct SwaggerUi {
    before: String,
    after: String,
}

impl SwaggerUi {
    /// The page of `html`, a Swagger UI page with `document` inlined.
    pub(crate) fn new(html: &str, document: &str) -> SwaggerUi {
        let (before, after) = html.split_once(document).unwrap_or((html, ""));
        SwaggerUi {
            before: before.to_owned(),
            after: after.to_owned(),
        }
    }

    /// The page for the spec served now.
    pub(crate) fn page(&self, served: &Served) -> String {
        // Inlined in a <script>: no `</script>` may end it early.
        let doc = document(served).to_string().replace("</", "<\\/");
        format!("{}{doc}{}", self.before, self.after)
    }
}

/// The index at `/`: JSON for a client that asks for it, else a page.
pub(crate) fn index(served: &Served, headers: &HeaderMap) -> Reply {
    let spec = &served.spec;
    let links = [
        ("API docs (Swagger UI of the spec served)", API_DOCS),
        ("Dashboard (sessions, tokens, journal, clock)", DASHBOARD),
        ("Admin API (Swagger UI)", ADMIN_DOCS),
        ("The spec served (JSON)", "/__mock/spec"),
    ];
    let wants_json =
        read::header(headers, "accept").is_some_and(|a| a.contains("json") && !a.contains("html"));
    if wants_json {
        let body = json!({
            "title": spec.title(),
            "operations": spec.operations().len(),
            "links": links.iter().map(|(what, href)| json!({"title": what, "href": href})).collect::<Vec<_>>(),
        });
        return Reply::json(200, &body);
    }
    let items: String = links
        .iter()
        .map(|(what, href)| format!("<li><a href=\"{href}\">{}</a></li>", escape(what)))
        .collect();
    let ops: String = spec
        .operations()
        .iter()
        .map(|o| {
            format!(
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                escape(&o.method.to_ascii_uppercase()),
                escape(&o.path),
                escape(&o.name()),
            )
        })
        .collect();
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>mock: {title}</title>\
         <style>body{{font:15px system-ui,sans-serif;margin:2em;max-width:60em}}\
         td{{padding:2px 12px 2px 0}}</style></head><body>\
         <h1>{title}</h1><p>A stateful mock of this API (tokenmock). The spec has no \
         <code>/</code>, so this index stands here.</p><ul>{items}</ul>\
         <h2>Operations</h2><table>{ops}</table></body></html>",
        title = escape(spec.title()),
    );
    Reply {
        status: 200,
        headers: Vec::new(),
        body: Some(("text/html; charset=utf-8".into(), page.into_bytes())),
    }
}

/// Text safe inside HTML.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The JWKS and the OpenID Connect discovery document of a mock whose
/// tokens are JWTs (`None` for other paths). The discovery document's URLs
/// are the ones the client used (its `Host`).
pub(crate) fn well_known(served: &Served, path: &str, headers: &HeaderMap) -> Option<Reply> {
    let signer = served.signer.as_ref()?;
    let body = if path == signer.config().jwks_path() {
        signer.jwks()
    } else if path == crate::jwt::DISCOVERY_PATH {
        let host = read::header(headers, "host").unwrap_or("127.0.0.1");
        let base = format!("http://{host}{}", served.base_path());
        signer.discovery(&base, &endpoints(&served.spec))
    } else {
        return None;
    };
    Some(Reply::json(200, &body))
}

/// What the spec's bindings make of the mock as an OpenID provider.
fn endpoints(spec: &openapi::Spec) -> Endpoints<'_> {
    use openapi::binding::ClientAuthMethod;
    let bound = || {
        spec.operations()
            .iter()
            .flat_map(|o| o.bindings.iter().map(move |b| (o, b)))
    };
    let path_of = |action: ActionKind| {
        bound()
            .find(|(_, b)| b.action == action)
            .map(|(o, _)| o.path.as_str())
    };
    let mut e = Endpoints {
        authorize: path_of(ActionKind::Authorize),
        token: path_of(ActionKind::ExchangeCode).or_else(|| path_of(ActionKind::Login)),
        userinfo: bound()
            .find(|(o, b)| {
                b.action == ActionKind::Protected
                    && o.method == "GET"
                    && b.subject
                        .as_ref()
                        .is_some_and(|s| s.to_string() == "$response.body#/sub")
            })
            .map(|(o, _)| o.path.as_str()),
        revocation: path_of(ActionKind::RevokeToken),
        introspection: path_of(ActionKind::Introspect),
        ..Endpoints::default()
    };
    for (action, grant) in [
        (ActionKind::ExchangeCode, "authorization_code"),
        (ActionKind::Refresh, "refresh_token"),
        (ActionKind::Login, "password"),
    ] {
        if path_of(action).is_some() {
            e.grants.push(grant);
        }
    }
    for (_, b) in bound().filter(|(_, b)| b.action.issues_tokens()) {
        let method = b
            .client
            .as_ref()
            .map_or(ClientAuthMethod::None, |c| c.method);
        if !e.client_auth.contains(&method.as_str()) {
            e.client_auth.push(method.as_str());
        }
    }
    e
}

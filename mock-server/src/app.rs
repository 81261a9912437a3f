//! [`App`]: the mock as one poem endpoint: the admin API, the dashboard, its
//! event stream and the API docs under `/__mock`, the spec's operations
//! everywhere else.

use std::sync::Arc;

use poem::endpoint::{make_sync, BoxEndpoint};
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route};

use crate::admin::{self, Space};
use crate::cors;
use crate::docs::{self, SwaggerUi};
use crate::events;
use crate::guard::AdminAccess;
use crate::handler::Mock;
use crate::namespace;
use crate::respond::{self, Reply};

/// The methods and request headers a page may use on the admin API.
const ADMIN_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const ADMIN_HEADERS: &str = "authorization, content-type, x-mock-namespace";

/// The dashboard: one page, its script and style inline.
const DASHBOARD: &str = include_str!("dashboard.html");

/// The mock as a poem endpoint: the admin API under `/__mock`, the spec's
/// operations everywhere else. [`MockServerBuilder::build`] makes one, to
/// serve in-process without a socket.
///
/// [`MockServerBuilder::build`]: crate::MockServerBuilder::build
pub struct App {
    mock: Arc<Mock>,
    access: AdminAccess,
    admin: BoxEndpoint<'static, Response>,
}

impl App {
    pub(crate) fn new(mock: Arc<Mock>, access: AdminAccess) -> App {
        let api = admin::service(mock.clone());
        let swagger = Arc::new(SwaggerUi::new(&api.swagger_ui_html(), &api.spec()));
        let (docs_mock, doc_mock) = (mock.clone(), mock.clone());
        let events_mock = mock.clone();
        let admin = Route::new()
            .nest(format!("{}/docs", admin::PREFIX), api.swagger_ui())
            .at(
                format!("{}/openapi.json", admin::PREFIX),
                api.spec_endpoint(),
            )
            .at(
                docs::API_DOCS,
                make_sync(move |_| Html(swagger.page(&docs_mock.served()))),
            )
            .at(
                docs::API_DOCUMENT,
                make_sync(move |_| poem::web::Json(docs::document(&doc_mock.served()))),
            )
            .at(docs::DASHBOARD, make_sync(|_| Html(DASHBOARD)))
            .at(
                format!("{}/events", admin::PREFIX),
                make_sync(move |req| {
                    let name = namespace_of(&req).unwrap_or(namespace::DEFAULT_NAMESPACE);
                    events::stream(&events_mock, name.to_owned())
                }),
            )
            .nest(admin::PREFIX, api)
            .into_endpoint()
            // Admin errors are problem documents too, like the mock's.
            .catch_all_error(|e: poem::Error| async move {
                Reply::from(respond::problem(e.status().as_u16(), e.to_string()))
                    .into_response(false)
            })
            .map_to_response()
            .boxed();
        App {
            mock,
            access,
            admin,
        }
    }

    pub(crate) fn mock(&self) -> &Arc<Mock> {
        &self.mock
    }

    /// The admin API, CORS-enabled like the mock, so that a page's test
    /// harness can reset the mock or move its clock; it acts on the
    /// namespace the request names. Who may call it is [`AdminAccess`]'s
    /// to say; its bodies are read within the same limits as the mock's.
    async fn admin(&self, mut req: Request) -> poem::Result<Response> {
        let cors = &self.mock.cors;
        let sent_origin = crate::read::header(req.headers(), "origin");
        let origin = sent_origin
            .filter(|o| self.access.page_allowed(cors, o))
            .map(str::to_owned);
        if let (None, Some(refused)) = (&origin, sent_origin) {
            if !self.access.is_off() {
                self.mock.warn_refused(refused);
            }
        }
        let mut resp = if origin.is_some() && cors::is_preflight(&req) {
            cors::preflight(ADMIN_METHODS, Some(ADMIN_HEADERS)).into_response(false)
        } else {
            let checked = self.access.check(&req, cors);
            let body = match checked {
                Ok(()) => crate::body::read(&mut req, self.mock.body).await,
                Err(refusal) => Err(refusal),
            };
            match body.map(|body| req.set_body(body)) {
                Ok(()) => self.namespaced(req).await?,
                Err(refusal) => refusal.into_response(false),
            }
        };
        if cors != &cors::Cors::Off {
            resp.headers_mut()
                .append("vary", poem::http::HeaderValue::from_static("Origin"));
        }
        if let Some(origin) = origin {
            cors::allow(&mut resp, &origin, None);
        }
        Ok(resp)
    }

    /// An admin request, in the namespace it names.
    async fn namespaced(&self, mut req: Request) -> poem::Result<Response> {
        match self.mock.space(namespace_of(&req)) {
            Ok(state) => {
                req.extensions_mut().insert(Space(state));
                self.admin.call(req).await
            }
            Err(e) => {
                Ok(Reply::from(respond::problem(e.status(), e.to_string())).into_response(false))
            }
        }
    }
}

/// The namespace an admin request names: the header, else a `namespace`
/// query parameter (an `EventSource` cannot send headers).
fn namespace_of(req: &Request) -> Option<&str> {
    namespace::requested(req.headers()).or_else(|| {
        req.uri()
            .query()?
            .split('&')
            .find_map(|pair| pair.strip_prefix("namespace="))
            .filter(|v| !v.is_empty())
    })
}

impl Endpoint for App {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let admin = path
            .strip_prefix(admin::PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if admin {
            self.admin(req).await
        } else {
            Ok(self.mock.handle(req).await.into_response())
        }
    }
}

//! [`App`]: the mock as one poem endpoint, the admin API under `/__mock`
//! and the spec's operations everywhere else.

use std::sync::Arc;

use poem::endpoint::BoxEndpoint;
use poem::{Endpoint, EndpointExt, IntoEndpoint, Request, Response, Route};

use crate::admin;
use crate::cors;
use crate::handler::Mock;
use crate::respond::{self, Reply};

/// The methods and request headers a page may use on the admin API.
const ADMIN_METHODS: &str = "GET, POST, DELETE, OPTIONS";
const ADMIN_HEADERS: &str = "content-type";

/// The mock as a poem endpoint: the admin API under `/__mock`, the spec's
/// operations everywhere else. [`MockServerBuilder::build`] makes one, to
/// serve in-process without a socket.
///
/// [`MockServerBuilder::build`]: crate::MockServerBuilder::build
pub struct App {
    mock: Arc<Mock>,
    admin: BoxEndpoint<'static, Response>,
}

impl App {
    pub(crate) fn new(mock: Arc<Mock>) -> App {
        let api = admin::service(mock.clone());
        let admin = Route::new()
            .nest(format!("{}/docs", admin::PREFIX), api.swagger_ui())
            .at(
                format!("{}/openapi.json", admin::PREFIX),
                api.spec_endpoint(),
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
        App { mock, admin }
    }

    pub(crate) fn mock(&self) -> &Arc<Mock> {
        &self.mock
    }

    /// The admin API, CORS-enabled like the mock, so that a page's test
    /// harness can reset the mock or move its clock.
    async fn admin(&self, req: Request) -> poem::Result<Response> {
        let origin = self.mock.cors.origin(req.headers());
        let mut resp = if origin.is_some() && cors::is_preflight(&req) {
            cors::preflight(ADMIN_METHODS, Some(ADMIN_HEADERS)).into_response(false)
        } else {
            self.admin.call(req).await?
        };
        if let Some(origin) = origin {
            cors::allow(&mut resp, &origin, None);
        }
        Ok(resp)
    }
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
            Ok(self.mock.handle(req).await)
        }
    }
}

//! Reading a request body, for the operations and the admin API alike: at
//! most the body limit (a `Content-Length` past it is refused before a
//! byte is read) and within the body timeout. The one place that says
//! what a body that cannot be read gets: 413 past the limit, 408 too
//! slow (both close the connection), 400 malformed.

use std::time::Duration;

use bytes::Bytes;
use poem::error::ReadBodyError;
use poem::Request;

use crate::respond::{self, Reply};

/// How long a client has to send a request body once its head is read,
/// by default.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of a body is read, and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimits {
    /// The largest body accepted, in bytes.
    pub(crate) limit: usize,
    /// How long reading the whole body may take.
    pub(crate) timeout: Duration,
}

/// The whole body of `req`, or the refusal to send instead.
pub(crate) async fn read(req: &mut Request, limits: BodyLimits) -> Result<Bytes, Reply> {
    let too_large = || {
        let detail = format!("the request body exceeds {} bytes", limits.limit);
        closing(respond::problem(413, detail).into())
    };
    let declared = crate::read::header(req.headers(), "content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.limit as u64) {
        return Err(too_large());
    }
    let reading = req.take_body().into_bytes_limit(limits.limit);
    match tokio::time::timeout(limits.timeout, reading).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(ReadBodyError::PayloadTooLarge)) => Err(too_large()),
        // A body that cannot be read (a bad chunk size, a connection cut
        // mid-body) is the client's malformed request.
        Ok(Err(e)) => {
            let detail = format!("the request body cannot be read: {e}");
            Err(respond::problem(400, detail).into())
        }
        Err(_) => {
            let detail = format!(
                "the request body did not arrive within {} s (--body-timeout)",
                limits.timeout.as_secs_f64()
            );
            Err(closing(respond::problem(408, detail).into()))
        }
    }
}

/// The rest of the body is not read: the connection cannot be reused.
fn closing(reply: Reply) -> Reply {
    reply.header("connection", "close")
}

//! The bodies the proxy relays, both ways: a whole one (buffered up to the
//! judge limit, judged before it is relayed), or a streamed one (the
//! prefix read while buffering, then the rest as it comes, in bounded
//! memory, never judged).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

/// A body the proxy relays.
pub(crate) enum Relay {
    /// Read whole (judged), or the proxy's own answer.
    Whole(Full<Bytes>),
    /// Streamed: what was read before the limit was passed, then the rest.
    Stream {
        /// Read already, relayed first.
        prefix: Option<Bytes>,
        /// The rest, relayed as it comes.
        rest: Incoming,
    },
}

impl Relay {
    /// A whole body.
    pub(crate) fn whole(bytes: Bytes) -> Relay {
        Relay::Whole(Full::new(bytes))
    }

    /// `body` streamed from its start.
    pub(crate) fn stream(body: Incoming) -> Relay {
        Relay::Stream {
            prefix: None,
            rest: body,
        }
    }
}

impl Body for Relay {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut() {
            Relay::Whole(full) => match Pin::new(full).poll_frame(cx) {
                Poll::Ready(Some(Ok(f))) => Poll::Ready(Some(Ok(f))),
                Poll::Ready(Some(Err(never))) => match never {},
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            Relay::Stream { prefix, rest } => {
                if let Some(p) = prefix.take() {
                    return Poll::Ready(Some(Ok(Frame::data(p))));
                }
                // Trailers are hop-by-hop: not relayed.
                loop {
                    match Pin::new(&mut *rest).poll_frame(cx) {
                        Poll::Ready(Some(Ok(f))) if !f.is_data() => continue,
                        other => return other,
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Relay::Whole(full) => full.is_end_stream(),
            Relay::Stream { prefix, rest } => prefix.is_none() && rest.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Relay::Whole(full) => full.size_hint(),
            Relay::Stream { prefix, rest } => {
                let read = prefix.as_ref().map_or(0, |p| p.len() as u64);
                let left = rest.size_hint();
                let mut hint = SizeHint::new();
                hint.set_lower(left.lower() + read);
                if let Some(upper) = left.upper() {
                    hint.set_upper(upper + read);
                }
                hint
            }
        }
    }
}

/// A body read up to a limit.
pub(crate) enum Read {
    /// All of it, within the limit.
    Whole(Bytes),
    /// Over the limit: to be streamed on.
    Over(Relay),
}

/// Read `body` whole if it is at most `limit` bytes; past that, stop and
/// hand back what was read and the rest as one streamed body (at most
/// `limit` bytes and one frame held).
pub(crate) async fn read(mut body: Incoming, limit: usize) -> Result<Read, hyper::Error> {
    if body.size_hint().lower() > limit as u64 {
        return Ok(Read::Over(Relay::stream(body)));
    }
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        // Trailers are hop-by-hop: not relayed.
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        buf.extend_from_slice(&data);
        if buf.len() > limit {
            return Ok(Read::Over(Relay::Stream {
                prefix: Some(Bytes::from(buf)),
                rest: body,
            }));
        }
    }
    Ok(Read::Whole(Bytes::from(buf)))
}

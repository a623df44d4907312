//! The service of `examples/hyper_server.rs`, shared with hyper-on-tokio
//! (`benches/hyper_tokio.rs`) so the benchmark compares runtimes, not
//! services: `GET /` (and `HEAD /`) → `hello`, other paths 404, other
//! methods 405.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};

/// Answers one request (hyper leaves the body out for `HEAD` itself).
pub async fn hello<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, body): (StatusCode, &'static [u8]) = match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/") => (StatusCode::OK, b"hello"),
        (&Method::GET | &Method::HEAD, _) => (StatusCode::NOT_FOUND, b"not found\n"),
        _ => (StatusCode::METHOD_NOT_ALLOWED, b"method not allowed\n"),
    };
    let mut resp = Response::new(Full::new(Bytes::from_static(body)));
    *resp.status_mut() = status;
    Ok(resp)
}

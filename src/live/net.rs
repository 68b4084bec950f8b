//! Loopback TCP and HTTP plumbing shared by the live components: the one accept loop (the
//! servers, the balancer and the embedded store all serve their connections through it), an
//! HTTP/1 server on top of it, and an HTTP/1 client connection.
//!
//! Every connection is a task of a set that the accept loop owns: dropping the loop's future (a
//! crash, the end of a run) closes the listener and aborts every connection at once.
//!
//! Leaves out: anything but 127.0.0.1, TLS, HTTP/2.

use anyhow::Result;
use http_body_util::{Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Turns off Nagle's algorithm on a loopback connection: every message of the live cluster is
/// one write that must leave at once.
pub(crate) fn no_delay(stream: &TcpStream) {
    // A socket that refuses the option still works, only slower.
    let _ = stream.set_nodelay(true);
}

/// Accepts connections on `listener` until it fails or this future is dropped, serving each on
/// a task of its own with `serve`.
pub(crate) async fn accept_loop<F, Fut>(listener: TcpListener, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut conns = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        no_delay(&stream);
        while conns.try_join_next().is_some() {}
        conns.spawn(serve(stream));
    }
}

/// Serves HTTP/1 on every connection `listener` accepts, answering each request with `handle`.
pub(crate) async fn serve_http<H, Fut>(listener: TcpListener, handle: H)
where
    H: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    accept_loop(listener, move |stream| {
        let handle = handle.clone();
        async move {
            let service = hyper::service::service_fn(move |req| {
                let answer = handle(req);
                async move { Ok::<_, std::convert::Infallible>(answer.await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
    })
    .await;
}

/// An HTTP/1 connection to `addr` (its driver runs on a task of its own and ends when the
/// returned sender is dropped).
pub(crate) async fn connect_http(addr: SocketAddr) -> Result<SendRequest<Empty<Bytes>>> {
    let stream = TcpStream::connect(addr).await?;
    no_delay(&stream);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

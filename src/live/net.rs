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
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// Turns off Nagle's algorithm on a loopback connection: every message of the live cluster is
/// one write that must leave at once.
pub(crate) fn no_delay(stream: &TcpStream) {
    // A socket that refuses the option still works, only slower.
    let _ = stream.set_nodelay(true);
}

/// Accepts that failed in this process (each followed by [`ACCEPT_BACKOFF`]): a live run reads
/// how many happened while it ran, to say that some of its errors may be the harness's.
pub(crate) static FAILED_ACCEPTS: AtomicU64 = AtomicU64::new(0);

/// How long the accept loop waits after a failed accept before trying again.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// A source of accepted connections: a listener, or a stand-in in tests.
pub(crate) trait Accept {
    /// The next connection, or why none could be accepted now.
    fn next(&mut self) -> impl Future<Output = std::io::Result<TcpStream>> + Send;
}

impl Accept for TcpListener {
    async fn next(&mut self) -> std::io::Result<TcpStream> {
        self.accept().await.map(|(stream, _)| stream)
    }
}

/// Accepts connections on `listener` until this future is dropped, serving each on a task of
/// its own with `serve`.
///
/// A failed accept never ends the loop: out of file descriptors (EMFILE, ENFILE), out of
/// buffers, or a connection reset before it was accepted are all passing states of the machine,
/// so the loop waits [`ACCEPT_BACKOFF`] (without spinning, while its connections go on and
/// close) and accepts again; the waiting connections stay in the kernel's backlog meanwhile.
pub(crate) async fn accept_loop<L, F, Fut>(mut listener: L, serve: F)
where
    L: Accept,
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut conns = JoinSet::new();
    loop {
        match listener.next().await {
            Ok(stream) => {
                no_delay(&stream);
                while conns.try_join_next().is_some() {}
                conns.spawn(serve(stream));
            }
            Err(_) => {
                FAILED_ACCEPTS.fetch_add(1, Ordering::Relaxed);
                while conns.try_join_next().is_some() {}
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Serves HTTP/1 on every connection `listener` accepts, answering each request with `handle`.
///
/// A connection that does not send a whole request head within `header_timeout` of the server
/// waiting for one is closed: that bounds a slow client's head (slowloris) and an idle
/// keep-alive connection alike (hyper starts the timer whenever it waits for a head).
pub(crate) async fn serve_http<H, Fut>(listener: TcpListener, header_timeout: Duration, handle: H)
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
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A listener that fails its first `failures` accepts as a process out of file descriptors
    /// does (EMFILE).
    struct OutOfFiles {
        failures: u32,
        listener: TcpListener,
    }

    impl Accept for OutOfFiles {
        async fn next(&mut self) -> std::io::Result<TcpStream> {
            if self.failures > 0 {
                self.failures -= 1;
                return Err(std::io::Error::from_raw_os_error(24)); // EMFILE on Linux
            }
            self.listener.next().await
        }
    }

    #[tokio::test]
    async fn the_accept_loop_survives_running_out_of_file_descriptors() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let flaky = OutOfFiles {
            failures: 5,
            listener,
        };
        let server = tokio::spawn(accept_loop(flaky, |mut stream: TcpStream| async move {
            let _ = stream.write_all(b"ok").await;
        }));
        let mut client = TcpStream::connect(addr).await.unwrap();
        let mut answer = [0u8; 2];
        let read = tokio::time::timeout(Duration::from_secs(2), client.read_exact(&mut answer));
        assert!(
            matches!(read.await, Ok(Ok(2))),
            "the connection after 5 failed accepts is served"
        );
        assert_eq!(&answer, b"ok");
        assert!(
            FAILED_ACCEPTS.load(Ordering::Relaxed) >= 5,
            "the failures are counted"
        );
        server.abort();
    }
}

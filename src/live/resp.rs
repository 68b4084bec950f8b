//! The Redis protocol (RESP2) on a byte stream, for the store's client and the embedded store:
//! frames are parsed and encoded by the `redis-protocol` crate; this file only moves bytes.
//!
//! A message is read into a buffer of at most [`MAX_MESSAGE`] bytes: a peer that sends a longer
//! one (a fake store answering with a line of 600 MB, say) is cut off with an error once the
//! buffer is full, before more is read, so what it costs is bounded by the limit and not by
//! what the peer sends. Nested arrays are parsed to any depth the crate accepts.
//!
//! Leaves out: RESP3, pipelining (one command, one reply) and the commands themselves (in
//! `store.rs`).

use anyhow::{Result, anyhow, bail};
use redis_protocol::resp2::decode::decode;
use redis_protocol::resp2::encode::encode;
use redis_protocol::resp2::types::{OwnedFrame, Resp2Frame};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest message read (a command or a reply): a session's key is short and a `SCAN` page of
/// 1,000 keys is about 60 KB.
pub const MAX_MESSAGE: usize = 1 << 20;

/// Bytes read from the stream at a time.
const CHUNK: usize = 16 * 1024;

/// One reply, as the client uses it.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK` and other simple strings.
    Simple(String),
    /// `$n` bulk string, `None` for `$-1` (and a null array).
    Bulk(Option<Vec<u8>>),
    /// `:n`.
    Int(i64),
    /// `-ERR ...`.
    Error(String),
    /// `*n` array of replies, nested to any depth (`SCAN` answers a cursor and an array).
    Array(Vec<Reply>),
}

impl From<OwnedFrame> for Reply {
    fn from(frame: OwnedFrame) -> Self {
        match frame {
            OwnedFrame::SimpleString(s) => Reply::Simple(String::from_utf8_lossy(&s).into()),
            OwnedFrame::Error(e) => Reply::Error(e.to_string()),
            OwnedFrame::Integer(n) => Reply::Int(n),
            OwnedFrame::BulkString(b) => Reply::Bulk(Some(b)),
            OwnedFrame::Null => Reply::Bulk(None),
            OwnedFrame::Array(items) => Reply::Array(items.into_iter().map(Reply::from).collect()),
        }
    }
}

/// A command: an array of bulk strings.
pub fn command(args: &[&[u8]]) -> OwnedFrame {
    OwnedFrame::Array(
        args.iter()
            .map(|a| OwnedFrame::BulkString(a.to_vec()))
            .collect(),
    )
}

/// The bytes of `frame`.
pub fn encoded(frame: &OwnedFrame) -> Vec<u8> {
    let mut out = vec![0; frame.encode_len(false)];
    let n = encode(&mut out, frame, false).expect("the buffer has the frame's encoded length");
    out.truncate(n);
    out
}

/// The first whole frame of `bytes` and the bytes it took (`None` if incomplete).
pub fn parse(bytes: &[u8]) -> Result<Option<(OwnedFrame, usize)>> {
    decode(bytes).map_err(|e| anyhow!("not the Redis protocol: {e:?}"))
}

/// A stream with the bytes read past the last frame.
#[derive(Debug)]
pub struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// A connection over `stream`.
    pub fn new(stream: S) -> Self {
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Reads the next frame; an error if the peer closes, breaks the protocol or sends a
    /// message longer than [`MAX_MESSAGE`] (found before reading past the limit).
    pub async fn read_frame(&mut self) -> Result<OwnedFrame> {
        let mut chunk = vec![0u8; CHUNK];
        loop {
            if !self.buf.is_empty()
                && let Some((frame, used)) = parse(&self.buf)?
            {
                self.buf.drain(..used);
                return Ok(frame);
            }
            if self.buf.len() >= MAX_MESSAGE {
                bail!("a message longer than the limit of {MAX_MESSAGE} bytes");
            }
            let room = (MAX_MESSAGE - self.buf.len()).min(CHUNK);
            let n = self.stream.read(&mut chunk[..room]).await?;
            if n == 0 {
                bail!("connection closed");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Writes `frame`.
    pub async fn write_frame(&mut self, frame: &OwnedFrame) -> Result<()> {
        self.stream.write_all(&encoded(frame)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(bytes: &[u8]) -> Reply {
        let (frame, used) = parse(bytes).expect("valid").expect("whole");
        assert_eq!(used, bytes.len());
        frame.into()
    }

    #[test]
    fn replies_of_every_kind_are_read() {
        assert_eq!(reply(b"+OK\r\n"), Reply::Simple("OK".into()));
        assert_eq!(reply(b":42\r\n"), Reply::Int(42));
        assert_eq!(reply(b"$-1\r\n"), Reply::Bulk(None));
        assert_eq!(reply(b"$2\r\nab\r\n"), Reply::Bulk(Some(b"ab".to_vec())));
        assert_eq!(
            reply(b"-ERR unknown\r\n"),
            Reply::Error("ERR unknown".into())
        );
        // What SCAN answers: the next cursor, then the keys.
        assert_eq!(
            reply(b"*2\r\n$2\r\n17\r\n*2\r\n$3\r\nt:a\r\n$3\r\nt:b\r\n"),
            Reply::Array(vec![
                Reply::Bulk(Some(b"17".to_vec())),
                Reply::Array(vec![
                    Reply::Bulk(Some(b"t:a".to_vec())),
                    Reply::Bulk(Some(b"t:b".to_vec())),
                ]),
            ])
        );
    }

    /// The hand-written parser read one level of nesting and flattened the rest.
    #[test]
    fn a_reply_nested_three_deep_keeps_its_shape() {
        assert_eq!(
            reply(b"*2\r\n*2\r\n*1\r\n:1\r\n$1\r\nx\r\n+end\r\n"),
            Reply::Array(vec![
                Reply::Array(vec![
                    Reply::Array(vec![Reply::Int(1)]),
                    Reply::Bulk(Some(b"x".to_vec())),
                ]),
                Reply::Simple("end".into()),
            ])
        );
        assert!(
            parse(b"*2\r\n*1\r\n:1\r\n").expect("valid").is_none(),
            "incomplete"
        );
    }

    #[test]
    fn a_command_is_encoded_as_an_array_of_bulk_strings_and_read_back() {
        let bytes = encoded(&command(&[b"GETEX", b"k", b"PX", b"100"]));
        assert_eq!(
            bytes,
            b"*4\r\n$5\r\nGETEX\r\n$1\r\nk\r\n$2\r\nPX\r\n$3\r\n100\r\n"
        );
        assert_eq!(
            parse(&bytes).unwrap(),
            Some((command(&[b"GETEX", b"k", b"PX", b"100"]), bytes.len()))
        );
    }

    /// A peer sending an endless line (the fake store of the hostile test answered with 600 MB)
    /// is cut off at the limit: the reader never holds more than the limit and one chunk, and
    /// stops reading, so the writer is stopped by the socket's buffers long before 600 MB.
    #[test]
    fn an_endless_line_is_cut_off_at_the_limit_without_being_read_whole() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let writer = tokio::spawn(async move {
                let (mut s, _) = listener.accept().await.unwrap();
                let line = vec![b'A'; 1 << 20];
                let mut sent = s.write_all(b"+").await.map_or(0, |_| 1);
                // 600 MB at most, in 1 MiB writes; stops when the reader has gone.
                for _ in 0..600 {
                    let write = s.write_all(&line);
                    match tokio::time::timeout(std::time::Duration::from_secs(2), write).await {
                        Ok(Ok(())) => sent += line.len(),
                        _ => break,
                    }
                }
                sent
            });
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let mut conn = Conn::new(stream);
            let error = conn.read_frame().await.expect_err("cut off");
            assert!(conn.buf.len() <= MAX_MESSAGE, "{}", conn.buf.len());
            drop(conn);
            assert!(
                error
                    .to_string()
                    .contains("longer than the limit of 1048576 bytes"),
                "{error}"
            );
            let sent = writer.await.unwrap();
            assert!(sent < 64 << 20, "the peer got to send {sent} bytes");
        });
    }
}

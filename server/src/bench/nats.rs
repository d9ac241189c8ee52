//! NATS as a benchmark target: Debian's `nats-server` started on loopback
//! with a WebSocket listener (plain, no TLS), and a minimal client of the
//! NATS text protocol over WebSocket. Devices publish to `ward.<w>.<bed>`,
//! tablets subscribe to `ward.<w>.*`. With JetStream, a file-storage stream
//! takes every `ward.>` subject and each publish carries a reply inbox, so the
//! device counts a frame only once JetStream acknowledged storing it
//! (publishes are pipelined, as Vigil's and MQTT's are). The tablets are
//! core subscribers: they get a message as it is published, before or while
//! JetStream stores it, where Vigil relays a frame only once it is stored.

use super::measure::now_us;
use super::measure::{free_ports, log_file, log_tail, program, Child};
use super::{Relay, Tablet, Ward};
use crate::device_link::LinkStats;
use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use vigil_shared::frame::RawFrame;
use vigil_shared::protocol::device::DeviceMessage;

/// What the server sent, parsed.
#[derive(Debug, PartialEq)]
enum Op {
    Msg { subject: String, payload: Vec<u8> },
    Pong,
    Err(String),
}

/// Splits the server's byte stream into operations; keeps a partial one for
/// the next WebSocket message. PINGs are answered through `pong`.
#[derive(Default)]
struct Parser {
    buf: Vec<u8>,
}

impl Parser {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Op>, pings: &mut usize) {
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        while let Some(end) = find_crlf(&self.buf[at..]) {
            let line = &self.buf[at..at + end];
            if let Some(rest) = line.strip_prefix(b"MSG ") {
                let head = String::from_utf8_lossy(rest).into_owned();
                let parts: Vec<&str> = head.split_whitespace().collect();
                let Some(len) = parts.last().and_then(|n| n.parse::<usize>().ok()) else {
                    out.push(Op::Err(format!("bad MSG line: {head}")));
                    at += end + 2;
                    continue;
                };
                let start = at + end + 2;
                if self.buf.len() < start + len + 2 {
                    break; // the payload is still on its way
                }
                out.push(Op::Msg { subject: parts[0].to_string(), payload: self.buf[start..start + len].to_vec() });
                at = start + len + 2;
                continue;
            }
            if line == b"PING" {
                *pings += 1;
            } else if line == b"PONG" {
                out.push(Op::Pong);
            } else if let Some(e) = line.strip_prefix(b"-ERR") {
                out.push(Op::Err(String::from_utf8_lossy(e).trim().to_string()));
            }
            at += end + 2;
        }
        self.buf.drain(..at);
    }
}

fn find_crlf(b: &[u8]) -> Option<usize> {
    b.windows(2).position(|w| w == b"\r\n")
}

fn pub_op(subject: &str, reply: Option<&str>, payload: &[u8]) -> Vec<u8> {
    let head = match reply {
        Some(r) => format!("PUB {subject} {r} {}\r\n", payload.len()),
        None => format!("PUB {subject} {}\r\n", payload.len()),
    };
    let mut out = Vec::with_capacity(head.len() + payload.len() + 2);
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(b"\r\n");
    out
}

/// One connection: writes go through `tx`, parsed operations arrive on `ops`.
struct Conn {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    ops: mpsc::UnboundedReceiver<Op>,
}

impl Conn {
    async fn open(url: &str) -> anyhow::Result<Conn> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.context("connecting to nats-server's WebSocket")?;
        let (mut sink, mut stream) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let (ops_tx, ops) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if sink.send(Message::Binary(bytes.into())).await.is_err() {
                    break;
                }
            }
        });
        let pong_tx = tx.clone();
        tokio::spawn(async move {
            let (mut parser, mut parsed) = (Parser::default(), Vec::new());
            while let Some(Ok(msg)) = stream.next().await {
                let mut pings = 0;
                match msg {
                    Message::Binary(b) => parser.push(&b, &mut parsed, &mut pings),
                    Message::Text(t) => parser.push(t.as_bytes(), &mut parsed, &mut pings),
                    _ => continue,
                }
                for _ in 0..pings {
                    let _ = pong_tx.send(b"PONG\r\n".to_vec());
                }
                for op in parsed.drain(..) {
                    if ops_tx.send(op).is_err() {
                        return;
                    }
                }
            }
        });
        let connect = r#"CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":false,"name":"vigil-bench"}"#;
        let mut conn = Conn { tx, ops };
        conn.send(format!("{connect}\r\n").into_bytes())?;
        conn.flush().await?;
        Ok(conn)
    }

    fn send(&self, bytes: Vec<u8>) -> anyhow::Result<()> {
        self.tx.send(bytes).map_err(|_| anyhow::anyhow!("the NATS connection closed"))
    }

    /// PING and wait for the PONG: everything sent before is processed.
    async fn flush(&mut self) -> anyhow::Result<()> {
        self.send(b"PING\r\n".to_vec())?;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.ops.recv()).await {
                Ok(Some(Op::Pong)) => return Ok(()),
                Ok(Some(Op::Err(e))) => bail!("nats-server: {e}"),
                Ok(Some(Op::Msg { .. })) => {}
                Ok(None) => bail!("the NATS connection closed"),
                Err(_) => bail!("no PONG from nats-server within 10 s"),
            }
        }
    }
}

pub(crate) struct Nats {
    child: Child,
    ws_url: String,
    jetstream: bool,
}

impl Nats {
    pub(crate) async fn start(dir: &Path, jetstream: bool) -> anyhow::Result<Self> {
        let [port, ws_port] = free_ports()?;
        let dir = dir.join("nats");
        std::fs::create_dir_all(&dir)?;
        let conf = dir.join("nats.conf");
        let mut text = format!(
            "host: 127.0.0.1\nport: {port}\nwebsocket {{\n  host: 127.0.0.1\n  port: {ws_port}\n  no_tls: true\n}}\n"
        );
        if jetstream {
            text.push_str(&format!(
                "jetstream {{\n  store_dir: {:?}\n}}\n",
                dir.join("jetstream").display().to_string()
            ));
        }
        std::fs::write(&conf, text)?;
        let child = std::process::Command::new(program("nats-server"))
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(log_file(&dir)?)
            .spawn()
            .context(
                "starting nats-server (Debian: apt-get install nats-server; scripts/setup.sh --test installs it)",
            )?;
        let relay = Nats { child: Child(child, dir), ws_url: format!("ws://127.0.0.1:{ws_port}"), jetstream };
        let started = Instant::now();
        let mut conn = loop {
            match Conn::open(&relay.ws_url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() > Duration::from_secs(10) => {
                    let log = log_tail(&relay.child.1);
                    return Err(e.context(format!("nats-server did not accept a WebSocket within 10 s: {log}")));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        if jetstream {
            let config = r#"{"name":"VITALS","subjects":["ward.>"],"storage":"file","retention":"limits","discard":"old","num_replicas":1}"#;
            conn.send(b"SUB _INBOX.setup 1\r\n".to_vec())?;
            conn.send(pub_op("$JS.API.STREAM.CREATE.VITALS", Some("_INBOX.setup"), config.as_bytes()))?;
            match tokio::time::timeout(Duration::from_secs(10), conn.ops.recv()).await {
                Ok(Some(Op::Msg { payload, .. })) if !String::from_utf8_lossy(&payload).contains("\"error\"") => {}
                other => bail!("JetStream did not create the stream: {other:?}"),
            }
        }
        Ok(relay)
    }
}

#[async_trait::async_trait]
impl Relay for Nats {
    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    async fn tablet(&self, ward: &Ward, tablet: Arc<Tablet>) -> anyhow::Result<JoinHandle<()>> {
        let mut conn = Conn::open(&self.ws_url).await?;
        conn.send(format!("SUB ward.{}.* 1\r\n", ward.id).into_bytes())?;
        conn.flush().await?;
        Ok(tokio::spawn(async move {
            while let Some(op) = conn.ops.recv().await {
                if let Op::Msg { payload, .. } = op {
                    let now = now_us();
                    if let Ok(DeviceMessage::Frame(frame)) = serde_json::from_slice(&payload) {
                        tablet.received(&frame, now);
                    }
                }
            }
        }))
    }

    async fn device(
        &self,
        ward: &Ward,
        bed: &str,
        mut frames: mpsc::Receiver<RawFrame>,
        stats: Arc<LinkStats>,
    ) -> anyhow::Result<JoinHandle<()>> {
        let mut conn = Conn::open(&self.ws_url).await?;
        let subject = format!("ward.{}.{bed}", ward.id);
        let inbox = format!("_INBOX.{bed}");
        let jetstream = self.jetstream;
        if jetstream {
            conn.send(format!("SUB {inbox}.* 1\r\n").into_bytes())?;
            conn.flush().await?;
        }
        let Conn { tx, mut ops } = conn;
        let counter = {
            let stats = stats.clone();
            tokio::spawn(async move {
                while let Some(op) = ops.recv().await {
                    match op {
                        Op::Msg { payload, .. } if String::from_utf8_lossy(&payload).contains("\"error\"") => {
                            stats.rejected.fetch_add(1, Ordering::Relaxed);
                        }
                        Op::Msg { .. } | Op::Pong => {
                            stats.acked.fetch_add(1, Ordering::Relaxed);
                        }
                        Op::Err(e) => tracing::error!(error = %e, "nats-server"),
                    }
                }
            })
        };
        Ok(tokio::spawn(async move {
            let mut n = 0u64;
            while let Some(frame) = frames.recv().await {
                n += 1;
                let Ok(text) = serde_json::to_vec(&DeviceMessage::Frame(frame)) else { continue };
                let reply = jetstream.then(|| format!("{inbox}.{n}"));
                let mut op = pub_op(&subject, reply.as_deref(), &text);
                if !jetstream {
                    // Core NATS acknowledges nothing: a PING in the same
                    // WebSocket message, whose PONG says the frame was processed.
                    op.extend_from_slice(b"PING\r\n");
                }
                if tx.send(op).is_err() {
                    break;
                }
                stats.sent.fetch_add(1, Ordering::Relaxed);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while stats.get(&stats.acked) + stats.get(&stats.rejected) < stats.get(&stats.sent)
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            counter.abort();
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_split_across_websocket_messages_are_put_together() {
        let mut p = Parser::default();
        let (mut out, mut pings) = (Vec::new(), 0);
        p.push(b"INFO {}\r\nMSG ward.w1.b001 1 5\r\nhel", &mut out, &mut pings);
        assert!(out.is_empty());
        p.push(b"lo\r\nPING\r\nPONG\r\nMSG a 1 _INBOX.x 2\r\n{}\r\n-ERR 'Slow Consumer'\r\n", &mut out, &mut pings);
        assert_eq!(pings, 1);
        assert_eq!(
            out,
            vec![
                Op::Msg { subject: "ward.w1.b001".into(), payload: b"hello".to_vec() },
                Op::Pong,
                Op::Msg { subject: "a".into(), payload: b"{}".to_vec() },
                Op::Err("'Slow Consumer'".into()),
            ]
        );
        assert!(p.buf.is_empty());
    }

    #[test]
    fn a_payload_holding_crlf_is_read_by_its_length() {
        let mut p = Parser::default();
        let (mut out, mut pings) = (Vec::new(), 0);
        p.push(b"MSG s 1 4\r\na\r\nb\r\n", &mut out, &mut pings);
        assert_eq!(out, vec![Op::Msg { subject: "s".into(), payload: b"a\r\nb".to_vec() }]);
    }

    #[test]
    fn publishes_carry_the_length_and_the_reply_inbox() {
        assert_eq!(pub_op("ward.w1.b001", None, b"xy"), b"PUB ward.w1.b001 2\r\nxy\r\n");
        assert_eq!(pub_op("s", Some("_INBOX.b.1"), b""), b"PUB s _INBOX.b.1 0\r\n\r\n");
    }
}

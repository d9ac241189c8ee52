//! Mosquitto as a benchmark target: Debian's `mosquitto` started on a
//! loopback port with its defaults (persistence off, anonymous access, TCP
//! no-delay on), and a minimal MQTT 3.1.1 client: QoS 1 publishes from each
//! device (counted when PUBACKed), QoS 1 subscriptions to `ward/<w>/+` from
//! each tablet (each delivery PUBACKed). The payload is the frame exactly as
//! a Vigil device sends it.

use super::measure::now_us;
use super::measure::{free_ports, log_file, log_tail, program, Child};
use super::{Relay, Tablet, Ward};
use crate::device_link::LinkStats;
use anyhow::{bail, Context};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use vigil_shared::frame::RawFrame;
use vigil_shared::protocol::device::DeviceMessage;

const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
const PUBLISH: u8 = 0x30;
const PUBACK: u8 = 0x40;
const SUBSCRIBE: u8 = 0x82;
const SUBACK: u8 = 0x90;
const DISCONNECT: u8 = 0xE0;

/// A packet: fixed header byte, remaining length, body.
fn packet(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(first);
    let mut n = body.len();
    loop {
        let mut b = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            b |= 0x80;
        }
        out.push(b);
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    out
}

fn string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn connect_packet(client_id: &str) -> Vec<u8> {
    let mut body = Vec::new();
    string("MQTT", &mut body);
    // Protocol level 4 (3.1.1), clean session, no keep-alive.
    body.extend_from_slice(&[4, 0x02, 0, 0]);
    string(client_id, &mut body);
    packet(CONNECT, &body)
}

fn publish_qos1(topic: &str, id: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(topic.len() + payload.len() + 4);
    string(topic, &mut body);
    body.extend_from_slice(&id.to_be_bytes());
    body.extend_from_slice(payload);
    packet(PUBLISH | 0x02, &body)
}

fn puback(id: u16) -> Vec<u8> {
    packet(PUBACK, &id.to_be_bytes())
}

fn subscribe_qos1(id: u16, filter: &str) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    string(filter, &mut body);
    body.push(1);
    packet(SUBSCRIBE, &body)
}

/// Reads one packet: (fixed header byte, body).
async fn read_packet(r: &mut (impl AsyncRead + Unpin)) -> std::io::Result<(u8, Vec<u8>)> {
    let first = r.read_u8().await?;
    let (mut len, mut shift) = (0usize, 0);
    loop {
        let b = r.read_u8().await?;
        len |= ((b & 0x7F) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 21 {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "remaining length too long"));
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).await?;
    Ok((first, body))
}

/// An incoming PUBLISH: (packet id if QoS > 0, payload).
fn parse_publish(first: u8, body: &[u8]) -> Option<(Option<u16>, &[u8])> {
    let qos = (first >> 1) & 0x03;
    let topic_len = u16::from_be_bytes([*body.first()?, *body.get(1)?]) as usize;
    let mut at = 2 + topic_len;
    let id = if qos > 0 {
        let id = u16::from_be_bytes([*body.get(at)?, *body.get(at + 1)?]);
        at += 2;
        Some(id)
    } else {
        None
    };
    Some((id, body.get(at..)?))
}

async fn open(addr: &str, client_id: &str) -> anyhow::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await.context("connecting to mosquitto")?;
    s.set_nodelay(true)?;
    s.write_all(&connect_packet(client_id)).await?;
    let (first, body) = read_packet(&mut s).await?;
    if first != CONNACK || body.get(1) != Some(&0) {
        bail!("mosquitto refused the connection ({first:#x} {body:?})");
    }
    Ok(s)
}

pub(crate) struct Mosquitto {
    child: Child,
    addr: String,
}

impl Mosquitto {
    pub(crate) async fn start(dir: &Path) -> anyhow::Result<Self> {
        let [port] = free_ports()?;
        let dir = dir.join("mosquitto");
        std::fs::create_dir_all(&dir)?;
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n\
                 log_dest stderr\nlog_type error\nlog_type warning\n"
            ),
        )?;
        let child = std::process::Command::new(program("mosquitto"))
            .arg("-c")
            .arg(&conf)
            .stdout(std::process::Stdio::null())
            .stderr(log_file(&dir)?)
            .spawn()
            .context("starting mosquitto (Debian: apt-get install mosquitto; scripts/setup.sh --test installs it)")?;
        let relay = Mosquitto { child: Child(child, dir), addr: format!("127.0.0.1:{port}") };
        let started = Instant::now();
        while TcpStream::connect(&relay.addr).await.is_err() {
            if started.elapsed() > Duration::from_secs(10) {
                bail!("mosquitto did not listen on {} within 10 s: {}", relay.addr, log_tail(&relay.child.1));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(relay)
    }
}

#[async_trait::async_trait]
impl Relay for Mosquitto {
    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    async fn tablet(&self, ward: &Ward, tablet: Arc<Tablet>) -> anyhow::Result<JoinHandle<()>> {
        let client_id = format!("tablet-{}-{}", ward.id, Arc::as_ptr(&tablet) as usize);
        let s = open(&self.addr, &client_id).await?;
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        w.write_all(&subscribe_qos1(1, &format!("ward/{}/+", ward.id))).await?;
        let (first, body) = read_packet(&mut r).await?;
        if first != SUBACK || body.get(2) != Some(&1) {
            bail!("mosquitto refused the subscription ({first:#x} {body:?})");
        }
        Ok(tokio::spawn(async move {
            while let Ok((first, body)) = read_packet(&mut r).await {
                if first & 0xF0 != PUBLISH {
                    continue;
                }
                let now = now_us();
                let Some((id, payload)) = parse_publish(first, &body) else { continue };
                if let Ok(DeviceMessage::Frame(frame)) = serde_json::from_slice(payload) {
                    tablet.received(&frame, now);
                }
                if let Some(id) = id {
                    if w.write_all(&puback(id)).await.is_err() {
                        break;
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
        let s = open(&self.addr, &format!("device-{bed}")).await?;
        let (r, mut w) = s.into_split();
        let topic = format!("ward/{}/{bed}", ward.id);
        let reader = {
            let stats = stats.clone();
            tokio::spawn(async move {
                let mut r = BufReader::new(r);
                while let Ok((first, _)) = read_packet(&mut r).await {
                    if first == PUBACK {
                        stats.acked.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        };
        Ok(tokio::spawn(async move {
            let mut id: u16 = 0;
            while let Some(frame) = frames.recv().await {
                id = id.checked_add(1).unwrap_or(1);
                let Ok(text) = serde_json::to_vec(&DeviceMessage::Frame(frame)) else { continue };
                if w.write_all(&publish_qos1(&topic, id, &text)).await.is_err() {
                    break;
                }
                stats.sent.fetch_add(1, Ordering::Relaxed);
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while stats.get(&stats.acked) < stats.get(&stats.sent) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = w.write_all(&packet(DISCONNECT, &[])).await;
            reader.abort();
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn packets_round_trip_through_the_reader() {
        let payload = vec![7u8; 300];
        let bytes = publish_qos1("ward/w1/b001", 513, &payload);
        // 300 + 14 + 2 = 316 bytes of body: two length bytes.
        assert_eq!(&bytes[..3], &[0x32, 0xBC, 0x02]);
        let (first, body) = read_packet(&mut &bytes[..]).await.unwrap();
        let (id, got) = parse_publish(first, &body).unwrap();
        assert_eq!((id, got), (Some(513), &payload[..]));
    }

    #[test]
    fn connect_and_subscribe_are_3_1_1() {
        let c = connect_packet("d");
        assert_eq!(c, [0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 0, 0, 1, b'd']);
        assert_eq!(subscribe_qos1(1, "a/+"), [0x82, 8, 0, 1, 0, 3, b'a', b'/', b'+', 1]);
        assert_eq!(puback(258), [0x40, 2, 1, 2]);
    }
}

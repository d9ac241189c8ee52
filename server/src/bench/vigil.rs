//! Vigil as a benchmark target: `vigil serve` as a child process on loopback
//! with a fresh database, devices on the real device protocol (at-least-once,
//! through [`crate::device_link`]), tablets on the app's live protocol,
//! signed in as a clinician of every ward.

use super::measure::{free_ports, Child};
use super::{Relay, Tablet, Ward};
use crate::demo::SimDevice;
use crate::device_link::{self, LinkConfig, LinkStats};
use crate::store::rows::{NewBed, NewWard};
use crate::store::Store;
use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use vigil_shared::frame::RawFrame;
use vigil_shared::protocol::live::{ClientMessage, ServerMessage};

pub(crate) async fn health(addr: &str) -> Option<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").await.ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).await.ok()?;
    serde_json::from_str(out.split_once("\r\n\r\n")?.1).ok()
}

/// Wards of 16 beds (w1 = b001..b016, ...), each bed with a registered device.
pub(crate) async fn provision(db: &Path, beds: usize, arterial_line: bool) -> anyhow::Result<Vec<SimDevice>> {
    let store = Store::open(db, Box::new(|_| {}))?;
    let mut devices = Vec::new();
    for ward in super::wards(beds) {
        store
            .create_ward(NewWard {
                id: ward.id.clone(),
                name: format!("bench {}", ward.id),
                beds: ward
                    .beds
                    .iter()
                    .map(|b| NewBed {
                        admitted_at: None,
                        id: b.clone(),
                        label: format!("Bed {}", &b[1..]),
                        patient: None,
                    })
                    .collect(),
            })
            .await?;
        for bed in ward.beds {
            let device = format!("bench-{bed}");
            let token = store.register_device(&device, &bed).await?;
            devices.push(SimDevice { bed, device, token, scenario: "stable".into(), arterial_line, history: false });
        }
    }
    Ok(devices)
}

pub(crate) struct VigilRelay {
    child: Child,
    addr: String,
    session: String,
    tokens: std::collections::HashMap<String, String>,
}

impl VigilRelay {
    pub(crate) async fn start(dir: &Path, wards: &[Ward], arterial_line: bool) -> anyhow::Result<Self> {
        let db = dir.join("bench.db");
        let beds = wards.iter().map(|w| w.beds.len()).sum();
        let devices = provision(&db, beds, arterial_line).await?;
        let session = {
            let store = Store::open(&db, Box::new(|_| {}))?;
            let ids: Vec<&str> = wards.iter().map(|w| w.id.as_str()).collect();
            crate::auth::tool_session(&store, "bench-tablet", crate::auth::Role::Clinician, &ids).await?
        };
        let [port] = free_ports()?;
        let addr = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(std::env::current_exe()?)
            .args(["serve", "--listen", &addr, "--site-root"])
            .arg(dir.join("site"))
            .arg("--database")
            .arg(&db)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("starting vigil serve")?;
        let child = Child(child, dir.join("vigil"));
        let started = Instant::now();
        while health(&addr).await.is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("vigil serve did not answer /health within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let tokens = devices.into_iter().map(|d| (d.bed, d.token)).collect();
        Ok(VigilRelay { child, addr, session, tokens })
    }
}

#[async_trait::async_trait]
impl Relay for VigilRelay {
    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    async fn tablet(&self, ward: &Ward, tablet: Arc<Tablet>) -> anyhow::Result<JoinHandle<()>> {
        let mut req = format!("ws://{}/ws/live", self.addr).into_client_request()?;
        req.headers_mut().insert("cookie", format!("{}={}", crate::auth::COOKIE, self.session).parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.context("tablet connecting to vigil")?;
        let sub =
            ClientMessage::Subscribe { beds: ward.beds.clone(), since: Default::default(), recent_seconds: Some(0) };
        ws.send(Message::Text(serde_json::to_string(&sub)?.into())).await?;
        // Subscribed once every bed is caught up (nothing stored yet: at once).
        let mut waiting = ward.beds.len();
        while waiting > 0 {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Ok(ServerMessage::CaughtUp { .. }) = serde_json::from_str(&text) {
                        waiting -= 1;
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => bail!("tablet subscription to {} did not complete: {other:?}", ward.id),
            }
        }
        Ok(tokio::spawn(async move {
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let now = super::measure::now_us();
                if let Ok(ServerMessage::Frame { frame, .. }) = serde_json::from_str::<ServerMessage>(&text) {
                    tablet.received(&RawFrame::from(frame), now);
                }
            }
        }))
    }

    async fn device(
        &self,
        _ward: &Ward,
        bed: &str,
        frames: mpsc::Receiver<RawFrame>,
        stats: Arc<LinkStats>,
    ) -> anyhow::Result<JoinHandle<()>> {
        let token = self.tokens.get(bed).context("no device registered for the bed")?.clone();
        let config = LinkConfig { url: format!("ws://{}/ws/device", self.addr), token, max_pending: 4_800 };
        let link = {
            let stats = stats.clone();
            tokio::spawn(async move {
                if let Err(e) = device_link::run(config, frames, stats, Duration::from_secs(5)).await {
                    tracing::error!(error = %e, "bench device link failed");
                }
            })
        };
        // Connected before the load starts, as the peers' devices are.
        let started = Instant::now();
        while stats.get(&stats.connects) == 0 {
            if started.elapsed() > Duration::from_secs(10) || link.is_finished() {
                bail!("the bench device of {bed} did not connect to vigil within 10 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(link)
    }
}

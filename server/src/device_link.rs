//! The device side of protocol v1: send frames, keep each until the server
//! acknowledges it, reconnect with back-off and resend what is unacknowledged.
//! The simulator, the replay and the benchmark all stream through this.

use futures_util::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use vigil_shared::frame::RawFrame;
use vigil_shared::protocol::device::{DeviceMessage, ServerToDevice};

/// Counters a link keeps; shared so a caller can watch them.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    /// Unacknowledged frames dropped because the buffer was full.
    pub dropped: AtomicU64,
    pub connects: AtomicU64,
}

impl LinkStats {
    pub fn get(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// `ws://host:port/ws/device`
    pub url: String,
    pub token: String,
    /// Unacknowledged frames kept at most; when full the oldest is dropped and
    /// counted (4 frames/s: 4,800 is 20 minutes of outage).
    pub max_pending: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the server refused the device token (HTTP {0})")]
    Refused(StatusCode),
    #[error("bad server address: {0}")]
    Url(String),
}

struct Pending {
    seq: u64,
    text: String,
}

/// Runs until `frames` closes and everything sent was acknowledged, or
/// `drain_timeout` after `frames` closed (the server unreachable, or
/// connected and not acknowledging).
pub async fn run(
    config: LinkConfig,
    mut frames: mpsc::Receiver<RawFrame>,
    stats: Arc<LinkStats>,
    drain_timeout: Duration,
) -> Result<(), LinkError> {
    let mut pending: VecDeque<Pending> = VecDeque::new();
    let mut input_open = true;
    let mut backoff = Duration::from_millis(200);
    let mut closed_at: Option<tokio::time::Instant> = None;
    loop {
        if !input_open && pending.is_empty() {
            return Ok(());
        }
        if !input_open && closed_at.is_some_and(|t| t.elapsed() >= drain_timeout) {
            tracing::warn!(unacknowledged = pending.len(), "giving up on unacknowledged frames");
            return Ok(());
        }
        let mut request = config.url.as_str().into_client_request().map_err(|e| LinkError::Url(e.to_string()))?;
        let bearer =
            HeaderValue::from_str(&format!("Bearer {}", config.token)).map_err(|e| LinkError::Url(e.to_string()))?;
        request.headers_mut().insert(header::AUTHORIZATION, bearer);
        match tokio_tungstenite::connect_async(request).await {
            Ok((ws, _)) => {
                stats.connects.fetch_add(1, Ordering::Relaxed);
                backoff = Duration::from_millis(200);
                let (mut sink, mut stream) = ws.split();
                // Resend everything unacknowledged, in order, after the welcome.
                let mut welcomed = false;
                let result: Result<(), ()> = async {
                    loop {
                        // Once the input is closed, unacknowledged frames are
                        // waited for at most `drain_timeout`, connected or not.
                        let drain_until = closed_at.map(|t| t + drain_timeout);
                        tokio::select! {
                            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)), if drain_until.is_some() => {
                                return Err(());
                            }
                            frame = frames.recv(), if input_open && welcomed => match frame {
                                Some(raw) => {
                                    let text = serde_json::to_string(&DeviceMessage::Frame(raw.clone())).map_err(|_| ())?;
                                    push(&mut pending, Pending { seq: raw.seq, text: text.clone() }, config.max_pending, &stats);
                                    sink.send(Message::Text(text.into())).await.map_err(|_| ())?;
                                    stats.sent.fetch_add(1, Ordering::Relaxed);
                                }
                                None => {
                                    input_open = false;
                                    closed_at = Some(tokio::time::Instant::now());
                                    if pending.is_empty() {
                                        let _ = sink.send(Message::Close(None)).await;
                                        return Ok(());
                                    }
                                }
                            },
                            msg = stream.next() => {
                                let Some(Ok(msg)) = msg else { return Err(()) };
                                let Message::Text(text) = msg else { continue };
                                match serde_json::from_str::<ServerToDevice>(&text) {
                                    Ok(ServerToDevice::Welcome { last_stored_seq, .. }) => {
                                        if let Some(last) = last_stored_seq {
                                            // Stored before the link broke, its ack lost on the way:
                                            // the welcome acknowledges them.
                                            let before = pending.len();
                                            pending.retain(|p| p.seq > last);
                                            let confirmed = (before - pending.len()) as u64;
                                            stats.acked.fetch_add(confirmed, Ordering::Relaxed);
                                            stats.duplicates.fetch_add(confirmed, Ordering::Relaxed);
                                        }
                                        for p in &pending {
                                            sink.send(Message::Text(p.text.clone().into())).await.map_err(|_| ())?;
                                            stats.sent.fetch_add(1, Ordering::Relaxed);
                                        }
                                        welcomed = true;
                                    }
                                    Ok(ServerToDevice::Ack { seq, duplicate }) => {
                                        if let Some(i) = pending.iter().position(|p| p.seq == seq) {
                                            pending.remove(i);
                                            stats.acked.fetch_add(1, Ordering::Relaxed);
                                            if duplicate {
                                                stats.duplicates.fetch_add(1, Ordering::Relaxed);
                                            }
                                        }
                                    }
                                    Ok(ServerToDevice::Reject { seq, error }) => {
                                        tracing::warn!(?seq, %error, "server rejected a frame");
                                        stats.rejected.fetch_add(1, Ordering::Relaxed);
                                        if let Some(i) = seq.and_then(|s| pending.iter().position(|p| p.seq == s)) {
                                            pending.remove(i);
                                        }
                                    }
                                    Err(e) => tracing::warn!(error = %e, "unreadable server message"),
                                }
                                if !input_open && pending.is_empty() {
                                    let _ = sink.send(Message::Close(None)).await;
                                    return Ok(());
                                }
                            }
                        }
                    }
                }
                .await;
                if result.is_ok() {
                    return Ok(());
                }
                tracing::info!(unacknowledged = pending.len(), "device link lost; reconnecting");
            }
            Err(WsError::Http(resp)) if matches!(resp.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                return Err(LinkError::Refused(resp.status()));
            }
            Err(e) => tracing::debug!(error = %e, "device connect failed"),
        }
        // Keep taking frames while waiting, so nothing measured is lost.
        let wait = tokio::time::sleep(jitter(backoff));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                frame = frames.recv(), if input_open => match frame {
                    Some(raw) => {
                        if let Ok(text) = serde_json::to_string(&DeviceMessage::Frame(raw.clone())) {
                            push(&mut pending, Pending { seq: raw.seq, text }, config.max_pending, &stats);
                        }
                    }
                    None => { input_open = false; closed_at = Some(tokio::time::Instant::now()); }
                },
            }
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn push(pending: &mut VecDeque<Pending>, p: Pending, max: usize, stats: &LinkStats) {
    if pending.len() >= max {
        pending.pop_front();
        let n = stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 || n.is_multiple_of(1000) {
            tracing::warn!(dropped = n, "device buffer full: oldest unacknowledged frames dropped");
        }
    }
    pending.push_back(p);
}

/// Back-off with +-25 % jitter so that devices do not reconnect in lockstep.
fn jitter(d: Duration) -> Duration {
    use rand::Rng;
    d.mul_f64(rand::thread_rng().gen_range(0.75..1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_never_acknowledges_is_waited_for_only_the_drain_timeout() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let welcome =
                ServerToDevice::Welcome { protocol: 1, device: "d".into(), bed: "b".into(), last_stored_seq: None };
            ws.send(Message::Text(serde_json::to_string(&welcome).unwrap().into())).await.unwrap();
            // Reads frames, acknowledges none, never closes.
            while ws.next().await.is_some() {}
        });
        let (tx, rx) = mpsc::channel(4);
        let stats = Arc::new(LinkStats::default());
        let config = LinkConfig { url: format!("ws://{addr}/ws/device"), token: "t".into(), max_pending: 10 };
        let link = tokio::spawn(run(config, rx, stats.clone(), Duration::from_millis(300)));
        tx.send(RawFrame { seq: 1, numerics: vec![], waves: vec![], technical: vec![] }).await.unwrap();
        while stats.get(&stats.sent) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(tx);
        let ended = tokio::time::timeout(Duration::from_secs(5), link).await;
        assert!(ended.is_ok(), "the link kept waiting for an acknowledgement that never came");
        assert_eq!((stats.get(&stats.sent), stats.get(&stats.acked)), (1, 0));
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_frame_and_counts_it() {
        let stats = LinkStats::default();
        let mut pending = VecDeque::new();
        for seq in 1..=5 {
            push(&mut pending, Pending { seq, text: format!("f{seq}") }, 3, &stats);
        }
        let kept: Vec<u64> = pending.iter().map(|p| p.seq).collect();
        assert_eq!(kept, vec![3, 4, 5], "the newest are kept: the present matters most at a bedside");
        assert_eq!(stats.get(&stats.dropped), 2);
    }
}

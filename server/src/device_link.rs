//! The device side of protocol v1: send frames, keep each until the server
//! acknowledges it, reconnect with back-off and resend what is unacknowledged.
//! The simulator, the replay and the benchmark all stream through this.
//!
//! Numbering: the caller numbers its frames 1, 2, 3, ... from wherever it
//! starts; a link that starts (a device that restarted and lost its counter)
//! learns from the first `welcome` what the server has stored and, if the
//! caller's numbers would reuse stored ones, shifts them all past
//! `last_stored_seq`. A `reject` with code `seq_reused` (another frame under
//! that number is stored) shifts them again on the next connection. Nothing
//! measured is acknowledged and then dropped.
//!
//! Frames the server can never accept are given up, counted and logged, not
//! retried for ever: a `reject`, a message over the protocol's size limit
//! (never sent), and the frame the server closed the connection on with code
//! 1009 ("message too big").

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

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
use vigil_shared::protocol::device::{DeviceMessage, RejectCode, ServerToDevice, MAX_DEVICE_MESSAGE_BYTES};

/// Counters a link keeps; shared so a caller can watch them.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    /// Unacknowledged frames dropped because the buffer was full.
    pub dropped: AtomicU64,
    /// Frames given up as too large for any server of protocol v1.
    pub too_large: AtomicU64,
    /// Times the link shifted its numbers past what the server had stored.
    pub renumbered: AtomicU64,
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
    /// The number on the wire (the caller's, shifted by the link's offset).
    seq: u64,
    raw: RawFrame,
    text: String,
}

/// How the caller's numbers map to the wire: `wire = caller + offset`.
#[derive(Debug, Default)]
struct Numbering {
    /// Fixed at the first welcome (or the first frame after it).
    offset: Option<u64>,
    /// The server's `last_stored_seq` at the first welcome.
    floor: u64,
    /// A `seq_reused` reject: shift past the server's numbers at the next welcome.
    shift_at_welcome: bool,
    /// Times the numbers moved past the server's.
    moves: u64,
}

impl Numbering {
    /// The offset for a caller's frame numbered `seq`, fixing it if unset.
    fn offset_for(&mut self, seq: u64) -> u64 {
        if let Some(offset) = self.offset {
            return offset;
        }
        let offset = if seq > self.floor { 0 } else { self.floor.saturating_add(1).saturating_sub(seq) };
        if offset > 0 {
            self.moves = self.moves.saturating_add(1);
            tracing::warn!(floor = self.floor, offset, "frame numbers start past what the server has stored (a restart lost the counter)");
        }
        self.offset = Some(offset);
        offset
    }
}

/// The wire message of a frame under the link's numbering.
fn render(raw: &RawFrame, numbering: &mut Numbering) -> Option<Pending> {
    let offset = numbering.offset_for(raw.seq);
    let mut wire = raw.clone();
    wire.seq = raw.seq.checked_add(offset)?;
    let seq = wire.seq;
    let text = serde_json::to_string(&DeviceMessage::Frame(wire)).ok()?;
    Some(Pending { seq, raw: raw.clone(), text })
}

/// What a welcome does to the link's queue: the first fixes the numbering
/// (from the server's `last_stored_seq`) before any frame taken while
/// disconnected is numbered; after a `seq_reused` every unacknowledged frame
/// moves past the server's numbers; then those at or below
/// `last_stored_seq` count as stored (their acks were lost on the way).
/// One link per device token: two processes streaming as one device would
/// take each other's stored frames for their own.
fn welcome(
    pending: &mut VecDeque<Pending>,
    early: &mut VecDeque<RawFrame>,
    numbering: &mut Numbering,
    last_stored_seq: Option<u64>,
    max_pending: usize,
    stats: &LinkStats,
) {
    if numbering.offset.is_none() {
        numbering.floor = last_stored_seq.unwrap_or(0);
    }
    while let Some(raw) = early.pop_front() {
        match render(&raw, numbering) {
            Some(p) => push(pending, p, max_pending, stats),
            None => unnumbered(&raw, stats),
        }
    }
    if on_welcome(pending, numbering, last_stored_seq) {
        tracing::warn!(last_stored_seq, "frame numbers moved past what the server has stored");
    }
    stats.renumbered.store(numbering.moves, Ordering::Relaxed);
    pending.retain(|p| fits(p, stats));
    if let Some(last) = last_stored_seq {
        let before = pending.len();
        pending.retain(|p| p.seq > last);
        let confirmed = before.saturating_sub(pending.len()) as u64;
        stats.acked.fetch_add(confirmed, Ordering::Relaxed);
        stats.duplicates.fetch_add(confirmed, Ordering::Relaxed);
    }
}

/// A frame whose number would pass 2^64 under the link's offset: given up,
/// counted and logged.
fn unnumbered(raw: &RawFrame, stats: &LinkStats) {
    stats.rejected.fetch_add(1, Ordering::Relaxed);
    tracing::error!(seq = raw.seq, "frame number out of range after renumbering; given up");
}

/// At a welcome: the first fixes the numbering; after a `seq_reused`, every
/// unacknowledged frame moves past `last`. Returns whether numbers moved.
fn on_welcome(pending: &mut VecDeque<Pending>, numbering: &mut Numbering, last: Option<u64>) -> bool {
    let last = last.unwrap_or(0);
    if numbering.offset.is_none() {
        numbering.floor = last;
        if let Some(first) = pending.front().map(|p| p.raw.seq) {
            numbering.offset_for(first);
        }
    } else if numbering.shift_at_welcome {
        numbering.shift_at_welcome = false;
        let lowest = pending.iter().map(|p| p.seq).min().unwrap_or(u64::MAX);
        if lowest <= last {
            let offset = numbering.offset.unwrap_or(0);
            numbering.offset = Some(offset.saturating_add(last.saturating_add(1).saturating_sub(lowest)));
            numbering.moves = numbering.moves.saturating_add(1);
        } else {
            return false;
        }
    } else {
        return false;
    }
    let before: Vec<u64> = pending.iter().map(|p| p.seq).collect();
    let frames: Vec<RawFrame> = pending.drain(..).map(|p| p.raw).collect();
    pending.extend(frames.iter().filter_map(|raw| render(raw, numbering)));
    before != pending.iter().map(|p| p.seq).collect::<Vec<_>>()
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
    // Frames taken before the first welcome, kept until the numbering is known.
    let mut early: VecDeque<RawFrame> = VecDeque::new();
    let mut numbering = Numbering::default();
    let mut input_open = true;
    let mut backoff = Duration::from_millis(200);
    let mut closed_at: Option<tokio::time::Instant> = None;
    loop {
        if !input_open && pending.is_empty() && early.is_empty() {
            return Ok(());
        }
        if !input_open && closed_at.is_some_and(|t| t.elapsed() >= drain_timeout) {
            tracing::warn!(unacknowledged = pending.len().saturating_add(early.len()), "giving up on unacknowledged frames");
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
                // Frames refused as `seq_reused` on this connection: once every
                // frame sent has its answer, reconnect to renumber them.
                let mut reused: std::collections::BTreeSet<u64> = std::collections::BTreeSet::new();
                let result: Result<(), ()> = async {
                    loop {
                        // Once the input is closed, unacknowledged frames are
                        // waited for at most `drain_timeout`, connected or not.
                        let drain_until = closed_at.and_then(|t| t.checked_add(drain_timeout));
                        tokio::select! {
                            _ = tokio::time::sleep_until(drain_until.unwrap_or_else(tokio::time::Instant::now)), if drain_until.is_some() => {
                                return Err(());
                            }
                            frame = frames.recv(), if input_open && welcomed && reused.is_empty() => match frame {
                                Some(raw) => {
                                    let p = render(&raw, &mut numbering);
                                    stats.renumbered.store(numbering.moves, Ordering::Relaxed);
                                    let Some(p) = p else { unnumbered(&raw, &stats); continue };
                                    if !fits(&p, &stats) {
                                        continue;
                                    }
                                    let text = p.text.clone();
                                    push(&mut pending, p, config.max_pending, &stats);
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
                                let text = match msg {
                                    Message::Text(text) => text,
                                    Message::Close(Some(close)) if u16::from(close.code) == 1009 => {
                                        // The server reads in order and acknowledged everything
                                        // before it: the oldest unacknowledged frame is the one.
                                        if let Some(p) = pending.pop_front() {
                                            stats.too_large.fetch_add(1, Ordering::Relaxed);
                                            tracing::warn!(seq = p.seq, bytes = p.text.len(), reason = %close.reason,
                                                "the server closed on a frame too large for it; giving it up");
                                        }
                                        return Err(());
                                    }
                                    Message::Close(_) => return Err(()),
                                    _ => continue,
                                };
                                match serde_json::from_str::<ServerToDevice>(&text) {
                                    Ok(ServerToDevice::Welcome { last_stored_seq, .. }) => {
                                        welcome(&mut pending, &mut early, &mut numbering, last_stored_seq, config.max_pending, &stats);
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
                                    Ok(ServerToDevice::Reject { seq, error, code: RejectCode::SeqReused }) => {
                                        // Nothing was stored: keep the frame, move past the
                                        // server's numbers on the next connection, once every
                                        // frame already sent has its answer (the acks of those
                                        // stored must not be lost, or they would be stored twice).
                                        tracing::warn!(?seq, %error, "the server holds other frames under our numbers; renumbering");
                                        numbering.shift_at_welcome = true;
                                        reused.extend(seq);
                                    }
                                    Ok(ServerToDevice::Reject { seq, error, code }) => {
                                        tracing::warn!(?seq, %error, "server rejected a frame; giving it up");
                                        let counter = if code == RejectCode::TooLarge { &stats.too_large } else { &stats.rejected };
                                        counter.fetch_add(1, Ordering::Relaxed);
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
                                if !reused.is_empty() && pending.iter().all(|p| reused.contains(&p.seq)) {
                                    let _ = sink.send(Message::Close(None)).await;
                                    return Err(());
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
                        if numbering.offset.is_some() {
                            match render(&raw, &mut numbering) {
                                Some(p) if fits(&p, &stats) => push(&mut pending, p, config.max_pending, &stats),
                                Some(_) => {}
                                None => unnumbered(&raw, &stats),
                            }
                        } else {
                            if early.len() >= config.max_pending {
                                early.pop_front();
                                stats.dropped.fetch_add(1, Ordering::Relaxed);
                            }
                            early.push_back(raw);
                        }
                    }
                    None => { input_open = false; closed_at = Some(tokio::time::Instant::now()); }
                },
            }
        }
        backoff = backoff.saturating_mul(2).min(Duration::from_secs(5));
    }
}

/// Whether a frame's message is within the protocol's size limit; one that
/// is not is given up (counted, logged): no server of protocol v1 takes it.
fn fits(p: &Pending, stats: &LinkStats) -> bool {
    if p.text.len() <= MAX_DEVICE_MESSAGE_BYTES {
        return true;
    }
    stats.too_large.fetch_add(1, Ordering::Relaxed);
    tracing::warn!(seq = p.seq, bytes = p.text.len(), limit = MAX_DEVICE_MESSAGE_BYTES, "frame too large to send; given up");
    false
}

fn push(pending: &mut VecDeque<Pending>, p: Pending, max: usize, stats: &LinkStats) {
    if pending.len() >= max {
        pending.pop_front();
        let n = stats.dropped.fetch_add(1, Ordering::Relaxed).saturating_add(1);
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
            let raw = RawFrame { seq, numerics: vec![], waves: vec![], technical: vec![] };
            push(&mut pending, Pending { seq, raw, text: format!("f{seq}") }, 3, &stats);
        }
        let kept: Vec<u64> = pending.iter().map(|p| p.seq).collect();
        assert_eq!(kept, vec![3, 4, 5], "the newest are kept: the present matters most at a bedside");
        assert_eq!(stats.get(&stats.dropped), 2);
    }

    fn frames(seqs: std::ops::RangeInclusive<u64>) -> Vec<RawFrame> {
        seqs.map(|seq| RawFrame { seq, numerics: vec![], waves: vec![], technical: vec![] }).collect()
    }

    fn queued(raws: &[RawFrame], numbering: &mut Numbering) -> VecDeque<Pending> {
        raws.iter().filter_map(|r| render(r, numbering)).collect()
    }

    fn wire(pending: &VecDeque<Pending>) -> Vec<u64> {
        pending.iter().map(|p| p.seq).collect()
    }

    #[test]
    fn a_device_that_lost_its_counter_numbers_past_what_the_server_stored() {
        // A restart: the caller numbers from 1 again; the server has up to 500.
        let mut numbering = Numbering::default();
        let mut pending = VecDeque::new();
        let early = frames(1..=3);
        for raw in &early {
            pending.push_back(Pending { seq: raw.seq, raw: raw.clone(), text: String::new() });
        }
        assert!(on_welcome(&mut pending, &mut numbering, Some(500)));
        assert_eq!(wire(&pending), vec![501, 502, 503]);
        assert!(pending[0].text.contains(r#""seq":501"#), "{}", pending[0].text);
        // Later frames follow on, and a plain reconnect changes nothing.
        let next = render(&frames(4..=4)[0], &mut numbering).unwrap();
        assert_eq!(next.seq, 504);
        pending.push_back(next);
        assert!(!on_welcome(&mut pending, &mut numbering, Some(502)));
        assert_eq!(wire(&pending), vec![501, 502, 503, 504]);
    }

    #[test]
    fn a_device_whose_numbers_are_ahead_keeps_them() {
        let mut numbering = Numbering::default();
        let mut pending = VecDeque::new();
        assert!(!on_welcome(&mut pending, &mut numbering, Some(500)));
        let p = render(&frames(1_790_000_000_000..=1_790_000_000_000)[0], &mut numbering).unwrap();
        assert_eq!(p.seq, 1_790_000_000_000, "a replay numbered from the clock is left alone");
        let mut fresh = Numbering::default();
        assert!(!on_welcome(&mut pending, &mut fresh, None));
        assert_eq!(render(&frames(1..=1)[0], &mut fresh).unwrap().seq, 1);
    }

    #[test]
    fn a_seq_reused_reject_moves_every_unacknowledged_frame_past_the_server() {
        let mut numbering = Numbering::default();
        on_welcome(&mut VecDeque::new(), &mut numbering, Some(10));
        let mut pending = queued(&frames(1..=3), &mut numbering);
        assert_eq!(wire(&pending), vec![11, 12, 13]);
        // Meanwhile another instance of the device stored up to 20.
        numbering.shift_at_welcome = true;
        assert!(on_welcome(&mut pending, &mut numbering, Some(20)));
        assert_eq!(wire(&pending), vec![21, 22, 23]);
        assert_eq!(render(&frames(4..=4)[0], &mut numbering).unwrap().seq, 24);
    }

    #[test]
    fn a_frame_over_the_protocol_limit_is_given_up_and_counted() {
        let stats = LinkStats::default();
        let big = Pending {
            seq: 1,
            raw: frames(1..=1).remove(0),
            text: "x".repeat(MAX_DEVICE_MESSAGE_BYTES + 1),
        };
        assert!(!fits(&big, &stats));
        assert_eq!(stats.get(&stats.too_large), 1);
        let small = Pending { seq: 2, raw: frames(2..=2).remove(0), text: "{}".into() };
        assert!(fits(&small, &stats));
    }

    #[test]
    fn frames_taken_before_the_first_welcome_are_numbered_past_the_server() {
        // The device restarts with the server unreachable: its first frames
        // wait, unnumbered; the welcome then says 500 are stored.
        let stats = LinkStats::default();
        let (mut pending, mut early, mut numbering) = (VecDeque::new(), VecDeque::from(frames(1..=3)), Numbering::default());
        welcome(&mut pending, &mut early, &mut numbering, Some(500), 100, &stats);
        assert_eq!(wire(&pending), vec![501, 502, 503], "none may be taken as stored");
        assert_eq!((stats.get(&stats.acked), stats.get(&stats.renumbered)), (0, 1));
        // A later reconnect that finds 502 stored confirms 501 and 502 only.
        welcome(&mut pending, &mut early, &mut numbering, Some(502), 100, &stats);
        assert_eq!(wire(&pending), vec![503]);
        assert_eq!(stats.get(&stats.acked), 2);
    }

    #[tokio::test]
    async fn after_a_seq_reused_reject_the_link_waits_for_every_answer_before_renumbering() {
        // A server that holds other frames under 1 and 3 and stores 2 (it
        // answers once all three have arrived, so the link has sent them all),
        // then, on the second connection, says 2 is its newest and stores what
        // comes.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let mut received: Vec<Vec<u64>> = Vec::new();
            for (connection, last) in [(0, None), (1, Some(2))] {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                let welcome = ServerToDevice::Welcome { protocol: 1, device: "d".into(), bed: "b".into(), last_stored_seq: last };
                ws.send(Message::Text(serde_json::to_string(&welcome).unwrap().into())).await.unwrap();
                let mut seqs = Vec::new();
                while seqs.len() < if connection == 0 { 3 } else { 2 } {
                    let Some(Ok(Message::Text(t))) = ws.next().await else { break };
                    let DeviceMessage::Frame(f) = serde_json::from_str(&t).unwrap();
                    seqs.push(f.seq);
                }
                for &seq in &seqs {
                    let reply = if connection == 0 && seq != 2 {
                        ServerToDevice::Reject { seq: Some(seq), error: "reused".into(), code: RejectCode::SeqReused }
                    } else {
                        ServerToDevice::Ack { seq, duplicate: false }
                    };
                    ws.send(Message::Text(serde_json::to_string(&reply).unwrap().into())).await.unwrap();
                }
                // Until the link closes.
                while let Some(Ok(m)) = ws.next().await {
                    if m.is_close() {
                        break;
                    }
                }
                received.push(seqs);
            }
            received
        });
        let (tx, rx) = mpsc::channel(8);
        for raw in frames(1..=3) {
            tx.send(raw).await.unwrap();
        }
        drop(tx);
        let stats = Arc::new(LinkStats::default());
        let config = LinkConfig { url: format!("ws://{addr}/ws/device"), token: "t".into(), max_pending: 10 };
        tokio::time::timeout(Duration::from_secs(20), run(config, rx, stats.clone(), Duration::from_secs(10)))
            .await
            .expect("the link finished")
            .unwrap();
        let received = server.await.unwrap();
        assert_eq!(received, vec![vec![1, 2, 3], vec![3, 5]], "2 was stored: it is not sent again");
        assert_eq!((stats.get(&stats.acked), stats.get(&stats.duplicates), stats.get(&stats.rejected)), (3, 0, 0));
    }
}

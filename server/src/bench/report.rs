//! The figures of a benchmark run, printed side by side.

use super::measure::{percentile, LATE_MS};
use super::Target;

#[derive(Debug, Default)]
pub struct Report {
    pub target: Target,
    pub beds: usize,
    pub tablets: usize,
    pub measured_s: f64,
    /// Every timed frame's latency at every tablet, sorted (ms).
    pub latencies_ms: Vec<f64>,
    pub frames_generated: u64,
    pub frames_sent: u64,
    /// Frames the relay acknowledged (Vigil: stored; Mosquitto: PUBACK;
    /// JetStream: PubAck; core NATS: flushed, as it acknowledges nothing).
    pub frames_acked: u64,
    /// Sum over tablets of the acknowledged frames of the tablet's ward.
    pub frames_expected: u64,
    pub frames_received: u64,
    pub missing: u64,
    /// Timed frames slower than [`LATE_MS`].
    pub late: u64,
    pub rejected: u64,
    /// Frames dropped because the relay fell behind: by the generator (its
    /// device not reading) or by the device's own buffer.
    pub dropped: u64,
    pub samples_in_per_s: f64,
    /// Mean JSON size of a frame as every relay carries it (bytes).
    pub payload_bytes: f64,
    pub samples_out_per_s: f64,
    pub server_cpu_percent: f64,
    pub client_cpu_percent: f64,
    pub server_rss_kib: u64,
    pub server_peak_rss_kib: u64,
}

impl Report {
    pub fn p(&self, q: f64) -> f64 {
        percentile(&self.latencies_ms, q)
    }

    /// Frames missing at a tablet, or never acknowledged (dropped by the
    /// generator or the device, refused, or still unanswered at the end).
    pub fn lost(&self) -> u64 {
        self.missing + self.frames_generated.saturating_sub(self.frames_acked)
    }

    /// Nothing lost, and p99 within [`LATE_MS`].
    pub fn held(&self) -> bool {
        self.lost() == 0 && !self.latencies_ms.is_empty() && self.p(0.99) <= LATE_MS
    }

    pub fn header() -> String {
        format!(
            "{:<15} {:>5} {:>7} {:>7} {:>7} {:>7} {:>8} {:>11} {:>11} {:>8} {:>6} {:>7} {:>7} {:>9}",
            "target",
            "beds",
            "tablets",
            "p50 ms",
            "p99 ms",
            "p99.9",
            "max ms",
            "in samp/s",
            "out samp/s",
            "lost",
            "late",
            "relay %",
            "load %",
            "RSS MiB"
        )
    }

    pub fn line(&self) -> String {
        format!(
            "{:<15} {:>5} {:>7} {:>7.1} {:>7.1} {:>7.1} {:>8.1} {:>11.0} {:>11.0} {:>8} {:>6} {:>7.1} {:>7.1} {:>4}/{:<4}",
            self.target.name(),
            self.beds,
            self.tablets,
            self.p(0.5),
            self.p(0.99),
            self.p(0.999),
            self.latencies_ms.last().copied().unwrap_or(f64::NAN),
            self.samples_in_per_s,
            self.samples_out_per_s,
            self.lost(),
            self.late,
            self.server_cpu_percent,
            self.client_cpu_percent,
            self.server_rss_kib / 1024,
            self.server_peak_rss_kib / 1024,
        )
    }

    pub fn print_line(&self) {
        println!("{}", self.line());
    }

    /// A table of runs with the same load, and what each target did.
    pub fn print_table(reports: &[Report], warmup_s: u64) {
        if let Some(r) = reports.first() {
            println!(
                "vigil bench: {} beds ({} wards of up to 16), {} tablets, {:.0} s measured after {} s warm-up; \
                 frames of {:.0} bytes of JSON, the same through every relay",
                r.beds,
                r.beds.div_ceil(super::WARD_BEDS),
                r.tablets,
                r.measured_s,
                warmup_s,
                r.payload_bytes
            );
        }
        println!("{}", Self::header());
        for r in reports {
            r.print_line();
        }
        println!("  latency: device send (just after the newest sample) -> tablet receive; late = over {LATE_MS} ms");
        println!("  lost: frames acknowledged to a device but never received by a tablet of its ward, plus frames");
        println!(
            "           dropped, refused or never acknowledged; relay % / load %: CPU of the relay process and of"
        );
        println!("           this load generator (devices + tablets), in % of one core; RSS now/peak");
        for r in reports {
            println!(
                "  {:<15} frames: {} generated, {} acknowledged ({} dropped, {} refused), {} of {} expected received; {}",
                r.target.name(),
                r.frames_generated,
                r.frames_acked,
                r.dropped,
                r.rejected,
                r.frames_received,
                r.frames_expected,
                r.target.what_it_does()
            );
        }
    }
}

impl Target {
    /// What this target was configured to do, in a line.
    pub fn what_it_does(self) -> &'static str {
        match self {
            Target::Vigil => "authenticates, validates and stores each frame (SQLite WAL, fsync per group commit) before acknowledging and relaying",
            Target::Mosquitto => "MQTT 3.1.1 over TCP, QoS 1 both ways, persistence off (Mosquitto has no per-message fsync)",
            Target::Nats => "core NATS over WebSocket, no storage; it acknowledges nothing, so a PING follows each publish and its PONG counts as the acknowledgement",
            Target::NatsJetstream => "JetStream file stream over WebSocket, a frame counted once its PubAck came (2.9 has no fsync per message: it refuses sync_interval); tablets are core subscribers, served before storage",
        }
    }
}

/// The capacity search of one target.
#[derive(Debug)]
pub struct CapacityReport {
    pub target: Target,
    /// The largest run that held.
    pub held: Option<Report>,
    /// The first run that did not.
    pub failed: Option<Report>,
    /// Or the bed count at which a run could not be completed, and why.
    pub error: Option<(usize, String)>,
}

impl CapacityReport {
    pub fn print_table(reports: &[CapacityReport]) {
        println!("capacity: the largest bed count that held (p99 <= {LATE_MS} ms, nothing lost)");
        for c in reports {
            let held =
                c.held.as_ref().map_or("none".to_string(), |r| format!("{} beds, {} tablets", r.beds, r.tablets));
            let failed = match (&c.failed, &c.error) {
                (Some(r), _) => format!("{} beds: p99 {:.1} ms, {} lost", r.beds, r.p(0.99), r.lost()),
                (None, Some((beds, e))) => format!("{beds} beds: {e}"),
                (None, None) => "no step (--max-beds reached first)".to_string(),
            };
            println!("  {:<15} held {held}; failed at {failed}", c.target.name());
        }
    }
}

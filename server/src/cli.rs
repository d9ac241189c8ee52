//! The `vigil` command line.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "vigil", version, about = "Vigil ward monitoring: server, simulator, replay")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct ServerArgs {
    /// Configuration file (TOML); VIGIL_* environment variables override it.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// SQLite database file (overrides the configuration).
    #[arg(long)]
    pub database: Option<PathBuf>,
    /// Folder of the built site (overrides the configuration).
    #[arg(long)]
    pub site_root: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServerArgs),
    /// Run the server with a simulated ward streaming into it.
    Demo {
        #[command(flatten)]
        server: ServerArgs,
        /// Beds in the generated demo ward.
        #[arg(long, default_value_t = 12)]
        beds: usize,
        /// A ward plan (TOML) instead of the generated ward.
        #[arg(long)]
        ward: Option<PathBuf>,
    },
    /// Create a ward (if none) and register simulated devices; writes their tokens.
    Provision {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long, default_value_t = 12)]
        beds: usize,
        #[arg(long)]
        ward: Option<PathBuf>,
        /// Where to write the device tokens (JSON, readable by the owner only).
        #[arg(long)]
        tokens_out: PathBuf,
    },
    /// Stream simulated devices to a server, using tokens from `provision`.
    Simulate {
        /// Server base URL, e.g. ws://127.0.0.1:3000
        #[arg(long, default_value = "ws://127.0.0.1:3000")]
        server: String,
        #[arg(long)]
        tokens: PathBuf,
        /// Stop after this many seconds (default: run until Ctrl-C).
        #[arg(long)]
        seconds: Option<u64>,
    },
    /// Measure device -> tablet latency and server cost under load (starts its own server).
    Bench {
        #[arg(long, default_value_t = 16)]
        beds: usize,
        /// Tablets, each subscribed to one ward of 16 beds (round robin).
        #[arg(long, visible_alias = "subscribers", default_value_t = 4)]
        tablets: usize,
        #[arg(long, default_value_t = 5)]
        warmup: u64,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Beds without an arterial line (ECG, pleth and respiration only).
        #[arg(long)]
        no_arterial_line: bool,
        /// What relays the frames; repeat or comma-separate for several, run
        /// one after the other with the same load (default: all four).
        #[arg(long, value_enum, value_delimiter = ',')]
        target: Vec<vigil_server::bench::Target>,
        /// Raise the bed count from --beds (tablets in proportion) until p99
        /// passes 100 ms or a frame is lost; report the largest that held.
        #[arg(long)]
        capacity: bool,
        #[arg(long, default_value_t = 2048)]
        max_beds: usize,
        /// Exit 1 if any run lost, dropped or refused a frame (for CI smoke runs).
        #[arg(long)]
        require_lossless: bool,
    },
    /// Kill the server with SIGKILL mid-stream, restart it, and check that
    /// every frame the devices sent is stored exactly once (starts its own
    /// server; exits 1 if anything was lost or doubled).
    FaultTest {
        #[arg(long, default_value_t = 100)]
        beds: usize,
        #[arg(long, default_value_t = 3)]
        kills: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Measure the embedded database: sustained ingest with waveforms, bytes
    /// per bed per day, the 24 h trend query (in-process, fresh database).
    StoreBench {
        #[arg(long, default_value_t = 100)]
        beds: usize,
        /// Simulated seconds per bed.
        #[arg(long, default_value_t = 120)]
        seconds: u64,
    },
    /// Alarms per patient-hour on the real numerics (BIDMC, MIMIC-II): plain
    /// thresholds against Vigil's alarm engine, and the known events checked.
    AlarmBurden {
        /// The PhysioNet data folder (with `bidmc/` and `mimic2/`).
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = "../shared/data")]
        data_dir: PathBuf,
    },
    /// How good the "unusual trend" advisory is: false advisories per
    /// patient-hour on the real numerics (BIDMC, MIMIC-II), and detection and
    /// lead time on deteriorations injected into the 32-hour MIMIC-II record.
    AdvisoryEval {
        /// The PhysioNet data folder (with `bidmc/` and `mimic2/`).
        #[arg(long, env = "VIGIL_DATA_DIR", default_value = "../shared/data")]
        data_dir: PathBuf,
    },
    /// Check arrhythmia alarms against every waveform: reads the WFDB records
    /// listed in DIR/RECORDS (alarm type = first header comment) and prints
    /// `record,alarm_type,decision` (1 keep, 0 suppress). When DIR/ALARMS has
    /// labels, the Challenge 2015 score goes to stderr.
    ReviewAlarms {
        dir: PathBuf,
        /// Print each decision's reason to stderr.
        #[arg(long)]
        reasons: bool,
        /// Also cross-validate by record with K folds (thresholds tuned inside each fold).
        #[arg(long, value_name = "K")]
        cross_validate: Option<usize>,
        /// Which Challenge 2015 alarms: `all` of DIR, the `design` set (every
        /// record but the committed lockbox), or the `lockbox` alone, scored
        /// with the thresholds tuned on the design set (report it once per
        /// piece of work; do not design on it).
        #[arg(long, value_enum, default_value_t = vigil_server::review::Split::All)]
        split: vigil_server::review::Split,
        /// Judge each alarm on the first ECG lead and the pulse channels only,
        /// as a one-lead bed of the live ward streams them.
        #[arg(long)]
        one_lead: bool,
        /// Also print what each rule buys: the score with each rule removed
        /// in turn (in sample and cross-validated).
        #[arg(long)]
        ablation: bool,
    },
    /// The QRS detector against the MIT-BIH reference beats (ANSI/AAMI EC57:
    /// 150 ms match window, from minute 5): sensitivity and positive
    /// predictivity per record.
    QrsCheck {
        /// Folder of MIT-BIH records with `.atr` annotations.
        #[arg(long, env = "VIGIL_MITBIH_DIR", default_value = "../shared/data/mitbih")]
        dir: PathBuf,
    },
    /// Print the audit log (acknowledgements, limit changes, observations) as
    /// tab-separated lines and check it for tampering (its keyed hash chain,
    /// its signed checkpoints, its append-only triggers); exits 1 if tampered.
    Audit {
        #[command(flatten)]
        server: ServerArgs,
        /// Only check; print nothing else.
        #[arg(long)]
        verify: bool,
        /// More checkpoints to check against, e.g. the server's log lines
        /// ("audit checkpoint {...}") from a syslog host. Repeatable.
        #[arg(long)]
        checkpoints: Vec<PathBuf>,
    },
    /// Stream a PhysioNet recording (BIDMC CSV or WFDB record) as a live device.
    Replay {
        #[arg(long, default_value = "ws://127.0.0.1:3000")]
        server: String,
        /// The device token (VIGIL_DEVICE_TOKEN).
        #[arg(long, env = "VIGIL_DEVICE_TOKEN", hide_env_values = true)]
        token: String,
        /// Playback speed; 1 is real time.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Start over at the end.
        #[arg(long = "loop")]
        repeat: bool,
        /// `.../bidmc_NN_Numerics.csv`, `.../bidmc_NN_Signals.csv`, or a WFDB
        /// record (`.hea` or its name without extension).
        record: PathBuf,
    },
}

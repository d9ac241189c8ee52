//! Provisioning a simulated ward and streaming it: `vigil provision`,
//! `vigil simulate` and `vigil demo` (both in one process).

use crate::clock::now_ms;
use crate::device_link::{self, LinkConfig, LinkStats};
use crate::sim::scenario::Scenario;
use crate::sim::{BedSim, Equipment};
use crate::store::rows::{NewBed, NewWard};
use crate::store::Store;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use vigil_shared::frame::RawFrame;

/// A ward description (TOML): its beds, patients and what each bed simulates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardPlan {
    pub name: String,
    pub beds: Vec<BedPlan>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BedPlan {
    pub label: String,
    pub patient: Option<String>,
    /// A built-in scenario name, or a path to a scenario TOML file.
    #[serde(default = "stable")]
    pub scenario: String,
    #[serde(default)]
    pub arterial_line: bool,
}

fn stable() -> String {
    "stable".into()
}

/// Fictional display names for the demo ward.
const NAMES: [&str; 16] = [
    "A. Okafor",
    "B. Lindqvist",
    "C. Moreau",
    "D. Nakamura",
    "E. Walsh",
    "F. Haddad",
    "G. Novak",
    "H. Silva",
    "I. Kowalski",
    "J. Mensah",
    "K. O'Brien",
    "L. Rossi",
    "M. Petrov",
    "N. Adeyemi",
    "O. Jensen",
    "P. Duarte",
];

const DEMO_SCENARIOS: [&str; 12] = [
    "stable",
    "desaturation",
    "tachycardia",
    "stable",
    "bradycardia",
    "hypotension",
    "lead_off",
    "stable",
    "sensor_off",
    "fever",
    "slow_sepsis",
    "desaturation",
];

impl WardPlan {
    /// The demo ward: `beds` beds with a mix of scenarios, some empty of
    /// events, two with arterial lines.
    pub fn demo(beds: usize) -> WardPlan {
        WardPlan {
            name: "Ward 7 (demo)".into(),
            beds: (0..beds)
                .map(|i| BedPlan {
                    label: format!("Bed {}", i + 1),
                    patient: Some(NAMES[i % NAMES.len()].to_string()),
                    scenario: DEMO_SCENARIOS[i % DEMO_SCENARIOS.len()].to_string(),
                    arterial_line: i % 6 == 5 || i == 1,
                })
                .collect(),
        }
    }

    pub fn load(path: &Path) -> anyhow::Result<WardPlan> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading ward plan {}", path.display()))?;
        let plan: WardPlan = toml::from_str(&text).with_context(|| format!("parsing ward plan {}", path.display()))?;
        if plan.beds.is_empty() {
            bail!("ward plan {} has no beds", path.display());
        }
        Ok(plan)
    }
}

/// One provisioned simulated device: its bed, its token, what it plays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimDevice {
    pub bed: String,
    pub device: String,
    pub token: String,
    pub scenario: String,
    pub arterial_line: bool,
    /// Play the scenario's history first (a new ward). On a database that
    /// already holds the ward's data the scenario starts now instead: its
    /// invented past would overlap what is stored.
    #[serde(default)]
    pub history: bool,
}

/// Creates the ward if the database has none, and registers one fresh device
/// per bed (earlier simulated devices are revoked).
pub async fn provision(store: &Store, plan: &WardPlan, base_dir: &Path) -> anyhow::Result<Vec<SimDevice>> {
    // Check every scenario before writing anything.
    for bed in &plan.beds {
        load_scenario(&bed.scenario, base_dir)?;
    }
    let existing = store.beds().await?;
    if existing.is_empty() {
        let now = now_ms();
        store
            .create_ward(NewWard {
                id: "w1".into(),
                name: plan.name.clone(),
                beds: plan
                    .beds
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        // A bed with recorded history had its patient before
                        // the demo began: the history is that patient's.
                        let scenario = load_scenario(&b.scenario, base_dir).ok();
                        let history_s = scenario.and_then(|s| s.history_s).unwrap_or(0.0);
                        NewBed {
                            id: format!("b{:02}", i + 1),
                            label: b.label.clone(),
                            patient: b.patient.clone(),
                            admitted_at: Some(now - (history_s * 1000.0) as i64 - 60_000),
                        }
                    })
                    .collect(),
            })
            .await?;
    } else if existing.len() != plan.beds.len() {
        bail!(
            "the database already holds a ward of {} beds, the plan has {}; use another --database",
            existing.len(),
            plan.beds.len()
        );
    }
    let fresh = existing.is_empty();
    let stamp = now_ms();
    let mut devices = Vec::new();
    for (i, b) in plan.beds.iter().enumerate() {
        let bed = format!("b{:02}", i + 1);
        for old in store.simulated_devices(&bed).await? {
            store.revoke_device(&old).await?;
        }
        let device = format!("sim-{bed}-{stamp}");
        let token = store.register_device(&device, &bed).await?;
        devices.push(SimDevice {
            bed,
            device,
            token,
            scenario: b.scenario.clone(),
            arterial_line: b.arterial_line,
            history: fresh,
        });
    }
    Ok(devices)
}

/// The demo's two accounts: `admin` (administrator) and `nurse` (clinician
/// of the demo ward), created if missing and given a fresh password at every
/// start (or `password`, e.g. for the end-to-end tests), so the one printed
/// is the one that works. Only `vigil demo` does this; `vigil serve` never
/// resets a password.
pub async fn accounts(store: &Store, password: Option<String>) -> anyhow::Result<Vec<(String, &'static str, String)>> {
    use crate::auth::{password as pw, Role};
    use crate::store::accounts::{By, NewUser};
    let mut out = Vec::new();
    for (user, role, wards) in [("admin", Role::Admin, vec![]), ("nurse", Role::Clinician, vec!["w1".to_string()])] {
        let secret = password.clone().unwrap_or_else(pw::generate);
        pw::check_new(&secret, user).map_err(|e| anyhow::anyhow!("VIGIL_DEMO_PASSWORD: {e}"))?;
        let hash = pw::hash(&secret)?;
        let now = now_ms();
        match store.user_by_name(user).await? {
            // The same given password as before: nothing changes, and the
            // tablets signed in stay signed in across a restart.
            Some(u) if pw::verify(&secret, &u.password_hash) => {}
            Some(u) => store.set_password(u.id, hash, By::new("vigil demo"), now).await?,
            None => {
                let display_name = if role == Role::Admin { "Administrator" } else { "Demo Nurse" }.to_string();
                let new = NewUser {
                    username: user.into(),
                    display_name,
                    role: role.code().into(),
                    password_hash: hash,
                    wards,
                };
                store.create_user(new, By::new("vigil demo"), now).await?.map_err(|e| anyhow::anyhow!(e))?;
            }
        }
        out.push((user.to_string(), if role == Role::Admin { "administrator" } else { "clinician" }, secret));
    }
    Ok(out)
}

/// A built-in scenario by name, or a scenario file (relative to `base_dir`).
pub fn load_scenario(name: &str, base_dir: &Path) -> anyhow::Result<Scenario> {
    if let Some(s) = Scenario::builtin(name) {
        return Ok(s);
    }
    let path = base_dir.join(name);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("{name:?} is not a built-in scenario ({}) nor a readable file", Scenario::BUILTIN.join(", "))
    })?;
    Scenario::parse_toml(&text).with_context(|| format!("parsing scenario {}", path.display()))
}

/// Streams `sim` in real time into `tx`: every 250 ms a frame of what it
/// measured since the last, shown first to `seen`, until `stop` fires or the
/// receiver is gone. A full channel is waited for, unless `drop_when_full`:
/// then the frame is dropped and counted (the benchmark's overload shows as
/// loss, not as a generator slowed down). Returns the frames dropped.
pub async fn stream_sim(
    mut sim: BedSim,
    tx: mpsc::Sender<RawFrame>,
    mut stop: tokio::sync::broadcast::Receiver<()>,
    drop_when_full: bool,
    mut seen: impl FnMut(&RawFrame),
) -> u64 {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dropped = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let Some(frame) = sim.frame_until(now_ms()) else { continue };
                seen(&frame);
                if drop_when_full {
                    match tx.try_send(frame) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => dropped += 1,
                        Err(mpsc::error::TrySendError::Closed(_)) => break,
                    }
                } else if tx.send(frame).await.is_err() {
                    break;
                }
            }
            _ = stop.recv() => break,
        }
    }
    dropped
}

/// Streams every device until `stop` resolves. Returns each link's counters.
pub async fn simulate(
    server: &str,
    devices: Vec<SimDevice>,
    base_dir: PathBuf,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Vec<Arc<LinkStats>>> {
    let url = format!("{}/ws/device", server.trim_end_matches('/'));
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut tasks = Vec::new();
    let mut all_stats = Vec::new();
    for (i, d) in devices.into_iter().enumerate() {
        let scenario = load_scenario(&d.scenario, &base_dir)?;
        let equipment = Equipment { abp_hz: d.arterial_line.then_some(125.0), ..Equipment::default() };
        let stats = Arc::new(LinkStats::default());
        all_stats.push(stats.clone());
        let (tx, rx) = mpsc::channel(64);
        let config = LinkConfig { url: url.clone(), token: d.token.clone(), max_pending: 4_800 };
        let link = tokio::spawn(device_link::run(config, rx, stats, Duration::from_secs(5)));
        let now = now_ms();
        let start = if d.history { BedSim::start_for(&scenario, now) } else { now };
        let mut sim = BedSim::new(scenario, equipment, 1000 + i as u64, start);
        // A patient monitored before the demo: their trends first, 10 s a frame.
        let history = sim.history_until(now, 10_000);
        let mut stop_rx = stop_tx.subscribe();
        let generator = tokio::spawn(async move {
            for frame in history {
                tokio::select! {
                    sent = tx.send(frame) => if sent.is_err() { return 0 },
                    _ = stop_rx.recv() => return 0,
                }
            }
            stream_sim(sim, tx, stop_rx, false, |_| {}).await
        });
        tasks.push((d.device, generator, link));
    }
    stop.await;
    let _ = stop_tx.send(());
    for (device, generator, link) in tasks {
        let _ = generator.await;
        match link.await {
            Ok(Err(e)) => tracing::error!(%device, error = %e, "device link failed"),
            Err(e) => tracing::error!(%device, error = %e, "device task panicked"),
            Ok(Ok(())) => {}
        }
    }
    Ok(all_stats)
}

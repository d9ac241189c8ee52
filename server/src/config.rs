//! Configuration: defaults, then a TOML file, then `VIGIL_*` environment
//! variables, then command-line flags (applied by the caller).

use anyhow::Context;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use vigil_shared::alarm::AlarmOptions;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. Loopback by default: exposing the server to a
    /// network is a decision, with TLS in front.
    pub listen: SocketAddr,
    /// SQLite database file, created with its folder on first run.
    pub database: PathBuf,
    /// Folder with the built site (`pkg/{vigil,family,desk}.{js,wasm}`, CSS, assets).
    pub site_root: PathBuf,
    /// Seconds of recent data a tablet gets when it subscribes without a cursor.
    pub recent_seconds_default: u32,
    /// Upper bound on what a tablet may ask for.
    pub recent_seconds_max: u32,
    /// How old an intermittent value (NIBP, temperature) may be and still be
    /// sent, with its time, to a tablet subscribing: hours. Twelve by
    /// default: NEWS2's longest routine interval between observations.
    pub latest_max_age_hours: u32,
    /// The ward's alarm behaviour, sent to every tablet (`[alarms]` table:
    /// `audio_pause_ms`, `escalate_after_ms`, `latch_high`, `no_data_ms`,
    /// `connection_delay_ms`, `news2_delay_ms`, `max_gap_ms`, `keep_log`).
    pub alarms: AlarmOptions,
    /// How long data is kept (`[retention]` table).
    pub retention: Retention,
    /// Sessions, cookies, second factor, invitations (`[auth]` table).
    pub auth: crate::auth::AuthConfig,
    /// What caregivers see (`[caregiver]` table, with per-ward overrides).
    pub caregiver: crate::routes::family::CaregiverConfig,
    /// Where the audit log's key and signed checkpoints are kept (`[audit]`
    /// table); see `store::seal`.
    pub audit: AuditFiles,
    /// No longer read: one message limit is part of the protocol
    /// (`MAX_DEVICE_MESSAGE_BYTES`). Accepted so older files still load; a
    /// warning says it is ignored.
    #[serde(rename = "max_device_message_bytes")]
    pub ignored_max_device_message_bytes: Option<usize>,
}

/// The audit key and checkpoint files. Unset: beside the database. Put the
/// key where the database's backups and its readers do not reach (another
/// volume or owner), and ship the server's log (which repeats every
/// checkpoint) to a host the database server cannot write.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFiles {
    pub key_file: Option<PathBuf>,
    pub checkpoint_file: Option<PathBuf>,
}

impl Config {
    /// Where the audit key and checkpoints are, defaults filled in.
    pub fn seal_paths(&self) -> crate::store::seal::SealPaths {
        let beside = crate::store::seal::SealPaths::beside(&self.database);
        crate::store::seal::SealPaths {
            key_file: self.audit.key_file.clone().unwrap_or(beside.key_file),
            checkpoint_file: self.audit.checkpoint_file.clone().unwrap_or(beside.checkpoint_file),
            verify_only: false,
        }
    }
}

/// How long stored data is kept. Older data is deleted in the background.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Full disclosure (every frame, waveforms included), hours.
    pub waveforms_hours: u32,
    /// Numerics and their per-minute aggregates (the trends), days.
    pub numerics_days: u32,
    /// How often the background pass runs, minutes.
    pub every_minutes: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { waveforms_hours: 72, numerics_days: 30, every_minutes: 10 }
    }
}

impl Retention {
    pub fn check(&self) -> Result<(), String> {
        if self.waveforms_hours == 0 || self.numerics_days == 0 || self.every_minutes == 0 {
            return Err("retention: waveforms_hours, numerics_days and every_minutes must be at least 1".into());
        }
        if u64::from(self.numerics_days) * 24 < u64::from(self.waveforms_hours) {
            return Err(
                "retention: numerics_days must cover at least waveforms_hours (trends outlive waveforms)".into()
            );
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:3000".parse().expect("literal address"),
            database: PathBuf::from("vigil-data/vigil.db"),
            site_root: PathBuf::from("target/site"),
            recent_seconds_default: 15,
            recent_seconds_max: 600,
            latest_max_age_hours: 12,
            alarms: AlarmOptions::default(),
            retention: Retention::default(),
            auth: Default::default(),
            caregiver: Default::default(),
            audit: Default::default(),
            ignored_max_device_message_bytes: None,
        }
    }
}

impl Config {
    /// Defaults, overridden by `file` if given, then by the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading configuration file {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing configuration file {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        if config.ignored_max_device_message_bytes.is_some() {
            tracing::warn!(
                "configuration: max_device_message_bytes is ignored: the protocol's own limit ({} bytes) applies",
                vigil_shared::protocol::device::MAX_DEVICE_MESSAGE_BYTES
            );
        }
        config.alarms.check().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.retention.check().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.auth.check().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        config.caregiver.check().map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Ok(config)
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("VIGIL_LISTEN") {
            self.listen = v.parse().with_context(|| format!("VIGIL_LISTEN={v:?} is not an address"))?;
        }
        if let Some(v) = var("VIGIL_DATABASE") {
            self.database = v.into();
        }
        if let Some(v) = var("VIGIL_SITE_ROOT") {
            self.site_root = v.into();
        }
        if let Some(v) = var("VIGIL_AUDIT_KEY_FILE") {
            self.audit.key_file = Some(v.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_file_values() {
        let mut c: Config = toml::from_str("listen = \"0.0.0.0:8080\"\ndatabase = \"/var/lib/vigil/v.db\"").unwrap();
        c.apply_env(|k| (k == "VIGIL_LISTEN").then(|| "127.0.0.1:9000".to_string())).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.database, PathBuf::from("/var/lib/vigil/v.db"));
    }

    #[test]
    fn the_ward_alarm_settings_are_read_and_checked() {
        let c: Config = toml::from_str("[alarms]\naudio_pause_ms = 60000\nescalate_after_ms = 30000").unwrap();
        assert_eq!((c.alarms.audio_pause_ms, c.alarms.escalate_after_ms), (60_000, 30_000));
        assert_eq!(c.alarms.no_data_ms, AlarmOptions::default().no_data_ms, "unset keys keep their default");
        let c: Config = toml::from_str("[alarms]\naudio_pause_ms = 0").unwrap();
        assert!(c.alarms.check().unwrap_err().contains("audio_pause_ms"));
        assert!(toml::from_str::<Config>("[alarms]\naudio_pause = 1").is_err(), "unknown alarm keys are errors");
    }

    #[test]
    fn retention_defaults_to_72_hours_of_waves_and_30_days_of_numerics_and_is_checked() {
        let c: Config = toml::from_str("").unwrap();
        assert_eq!((c.retention.waveforms_hours, c.retention.numerics_days), (72, 30));
        let c: Config = toml::from_str("[retention]\nwaveforms_hours = 24").unwrap();
        assert_eq!((c.retention.waveforms_hours, c.retention.numerics_days), (24, 30));
        let c: Config = toml::from_str("[retention]\nwaveforms_hours = 96\nnumerics_days = 2").unwrap();
        assert!(c.retention.check().unwrap_err().contains("numerics_days"));
        assert!(toml::from_str::<Config>("[retention]\nwaves_hours = 1").is_err());
    }

    #[test]
    fn unknown_keys_are_an_error_not_silently_ignored() {
        assert!(toml::from_str::<Config>("lisen = \"0.0.0.0:1\"").is_err());
    }

    #[test]
    fn a_bad_address_in_the_environment_is_a_clear_error() {
        let mut c = Config::default();
        let err = c.apply_env(|_| Some("nowhere".into())).unwrap_err();
        assert!(err.to_string().contains("VIGIL_LISTEN"));
    }
}

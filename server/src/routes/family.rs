//! The family portal's data: one patient's current vital signs, a little
//! late, and their trends, for the caregiver invited for that patient.
//! `GET /api/family`.
//!
//! What a caregiver sees, and why (configurable per ward, `[caregiver]`):
//! - The values are shown `delay_seconds` late (60 s by default) and say so:
//!   the portal is not a monitor, a nurse has seen a change before a relative
//!   does, and a brief artefact (a probe slipping off) has passed before it
//!   can frighten anyone.
//! - No alarms, no limits, no staff notes, no waveforms: an alarm is for the
//!   people who can act on it. The portal says plainly that the ward watches
//!   the patient and whom to call.
//! - Nothing measured before the patient came to this bed (it would be
//!   another patient's).

use crate::auth::{Action, Principal};
use crate::clock::now_ms;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// What caregivers see: defaults, and per ward (`[caregiver.wards.ID]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaregiverConfig {
    /// How late the values are shown, seconds (0..=3600).
    pub delay_seconds: u32,
    /// How far back the trends go, hours (1..=72).
    pub trend_hours: u32,
    /// Whom to call, shown on the portal (e.g. the ward's phone number).
    pub contact: String,
    pub wards: BTreeMap<String, CaregiverWard>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaregiverWard {
    pub delay_seconds: Option<u32>,
    pub trend_hours: Option<u32>,
    pub contact: Option<String>,
}

impl Default for CaregiverConfig {
    fn default() -> Self {
        CaregiverConfig {
            delay_seconds: 60,
            trend_hours: 6,
            contact: "the ward's nurses' station".into(),
            wards: BTreeMap::new(),
        }
    }
}

/// The settings in force for one ward.
#[derive(Debug, Clone, PartialEq)]
pub struct CaregiverView {
    pub delay_seconds: u32,
    pub trend_hours: u32,
    pub contact: String,
}

impl CaregiverConfig {
    pub fn for_ward(&self, ward: &str) -> CaregiverView {
        let w = self.wards.get(ward).cloned().unwrap_or_default();
        CaregiverView {
            delay_seconds: w.delay_seconds.unwrap_or(self.delay_seconds),
            trend_hours: w.trend_hours.unwrap_or(self.trend_hours),
            contact: w.contact.unwrap_or_else(|| self.contact.clone()),
        }
    }

    pub fn check(&self) -> Result<(), String> {
        let views = std::iter::once(("default".to_string(), self.for_ward("")))
            .chain(self.wards.keys().map(|w| (w.clone(), self.for_ward(w))));
        for (name, v) in views {
            if v.delay_seconds > 3600 {
                return Err(format!("caregiver ({name}): delay_seconds must be at most 3600"));
            }
            if !(1..=72).contains(&v.trend_hours) {
                return Err(format!("caregiver ({name}): trend_hours must be 1..=72"));
            }
        }
        Ok(())
    }
}

pub async fn family(State(state): State<AppState>, p: Principal) -> Result<Json<serde_json::Value>, AppError> {
    let care = p.care_of.clone().ok_or_else(AppError::forbidden)?;
    if !p.may(Action::ReadFamily { patient: care.patient_id }) {
        return Err(AppError::forbidden());
    }
    let patient = state.store.patient(care.patient_id).await?.ok_or(AppError::NotFound)?;
    let (Some(bed), Some(ward)) = (care.bed.clone(), care.ward.clone()) else { return Err(AppError::NotFound) };
    let view = state.config.caregiver.for_ward(&ward);
    let now = now_ms();
    let as_of = now - i64::from(view.delay_seconds) * 1000;
    let from = (as_of - i64::from(view.trend_hours) * 3_600_000).max(care.bed_since);
    // Values older than 15 minutes are not "current".
    let latest = state.store.latest_numerics(&bed, (as_of - 15 * 60_000).max(care.bed_since), as_of).await?;
    let points = 120;
    let step = crate::routes::trend::step_for(((as_of - from) / 60_000).max(1) as u32, points);
    let trend = state.store.trend(&bed, from, as_of, step).await?;
    let bed_label = state.store.beds().await?.into_iter().find(|b| b.id == bed).map(|b| b.label).unwrap_or_default();
    let ward_name =
        state.store.wards().await?.into_iter().find(|(id, _)| *id == ward).map(|(_, n)| n).unwrap_or_default();
    let vitals: Vec<_> = latest.iter().map(|(k, t, v)| json!({ "kind": k, "t": t, "value": v })).collect();
    Ok(Json(json!({
        "patient": patient.name, "bed": bed_label, "ward": ward_name, "as_of": as_of, "from": from, "step": step,
        "delay_seconds": view.delay_seconds, "trend_hours": view.trend_hours, "contact": view.contact,
        "vitals": vitals, "series": trend,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ward_may_override_the_caregiver_defaults_and_bad_values_are_refused() {
        let c: CaregiverConfig =
            toml::from_str("delay_seconds = 120\n[wards.w2]\ndelay_seconds = 600\ncontact = \"ext. 4471\"").unwrap();
        assert_eq!(c.for_ward("w1").delay_seconds, 120);
        assert_eq!(c.for_ward("w2"), CaregiverView { delay_seconds: 600, trend_hours: 6, contact: "ext. 4471".into() });
        assert!(c.check().is_ok());
        let bad: CaregiverConfig = toml::from_str("[wards.w2]\ntrend_hours = 0").unwrap();
        assert!(bad.check().unwrap_err().contains("w2"));
        assert!(toml::from_str::<CaregiverConfig>("delay = 1").is_err());
    }
}

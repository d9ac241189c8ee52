//! What Vigil needs from a database to know who may see and do what:
//! accounts, sessions, patients' admissions, caregiver invitations, and the
//! audit entries that go with each change ([`Accounts`], [`Admissions`]). Every change that
//! matters is written in one transaction with its audit entry, so nothing
//! happens unaudited and no audit entry describes something that did not.

use super::audit::AuditFilter;
use super::AuditEntry;
use serde::Serialize;
use std::collections::BTreeMap;
use vigil_shared::VitalKind;

/// Who made a change, for its audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct By {
    pub username: String,
}

impl By {
    pub fn new(username: impl Into<String>) -> By {
        By { username: username.into() }
    }
}

/// A change refused for a reason the person may be told (nothing was stored).
pub type Refused = String;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub totp_secret: Option<String>,
    pub totp_pending: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    /// `admin` or `clinician`; caregivers come only from invitations.
    pub role: String,
    pub password_hash: String,
    pub wards: Vec<String>,
}

/// An account as the administrator's list shows it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub wards: Vec<String>,
    pub totp: bool,
    pub disabled: bool,
    /// A caregiver's patient.
    pub patient: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf: String,
    pub now: i64,
    pub expires_at: i64,
    /// Where the sign-in came from, for the audit entry.
    pub address: String,
}

/// A live session and what its account may reach now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub csrf: String,
    /// Whether the account has a second factor.
    pub totp: bool,
    pub wards: Vec<String>,
    /// A caregiver's patient: (patient, bed, ward, in that bed since).
    pub patient: Option<(i64, Option<String>, Option<String>, i64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientRow {
    pub id: i64,
    pub name: String,
    pub bed: Option<String>,
    pub ward: Option<String>,
    pub admitted_at: i64,
    /// Since when the patient is in `bed`, ms.
    pub bed_since: i64,
    pub discharged_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub patient_id: i64,
    pub caregiver_name: String,
    pub now: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationRow {
    pub id: i64,
    pub patient_id: i64,
    pub caregiver_name: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub accepted_at: Option<i64>,
    /// Where the patient lies now (None once discharged).
    pub bed: Option<String>,
    pub ward: Option<String>,
    pub discharged: bool,
}

impl InvitationRow {
    /// Whether it can still be accepted at `now`.
    pub fn open(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.accepted_at.is_none() && !self.discharged && now < self.expires_at
    }
}

/// Accounts, sessions, the second factor, and audit entries of their own.
/// A PostgreSQL backend fills the same contract.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync {
    async fn user_count(&self) -> anyhow::Result<u64>;

    /// Creates a staff account; refused if the user name is taken (any case)
    /// or a ward is unknown.
    async fn create_user(&self, user: NewUser, by: By, now: i64) -> anyhow::Result<Result<i64, Refused>>;

    /// The account of a user name (any case).
    async fn user_by_name(&self, username: &str) -> anyhow::Result<Option<UserRow>>;

    async fn users(&self) -> anyhow::Result<Vec<UserSummary>>;

    /// Replaces the password hash; every session of the account ends.
    async fn set_password(&self, user_id: i64, hash: String, by: By, now: i64) -> anyhow::Result<()>;

    /// Disables an account and ends its sessions; false if unknown or disabled already.
    async fn disable_user(&self, user_id: i64, by: By, now: i64) -> anyhow::Result<bool>;

    /// Stores a second-factor secret waiting for its first code.
    async fn begin_totp(&self, user_id: i64, secret: String) -> anyhow::Result<()>;

    /// Makes the waiting secret the account's second factor.
    async fn enable_totp(&self, user_id: i64, by: By, now: i64) -> anyhow::Result<bool>;

    /// Stores a new session, with a `sign_in` audit entry.
    async fn create_session(&self, session: NewSession, by: By) -> anyhow::Result<()>;

    /// The session of a token hash if it is live at `now`: not expired, not
    /// revoked, its account enabled, and for a caregiver, the invitation not
    /// revoked and the patient not discharged.
    async fn session(&self, token_hash: &str, now: i64) -> anyhow::Result<Option<SessionRow>>;

    /// Ends one session (`sign_out`), or with `everywhere` every session of
    /// its account (`sign_out_everywhere`). Returns how many ended.
    async fn end_sessions(&self, token_hash: &str, everywhere: bool, by: By, now: i64) -> anyhow::Result<u64>;

    /// Appends an audit entry that goes with no other change (a failed
    /// sign-in, a device change made through the other methods).
    async fn record(
        &self,
        kind: &str,
        bed: Option<String>,
        payload: serde_json::Value,
        by: By,
        now: i64,
    ) -> anyhow::Result<u64>;

    /// Audit entries matching `filter`, oldest first.
    async fn audit_filtered(&self, filter: AuditFilter, limit: u32) -> anyhow::Result<Vec<AuditEntry>>;
}

/// Wards and beds, devices, admissions and caregiver invitations, with the
/// audit entries of each change, and what the family portal reads. A
/// PostgreSQL backend fills the same contract.
#[async_trait::async_trait]
pub trait Admissions: Send + Sync {
    /// Every ward: id and name.
    async fn wards(&self) -> anyhow::Result<Vec<(String, String)>>;

    /// Each bed's ward.
    async fn bed_wards(&self) -> anyhow::Result<BTreeMap<String, String>>;

    async fn patient(&self, id: i64) -> anyhow::Result<Option<PatientRow>>;

    /// The patient admitted to `bed` now.
    async fn patient_in_bed(&self, bed: &str) -> anyhow::Result<Option<PatientRow>>;

    /// Creates a ward with its (empty) beds; refused if an id is taken.
    async fn add_ward(&self, ward: super::rows::NewWard, by: By, now: i64) -> anyhow::Result<Result<(), Refused>>;

    /// Registers a device for a bed and returns its token (stored hashed:
    /// this is the one time it can be read); refused if the id is taken or
    /// the bed unknown.
    async fn add_device(&self, id: &str, bed: &str, by: By, now: i64) -> anyhow::Result<Result<String, Refused>>;

    /// Revokes a device's token; false if unknown or revoked already.
    async fn remove_device(&self, id: &str, by: By, now: i64) -> anyhow::Result<bool>;

    /// Every patient admitted now, in ward and bed order.
    async fn admitted(&self) -> anyhow::Result<Vec<PatientRow>>;

    /// Admits a patient to an empty bed.
    async fn admit(&self, bed: &str, name: &str, by: By, now: i64) -> anyhow::Result<Result<i64, Refused>>;

    /// Moves an admitted patient to an empty bed.
    async fn move_patient(&self, id: i64, bed: &str, by: By, now: i64) -> anyhow::Result<Result<(), Refused>>;

    /// Discharges a patient: the bed is free, and every caregiver access to
    /// the patient ends (invitations revoked, accounts disabled, sessions ended).
    async fn discharge(&self, id: i64, by: By, now: i64) -> anyhow::Result<Result<(), Refused>>;

    async fn create_invitation(&self, invitation: NewInvitation, by: By) -> anyhow::Result<i64>;

    async fn invitation(&self, id: i64) -> anyhow::Result<Option<InvitationRow>>;

    async fn invitation_by_token(&self, token_hash: &str) -> anyhow::Result<Option<InvitationRow>>;

    /// Every invitation, newest first.
    async fn invitations(&self) -> anyhow::Result<Vec<InvitationRow>>;

    /// Creates the caregiver account of an open invitation, atomically with
    /// marking it accepted; refused if it is no longer open or the name is taken.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        username: &str,
        password_hash: String,
        now: i64,
    ) -> anyhow::Result<Result<i64, Refused>>;

    /// Revokes an invitation; the caregiver account made from it is disabled
    /// and its sessions end. False if unknown or revoked already.
    async fn revoke_invitation(&self, id: i64, by: By, now: i64) -> anyhow::Result<bool>;

    /// The newest reading of each parameter of `bed` with time in `from..=to`.
    async fn latest_numerics(&self, bed: &str, from: i64, to: i64) -> anyhow::Result<Vec<(VitalKind, i64, f64)>>;
}

//! The authorisation policy: who may do what, as one pure function of the
//! signed-in principal and the action. Routes and socket messages ask it and
//! never decide by themselves; the matrix test in `server/tests/it/authz.rs`
//! drives every route through it.

use serde::{Deserialize, Serialize};

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Wards, beds, patients, users, devices, invitations, the audit trail.
    /// Watches every ward, but does not act on alarms: that is clinical work.
    Admin,
    /// The wards assigned: watch, acknowledge, set limits, enter observations,
    /// invite a patient's caregiver.
    Clinician,
    /// One patient, read only, through the family portal.
    Caregiver,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Clinician, Role::Caregiver];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::Caregiver => "caregiver",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Clinician)
    }
}

/// A caregiver's patient and where that patient lies now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CareOf {
    pub patient_id: i64,
    pub bed: Option<String>,
    pub ward: Option<String>,
    /// Since when the patient is in `bed` (ms): nothing of the bed from
    /// before belongs to this patient.
    pub bed_since: i64,
}

/// The signed-in account behind a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The wards a clinician is assigned to (an administrator sees all).
    pub wards: Vec<String>,
    pub care_of: Option<CareOf>,
    /// The session's anti-forgery token, required on state-changing requests.
    #[serde(skip)]
    pub csrf: String,
    /// Whether the account has a second factor.
    pub totp: bool,
}

impl Principal {
    /// Staff whose ward requires a second factor and who have none yet may
    /// only set one up (and change their password, or sign out).
    pub fn must_enrol(&self, require_totp: bool) -> bool {
        require_totp && self.role.is_staff() && !self.totp
    }
}

/// What a staff member who must set up a second factor may still reach.
pub fn enrolment_path(path: &str) -> bool {
    matches!(
        path,
        "/api/me" | "/api/me/totp" | "/api/me/totp/confirm" | "/api/me/password" | "/api/session" | "/api/sessions"
    )
}

/// Something a principal asks to do. Bed-level actions name the bed's ward:
/// assignment is per ward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// See a bed's live data, trends and full disclosure.
    Watch { ward: &'a str },
    /// Acknowledge alarms, set limits or the profile, enter observations.
    ActOnBed { ward: &'a str },
    /// Invite (or revoke) a caregiver of a patient lying in that ward.
    Invite { ward: &'a str },
    /// The family portal of one patient.
    ReadFamily { patient: i64 },
    /// Wards, beds, patients, users and devices.
    Administer,
    /// Read and export the audit trail.
    ReadAudit,
}

impl Principal {
    /// The whole policy.
    pub fn may(&self, action: Action<'_>) -> bool {
        let assigned = |ward: &str| self.wards.iter().any(|w| w == ward);
        match (self.role, action) {
            (Role::Admin, Action::Watch { .. } | Action::Invite { .. } | Action::Administer | Action::ReadAudit) => {
                true
            }
            (Role::Admin, Action::ActOnBed { .. } | Action::ReadFamily { .. }) => false,
            (Role::Clinician, Action::Watch { ward } | Action::ActOnBed { ward } | Action::Invite { ward }) => {
                assigned(ward)
            }
            (Role::Clinician, _) => false,
            (Role::Caregiver, Action::ReadFamily { patient }) => {
                self.care_of.as_ref().is_some_and(|c| c.patient_id == patient)
            }
            (Role::Caregiver, _) => false,
        }
    }

    /// Whether this principal may watch any bed of `ward`.
    pub fn watches(&self, ward: &str) -> bool {
        self.may(Action::Watch { ward })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role, wards: &[&str], patient: Option<i64>) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            wards: wards.iter().map(|w| w.to_string()).collect(),
            care_of: patient.map(|p| CareOf {
                patient_id: p,
                bed: Some("b01".into()),
                ward: Some("w1".into()),
                bed_since: 0,
            }),
            csrf: String::new(),
            totp: false,
        }
    }

    #[test]
    fn a_clinician_acts_only_on_the_wards_assigned() {
        let c = who(Role::Clinician, &["w1"], None);
        assert!(c.may(Action::Watch { ward: "w1" }) && c.may(Action::ActOnBed { ward: "w1" }));
        assert!(!c.may(Action::Watch { ward: "w2" }) && !c.may(Action::ActOnBed { ward: "w2" }));
        assert!(c.may(Action::Invite { ward: "w1" }) && !c.may(Action::Invite { ward: "w2" }));
        assert!(!c.may(Action::Administer) && !c.may(Action::ReadAudit) && !c.may(Action::ReadFamily { patient: 1 }));
    }

    #[test]
    fn an_administrator_watches_every_ward_but_never_silences_an_alarm() {
        let a = who(Role::Admin, &[], None);
        assert!(a.may(Action::Watch { ward: "w9" }) && a.may(Action::Administer) && a.may(Action::ReadAudit));
        assert!(!a.may(Action::ActOnBed { ward: "w1" }));
        assert!(!a.may(Action::ReadFamily { patient: 1 }), "the family portal is the caregiver's alone");
    }

    #[test]
    fn a_caregiver_reads_their_one_patient_and_nothing_else() {
        let g = who(Role::Caregiver, &["w1"], Some(7));
        assert!(g.may(Action::ReadFamily { patient: 7 }));
        assert!(!g.may(Action::ReadFamily { patient: 8 }));
        for a in [Action::Watch { ward: "w1" }, Action::ActOnBed { ward: "w1" }, Action::Invite { ward: "w1" }] {
            assert!(!g.may(a), "{a:?}: even a ward listed on the account gives a caregiver nothing");
        }
        assert!(!g.may(Action::Administer) && !g.may(Action::ReadAudit));
        assert!(!who(Role::Caregiver, &[], None).may(Action::ReadFamily { patient: 7 }));
    }

    #[test]
    fn roles_read_back_from_their_codes() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

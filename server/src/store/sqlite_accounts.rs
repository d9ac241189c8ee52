//! [`Accounts`] on SQLite. Each change runs in one transaction with its audit
//! entry ([`audit::insert`]).

use super::accounts::*;
use super::audit::{self, AuditFilter, Entry};
use super::{AuditEntry, SqliteStore};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::json;
use std::collections::BTreeMap;
use vigil_shared::VitalKind;

fn log(
    tx: &Transaction<'_>,
    kind: &str,
    bed: Option<&str>,
    payload: serde_json::Value,
    by: &By,
    now: i64,
) -> rusqlite::Result<u64> {
    let payload = payload.to_string();
    let entry = Entry { request: None, bed, actor: &by.username, kind, payload: &payload };
    audit::insert(tx, &entry, now).map(|(seq, _)| seq)
}

fn end_sessions_of(tx: &Transaction<'_>, user: i64, now: i64) -> rusqlite::Result<usize> {
    tx.execute("UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL", params![user, now])
}

fn wards_of(c: &Connection, user: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare_cached("SELECT ward_id FROM user_wards WHERE user_id = ?1 ORDER BY ward_id")?;
    let rows = stmt.query_map([user], |r| r.get(0))?;
    rows.collect()
}

const PATIENT_COLUMNS: &str =
    "p.id, p.display_name, p.bed_id, b.ward_id, p.admitted_at, COALESCE(p.bed_since, p.admitted_at), p.discharged_at";

fn patient_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PatientRow> {
    Ok(PatientRow {
        id: r.get(0)?,
        name: r.get(1)?,
        bed: r.get(2)?,
        ward: r.get(3)?,
        admitted_at: r.get(4)?,
        bed_since: r.get(5)?,
        discharged_at: r.get(6)?,
    })
}

fn patient_where(c: &Connection, clause: &str, p: impl rusqlite::Params) -> rusqlite::Result<Option<PatientRow>> {
    c.query_row(
        &format!("SELECT {PATIENT_COLUMNS} FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE {clause}"),
        p,
        patient_row,
    )
    .optional()
}

const INVITATION_QUERY: &str = "SELECT i.id, i.patient_id, i.caregiver_name, u.username, i.created_at, i.expires_at,
        i.revoked_at, i.accepted_at, p.bed_id, b.ward_id, p.discharged_at IS NOT NULL
    FROM invitations i JOIN users u ON u.id = i.created_by JOIN patients p ON p.id = i.patient_id
    LEFT JOIN beds b ON b.id = p.bed_id";

fn invitation_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InvitationRow> {
    Ok(InvitationRow {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        caregiver_name: r.get(2)?,
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        revoked_at: r.get(6)?,
        accepted_at: r.get(7)?,
        bed: r.get(8)?,
        ward: r.get(9)?,
        discharged: r.get(10)?,
    })
}

fn bed_free(tx: &Transaction<'_>, bed: &str) -> rusqlite::Result<Result<(), Refused>> {
    let exists: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM beds WHERE id = ?1)", [bed], |r| r.get(0))?;
    if !exists {
        return Ok(Err(format!("there is no bed {bed:?}")));
    }
    let taken: bool = tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM patients WHERE bed_id = ?1 AND discharged_at IS NULL)",
        [bed],
        |r| r.get(0),
    )?;
    Ok(if taken { Err(format!("bed {bed:?} already has a patient")) } else { Ok(()) })
}

/// Ends a caregiver's access made from `invitation` (inside `tx`).
fn end_caregivers(tx: &Transaction<'_>, where_clause: &str, id: i64, now: i64) -> rusqlite::Result<()> {
    let users: Vec<i64> = {
        let mut stmt = tx.prepare(&format!("SELECT id FROM users WHERE role = 'caregiver' AND {where_clause}"))?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for u in users {
        tx.execute("UPDATE users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL", params![u, now])?;
        end_sessions_of(tx, u, now)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl Accounts for SqliteStore {
    async fn user_count(&self) -> anyhow::Result<u64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))).await
    }

    async fn create_user(&self, mut user: NewUser, by: By, now: i64) -> anyhow::Result<Result<i64, Refused>> {
        user.wards.sort();
        user.wards.dedup();
        self.write(move |c| {
            let tx = c.transaction()?;
            let taken: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)", [&user.username], |r| r.get(0))?;
            if taken {
                return Ok(Err(format!("the user name {:?} is taken", user.username)));
            }
            for w in &user.wards {
                let known: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM wards WHERE id = ?1)", [w], |r| r.get(0))?;
                if !known {
                    return Ok(Err(format!("there is no ward {w:?}")));
                }
            }
            tx.execute(
                "INSERT INTO users(username, display_name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![user.username, user.display_name, user.role, user.password_hash, now],
            )?;
            let id = tx.last_insert_rowid();
            for w in &user.wards {
                tx.execute("INSERT INTO user_wards(user_id, ward_id) VALUES (?1, ?2)", params![id, w])?;
            }
            let payload = json!({ "user": user.username, "role": user.role, "wards": user.wards });
            log(&tx, "user_created", None, payload, &by, now)?;
            tx.commit()?;
            Ok(Ok(id))
        })
        .await
    }

    async fn user_by_name(&self, username: &str) -> anyhow::Result<Option<UserRow>> {
        let name = username.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, username, display_name, role, password_hash, totp_secret, totp_pending, disabled_at IS NOT NULL
                 FROM users WHERE username = ?1",
                [name],
                |r| {
                    Ok(UserRow {
                        id: r.get(0)?,
                        username: r.get(1)?,
                        display_name: r.get(2)?,
                        role: r.get(3)?,
                        password_hash: r.get(4)?,
                        totp_secret: r.get(5)?,
                        totp_pending: r.get(6)?,
                        disabled: r.get(7)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn users(&self) -> anyhow::Result<Vec<UserSummary>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, username, display_name, role, totp_secret IS NOT NULL, disabled_at IS NOT NULL, patient_id
                 FROM users ORDER BY role, username",
            )?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                out.push(UserSummary {
                    id,
                    username: r.get(1)?,
                    display_name: r.get(2)?,
                    role: r.get(3)?,
                    wards: wards_of(c, id)?,
                    totp: r.get(4)?,
                    disabled: r.get(5)?,
                    patient: r.get(6)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_password(&self, user_id: i64, hash: String, by: By, now: i64) -> anyhow::Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, hash])?;
            end_sessions_of(&tx, user_id, now)?;
            log(&tx, "password_changed", None, json!({ "user_id": user_id }), &by, now)?;
            tx.commit()
        })
        .await
    }

    async fn disable_user(&self, user_id: i64, by: By, now: i64) -> anyhow::Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![user_id, now],
            )?;
            if n == 1 {
                end_sessions_of(&tx, user_id, now)?;
                log(&tx, "user_disabled", None, json!({ "user_id": user_id }), &by, now)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn begin_totp(&self, user_id: i64, secret: String) -> anyhow::Result<()> {
        self.write(move |c| {
            c.execute("UPDATE users SET totp_pending = ?2 WHERE id = ?1", params![user_id, secret]).map(|_| ())
        })
        .await
    }

    async fn enable_totp(&self, user_id: i64, by: By, now: i64) -> anyhow::Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL WHERE id = ?1 AND totp_pending IS NOT NULL",
                [user_id],
            )?;
            if n == 1 {
                log(&tx, "totp_enabled", None, json!({ "user_id": user_id }), &by, now)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn create_session(&self, s: NewSession, by: By) -> anyhow::Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO sessions(token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.token_hash, s.user_id, s.csrf, s.now, s.expires_at],
            )?;
            log(&tx, "sign_in", None, json!({ "address": s.address }), &by, s.now)?;
            tx.commit()
        })
        .await
    }

    async fn session(&self, token_hash: &str, now: i64) -> anyhow::Result<Option<SessionRow>> {
        let hash = token_hash.to_string();
        self.read(move |c| {
            let row = c
                .query_row(
                    "SELECT u.id, u.username, u.display_name, u.role, s.csrf, u.patient_id, p.bed_id, b.ward_id,
                            COALESCE(p.bed_since, p.admitted_at), u.totp_secret IS NOT NULL
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     LEFT JOIN patients p ON p.id = u.patient_id
                     LEFT JOIN beds b ON b.id = p.bed_id
                     LEFT JOIN invitations i ON i.id = u.invitation_id
                     WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND u.disabled_at IS NULL
                       AND (u.role != 'caregiver' OR (p.discharged_at IS NULL AND i.revoked_at IS NULL))",
                    params![hash, now],
                    |r| {
                        let patient: Option<i64> = r.get(5)?;
                        Ok(SessionRow {
                            user_id: r.get(0)?,
                            username: r.get(1)?,
                            display_name: r.get(2)?,
                            role: r.get(3)?,
                            csrf: r.get(4)?,
                            totp: r.get(9)?,
                            wards: vec![],
                            patient: match patient {
                                Some(p) => Some((p, r.get(6)?, r.get(7)?, r.get(8)?)),
                                None => None,
                            },
                        })
                    },
                )
                .optional()?;
            match row {
                Some(mut s) => {
                    s.wards = wards_of(c, s.user_id)?;
                    Ok(Some(s))
                }
                None => Ok(None),
            }
        })
        .await
    }

    async fn end_sessions(&self, token_hash: &str, everywhere: bool, by: By, now: i64) -> anyhow::Result<u64> {
        let hash = token_hash.to_string();
        self.write(move |c| {
            let tx = c.transaction()?;
            let user: Option<i64> = tx
                .query_row("SELECT user_id FROM sessions WHERE token_hash = ?1 AND revoked_at IS NULL", [&hash], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(user) = user else { return Ok(0) };
            let n = if everywhere {
                end_sessions_of(&tx, user, now)?
            } else {
                tx.execute("UPDATE sessions SET revoked_at = ?2 WHERE token_hash = ?1", params![hash, now])?
            };
            let kind = if everywhere { "sign_out_everywhere" } else { "sign_out" };
            log(&tx, kind, None, json!({ "sessions": n }), &by, now)?;
            tx.commit()?;
            Ok(n as u64)
        })
        .await
    }

    async fn record(
        &self,
        kind: &str,
        bed: Option<String>,
        payload: serde_json::Value,
        by: By,
        now: i64,
    ) -> anyhow::Result<u64> {
        let kind = kind.to_string();
        self.write(move |c| {
            let tx = c.transaction()?;
            let seq = log(&tx, &kind, bed.as_deref(), payload, &by, now)?;
            tx.commit()?;
            Ok(seq)
        })
        .await
    }

    async fn audit_filtered(&self, filter: AuditFilter, limit: u32) -> anyhow::Result<Vec<AuditEntry>> {
        self.read(move |c| audit::filtered(c, &filter, limit)).await
    }

    async fn wards(&self) -> anyhow::Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT id, name FROM wards ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn bed_wards(&self) -> anyhow::Result<BTreeMap<String, String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, ward_id FROM beds")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .await
    }

    async fn patient(&self, id: i64) -> anyhow::Result<Option<PatientRow>> {
        self.read(move |c| patient_where(c, "p.id = ?1", [id])).await
    }

    async fn patient_in_bed(&self, bed: &str) -> anyhow::Result<Option<PatientRow>> {
        let bed = bed.to_string();
        self.read(move |c| patient_where(c, "p.bed_id = ?1 AND p.discharged_at IS NULL", [bed])).await
    }

    async fn add_ward(&self, ward: super::rows::NewWard, by: By, now: i64) -> anyhow::Result<Result<(), Refused>> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let taken: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM wards WHERE id = ?1)", [&ward.id], |r| r.get(0))?;
            if taken {
                return Ok(Err(format!("the ward id {:?} is taken", ward.id)));
            }
            tx.execute("INSERT INTO wards(id, name) VALUES (?1, ?2)", params![ward.id, ward.name])?;
            for (pos, bed) in ward.beds.iter().enumerate() {
                let taken: bool =
                    tx.query_row("SELECT EXISTS(SELECT 1 FROM beds WHERE id = ?1)", [&bed.id], |r| r.get(0))?;
                if taken {
                    return Ok(Err(format!("the bed id {:?} is taken", bed.id)));
                }
                tx.execute(
                    "INSERT INTO beds(id, ward_id, label, position) VALUES (?1, ?2, ?3, ?4)",
                    params![bed.id, ward.id, bed.label, pos as i64],
                )?;
            }
            let beds: Vec<&str> = ward.beds.iter().map(|b| b.id.as_str()).collect();
            log(&tx, "ward_created", None, json!({ "ward": ward.id, "beds": beds }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn add_device(&self, id: &str, bed: &str, by: By, now: i64) -> anyhow::Result<Result<String, Refused>> {
        let (id, bed) = (id.to_string(), bed.to_string());
        self.write(move |c| {
            let tx = c.transaction()?;
            let known: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM beds WHERE id = ?1)", [&bed], |r| r.get(0))?;
            if !known {
                return Ok(Err(format!("there is no bed {bed:?}")));
            }
            let taken: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1)", [&id], |r| r.get(0))?;
            if taken {
                return Ok(Err(format!("the device id {id:?} is taken")));
            }
            let token = super::new_token();
            tx.execute(
                "INSERT INTO devices(id, token_hash, bed_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, super::token_hash(&token), bed, now],
            )?;
            log(&tx, "device_registered", Some(&bed), json!({ "device": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(token))
        })
        .await
    }

    async fn remove_device(&self, id: &str, by: By, now: i64) -> anyhow::Result<bool> {
        let id = id.to_string();
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx
                .execute("UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, now])?;
            if n == 1 {
                let bed: String = tx.query_row("SELECT bed_id FROM devices WHERE id = ?1", [&id], |r| r.get(0))?;
                log(&tx, "device_revoked", Some(&bed), json!({ "device": id }), &by, now)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn admitted(&self) -> anyhow::Result<Vec<PatientRow>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {PATIENT_COLUMNS} FROM patients p JOIN beds b ON b.id = p.bed_id
                 WHERE p.discharged_at IS NULL ORDER BY b.ward_id, b.position, b.id"
            ))?;
            let rows = stmt.query_map([], patient_row)?;
            rows.collect()
        })
        .await
    }

    async fn admit(&self, bed: &str, name: &str, by: By, now: i64) -> anyhow::Result<Result<i64, Refused>> {
        let (bed, name) = (bed.to_string(), name.to_string());
        self.write(move |c| {
            let tx = c.transaction()?;
            if let Err(e) = bed_free(&tx, &bed)? {
                return Ok(Err(e));
            }
            tx.execute(
                "INSERT INTO patients(display_name, bed_id, admitted_at, bed_since) VALUES (?1, ?2, ?3, ?3)",
                params![name, bed, now],
            )?;
            let id = tx.last_insert_rowid();
            log(&tx, "patient_admitted", Some(&bed), json!({ "patient": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(id))
        })
        .await
    }

    async fn move_patient(&self, id: i64, bed: &str, by: By, now: i64) -> anyhow::Result<Result<(), Refused>> {
        let bed = bed.to_string();
        self.write(move |c| {
            let tx = c.transaction()?;
            let from: Option<Option<String>> = tx
                .query_row("SELECT bed_id FROM patients WHERE id = ?1 AND discharged_at IS NULL", [id], |r| r.get(0))
                .optional()?;
            let Some(from) = from else { return Ok(Err(format!("there is no admitted patient {id}"))) };
            if let Err(e) = bed_free(&tx, &bed)? {
                return Ok(Err(e));
            }
            tx.execute("UPDATE patients SET bed_id = ?2, bed_since = ?3 WHERE id = ?1", params![id, bed, now])?;
            log(&tx, "patient_moved", Some(&bed), json!({ "patient": id, "from": from }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn discharge(&self, id: i64, by: By, now: i64) -> anyhow::Result<Result<(), Refused>> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let bed: Option<Option<String>> = tx
                .query_row("SELECT bed_id FROM patients WHERE id = ?1 AND discharged_at IS NULL", [id], |r| r.get(0))
                .optional()?;
            let Some(bed) = bed else { return Ok(Err(format!("there is no admitted patient {id}"))) };
            tx.execute("UPDATE patients SET discharged_at = ?2 WHERE id = ?1", params![id, now])?;
            tx.execute(
                "UPDATE invitations SET revoked_at = ?2 WHERE patient_id = ?1 AND revoked_at IS NULL",
                params![id, now],
            )?;
            end_caregivers(&tx, "patient_id = ?1", id, now)?;
            log(&tx, "patient_discharged", bed.as_deref(), json!({ "patient": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn create_invitation(&self, inv: NewInvitation, by: By) -> anyhow::Result<i64> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let creator: i64 =
                tx.query_row("SELECT id FROM users WHERE username = ?1", [&by.username], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO invitations(token_hash, patient_id, caregiver_name, created_by, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![inv.token_hash, inv.patient_id, inv.caregiver_name, creator, inv.now, inv.expires_at],
            )?;
            let id = tx.last_insert_rowid();
            let bed: Option<String> =
                tx.query_row("SELECT bed_id FROM patients WHERE id = ?1", [inv.patient_id], |r| r.get(0))?;
            let payload = json!({ "invitation": id, "patient": inv.patient_id, "expires_at": inv.expires_at });
            log(&tx, "invitation_created", bed.as_deref(), payload, &by, inv.now)?;
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    async fn invitation(&self, id: i64) -> anyhow::Result<Option<InvitationRow>> {
        self.read(move |c| c.query_row(&format!("{INVITATION_QUERY} WHERE i.id = ?1"), [id], invitation_row).optional())
            .await
    }

    async fn invitation_by_token(&self, token_hash: &str) -> anyhow::Result<Option<InvitationRow>> {
        let hash = token_hash.to_string();
        self.read(move |c| {
            c.query_row(&format!("{INVITATION_QUERY} WHERE i.token_hash = ?1"), [hash], invitation_row).optional()
        })
        .await
    }

    async fn invitations(&self) -> anyhow::Result<Vec<InvitationRow>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!("{INVITATION_QUERY} ORDER BY i.id DESC"))?;
            let rows = stmt.query_map([], invitation_row)?;
            rows.collect()
        })
        .await
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        username: &str,
        password_hash: String,
        now: i64,
    ) -> anyhow::Result<Result<i64, Refused>> {
        let (hash, username) = (token_hash.to_string(), username.to_string());
        self.write(move |c| {
            let tx = c.transaction()?;
            let inv = tx
                .query_row(&format!("{INVITATION_QUERY} WHERE i.token_hash = ?1"), [&hash], invitation_row)
                .optional()?;
            let Some(inv) = inv.filter(|i| i.open(now)) else {
                return Ok(Err("this invitation is no longer valid: ask the ward for a new one".into()));
            };
            let taken: bool =
                tx.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)", [&username], |r| r.get(0))?;
            if taken {
                return Ok(Err(format!("the user name {username:?} is taken: choose another")));
            }
            tx.execute(
                "INSERT INTO users(username, display_name, role, password_hash, patient_id, invitation_id, created_at)
                 VALUES (?1, ?2, 'caregiver', ?3, ?4, ?5, ?6)",
                params![username, inv.caregiver_name, password_hash, inv.patient_id, inv.id, now],
            )?;
            let user = tx.last_insert_rowid();
            tx.execute("UPDATE invitations SET accepted_at = ?2 WHERE id = ?1", params![inv.id, now])?;
            let payload = json!({ "invitation": inv.id, "patient": inv.patient_id });
            log(&tx, "invitation_accepted", inv.bed.as_deref(), payload, &By::new(username.clone()), now)?;
            tx.commit()?;
            Ok(Ok(user))
        })
        .await
    }

    async fn revoke_invitation(&self, id: i64, by: By, now: i64) -> anyhow::Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE invitations SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now],
            )?;
            if n == 1 {
                end_caregivers(&tx, "invitation_id = ?1", id, now)?;
                let bed: Option<String> = tx.query_row(
                    "SELECT p.bed_id FROM invitations i JOIN patients p ON p.id = i.patient_id WHERE i.id = ?1",
                    [id],
                    |r| r.get(0),
                )?;
                log(&tx, "invitation_revoked", bed.as_deref(), json!({ "invitation": id }), &by, now)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn latest_numerics(&self, bed: &str, from: i64, to: i64) -> anyhow::Result<Vec<(VitalKind, i64, f64)>> {
        let bed = bed.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT t, value FROM numerics WHERE bed_id = ?1 AND kind = ?2 AND t >= ?3 AND t <= ?4 ORDER BY t DESC LIMIT 1",
            )?;
            let mut out = Vec::new();
            for kind in VitalKind::ALL {
                if let Some((t, v)) = stmt.query_row(params![bed, kind.code(), from, to], |r| Ok((r.get(0)?, r.get(1)?))).optional()? {
                    out.push((kind, t, v));
                }
            }
            Ok(out)
        })
        .await
    }
}

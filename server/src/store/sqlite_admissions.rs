//! [`Admissions`] on SQLite: wards and beds, devices, patients' admissions,
//! caregiver invitations, and what the family portal reads. Each change runs
//! in one transaction with its audit entry.

use super::accounts::*;
use super::sqlite_accounts::{end_sessions_of, log};
use super::SqliteStore;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::json;
use std::collections::BTreeMap;
use vigil_shared::VitalKind;

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
impl Admissions for SqliteStore {
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
        self.write_audited(move |c, key| {
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
            log(&tx, key, "ward_created", None, json!({ "ward": ward.id, "beds": beds }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn add_device(&self, id: &str, bed: &str, by: By, now: i64) -> anyhow::Result<Result<String, Refused>> {
        let (id, bed) = (id.to_string(), bed.to_string());
        self.write_audited(move |c, key| {
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
            log(&tx, key, "device_registered", Some(&bed), json!({ "device": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(token))
        })
        .await
    }

    async fn remove_device(&self, id: &str, by: By, now: i64) -> anyhow::Result<bool> {
        let id = id.to_string();
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            let n = tx
                .execute("UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, now])?;
            if n == 1 {
                let bed: String = tx.query_row("SELECT bed_id FROM devices WHERE id = ?1", [&id], |r| r.get(0))?;
                log(&tx, key, "device_revoked", Some(&bed), json!({ "device": id }), &by, now)?;
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
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            if let Err(e) = bed_free(&tx, &bed)? {
                return Ok(Err(e));
            }
            tx.execute(
                "INSERT INTO patients(display_name, bed_id, admitted_at, bed_since) VALUES (?1, ?2, ?3, ?3)",
                params![name, bed, now],
            )?;
            let id = tx.last_insert_rowid();
            log(&tx, key, "patient_admitted", Some(&bed), json!({ "patient": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(id))
        })
        .await
    }

    async fn move_patient(&self, id: i64, bed: &str, by: By, now: i64) -> anyhow::Result<Result<(), Refused>> {
        let bed = bed.to_string();
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            let from: Option<Option<String>> = tx
                .query_row("SELECT bed_id FROM patients WHERE id = ?1 AND discharged_at IS NULL", [id], |r| r.get(0))
                .optional()?;
            let Some(from) = from else { return Ok(Err(format!("there is no admitted patient {id}"))) };
            if let Err(e) = bed_free(&tx, &bed)? {
                return Ok(Err(e));
            }
            tx.execute("UPDATE patients SET bed_id = ?2, bed_since = ?3 WHERE id = ?1", params![id, bed, now])?;
            log(&tx, key, "patient_moved", Some(&bed), json!({ "patient": id, "from": from }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn discharge(&self, id: i64, by: By, now: i64) -> anyhow::Result<Result<(), Refused>> {
        self.write_audited(move |c, key| {
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
            log(&tx, key, "patient_discharged", bed.as_deref(), json!({ "patient": id }), &by, now)?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn create_invitation(&self, inv: NewInvitation, by: By) -> anyhow::Result<i64> {
        self.write_audited(move |c, key| {
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
            log(&tx, key, "invitation_created", bed.as_deref(), payload, &by, inv.now)?;
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
        self.write_audited(move |c, key| {
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
            log(&tx, key, "invitation_accepted", inv.bed.as_deref(), payload, &By::new(username.clone()), now)?;
            tx.commit()?;
            Ok(Ok(user))
        })
        .await
    }

    async fn revoke_invitation(&self, id: i64, by: By, now: i64) -> anyhow::Result<bool> {
        self.write_audited(move |c, key| {
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
                log(&tx, key, "invitation_revoked", bed.as_deref(), json!({ "invitation": id }), &by, now)?;
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

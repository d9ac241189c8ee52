//! [`Accounts`] on SQLite: accounts, sessions, the second factor and audit
//! entries of their own. Each change runs in one transaction with its audit
//! entry ([`audit::insert`]).

use super::accounts::*;
use super::audit::{self, AuditFilter, Entry};
use super::seal::AuditKey;
use super::{AuditEntry, SqliteStore};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::json;

pub(super) fn log(
    tx: &Transaction<'_>,
    key: &AuditKey,
    kind: &str,
    bed: Option<&str>,
    payload: serde_json::Value,
    by: &By,
    now: i64,
) -> rusqlite::Result<u64> {
    let payload = payload.to_string();
    let entry = Entry { request: None, bed, actor: &by.username, kind, payload: &payload };
    audit::insert(tx, key, &entry, now).map(|(seq, _)| seq)
}

pub(super) fn end_sessions_of(tx: &Transaction<'_>, user: i64, now: i64) -> rusqlite::Result<usize> {
    tx.execute("UPDATE sessions SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL", params![user, now])
}

fn wards_of(c: &Connection, user: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare_cached("SELECT ward_id FROM user_wards WHERE user_id = ?1 ORDER BY ward_id")?;
    let rows = stmt.query_map([user], |r| r.get(0))?;
    rows.collect()
}

#[async_trait::async_trait]
impl Accounts for SqliteStore {
    async fn user_count(&self) -> anyhow::Result<u64> {
        self.read(|c| c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))).await
    }

    async fn create_user(&self, mut user: NewUser, by: By, now: i64) -> anyhow::Result<Result<i64, Refused>> {
        user.wards.sort();
        user.wards.dedup();
        self.write_audited(move |c, key| {
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
            log(&tx, key, "user_created", None, payload, &by, now)?;
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
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            tx.execute("UPDATE users SET password_hash = ?2 WHERE id = ?1", params![user_id, hash])?;
            end_sessions_of(&tx, user_id, now)?;
            log(&tx, key, "password_changed", None, json!({ "user_id": user_id }), &by, now)?;
            tx.commit()
        })
        .await
    }

    async fn disable_user(&self, user_id: i64, by: By, now: i64) -> anyhow::Result<bool> {
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS NULL",
                params![user_id, now],
            )?;
            if n == 1 {
                end_sessions_of(&tx, user_id, now)?;
                log(&tx, key, "user_disabled", None, json!({ "user_id": user_id }), &by, now)?;
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
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL WHERE id = ?1 AND totp_pending IS NOT NULL",
                [user_id],
            )?;
            if n == 1 {
                log(&tx, key, "totp_enabled", None, json!({ "user_id": user_id }), &by, now)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn create_session(&self, s: NewSession, by: By) -> anyhow::Result<()> {
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO sessions(token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.token_hash, s.user_id, s.csrf, s.now, s.expires_at],
            )?;
            log(&tx, key, "sign_in", None, json!({ "address": s.address }), &by, s.now)?;
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
        self.write_audited(move |c, key| {
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
            log(&tx, key, kind, None, json!({ "sessions": n }), &by, now)?;
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
        self.write_audited(move |c, key| {
            let tx = c.transaction()?;
            let seq = log(&tx, key, &kind, bed.as_deref(), payload, &by, now)?;
            tx.commit()?;
            Ok(seq)
        })
        .await
    }

    async fn audit_filtered(&self, filter: AuditFilter, limit: u32) -> anyhow::Result<Vec<AuditEntry>> {
        self.read(move |c| audit::filtered(c, &filter, limit)).await
    }
}

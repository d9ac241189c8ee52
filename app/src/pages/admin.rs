//! Administration: the audit trail (filtered, exported), accounts,
//! admissions (admit, move, discharge) and the caregiver invitations. Only an administrator reaches this page (the
//! server decides, before it is rendered); every action here is audited by
//! the server.

use crate::format;
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct AuditRow {
    pub seq: u64,
    pub at: i64,
    pub bed: Option<String>,
    pub actor: String,
    pub kind: String,
    pub payload: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub wards: Vec<String>,
    pub totp: bool,
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PatientRow {
    pub id: i64,
    pub name: String,
    pub bed: Option<String>,
    pub ward: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct InvitationRow {
    pub id: i64,
    pub caregiver_name: String,
    pub created_by: String,
    pub expires_at: i64,
    pub bed: Option<String>,
    pub open: bool,
    pub revoked_at: Option<i64>,
    pub accepted_at: Option<i64>,
}

/// The audit query string for the filter fields (empty ones left out).
pub fn audit_query(kind: &str, actor: &str, bed: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let mut q = vec!["limit=500".to_string()];
    for (k, v) in [("kind", kind), ("actor", actor), ("bed", bed)] {
        if !v.trim().is_empty() {
            q.push(format!("{k}={}", enc(v.trim())));
        }
    }
    q.join("&")
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let (kind, actor, bed) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let rows = RwSignal::new(Vec::<AuditRow>::new());
    let users = RwSignal::new(Vec::<UserRow>::new());
    let invitations = RwSignal::new(Vec::<InvitationRow>::new());
    let patients = RwSignal::new(Vec::<PatientRow>::new());
    let notice = RwSignal::new(String::new());
    let refresh = RwSignal::new(0u32);
    #[cfg(not(feature = "hydrate"))]
    let _ = refresh;
    let query = move || audit_query(&kind.get(), &actor.get(), &bed.get());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        refresh.track();
        let q = query();
        leptos::task::spawn_local(async move {
            async fn get<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
                let r = gloo_net::http::Request::get(url).send().await.map_err(|e| e.to_string())?;
                if !r.ok() {
                    return Err(format!("the server answered {}", r.status()));
                }
                r.json::<T>().await.map_err(|e| e.to_string())
            }
            match get::<Vec<AuditRow>>(&format!("/api/audit?{q}")).await {
                Ok(mut r) => {
                    r.reverse();
                    rows.set(r);
                }
                Err(e) => notice.set(e),
            }
            if let Ok(u) = get::<Vec<UserRow>>("/api/admin/users").await {
                users.set(u);
            }
            if let Ok(i) = get::<Vec<InvitationRow>>("/api/invitations").await {
                invitations.set(i);
            }
            if let Ok(p) = get::<Vec<PatientRow>>("/api/admin/patients").await {
                patients.set(p);
            }
        });
    });
    let post = move |url: String, body: serde_json::Value| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let csrf = crate::session::fetch_me().await.ok().flatten().map(|m| m.csrf).unwrap_or_default();
            match crate::session::send_json("POST", &url, &body, &csrf).await {
                Ok(_) => notice.set("Done.".into()),
                Err(e) => notice.set(e),
            }
            refresh.update(|n| *n += 1);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (url, body);
    };
    let (new_user, new_name, new_role, new_pw, new_wards) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new("clinician".to_string()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let (admit_bed, admit_name) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let create_user = move || {
        let wards: Vec<String> =
            new_wards.get_untracked().split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
        post(
            "/api/admin/users".into(),
            serde_json::json!({ "username": new_user.get_untracked(), "display_name": new_name.get_untracked(),
                "role": new_role.get_untracked(), "password": new_pw.get_untracked(), "wards": wards }),
        );
    };
    let input = |label: &'static str, id: &'static str, sig: RwSignal<String>| {
        view! {
            <label>{label}
                <input data-testid=id prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <section class="admin" data-testid="admin">
            <div class="bed-head"><a href="/" rel="external" class="back">"← Ward"</a><h1>"Administration"</h1></div>
            <p class="not-monitoring" role="note" data-testid="not-monitoring">
                "This page does not monitor: alarms show and sound on the ward overview and the bed views."
            </p>
            <p class="notice" role="status" data-testid="admin-notice">{move || notice.get()}</p>
            <h2>"Audit trail"</h2>
            <form class="audit-filter" on:submit=|ev| ev.prevent_default()>
                {input("Kind", "audit-kind", kind)}
                {input("Who", "audit-actor", actor)}
                {input("Bed", "audit-bed", bed)}
                <a data-testid="audit-export" href=move || format!("/api/audit?{}&format=csv", query()) download="vigil-audit.csv">"Export CSV"</a>
            </form>
            <table class="audit" data-testid="audit-table">
                <thead><tr><th>"#"</th><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Bed"</th><th>"Details"</th></tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.seq children=|r| {
                        let kind = r.kind.clone();
                        view! {
                        <tr data-testid="audit-row" data-kind=kind>
                            <td>{r.seq}</td><td>{format::clock(r.at, 0)}</td><td>{r.actor}</td><td>{r.kind}</td>
                            <td>{r.bed.unwrap_or_default()}</td><td class="payload">{r.payload}</td>
                        </tr>
                    }}/>
                </tbody>
            </table>
            <h2>"Accounts"</h2>
            <table class="audit" data-testid="users-table">
                <thead><tr><th>"User"</th><th>"Name"</th><th>"Role"</th><th>"Wards"</th><th>"2nd factor"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || users.get() key=|u| (u.id, u.disabled) children=move |u| {
                        let (id, user) = (u.id, u.username.clone());
                        view! {
                            <tr data-testid="user-row" data-user=user>
                                <td>{u.username}</td><td>{u.display_name}</td><td>{u.role}</td><td>{u.wards.join(", ")}</td>
                                <td>{if u.totp { "yes" } else { "no" }}</td>
                                <td>{if u.disabled { view! { <span>"disabled"</span> }.into_any() } else {
                                    view! { <button class="link" on:click=move |_| post(format!("/api/admin/users/{id}/disable"), serde_json::json!({}))>"Disable"</button> }.into_any()
                                }}</td>
                            </tr>
                        }
                    }/>
                </tbody>
            </table>
            <form class="admin-form" on:submit=move |ev| { ev.prevent_default(); create_user(); }>
                {input("User name", "new-username", new_user)}
                {input("Display name", "new-display-name", new_name)}
                <label>"Role"
                    <select data-testid="new-role" on:change=move |ev| new_role.set(event_target_value(&ev))>
                        <option value="clinician" selected=true>"clinician"</option>
                        <option value="admin">"administrator"</option>
                    </select>
                </label>
                <label>"Password"
                    <input data-testid="new-password" type="password" prop:value=move || new_pw.get() on:input=move |ev| new_pw.set(event_target_value(&ev))/>
                </label>
                {input("Wards (comma-separated ids)", "new-wards", new_wards)}
                <button data-testid="create-user" type="submit">"Create account"</button>
            </form>
            <h2>"Patients"</h2>
            <table class="audit" data-testid="patients-table">
                <thead><tr><th>"Patient"</th><th>"Ward"</th><th>"Bed"</th><th>"Move to bed"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || patients.get() key=|p| (p.id, p.bed.clone()) children=move |p| {
                        let (id, name, bed) = (p.id, p.name.clone(), p.bed.clone().unwrap_or_default());
                        let bed_attr = bed.clone();
                        let to = RwSignal::new(String::new());
                        view! {
                            <tr data-testid="patient-row" data-bed=bed_attr>
                                <td>{p.name}</td><td>{p.ward.unwrap_or_default()}</td><td>{bed}</td>
                                <td>
                                    <input class="narrow" aria-label=format!("Move {name} to bed") prop:value=move || to.get()
                                        on:input=move |ev| to.set(event_target_value(&ev))/>
                                    <button class="link" on:click=move |_| post(format!("/api/admin/patients/{id}/move"), serde_json::json!({ "bed": to.get_untracked() }))>"Move"</button>
                                </td>
                                <td><button class="link" data-testid="discharge" on:click=move |_| post(format!("/api/admin/patients/{id}/discharge"), serde_json::json!({}))>"Discharge"</button></td>
                            </tr>
                        }
                    }/>
                </tbody>
            </table>
            <form class="admin-form" on:submit=move |ev| {
                ev.prevent_default();
                post("/api/admin/patients".into(), serde_json::json!({ "bed": admit_bed.get_untracked(), "name": admit_name.get_untracked() }));
            }>
                {input("Bed id", "admit-bed", admit_bed)}
                {input("Patient's name", "admit-name", admit_name)}
                <button data-testid="admit" type="submit">"Admit"</button>
            </form>
            <h2>"Caregiver invitations"</h2>
            <table class="audit" data-testid="invitations-table">
                <thead><tr><th>"#"</th><th>"Caregiver"</th><th>"Bed"</th><th>"By"</th><th>"State"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || invitations.get() key=|i| (i.id, i.open, i.revoked_at) children=move |i| {
                        let id = i.id;
                        let state = if i.revoked_at.is_some() { "revoked" } else if i.accepted_at.is_some() { "in use" } else if i.open { "open" } else { "expired" };
                        let live = i.revoked_at.is_none();
                        view! {
                            <tr data-testid="invitation-row">
                                <td>{i.id}</td><td>{i.caregiver_name}</td><td>{i.bed.unwrap_or_default()}</td><td>{i.created_by}</td><td>{state}</td>
                                <td>{live.then(|| view! { <button class="link" on:click=move |_| post(format!("/api/invitations/{id}/revoke"), serde_json::json!({}))>"Revoke"</button> })}</td>
                            </tr>
                        }
                    }/>
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_filter_becomes_a_query_of_the_fields_given() {
        assert_eq!(audit_query("", " ", ""), "limit=500");
        assert_eq!(audit_query("sign_in", "amal test", "b01"), "limit=500&kind=sign_in&actor=amal%20test&bed=b01");
    }
}

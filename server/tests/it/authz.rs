//! The authorisation matrix: every route and every live-socket message,
//! tried by every kind of principal (signed out, administrator, clinician of
//! the bed's ward, clinician of another ward, the patient's caregiver), each
//! with a fresh account signed in through the real sign-in. The set of
//! (route, principal) pairs let through must be exactly the one written here.
//! "Let through" means not answered 401, 403 or 404 (and, for pages, not
//! redirected): a 409 for a conflicting change passed authorisation.

use crate::api::{spawn_app, TestApp};
use crate::http::{Req, Resp};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use vigil_server::auth::password;
use vigil_server::clock::now_ms;
use vigil_server::store::accounts::{By, NewInvitation, NewUser};
use vigil_server::store::rows::{NewBed, NewWard};
use vigil_server::store::{token_hash, AuditFilter};
use vigil_shared::alarm::{AlarmId, BedEvent, Condition, EventRequest, Limits, Profile};
use vigil_shared::news2::{Consciousness, Oxygen, SpO2Scale};
use vigil_shared::protocol::live::ClientMessage;
use vigil_shared::VitalKind;

pub const PASSWORD: &str = "matrix-password-1234";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Out,
    Admin,
    Clinician,
    OtherWard,
    Caregiver,
}

const WHO: [Who; 5] = [Who::Out, Who::Admin, Who::Clinician, Who::OtherWard, Who::Caregiver];

impl Who {
    fn letter(self) -> char {
        match self {
            Who::Out => 'S',
            Who::Admin => 'A',
            Who::Clinician => 'C',
            Who::OtherWard => 'O',
            Who::Caregiver => 'G',
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub username: String,
}

pub struct World {
    pub app: TestApp,
    /// The patient in b01 (ward w1).
    pub patient: i64,
    hash: String,
    n: AtomicUsize,
    victim_user: i64,
    move_patient: i64,
    discharge_patient: i64,
}

impl World {
    pub async fn new() -> World {
        let app = spawn_app().await;
        let store = &app.store;
        let by = || By::new("setup");
        store
            .create_ward(NewWard {
                id: "w2".into(),
                name: "Other ward".into(),
                beds: vec![NewBed {
                    admitted_at: None,
                    id: "c01".into(),
                    label: "C1".into(),
                    patient: Some("Other Ward Patient".into()),
                }],
            })
            .await
            .unwrap();
        store
            .create_ward(NewWard {
                id: "w3".into(),
                name: "Moves".into(),
                beds: (1..=4)
                    .map(|i| NewBed {
                        admitted_at: None,
                        id: format!("d{i:02}"),
                        label: format!("D{i}"),
                        patient: None,
                    })
                    .collect(),
            })
            .await
            .unwrap();
        let now = now_ms();
        let move_patient = store.admit("d01", "Mover", by(), now).await.unwrap().unwrap();
        let discharge_patient = store.admit("d03", "Leaver", by(), now).await.unwrap().unwrap();
        store.register_device("dev-victim", "d01").await.unwrap();
        let patient = store.patient_in_bed("b01").await.unwrap().unwrap().id;
        let hash = password::hash(PASSWORD).unwrap();
        let victim = NewUser {
            username: "victim".into(),
            display_name: "Victim".into(),
            role: "clinician".into(),
            password_hash: hash.clone(),
            wards: vec![],
        };
        let victim_user = store.create_user(victim, by(), now).await.unwrap().unwrap();
        World { app, patient, hash, n: AtomicUsize::new(0), victim_user, move_patient, discharge_patient }
    }

    fn next(&self) -> usize {
        self.n.fetch_add(1, Ordering::SeqCst)
    }

    /// A new invitation for the b01 patient; its token.
    pub async fn invitation(&self) -> (i64, String) {
        let token = format!("vgi_test_{}", self.next());
        let inv = NewInvitation {
            token_hash: token_hash(&token),
            patient_id: self.patient,
            caregiver_name: "Family Test".into(),
            now: now_ms(),
            expires_at: now_ms() + 3_600_000,
        };
        (self.app.store.create_invitation(inv, By::new("rn-test")).await.unwrap(), token)
    }

    /// A fresh account of that kind, signed in through the real routes.
    pub async fn sign_in(&self, who: Who) -> Option<Session> {
        let n = self.next();
        let (role, wards) = match who {
            Who::Out => return None,
            Who::Caregiver => {
                let (_, token) = self.invitation().await;
                let username = format!("family{n}");
                let r = Req::post(
                    "/api/invitations/accept",
                    json!({ "token": token, "username": username, "password": PASSWORD }),
                )
                .csrf("1")
                .send(self.app.addr)
                .await;
                assert_eq!(r.status, 200, "{}", r.body);
                return Some(Session {
                    token: r.session_cookie().unwrap(),
                    csrf: r.json()["csrf"].as_str().unwrap().into(),
                    username,
                });
            }
            Who::Admin => ("admin", vec![]),
            Who::Clinician => ("clinician", vec!["w1".to_string()]),
            Who::OtherWard => ("clinician", vec!["w2".to_string()]),
        };
        let username = format!("user{n}");
        let user = NewUser {
            username: username.clone(),
            display_name: username.clone(),
            role: role.into(),
            password_hash: self.hash.clone(),
            wards,
        };
        self.app.store.create_user(user, By::new("setup"), now_ms()).await.unwrap().unwrap();
        Some(self.password_sign_in(&username).await)
    }

    pub async fn password_sign_in(&self, username: &str) -> Session {
        let r = Req::post("/api/session", json!({ "username": username, "password": PASSWORD }))
            .csrf("1")
            .send(self.app.addr)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        Session {
            token: r.session_cookie().unwrap(),
            csrf: r.json()["csrf"].as_str().unwrap().into(),
            username: username.into(),
        }
    }

    pub async fn send(&self, req: Req, s: &Option<Session>) -> Resp {
        let req = match s {
            Some(s) => req.cookie(&s.token).csrf(&s.csrf),
            None => req.csrf("1"),
        };
        req.send(self.app.addr).await
    }
}

fn let_through(r: &Resp) -> bool {
    !matches!(r.status, 401 | 403 | 404 | 300..=399)
}

const HTTP_ROUTES: &[&str] = &[
    "GET /health",
    "GET /signin",
    "GET /",
    "GET /bed/b01",
    "GET /admin",
    "GET /family",
    "GET /api/me",
    "GET /api/wards",
    "GET /api/beds/b01/trend",
    "GET /api/beds/b01/waves",
    "GET /api/admin/users",
    "POST /api/admin/users",
    "POST /api/admin/users/{id}/disable",
    "POST /api/admin/wards",
    "GET /api/admin/patients",
    "POST /api/admin/patients",
    "POST /api/admin/patients/{id}/move",
    "POST /api/admin/patients/{id}/discharge",
    "POST /api/admin/devices",
    "POST /api/admin/devices/{id}/revoke",
    "GET /api/audit",
    "GET /api/audit?format=csv",
    "GET /api/invitations",
    "POST /api/invitations",
    "POST /api/invitations/{id}/revoke",
    "POST /api/invitations/accept",
    "GET /api/family",
    "POST /api/session",
    "DELETE /api/session",
    "DELETE /api/sessions",
    "POST /api/me/password",
    "POST /api/me/totp",
    "POST /api/me/totp/confirm",
];

async fn probe_http(w: &World, route: &str, s: &Option<Session>) -> bool {
    let n = w.next();
    let t = now_ms();
    let req = match route {
        "GET /health"
        | "GET /signin"
        | "GET /"
        | "GET /bed/b01"
        | "GET /admin"
        | "GET /family"
        | "GET /api/me"
        | "GET /api/wards"
        | "GET /api/admin/users"
        | "GET /api/audit"
        | "GET /api/audit?format=csv"
        | "GET /api/invitations"
        | "GET /api/family"
        | "GET /api/admin/patients" => Req::get(&route[4..]),
        "GET /api/beds/b01/trend" => Req::get("/api/beds/b01/trend?minutes=5"),
        "GET /api/beds/b01/waves" => Req::get(format!("/api/beds/b01/waves?from={}&to={t}", t - 10_000)),
        "POST /api/admin/users" => Req::post(
            "/api/admin/users",
            json!({ "username": format!("new{n}"), "display_name": "New", "role": "clinician", "password": PASSWORD, "wards": ["w1"] }),
        ),
        "POST /api/admin/users/{id}/disable" => {
            Req::post(format!("/api/admin/users/{}/disable", w.victim_user), json!({}))
        }
        "POST /api/admin/wards" => Req::post(
            "/api/admin/wards",
            json!({ "id": format!("ward{n}"), "name": "W", "beds": [{ "id": format!("bed{n}"), "label": "B" }] }),
        ),
        "POST /api/admin/patients" => Req::post("/api/admin/patients", json!({ "bed": "d04", "name": "New Patient" })),
        "POST /api/admin/patients/{id}/move" => {
            Req::post(format!("/api/admin/patients/{}/move", w.move_patient), json!({ "bed": "d02" }))
        }
        "POST /api/admin/patients/{id}/discharge" => {
            Req::post(format!("/api/admin/patients/{}/discharge", w.discharge_patient), json!({}))
        }
        "POST /api/admin/devices" => Req::post("/api/admin/devices", json!({ "id": format!("dev{n}"), "bed": "d01" })),
        "POST /api/admin/devices/{id}/revoke" => Req::post("/api/admin/devices/dev-victim/revoke", json!({})),
        "POST /api/invitations" => Req::post("/api/invitations", json!({ "bed": "b01", "caregiver_name": "Family" })),
        "POST /api/invitations/{id}/revoke" => {
            let (id, _) = w.invitation().await;
            Req::post(format!("/api/invitations/{id}/revoke"), json!({}))
        }
        "POST /api/invitations/accept" => {
            let (_, token) = w.invitation().await;
            Req::post(
                "/api/invitations/accept",
                json!({ "token": token, "username": format!("accept{n}"), "password": PASSWORD }),
            )
        }
        "POST /api/session" => {
            let user = NewUser {
                username: format!("signin{n}"),
                display_name: "S".into(),
                role: "clinician".into(),
                password_hash: w.hash.clone(),
                wards: vec![],
            };
            w.app.store.create_user(user, By::new("setup"), t).await.unwrap().unwrap();
            Req::post("/api/session", json!({ "username": format!("signin{n}"), "password": PASSWORD }))
        }
        "DELETE /api/session" | "DELETE /api/sessions" => Req::new("DELETE", &route[7..]),
        "POST /api/me/password" => {
            Req::post("/api/me/password", json!({ "current": PASSWORD, "new": "another-password-5678" }))
        }
        "POST /api/me/totp" => Req::post("/api/me/totp", json!({ "password": PASSWORD })),
        "POST /api/me/totp/confirm" => Req::post("/api/me/totp/confirm", json!({ "code": "000000" })),
        other => panic!("no probe for {other}"),
    };
    let r = w.send(req, s).await;
    assert!(r.status != 500 && r.status != 422 && r.status != 0, "{route}: {} {}", r.status, r.body);
    let_through(&r)
}

const WS_PROBES: &[&str] = &[
    "WS connect",
    "WS ping",
    "WS subscribe all",
    "WS subscribe b01",
    "WS acknowledge b01",
    "WS set_limits b01",
    "WS set_profile b01",
    "WS observe b01",
];

async fn next_text(ws: &mut crate::api::Ws) -> Option<serde_json::Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).ok(),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Reads until a message of one of `types` arrives.
async fn until(ws: &mut crate::api::Ws, types: &[&str]) -> Option<serde_json::Value> {
    loop {
        let m = next_text(ws).await?;
        if types.contains(&m["type"].as_str().unwrap_or("")) {
            return Some(m);
        }
    }
}

async fn probe_ws(w: &World, probe: &str, s: &Option<Session>) -> bool {
    let Ok(mut ws) = w.app.live_as(s.as_ref().map(|s| s.token.as_str())).await else { return false };
    let send = |v: serde_json::Value| Message::Text(v.to_string().into());
    let n = w.next();
    match probe {
        "WS connect" => true,
        "WS ping" => {
            ws.send(send(json!({ "type": "ping", "id": 7 }))).await.unwrap();
            until(&mut ws, &["pong"]).await.is_some()
        }
        "WS subscribe all" | "WS subscribe b01" => {
            let beds = if probe.ends_with("b01") { json!(["b01"]) } else { json!([]) };
            ws.send(send(json!({ "type": "subscribe", "beds": beds }))).await.unwrap();
            let m = until(&mut ws, &["ward", "error"]).await.unwrap();
            // Let through = the ward message lists b01.
            m["type"] == "ward" && m["beds"].as_array().unwrap().iter().any(|b| b["id"] == "b01")
        }
        _ => {
            let event = match probe {
                "WS acknowledge b01" => BedEvent::Acknowledge {
                    ids: vec![AlarmId { bed: "b01".into(), condition: Condition::NoData, onset: 1_790_000_000_000 }],
                },
                "WS set_limits b01" => BedEvent::SetLimits {
                    kind: VitalKind::Hr,
                    limits: Limits {
                        extreme_low: Some(40.0),
                        low: Some(50.0),
                        high: Some(120.0),
                        extreme_high: Some(150.0),
                    },
                },
                "WS set_profile b01" => BedEvent::SetProfile { profile: Profile::Adult },
                "WS observe b01" => BedEvent::Observe {
                    consciousness: Some(Consciousness::Alert),
                    oxygen: Some(Oxygen::Air),
                    scale: SpO2Scale::default(),
                },
                other => panic!("no probe for {other}"),
            };
            let before = b01_events(w).await;
            let request =
                EventRequest { id: format!("req-{n}"), bed: "b01".into(), actor: "forged name".into(), event };
            ws.send(send(serde_json::to_value(ClientMessage::Event { request }).unwrap())).await.unwrap();
            // Messages are handled in order: once the pong is back, the event was.
            ws.send(send(json!({ "type": "ping", "id": 9 }))).await.unwrap();
            let reply = until(&mut ws, &["event_rejected", "pong"]).await.unwrap();
            let after = b01_events(w).await;
            let stored = after.len() > before.len();
            assert_eq!(reply["type"] == "pong", stored, "{probe}: a refusal is said, a stored event is not");
            if stored {
                let e = after.last().unwrap();
                assert_eq!(
                    e.actor,
                    s.as_ref().unwrap().username,
                    "the actor is the signed-in account, not what the tablet wrote"
                );
            }
            stored
        }
    }
}

async fn b01_events(w: &World) -> Vec<vigil_server::store::AuditEntry> {
    let f = AuditFilter { bed: Some("b01".into()), ..Default::default() };
    w.app
        .store
        .audit_filtered(f, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != "invitation_created")
        .collect()
}

#[tokio::test]
async fn every_route_and_socket_message_lets_through_exactly_the_allowed_principals() {
    let w = World::new().await;
    let mut got = BTreeSet::new();
    for route in HTTP_ROUTES {
        for who in WHO {
            let s = w.sign_in(who).await;
            if probe_http(&w, route, &s).await {
                got.insert(format!("{route} {}", who.letter()));
            }
        }
    }
    for probe in WS_PROBES {
        for who in WHO {
            let s = w.sign_in(who).await;
            if probe_ws(&w, probe, &s).await {
                got.insert(format!("{probe} {}", who.letter()));
            }
        }
    }
    // S signed out, A administrator, C clinician of b01's ward, O clinician of
    // another ward, G the b01 patient's caregiver.
    let allowed: &[(&str, &str)] = &[
        ("GET /health", "SACOG"),
        ("GET /signin", "SACOG"),
        ("GET /", "ACO"),
        ("GET /bed/b01", "AC"),
        ("GET /admin", "A"),
        ("GET /family", "G"),
        ("GET /api/me", "ACOG"),
        ("GET /api/wards", "ACO"),
        ("GET /api/beds/b01/trend", "AC"),
        ("GET /api/beds/b01/waves", "AC"),
        ("GET /api/admin/users", "A"),
        ("POST /api/admin/users", "A"),
        ("POST /api/admin/users/{id}/disable", "A"),
        ("POST /api/admin/wards", "A"),
        ("GET /api/admin/patients", "A"),
        ("POST /api/admin/patients", "A"),
        ("POST /api/admin/patients/{id}/move", "A"),
        ("POST /api/admin/patients/{id}/discharge", "A"),
        ("POST /api/admin/devices", "A"),
        ("POST /api/admin/devices/{id}/revoke", "A"),
        ("GET /api/audit", "A"),
        ("GET /api/audit?format=csv", "A"),
        ("GET /api/invitations", "ACO"),
        ("POST /api/invitations", "AC"),
        ("POST /api/invitations/{id}/revoke", "AC"),
        ("POST /api/invitations/accept", "SACOG"),
        ("GET /api/family", "G"),
        ("POST /api/session", "SACOG"),
        ("DELETE /api/session", "ACOG"),
        ("DELETE /api/sessions", "ACOG"),
        ("POST /api/me/password", "ACOG"),
        ("POST /api/me/totp", "ACO"),
        ("POST /api/me/totp/confirm", "ACO"),
        ("WS connect", "ACO"),
        ("WS ping", "ACO"),
        ("WS subscribe all", "AC"),
        ("WS subscribe b01", "AC"),
        ("WS acknowledge b01", "C"),
        ("WS set_limits b01", "C"),
        ("WS set_profile b01", "C"),
        ("WS observe b01", "C"),
    ];
    let want: BTreeSet<String> =
        allowed.iter().flat_map(|(r, who)| who.chars().map(move |c| format!("{r} {c}"))).collect();
    let listed: BTreeSet<&str> = allowed.iter().map(|(r, _)| *r).collect();
    assert_eq!(listed.len(), HTTP_ROUTES.len() + WS_PROBES.len(), "every probe has its allowed set");
    let extra: Vec<_> = got.difference(&want).collect();
    let missing: Vec<_> = want.difference(&got).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "let through but not allowed: {extra:?}\nallowed but refused: {missing:?}"
    );
}

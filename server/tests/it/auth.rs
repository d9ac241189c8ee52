//! Signing in and the security checks around it: the cookie, failures that
//! say nothing and are rate-limited, no session fixation, forged and
//! cross-site requests refused, oversized and malformed requests refused,
//! the second factor, the first administrator, and caregiver access that
//! ends with its invitation or the patient's discharge.

use crate::authz::{Who, World, PASSWORD};
use crate::http::Req;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use vigil_server::auth::{self, totp};
use vigil_server::clock::now_ms;
use vigil_server::store::accounts::By;
use vigil_shared::frame::{RawFrame, RawNumeric};
use vigil_shared::VitalKind;

#[tokio::test]
async fn signing_in_sets_an_http_only_strict_cookie_and_failures_say_nothing_and_are_audited() {
    let w = World::new().await;
    let s = w.sign_in(Who::Clinician).await.unwrap();
    let r = Req::post("/api/session", json!({ "username": s.username, "password": PASSWORD }))
        .csrf("1")
        .send(w.app.addr)
        .await;
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let me = Req::get("/api/me").cookie(&r.session_cookie().unwrap()).send(w.app.addr).await;
    assert_eq!(me.json()["username"], s.username.as_str());

    let wrong = Req::post("/api/session", json!({ "username": s.username, "password": "not-the-password" }))
        .csrf("1")
        .send(w.app.addr)
        .await;
    let unknown = Req::post("/api/session", json!({ "username": "nobody", "password": PASSWORD }))
        .csrf("1")
        .send(w.app.addr)
        .await;
    assert_eq!((wrong.status, unknown.status), (403, 403));
    assert_eq!(wrong.body, unknown.body, "a wrong password and an unknown name get the same answer");
    assert!(wrong.session_cookie().is_none());
    let failed = w.app.store.audit(0, 1000).await.unwrap().into_iter().filter(|e| e.kind == "sign_in_failed").count();
    assert_eq!(failed, 2);
}

#[tokio::test]
async fn the_sixth_failed_sign_in_is_refused_even_with_the_right_password() {
    let w = World::new().await;
    let s = w.sign_in(Who::Clinician).await.unwrap();
    let attempt = |pw: &str| Req::post("/api/session", json!({ "username": s.username, "password": pw })).csrf("1");
    for _ in 0..5 {
        assert_eq!(attempt("guess-guess-guess").send(w.app.addr).await.status, 403);
    }
    let locked = attempt(PASSWORD).send(w.app.addr).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.header("retry-after").unwrap().parse::<u64>().unwrap() > 800);
    assert!(locked.body.contains("too many"));
}

#[tokio::test]
async fn a_session_token_planted_before_sign_in_is_never_promoted() {
    let w = World::new().await;
    let s = w.sign_in(Who::Clinician).await.unwrap();
    let planted = "vgs_planted_by_an_attacker";
    let r = Req::post("/api/session", json!({ "username": s.username, "password": PASSWORD }))
        .csrf("1")
        .cookie(planted)
        .send(w.app.addr)
        .await;
    let fresh = r.session_cookie().unwrap();
    assert_ne!(fresh, planted);
    assert_eq!(Req::get("/api/me").cookie(planted).send(w.app.addr).await.status, 401);
    assert_eq!(Req::get("/api/me").cookie(&fresh).send(w.app.addr).await.status, 200);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_everywhere_ends_them_all() {
    let w = World::new().await;
    let a = w.sign_in(Who::Clinician).await.unwrap();
    let b = w.password_sign_in(&a.username).await;
    let out = Req::new("DELETE", "/api/session").cookie(&a.token).csrf(&a.csrf).send(w.app.addr).await;
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(Req::get("/api/me").cookie(&a.token).send(w.app.addr).await.status, 401);
    assert_eq!(Req::get("/api/me").cookie(&b.token).send(w.app.addr).await.status, 200, "only this session ended");
    let c = w.password_sign_in(&a.username).await;
    Req::new("DELETE", "/api/sessions").cookie(&c.token).csrf(&c.csrf).send(w.app.addr).await;
    for t in [&b.token, &c.token] {
        assert_eq!(Req::get("/api/me").cookie(t).send(w.app.addr).await.status, 401);
    }
    assert!(w.app.live_as(Some(&b.token)).await.is_err(), "no socket for an ended session");
}

#[tokio::test]
async fn state_changing_requests_without_the_anti_forgery_token_or_from_another_site_change_nothing() {
    let w = World::new().await;
    let admin = w.sign_in(Who::Admin).await.unwrap();
    let before = w.app.store.audit(0, 10_000).await.unwrap().len();
    let bodies = [
        ("POST", "/api/admin/patients", json!({ "bed": "b02", "name": "Forged" })),
        (
            "POST",
            "/api/admin/users",
            json!({ "username": "forged", "display_name": "F", "role": "admin", "password": PASSWORD }),
        ),
        ("POST", "/api/invitations", json!({ "bed": "b01", "caregiver_name": "Forged" })),
        ("POST", "/api/admin/devices", json!({ "id": "forged", "bed": "b01" })),
        ("DELETE", "/api/sessions", json!({})),
    ];
    for (method, path, body) in bodies {
        let no_token = Req::new(method, path).json(body.clone()).cookie(&admin.token).send(w.app.addr).await;
        let wrong =
            Req::new(method, path).json(body.clone()).cookie(&admin.token).csrf("vgc_guess").send(w.app.addr).await;
        let foreign = Req::new(method, path)
            .json(body.clone())
            .cookie(&admin.token)
            .csrf(&admin.csrf)
            .header("origin", "http://evil.example")
            .send(w.app.addr)
            .await;
        for r in [no_token, wrong, foreign] {
            assert_eq!(r.status, 403, "{method} {path}: {}", r.body);
        }
    }
    let sign_in =
        Req::post("/api/session", json!({ "username": admin.username, "password": PASSWORD })).send(w.app.addr).await;
    assert_eq!(sign_in.status, 403, "even signing in needs the header a cross-site form cannot send");
    assert_eq!(w.app.store.audit(0, 10_000).await.unwrap().len(), before, "nothing was done");
    assert!(w.app.store.patient_in_bed("b02").await.unwrap().is_none());
    assert_eq!(Req::get("/api/me").cookie(&admin.token).send(w.app.addr).await.status, 200);

    // A live socket opened from another site's page is refused.
    let mut req = format!("ws://{}/ws/live", w.app.addr).into_client_request().unwrap();
    req.headers_mut().insert("cookie", format!("vigil_session={}", admin.token).parse().unwrap());
    req.headers_mut().insert("origin", "http://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
}

#[tokio::test]
async fn oversized_and_malformed_requests_are_refused_and_change_nothing() {
    let w = World::new().await;
    let admin = w.sign_in(Who::Admin).await.unwrap();
    let before = w.app.store.audit(0, 10_000).await.unwrap().len();
    let huge = format!(r#"{{"bed":"b02","name":"{}"}}"#, "x".repeat(200_000));
    let send = |body: String| {
        Req::new("POST", "/api/admin/patients")
            .header("content-type", "application/json")
            .raw_body(body)
            .cookie(&admin.token)
            .csrf(&admin.csrf)
            .send(w.app.addr)
    };
    assert_eq!(send(huge).await.status, 413);
    for bad in [
        "{",
        "[]",
        r#"{"bed":"b02"}"#,
        r#"{"bed":"b02","name":"A","extra":1}"#,
        r#"{"bed":"b02","name":""}"#,
        r#"{"bed":"b02","name":"a\u0000b"}"#,
    ] {
        let r = send(bad.to_string()).await;
        assert!((400..500).contains(&r.status) && r.status != 404, "{bad}: {} {}", r.status, r.body);
    }
    let long_name = Req::post("/api/session", json!({ "username": "u".repeat(1000), "password": "p" }))
        .csrf("1")
        .send(w.app.addr)
        .await;
    assert_eq!(long_name.status, 400);
    assert_eq!(w.app.store.audit(0, 10_000).await.unwrap().len(), before);
    assert!(w.app.store.patient_in_bed("b02").await.unwrap().is_none());
}

#[tokio::test]
async fn with_a_second_factor_the_password_alone_does_not_sign_in() {
    let w = World::new().await;
    let s = w.sign_in(Who::Clinician).await.unwrap();
    let no_password = Req::post("/api/me/totp", json!({ "password": "not-mine-at-all" }))
        .cookie(&s.token)
        .csrf(&s.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(no_password.status, 403, "a session alone cannot replace the second factor");
    let begun = Req::post("/api/me/totp", json!({ "password": PASSWORD }))
        .cookie(&s.token)
        .csrf(&s.csrf)
        .send(w.app.addr)
        .await
        .json();
    let secret = begun["secret"].as_str().unwrap().to_string();
    assert!(begun["uri"].as_str().unwrap().starts_with("otpauth://totp/Vigil:"));
    let bad = Req::post("/api/me/totp/confirm", json!({ "code": "000000" }))
        .cookie(&s.token)
        .csrf(&s.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(bad.status, 403);
    let code = totp::code_at(&secret, now_ms()).unwrap();
    let ok = Req::post("/api/me/totp/confirm", json!({ "code": code }))
        .cookie(&s.token)
        .csrf(&s.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let sign_in = |code: Option<String>| {
        Req::post("/api/session", json!({ "username": s.username, "password": PASSWORD, "code": code })).csrf("1")
    };
    let asked = sign_in(None).send(w.app.addr).await;
    assert_eq!(asked.status, 401);
    assert_eq!(asked.json()["code_required"], true);
    assert!(asked.session_cookie().is_none());
    assert_eq!(sign_in(Some("123456".into())).send(w.app.addr).await.status, 403);
    let ok = sign_in(Some(totp::code_at(&secret, now_ms()).unwrap())).send(w.app.addr).await;
    assert_eq!(ok.status, 200);
    assert!(ok.session_cookie().is_some());
}

#[tokio::test]
async fn the_first_administrator_is_made_once_with_a_generated_or_given_password() {
    let w = World::new().await;
    // The test world already has accounts: nothing is made.
    assert_eq!(auth::ensure_first_admin(&w.app.store, None).await.unwrap(), None);
    let dir = tempfile::tempdir().unwrap();
    let store = vigil_server::store::Store::open(&dir.path().join("v.db"), Box::new(|_| {})).unwrap();
    assert!(auth::ensure_first_admin(&store, Some("short".into()))
        .await
        .unwrap_err()
        .to_string()
        .contains("VIGIL_ADMIN_PASSWORD"));
    let pw = auth::ensure_first_admin(&store, None).await.unwrap().expect("a generated password, shown once");
    let admin = store.user_by_name("admin").await.unwrap().unwrap();
    assert!(auth::password::verify(&pw, &admin.password_hash));
    assert_eq!(auth::ensure_first_admin(&store, None).await.unwrap(), None, "never again");
}

#[tokio::test]
async fn a_caregiver_sees_their_patient_late_and_only_since_this_bed_and_loses_access_on_revocation_or_discharge() {
    let w = World::new().await;
    // A patient admitted to d04 ten minutes ago; the monitor sent HR 2
    // minutes ago and now. The portal shows the value as of 60 s ago.
    let now = now_ms();
    let patient = w.app.store.admit("d04", "Backdated", By::new("admin"), now - 600_000).await.unwrap().unwrap();
    let token = w.app.store.register_device("dev-d04", "d04").await.unwrap();
    let mut dev = w.app.device(&token).await.unwrap();
    let f = |seq, t, v| RawFrame {
        seq,
        numerics: vec![RawNumeric { kind: VitalKind::Hr, t, value: v }],
        waves: vec![],
        technical: vec![],
    };
    crate::api::send_frame(&mut dev, f(1, now - 120_000, 77.0)).await;
    crate::api::send_frame(&mut dev, f(2, now, 140.0)).await;
    let inv = vigil_server::store::accounts::NewInvitation {
        token_hash: vigil_server::store::token_hash("vgi_d04"),
        patient_id: patient,
        caregiver_name: "Daughter".into(),
        now,
        expires_at: now + 3_600_000,
    };
    w.app.store.create_invitation(inv, By::new("rn-test")).await.unwrap();
    let acc = Req::post(
        "/api/invitations/accept",
        json!({ "token": "vgi_d04", "username": "daughter", "password": PASSWORD }),
    )
    .csrf("1")
    .send(w.app.addr)
    .await;
    let d = acc.session_cookie().unwrap();
    let fam = Req::get("/api/family").cookie(&d).send(w.app.addr).await;
    assert_eq!(fam.status, 200, "{}", fam.body);
    let fam = fam.json();
    assert_eq!((fam["patient"].as_str(), fam["delay_seconds"].as_i64()), (Some("Backdated"), Some(60)));
    let hr = fam["vitals"].as_array().unwrap().iter().find(|v| v["kind"] == "hr").unwrap().clone();
    assert_eq!(hr["value"], 77.0, "the newest value is not shown before the delay: {fam}");
    assert!(fam["series"]["hr"].as_array().unwrap().iter().all(|b| b[3].as_f64() < Some(100.0)), "nor in the trend");

    // The b01 caregiver from here on.
    let g = w.sign_in(Who::Caregiver).await.unwrap();
    let fam = Req::get("/api/family").cookie(&g.token).send(w.app.addr).await.json();
    assert_eq!(fam["patient"], "A. Test");
    assert!(!fam.to_string().contains("Other Ward Patient"));
    assert!(fam.get("alarms").is_none() && fam.get("limits").is_none());

    // Revoking the caregiver's invitation ends the access at once.
    let inv = w
        .app
        .store
        .invitations()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.accepted_at.is_some() && i.patient_id == w.patient)
        .unwrap();
    w.app.store.revoke_invitation(inv.id, By::new("rn-test"), now_ms()).await.unwrap();
    assert_eq!(Req::get("/api/family").cookie(&g.token).send(w.app.addr).await.status, 401);
    let again = Req::post("/api/session", json!({ "username": g.username, "password": PASSWORD }))
        .csrf("1")
        .send(w.app.addr)
        .await;
    assert_eq!(again.status, 403, "the account is disabled with its invitation");

    // Discharge ends every caregiver's access and every open invitation.
    let g2 = w.sign_in(Who::Caregiver).await.unwrap();
    let (_, unused) = w.invitation().await;
    assert_eq!(Req::get("/api/family").cookie(&g2.token).send(w.app.addr).await.status, 200);
    w.app.store.discharge(w.patient, By::new("admin"), now_ms()).await.unwrap().unwrap();
    assert_eq!(Req::get("/api/family").cookie(&g2.token).send(w.app.addr).await.status, 401);
    let late =
        Req::post("/api/invitations/accept", json!({ "token": unused, "username": "toolate", "password": PASSWORD }))
            .csrf("1")
            .send(w.app.addr)
            .await;
    assert_eq!(late.status, 409);
    assert!(late.body.contains("no longer valid"));
}

#[tokio::test]
async fn a_new_patient_in_the_bed_is_not_shown_the_previous_patients_readings() {
    let w = World::new().await;
    let mut dev = w.app.device(&w.app.tokens[1]).await.unwrap();
    let now = now_ms();
    let f = RawFrame {
        seq: 1,
        numerics: vec![RawNumeric { kind: VitalKind::Spo2, t: now - 300_000, value: 88.0 }],
        waves: vec![],
        technical: vec![],
    };
    crate::api::send_frame(&mut dev, f).await;
    // b02 is empty; a patient is admitted after that reading.
    let admin = w.sign_in(Who::Admin).await.unwrap();
    let r = Req::post("/api/admin/patients", json!({ "bed": "b02", "name": "New Arrival" }))
        .cookie(&admin.token)
        .csrf(&admin.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let clin = w.sign_in(Who::Clinician).await.unwrap();
    let inv = Req::post("/api/invitations", json!({ "bed": "b02", "caregiver_name": "Son" }))
        .cookie(&clin.token)
        .csrf(&clin.csrf)
        .send(w.app.addr)
        .await
        .json();
    let token = inv["link"].as_str().unwrap().trim_start_matches("/invite/").to_string();
    let acc =
        Req::post("/api/invitations/accept", json!({ "token": token, "username": "son-b02", "password": PASSWORD }))
            .csrf("1")
            .send(w.app.addr)
            .await;
    let fam = Req::get("/api/family").cookie(&acc.session_cookie().unwrap()).send(w.app.addr).await.json();
    assert_eq!(fam["patient"], "New Arrival");
    assert!(fam["vitals"].as_array().unwrap().is_empty(), "{fam}");
    assert!(fam["series"].as_object().unwrap().is_empty(), "{fam}");
}

#[tokio::test]
async fn parallel_guesses_are_counted_as_they_arrive_not_when_judged() {
    let w = World::new().await;
    let s = w.sign_in(Who::Clinician).await.unwrap();
    let guesses = (0..12).map(|i| {
        Req::post("/api/session", json!({ "username": s.username, "password": format!("guess-number-{i}") }))
            .csrf("1")
            .send(w.app.addr)
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses).await.into_iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|&&c| c == 403).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&c| c == 429).count(), 7, "{statuses:?}");
}

#[tokio::test]
async fn guessing_invitation_tokens_is_rate_limited_and_costs_no_password_hash() {
    let w = World::new().await;
    let accept = |t: String| {
        Req::post("/api/invitations/accept", json!({ "token": t, "username": "guesser", "password": PASSWORD }))
            .csrf("1")
    };
    for i in 0..5 {
        assert_eq!(accept(format!("vgi_guess_{i}")).send(w.app.addr).await.status, 409);
    }
    assert_eq!(accept("vgi_guess_6".into()).send(w.app.addr).await.status, 429);
}

#[tokio::test]
async fn the_audit_trail_filters_by_time_and_position_and_device_changes_are_audited_with_them() {
    let w = World::new().await;
    let admin = w.sign_in(Who::Admin).await.unwrap();
    let r = Req::post("/api/admin/devices", json!({ "id": "monitor-7", "bed": "b02" }))
        .cookie(&admin.token)
        .csrf(&admin.csrf)
        .send(w.app.addr)
        .await;
    assert!(r.json()["token"].as_str().unwrap().starts_with("vgd_"));
    let again = Req::post("/api/admin/devices", json!({ "id": "monitor-7", "bed": "b02" }))
        .cookie(&admin.token)
        .csrf(&admin.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(again.status, 409);
    let r = Req::post("/api/admin/devices/monitor-7/revoke", json!({}))
        .cookie(&admin.token)
        .csrf(&admin.csrf)
        .send(w.app.addr)
        .await;
    assert_eq!(r.status, 200);
    let t = now_ms();
    let q = format!("/api/audit?after=1&from={}&to={}&bed=b02", t - 60_000, t + 1);
    let entries = Req::get(q).cookie(&admin.token).send(w.app.addr).await;
    assert_eq!(entries.status, 200, "{}", entries.body);
    let kinds: Vec<String> =
        entries.json().as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["device_registered", "device_revoked"]);
}

#[tokio::test]
async fn where_a_second_factor_is_required_staff_without_one_may_only_set_it_up() {
    let app = crate::api::spawn_app_with(|c| c.auth.require_totp = true).await;
    let hash = auth::password::hash(PASSWORD).unwrap();
    let user = vigil_server::store::accounts::NewUser {
        username: "enrol".into(),
        display_name: "E".into(),
        role: "clinician".into(),
        password_hash: hash,
        wards: vec!["w1".into()],
    };
    app.store.create_user(user, By::new("setup"), now_ms()).await.unwrap().unwrap();
    let r =
        Req::post("/api/session", json!({ "username": "enrol", "password": PASSWORD })).csrf("1").send(app.addr).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["totp_setup_required"], true);
    let (token, csrf) = (r.session_cookie().unwrap(), r.json()["csrf"].as_str().unwrap().to_string());
    assert_eq!(Req::get("/api/beds/b01/trend").cookie(&token).send(app.addr).await.status, 403);
    assert!(app.live_as(Some(&token)).await.is_err(), "no live socket before the second factor");
    let page = Req::get("/").cookie(&token).send(app.addr).await;
    assert_eq!((page.status, page.header("location")), (303, Some("/account")));
    let begun = Req::post("/api/me/totp", json!({ "password": PASSWORD }))
        .cookie(&token)
        .csrf(&csrf)
        .send(app.addr)
        .await
        .json();
    let code = totp::code_at(begun["secret"].as_str().unwrap(), now_ms()).unwrap();
    let ok = Req::post("/api/me/totp/confirm", json!({ "code": code })).cookie(&token).csrf(&csrf).send(app.addr).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(Req::get("/api/beds/b01/trend").cookie(&token).send(app.addr).await.status, 200);
}

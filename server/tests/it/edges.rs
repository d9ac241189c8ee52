//! Numbers at their edges, one test per finding of the outside probe
//! (issue 26): every numeric query parameter is range-checked to a 400
//! before any work, and no arithmetic on one can wrap.

use crate::api::{spawn_app, TestApp};
use crate::authz::{Who, World};
use crate::http::Req;

async fn status(app: &TestApp, path: &str) -> String {
    let r = app.get(path.to_string()).await;
    r.lines().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_wave_window_from_i64_min_to_i64_max_is_refused_not_wrapped() {
    let app = spawn_app().await;
    for q in [
        "from=-9223371036854775808&to=9223372036854775807",
        "from=-9223372036854775808&to=-9223372036854475808",
        "from=9223372036854475807&to=9223372036854775807",
        "from=0&to=1000",
        "from=4102444800000&to=4102444801000",
    ] {
        let s = status(&app, &format!("/api/beds/b01/waves?{q}")).await;
        assert_eq!(s, "HTTP/1.1 400", "{q}");
    }
}

#[tokio::test]
async fn a_trend_ending_at_i64_min_is_refused_not_wrapped() {
    let app = spawn_app().await;
    for to in [i64::MIN, -1, 0, i64::MAX] {
        let s = status(&app, &format!("/api/beds/b01/trend?minutes=60&to={to}")).await;
        assert_eq!(s, "HTTP/1.1 400", "to={to}");
    }
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=60&to=1790000000000").await, "HTTP/1.1 200");
}

#[tokio::test]
async fn a_trend_of_millions_of_buckets_is_refused_before_any_work() {
    let app = spawn_app().await;
    let r = app.get("/api/beds/b01/trend?minutes=43200&step=1".into()).await;
    assert!(r.starts_with("HTTP/1.1 400") && r.contains("buckets"), "{r}");
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=60&step=1").await, "HTTP/1.1 200");
    assert_eq!(status(&app, "/api/beds/b01/trend?minutes=43200&points=2000").await, "HTTP/1.1 200");
}

#[tokio::test]
async fn an_audit_query_after_u64_max_is_a_400_not_a_500() {
    let w = World::new().await;
    let admin = w.sign_in(Who::Admin).await.unwrap();
    for q in ["after=18446744073709551615", "after=9223372036854775808", "limit=0", "limit=100001", "after=-1"] {
        let r = Req::get(format!("/api/audit?{q}")).cookie(&admin.token).send(w.app.addr).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
    }
    let r = Req::get("/api/audit?after=9223372036854775807".to_string()).cookie(&admin.token).send(w.app.addr).await;
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
}

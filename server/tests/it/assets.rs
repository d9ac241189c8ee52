//! The tablet's downloads: static files gzipped when the browser accepts it
//! (the WASM bundle is most of what a tablet fetches), WebSocket upgrades
//! never touched.

use crate::api::spawn_app_with;
use crate::http::Req;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn static_files_are_gzipped_for_a_browser_that_accepts_it_and_plain_otherwise() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    // Compressible, like a WASM bundle's code.
    let body: String = (0..20_000).map(|i| format!("fn f{}() {{}}\n", i % 97)).collect();
    std::fs::write(site.path().join("pkg/vigil.wasm"), &body).unwrap();
    let root = site.path().to_path_buf();
    let app = spawn_app_with(move |c| c.site_root = root).await;

    let gz = Req::get("/pkg/vigil.wasm").header("accept-encoding", "gzip").send(app.addr).await;
    assert_eq!(gz.status, 200);
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert!(gz.bytes.len() < body.len() / 5, "{} bytes for {}", gz.bytes.len(), body.len());
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz.bytes[..]), &mut unzipped)
        .expect("the body is valid gzip");
    assert_eq!(unzipped, body, "gzip gives back the file");

    let plain = Req::get("/pkg/vigil.wasm").send(app.addr).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.bytes, body.as_bytes());
}

#[tokio::test]
async fn a_live_socket_opens_for_a_browser_that_accepts_gzip() {
    let app = spawn_app_with(|_| {}).await;
    let mut req = format!("ws://{}/ws/live", app.addr).into_client_request().unwrap();
    let h = req.headers_mut();
    h.insert(header::COOKIE, HeaderValue::from_str(&format!("vigil_session={}", app.session)).unwrap());
    h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip, deflate, br"));
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.expect("the upgrade succeeds");
    assert!(resp.headers().get(header::CONTENT_ENCODING).is_none());
    ws.send(Message::Text(r#"{"type":"ping","id":7}"#.into())).await.unwrap();
    loop {
        let Some(Ok(Message::Text(t))) = ws.next().await else { panic!("the socket closed") };
        if t.contains("pong") {
            assert!(t.contains("\"id\":7"), "{t}");
            break;
        }
    }
}

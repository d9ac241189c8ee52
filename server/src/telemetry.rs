//! Logs: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as
//! JSON when `VIGIL_LOG_FORMAT=json`. Patient values and names are never
//! logged at info level.

use tracing_subscriber::{fmt, EnvFilter};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn"));
    // Every audit checkpoint reaches the log (a copy outside the database),
    // whatever level the rest logs at, unless RUST_LOG names the target.
    let names_audit = std::env::var("RUST_LOG").is_ok_and(|v| v.contains(crate::store::seal::LOG_TARGET));
    let filter = if names_audit {
        filter
    } else {
        filter.add_directive(format!("{}=info", crate::store::seal::LOG_TARGET).parse().expect("a valid directive"))
    };
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if std::env::var("VIGIL_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // Already initialised (tests): keep the first.
    let _ = result;
}

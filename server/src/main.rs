use anyhow::Context;
use clap::Parser;
use vigil_server::config::Config;
use vigil_server::demo::{self, WardPlan};
use vigil_server::startup::{open_state, Application};
use vigil_server::store::Store;
use vigil_server::{auth, replay, telemetry};

mod cli;
use cli::{Cli, Command, ServerArgs};

fn config(args: &ServerArgs) -> anyhow::Result<Config> {
    let mut c = Config::load(args.config.as_deref())?;
    if let Some(l) = args.listen {
        c.listen = l;
    }
    if let Some(d) = &args.database {
        c.database = d.clone();
    }
    if let Some(s) = &args.site_root {
        c.site_root = s.clone();
    }
    Ok(c)
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

fn plan(ward: &Option<std::path::PathBuf>, beds: usize) -> anyhow::Result<(WardPlan, std::path::PathBuf)> {
    match ward {
        Some(p) => Ok((WardPlan::load(p)?, p.parent().map(|d| d.to_path_buf()).unwrap_or_default())),
        None => Ok((WardPlan::demo(beds), std::path::PathBuf::from("."))),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    match Cli::parse().command {
        Command::Serve(args) => {
            let app = Application::build(config(&args)?).await?;
            if let Some(pw) =
                auth::ensure_first_admin(&app.state().store, std::env::var("VIGIL_ADMIN_PASSWORD").ok()).await?
            {
                println!("First administrator created: user name admin, password {pw}");
                println!(
                    "  (shown this once: sign in and change it, or set VIGIL_ADMIN_PASSWORD before the first run)"
                );
            }
            tracing::info!(url = %format!("http://{}", app.local_addr()), "vigil serving");
            app.run_until(ctrl_c()).await
        }
        Command::Demo { server, beds, ward } => {
            let (plan, base) = plan(&ward, beds)?;
            let state = open_state(config(&server)?)?;
            let devices = demo::provision(&state.store, &plan, &base).await?;
            let logins = demo::accounts(&state.store, std::env::var("VIGIL_DEMO_PASSWORD").ok()).await?;
            let listen = state.config.listen;
            let app = Application::with_state(state, listen).await?;
            let addr = app.local_addr();
            println!("Vigil demo: {} beds streaming.", devices.len());
            println!("  Central station: http://{addr}/");
            for (user, role, pw) in &logins {
                println!("  Sign in as {role}: user name {user}, password {pw}");
            }
            println!("  Stop with Ctrl-C.");
            let server = tokio::spawn(app.run_until(ctrl_c()));
            demo::simulate(&format!("ws://{addr}"), devices, base, ctrl_c()).await?;
            server.await.context("server task")?
        }
        Command::Provision { server, beds, ward, tokens_out } => {
            let (plan, base) = plan(&ward, beds)?;
            let c = config(&server)?;
            let store = Store::open_with(&c.database, c.seal_paths(), Box::new(|_| {}))?;
            let devices = demo::provision(&store, &plan, &base).await?;
            write_private(&tokens_out, &serde_json::to_vec_pretty(&devices)?)?;
            println!("{} devices registered; tokens in {}", devices.len(), tokens_out.display());
            Ok(())
        }
        Command::Simulate { server, tokens, seconds } => {
            let text = std::fs::read(&tokens).with_context(|| format!("reading {}", tokens.display()))?;
            let devices: Vec<demo::SimDevice> = serde_json::from_slice(&text).context("parsing the tokens file")?;
            let base = tokens.parent().map(|d| d.to_path_buf()).unwrap_or_default();
            let stop = async move {
                match seconds {
                    Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                    None => ctrl_c().await,
                }
            };
            let stats = demo::simulate(&server, devices, base, stop).await?;
            let acked: u64 = stats.iter().map(|s| s.get(&s.acked)).sum();
            let rejected: u64 = stats.iter().map(|s| s.get(&s.rejected)).sum();
            println!("frames acknowledged: {acked}, rejected: {rejected}");
            Ok(())
        }
        Command::Bench {
            beds,
            tablets,
            warmup,
            seconds,
            no_arterial_line,
            target,
            capacity,
            max_beds,
            require_lossless,
        } => {
            use vigil_server::bench::{self, BenchOptions, CapacityReport, Report, Target};
            let targets = if target.is_empty() { Target::ALL.to_vec() } else { target };
            let options =
                BenchOptions { beds, tablets, warmup_s: warmup, seconds, arterial_line: !no_arterial_line, targets };
            let lossless = if capacity {
                println!("{}", Report::header());
                let reports = bench::capacity(&options, max_beds).await?;
                CapacityReport::print_table(&reports);
                reports.iter().all(|c| c.held.is_some())
            } else {
                let reports = bench::run(&options).await?;
                Report::print_table(&reports, warmup);
                reports.iter().all(|r| r.lost() == 0)
            };
            if require_lossless && !lossless {
                eprintln!("vigil bench: a run lost frames");
                std::process::exit(1);
            }
            Ok(())
        }
        Command::FaultTest { beds, kills, seconds } => {
            let options = vigil_server::fault::FaultOptions { beds, kills, seconds };
            let report = vigil_server::fault::run(options.clone()).await?;
            report.print(&options);
            if !report.passed() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::StoreBench { beds, seconds } => {
            vigil_server::store_bench::run(vigil_server::store_bench::StoreBenchOptions { beds, seconds }).await
        }
        Command::AlarmBurden { data_dir } => {
            let report = vigil_server::burden::run(&data_dir)
                .with_context(|| format!("reading the recordings under {}", data_dir.display()))?;
            print!("{}", report.render());
            Ok(())
        }
        Command::AdvisoryEval { data_dir } => {
            let report = vigil_server::advisory_eval::run(&data_dir)
                .with_context(|| format!("reading the recordings under {}", data_dir.display()))?;
            print!("{}", report.render());
            Ok(())
        }
        Command::ReviewAlarms { dir, reasons, cross_validate, split, one_lead, ablation } => {
            let opts =
                vigil_server::review::ReviewOptions { reasons, folds: cross_validate, split, one_lead, ablation };
            let (out, err) = vigil_server::review::review_dir(&dir, &opts)?;
            print!("{out}");
            eprint!("{err}");
            Ok(())
        }
        Command::QrsCheck { dir } => {
            let rows = vigil_server::review::qrs_check(&dir)?;
            print!("{}", vigil_server::review::qrs_table(&rows));
            Ok(())
        }
        Command::Audit { server, verify, checkpoints } => {
            let c = config(&server)?;
            if !c.database.exists() {
                anyhow::bail!("no database at {}", c.database.display());
            }
            // Read only: verifying makes no key and signs nothing.
            let seal = vigil_server::store::seal::SealPaths { verify_only: true, ..c.seal_paths() };
            let mut extra = Vec::new();
            for file in &checkpoints {
                let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
                let (found, unreadable) = vigil_server::store::seal::Checkpoint::parse_all(&text);
                if unreadable > 0 {
                    eprintln!("{}: {unreadable} lines look like checkpoints but do not read; left out", file.display());
                }
                if found.is_empty() {
                    anyhow::bail!("{} holds no audit checkpoint", file.display());
                }
                extra.extend(found);
            }
            let store = Store::open_with(&c.database, seal, Box::new(|_| {}))?;
            if !verify {
                let mut after = 0;
                loop {
                    let page = store.audit(after, 1000).await?;
                    let Some(last) = page.last() else { break };
                    after = last.seq;
                    for e in &page {
                        let bed = e.bed.as_deref().unwrap_or("-");
                        println!("{}\t{}\t{bed}\t{}\t{}\t{}", e.seq, e.at, e.actor, e.kind, e.payload);
                    }
                }
            }
            match store.check_audit_chain(&extra).await? {
                vigil_server::store::ChainCheck::Intact { entries, checkpoints, covered } => {
                    eprintln!(
                        "audit log intact: {entries} entries, every one verified under the key; \
                         {checkpoints} signed checkpoints matched, the newest covering {covered} entries"
                    );
                    Ok(())
                }
                vigil_server::store::ChainCheck::Broken { seq, reason } => {
                    match seq {
                        Some(seq) => eprintln!("audit log TAMPERED WITH at entry {seq}: {reason}"),
                        None => eprintln!("audit log TAMPERED WITH: {reason}"),
                    }
                    std::process::exit(1)
                }
            }
        }
        Command::Replay { server, token, speed, repeat, record } => {
            if !(speed > 0.0 && speed <= 100.0) {
                anyhow::bail!("--speed must be above 0 and at most 100");
            }
            let rec = replay::Recording::open(&record)?;
            tracing::info!(
                record = %rec.name,
                seconds = rec.duration_ms() / 1000,
                waves = rec.tracks.len(),
                dropped_numerics = rec.dropped_numerics,
                "replaying"
            );
            replay::stream(&server, &token, rec, speed, repeat, ctrl_c()).await
        }
    }
}

/// Writes a file only its owner can read (it holds device tokens).
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes).with_context(|| format!("writing {}", path.display()))
}

//! Experiment (`vigil-train --model vt --one-lead`): would a V-tach network
//! of its own help the beds that stream one ECG lead (the live app's: lead
//! II and the pleth), where the embedded network never looks?
//!
//! Each outer fold (by record, the folds of `score::folds`) tunes the rules'
//! thresholds on its training records as the product does, then trains a
//! network, as `vt.rs` trains the embedded one, on each training record's
//! every lead taken alone with its pulse channels (one record's views share
//! an inner fold). The held-out records are judged on their one-lead view
//! (the first ECG lead and the pulses), by the rules alone and by the rules
//! with that network. Nothing is written: the README reports the figures
//! and why the network is not embedded.

use crate::vt;
use vigil_shared::arrhythmia::check::{decide_rules, CheckParams, Evidence};
use vigil_shared::arrhythmia::monitor::ChannelKind;
use vigil_shared::arrhythmia::score::{self, Labelled, Report, Tally};
use vigil_shared::arrhythmia::subsets::restrict;
use vigil_shared::arrhythmia::vt_features::features;
use vigil_shared::arrhythmia::vt_net::{ecg_leads, guards_open};
use vigil_shared::arrhythmia::ArrhythmiaKind;

/// Margins under the network's threshold whose held-out outcome is shown
/// (read, not chosen: choosing one from these figures would be tuning on
/// the held-out records).
const MARGINS: [f32; 4] = [0.0, 1.0, 2.0, 3.0];

/// The alarm with only ECG lead `lead` (an index into its channels) and
/// every pulse channel.
fn with_lead(ev: &Evidence, lead: usize) -> Evidence {
    let keep: Vec<bool> = ev.long.iter().enumerate().map(|(i, s)| i == lead || s.kind.is_pulse()).collect();
    restrict(ev, &keep)
}

fn leads(ev: &Evidence) -> impl Iterator<Item = usize> + '_ {
    ev.long.iter().enumerate().filter(|(_, s)| s.kind == ChannelKind::Ecg).map(|(i, _)| i)
}

/// What a one-lead network may judge: one lead, and the guard rails open.
fn open(ev: &Evidence, p: &CheckParams) -> bool {
    ecg_leads(ev) == 1 && guards_open(ev, p).is_some()
}

pub fn cross_validate(items: &[Labelled], o: &vt::VtOptions) -> anyhow::Result<()> {
    const K: usize = 5;
    let fold = score::folds(items, K);
    let mut rules = Report::default();
    let mut learned: Vec<Report> = MARGINS.iter().map(|_| Report::default()).collect();
    for f in 0..K {
        let train: Vec<&Labelled> = items.iter().zip(&fold).filter(|(_, &g)| g != f).map(|(i, _)| i).collect();
        let params = score::tune(&train);
        let views: Vec<Labelled> = train
            .iter()
            .flat_map(|it| {
                leads(&it.evidence).map(|l| Labelled {
                    record: it.record.clone(),
                    evidence: with_lead(&it.evidence, l),
                    truth: it.truth,
                })
            })
            .collect();
        let view_refs: Vec<&Labelled> = views.iter().collect();
        let net = vt::train_where(&view_refs, &params, o, &open).map(|(_, n)| n);
        match &net {
            Some(n) => println!("fold {f}: one-lead network threshold {:.3}", n.threshold),
            None => println!("fold {f}: too few one-lead alarms for a network"),
        }
        for it in items.iter().zip(&fold).filter(|(_, &g)| g == f).map(|(i, _)| i) {
            let Some(first) = leads(&it.evidence).next() else { continue };
            let ev = with_lead(&it.evidence, first);
            let p = params.get(&ev.alarm).copied().unwrap_or_default();
            let d = decide_rules(&ev, &p);
            rules.by_type.entry(ev.alarm).or_default().add(d.keep, it.truth);
            let score =
                net.as_ref().filter(|_| d.keep && open(&ev, &p)).map(|n| (n.logit(&features(&ev)), n.threshold));
            for (m, report) in MARGINS.iter().zip(&mut learned) {
                let silenced = score.filter(|(s, t)| *s < t - m);
                if let (Some((s, _)), true, 0.0) = (silenced, it.truth, *m) {
                    println!("  true alarm silenced held out: {} (fold {f}, score {s:.2})", it.record);
                }
                let silenced = silenced.is_some();
                report.by_type.entry(ev.alarm).or_default().add(d.keep && !silenced, it.truth);
            }
        }
    }
    println!("\nOne-lead view (first ECG lead and the pulses), 5-fold by record, the rules alone:\n{}", rules.table());
    println!("The same with the one-lead network trained inside each fold:\n{}", learned[0].table());
    println!("V-tach held out with a margin under each fold's threshold (read, not chosen):");
    for (m, r) in MARGINS.iter().zip(&learned) {
        let t: Tally = r.by_type.get(&ArrhythmiaKind::VentricularTachycardia).copied().unwrap_or_default();
        println!(
            "  margin {m:.0}: TP {} FN {} TN {} FP {}, V-tach score {:.2}, all {:.2}",
            t.tp,
            t.fn_,
            t.tn,
            t.fp,
            t.score(),
            r.overall().score()
        );
    }
    Ok(())
}

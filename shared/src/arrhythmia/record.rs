//! Feeding a WFDB record (a Challenge 2015 alarm, an MIT-BIH record) through a
//! rhythm monitor, as a bedside stream would arrive: sample by sample, all
//! channels in step.

use super::monitor::{Channel, ChannelKind, RhythmMonitor};
use super::ArrhythmiaKind;
use crate::wfdb::{Header, WfdbError};

/// A record's channels decoded and fed into a fresh monitor, plus the alarm
/// type named in its first header comment (if any).
pub struct LoadedRecord {
    pub name: String,
    pub alarm: Option<ArrhythmiaKind>,
    pub monitor: RhythmMonitor,
    /// Seconds of signal.
    pub duration: f64,
}

/// Decodes the record described by `header`, reading each signal file through
/// `read` (file name -> bytes), and feeds every ECG, PPG and arterial channel
/// into a monitor starting at time 0. Channels the check does not use are
/// skipped; a record with none of them gives an empty monitor.
pub fn load(
    header: &Header,
    mut read: impl FnMut(&str) -> Result<Vec<u8>, WfdbError>,
) -> Result<LoadedRecord, WfdbError> {
    let mut files: Vec<String> = Vec::new();
    for s in &header.signals {
        if !files.contains(&s.file) {
            files.push(s.file.clone());
        }
    }
    let mut columns: Vec<(usize, Vec<i32>)> = Vec::new();
    for f in &files {
        let bytes = read(f)?;
        let decoded = header.decode(f, &bytes)?;
        columns.extend(header.signals_in(f).into_iter().zip(decoded));
    }
    columns.sort_by_key(|(i, _)| *i);
    let mut monitor = RhythmMonitor::new();
    let mut fed: Vec<(usize, usize, &Vec<i32>)> = Vec::new();
    for (i, data) in &columns {
        let spec = &header.signals[*i];
        if let Some(kind) = ChannelKind::from_description(&spec.description) {
            let ch = monitor.add(Channel::new(kind, spec.description.clone(), header.fs, 0.0));
            fed.push((ch, *i, data));
        }
    }
    let n = columns.iter().map(|(_, d)| d.len()).min().unwrap_or(0);
    for k in 0..n {
        for &(ch, spec, data) in &fed {
            let v = header.signals[spec].physical(data[k]);
            monitor.channels[ch].push(v);
        }
    }
    Ok(LoadedRecord {
        name: header.name.clone(),
        alarm: header.comments.first().and_then(|c| ArrhythmiaKind::from_challenge_name(c)),
        monitor,
        duration: n as f64 / header.fs,
    })
}

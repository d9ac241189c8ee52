//! A simulated patient monitored before the simulation starts: the numerics
//! of that time are sent first, as a monitor sends its stored trends when it
//! joins the network; waveforms start live.

use super::scenario::Scenario;
use super::BedSim;
use vigil_shared::frame::RawFrame;
use vigil_shared::SampleTime;

impl BedSim {
    /// Where a simulation of `scenario` starting live at `now` begins: earlier
    /// by the scenario's history.
    pub fn start_for(scenario: &Scenario, now: SampleTime) -> SampleTime {
        now - scenario.history_s.map_or(0, |s| (s * 1000.0) as SampleTime)
    }

    /// The numerics measured from the start up to `now`, in frames of
    /// `batch_ms` each, and no waveforms: the stored trends a monitor sends
    /// on joining. Live frames continue from `now`.
    pub fn history_until(&mut self, now: SampleTime, batch_ms: i64) -> Vec<RawFrame> {
        let mut frames = Vec::new();
        let mut t = self.start + batch_ms;
        while t <= now {
            // No waveforms: their samples count as sent.
            for track in &mut self.tracks {
                track.emitted = (((t - self.start) as f64) * track.rate / 1000.0).floor() as u64;
            }
            if let Some(mut f) = self.frame_until(t) {
                f.technical.clear();
                if !f.numerics.is_empty() {
                    frames.push(f);
                }
            }
            t += batch_ms;
        }
        for track in &mut self.tracks {
            track.emitted = (((now - self.start) as f64) * track.rate / 1000.0).floor() as u64;
        }
        frames
    }
}

//! Latency tracking, as Redis 7.0 keeps it:
//!
//! - the **latency monitor**: events slower than `latency-monitor-threshold` ms (commands,
//!   fast commands, expire and eviction cycles) kept as one sample per second in a ring of the
//!   last 160, with the all-time maximum, for `LATENCY LATEST`, `HISTORY`, `GRAPH`, `DOCTOR`
//!   and `RESET`;
//! - **per-command histograms** (`latency-tracking`): every call's duration in an HDR
//!   histogram (1 ns to 1 s, two significant digits, as Redis's), for `LATENCY HISTOGRAM` and
//!   `INFO latencystats`.

use hdrhistogram::Histogram;

/// Samples kept per event (`LATENCY_TS_LEN`).
const SAMPLES: usize = 160;
/// Histogram bounds in nanoseconds and precision (`LATENCY_HISTOGRAM_*`).
const HISTOGRAM_MIN_NS: u64 = 1;
const HISTOGRAM_MAX_NS: u64 = 1_000_000_000;
const HISTOGRAM_DIGITS: u8 = 2;

/// One second's worst latency of an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix time in seconds; 0 for a slot never used.
    pub time: u64,
    /// Milliseconds.
    pub latency: u64,
}

/// The recent history of one event.
#[derive(Debug, Clone)]
pub struct TimeSeries {
    samples: Box<[Sample; SAMPLES]>,
    /// The slot the next second goes to.
    next: usize,
    /// The worst latency since the event was first seen (or reset).
    pub max: u64,
}

impl TimeSeries {
    fn new() -> TimeSeries {
        TimeSeries {
            samples: Box::new([Sample::default(); SAMPLES]),
            next: 0,
            max: 0,
        }
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..SAMPLES)
            .map(move |j| self.samples[(self.next + j) % SAMPLES])
            .filter(|s| s.time != 0)
    }

    /// The most recent sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + SAMPLES - 1) % SAMPLES]
    }
}

/// The latency monitor's events, in the order they first happened.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    events: Vec<(&'static str, TimeSeries)>,
}

impl LatencyMonitor {
    /// Records `latency_ms` for `event` when the monitor is on (`threshold_ms` > 0) and the
    /// latency reaches it (Redis's `latencyAddSampleIfNeeded`).
    pub fn add_if_needed(
        &mut self,
        threshold_ms: u64,
        event: &'static str,
        latency_ms: u64,
        now: u64,
    ) {
        if threshold_ms > 0 && latency_ms >= threshold_ms {
            self.add(event, latency_ms, now);
        }
    }

    /// Records a sample; within one second only the worst is kept.
    pub fn add(&mut self, event: &'static str, latency_ms: u64, now: u64) {
        let series = match self.events.iter().position(|(name, _)| *name == event) {
            Some(at) => &mut self.events[at].1,
            None => {
                self.events.push((event, TimeSeries::new()));
                &mut self.events.last_mut().expect("just pushed").1
            }
        };
        series.max = series.max.max(latency_ms);
        let previous = (series.next + SAMPLES - 1) % SAMPLES;
        if series.samples[previous].time == now {
            let sample = &mut series.samples[previous];
            sample.latency = sample.latency.max(latency_ms);
            return;
        }
        series.samples[series.next] = Sample {
            time: now,
            latency: latency_ms,
        };
        series.next = (series.next + 1) % SAMPLES;
    }

    /// Every event with its series.
    pub fn events(&self) -> impl Iterator<Item = (&'static str, &TimeSeries)> {
        self.events.iter().map(|(name, series)| (*name, series))
    }

    pub fn event(&self, name: &[u8]) -> Option<(&'static str, &TimeSeries)> {
        self.events().find(|(event, _)| event.as_bytes() == name)
    }

    /// Forgets one event (or all with `None`); returns how many were forgotten.
    pub fn reset(&mut self, name: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match name {
            None => self.events.clear(),
            Some(name) => self.events.retain(|(event, _)| event.as_bytes() != name),
        }
        before - self.events.len()
    }
}

/// One command's latency distribution.
#[derive(Debug, Clone)]
pub struct CommandHistogram(Histogram<u32>);

impl CommandHistogram {
    pub fn new() -> CommandHistogram {
        CommandHistogram(
            Histogram::new_with_bounds(HISTOGRAM_MIN_NS, HISTOGRAM_MAX_NS, HISTOGRAM_DIGITS)
                .expect("valid histogram bounds"),
        )
    }

    /// Records a call of `micros` microseconds, kept within the histogram's range as Redis
    /// keeps it (Redis also measures in microseconds and records nanoseconds).
    pub fn record_micros(&mut self, micros: u64) {
        let ns = micros
            .saturating_mul(1000)
            .clamp(HISTOGRAM_MIN_NS, HISTOGRAM_MAX_NS);
        self.0.saturating_record(ns);
    }

    pub fn calls(&self) -> u64 {
        self.0.len()
    }

    /// The value at percentile `p` in nanoseconds, as Redis's `hdr_value_at_percentile`
    /// computes it (the count is rounded half up, where the crate rounds up).
    pub fn value_at_percentile(&self, p: f64) -> u64 {
        let total = self.0.len();
        let target = (((p.min(100.0) / 100.0) * total as f64 + 0.5) as u64).max(1);
        let mut seen: u64 = 0;
        for value in self.0.iter_recorded() {
            seen += u64::from(value.count_at_value());
            if seen >= target {
                return self.0.highest_equivalent(value.value_iterated_to());
            }
        }
        0
    }

    /// The cumulative distribution at powers of two from 1024 ns: (microseconds, calls at or
    /// below), one entry per step where the count grows (`LATENCY HISTOGRAM`).
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut points = Vec::new();
        let mut cumulative = 0;
        for step in self.0.iter_log(1024, 2.0) {
            let previous = cumulative;
            cumulative += step.count_since_last_iteration();
            if cumulative > previous {
                points.push((
                    self.0.highest_equivalent(step.value_iterated_to()) / 1000,
                    cumulative,
                ));
            }
        }
        points
    }

    /// The memory it holds.
    pub fn memory(&self) -> usize {
        size_of::<Self>() + self.0.distinct_values() * size_of::<u32>()
    }
}

impl Default for CommandHistogram {
    fn default() -> Self {
        Self::new()
    }
}

/// `LATENCY GRAPH`: the event's samples as an ASCII sparkline of four rows, highest at the
/// top, each column labelled below with how long ago it happened (`5s`, `3m`, `2h`, `1d`),
/// 80 columns per block.
pub fn graph(event: &str, series: &TimeSeries, now: u64) -> String {
    const COLUMNS: usize = 80;
    const ROWS: usize = 4;
    let samples: Vec<(u64, String)> = series
        .samples()
        .map(|s| {
            let ago = now.saturating_sub(s.time);
            let label = match ago {
                0..60 => format!("{ago}s"),
                60..3600 => format!("{}m", ago / 60),
                3600..86400 => format!("{}h", ago / 3600),
                _ => format!("{}d", ago / 86400),
            };
            (s.latency, label)
        })
        .collect();
    let low = samples.iter().map(|(v, _)| *v).min().unwrap_or(0);
    let high = samples.iter().map(|(v, _)| *v).max().unwrap_or(0);
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        series.max,
        "-".repeat(COLUMNS)
    );
    for (block, chunk) in samples.chunks(COLUMNS).enumerate() {
        if block > 0 {
            out.push('\n');
        }
        render_sparkline(&mut out, chunk, low, high, ROWS);
    }
    out
}

/// Draws samples as columns of `rows` rows, three steps per row (`_`, `o`, `#`; `|` below the
/// top of a column), then a blank line and the labels written downwards.
fn render_sparkline(out: &mut String, samples: &[(u64, String)], low: u64, high: u64, rows: usize) {
    const CHARS: [char; 3] = ['_', 'o', '#'];
    let range = if high == low {
        1.0
    } else {
        (high - low) as f64
    };
    let steps = CHARS.len() * rows;
    let step_of = |value: u64| -> usize {
        let step = ((value - low) as f64 * steps as f64 / range) as usize;
        step.min(steps - 1)
    };
    for row in 0..rows {
        let line: String = samples
            .iter()
            .map(|(value, _)| {
                let index = step_of(*value) as isize - ((rows - row - 1) * CHARS.len()) as isize;
                match index {
                    i if i < 0 => ' ',
                    i if (i as usize) < CHARS.len() => CHARS[i as usize],
                    _ => '|',
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    let longest = samples.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    if longest > 0 {
        out.push_str(&" ".repeat(samples.len()));
        out.push('\n');
    }
    for at in 0..longest {
        let line: String = samples
            .iter()
            .map(|(_, label)| label.as_bytes().get(at).map_or(' ', |&b| b as char))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeping_the_worst() {
        let mut monitor = LatencyMonitor::default();
        monitor.add_if_needed(0, "command", 500, 100);
        assert_eq!(monitor.events().count(), 0, "a threshold of 0 is off");
        monitor.add_if_needed(100, "command", 50, 100);
        assert_eq!(monitor.events().count(), 0, "under the threshold");
        monitor.add_if_needed(100, "command", 300, 100);
        monitor.add_if_needed(100, "command", 400, 100);
        monitor.add_if_needed(100, "command", 200, 100);
        monitor.add_if_needed(100, "command", 150, 101);
        let (_, series) = monitor.event(b"command").unwrap();
        let samples: Vec<Sample> = series.samples().collect();
        assert_eq!(
            samples,
            [
                Sample {
                    time: 100,
                    latency: 400
                },
                Sample {
                    time: 101,
                    latency: 150
                }
            ]
        );
        assert_eq!(series.max, 400);
        assert_eq!(series.latest().time, 101);
        // The ring keeps the last 160 seconds.
        for t in 200..400 {
            monitor.add("command", t, t);
        }
        let (_, series) = monitor.event(b"command").unwrap();
        assert_eq!(series.samples().count(), SAMPLES);
        assert_eq!(series.samples().next().unwrap().time, 240);
        assert_eq!(monitor.reset(Some(b"nosuch")), 0);
        assert_eq!(monitor.reset(None), 1);
    }

    #[test]
    fn histograms_clamp_and_answer_percentiles() {
        let mut histogram = CommandHistogram::new();
        for us in [0, 0, 1, 10, 100, 1000] {
            histogram.record_micros(us);
        }
        histogram.record_micros(10_000_000);
        assert_eq!(histogram.calls(), 7);
        // Sub-microsecond calls count as 1 ns, as in Redis.
        assert_eq!(histogram.value_at_percentile(10.0), 1);
        assert!(histogram.value_at_percentile(100.0) >= 1_000_000_000 - 10_000_000);
        let cdf = histogram.cumulative();
        // The first bucket holds everything under 1024 ns: the two 0 µs calls and the 1 µs one.
        assert_eq!(cdf.first().unwrap().1, 3);
        assert_eq!(cdf.last().unwrap().1, 7);
        assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }

    #[test]
    fn the_graph_has_a_header_four_rows_and_labels() {
        let mut monitor = LatencyMonitor::default();
        monitor.add("command", 300, 1000);
        monitor.add("command", 500, 1003);
        let (name, series) = monitor.event(b"command").unwrap();
        let graph = graph(name, series, 1005);
        let lines: Vec<&str> = graph.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 500 ms, low 300 ms (all time high 500 ms)"
        );
        assert_eq!(lines[1], "-".repeat(80));
        assert_eq!(&lines[2..6], [" #", " |", " |", "_|"]);
        assert_eq!(&lines[7..], ["52", "ss"]);
    }
}

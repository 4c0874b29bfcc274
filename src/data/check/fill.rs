//! The repairs of `--fill`: rows inserted for the missing steps of gaps, then missing values
//! filled series by series.

use super::{Fill, Findings, Gaps, Obs, RawSeries};
use crate::data::time::{describe_frequency, Grid};
use crate::data::Frequency;

/// Most rows `--fill` may insert for gaps, to stop a misread frequency from exploding memory.
const MAX_INSERTED: usize = 10_000_000;

/// Inserts a row without a value for every missing step of a gap (on `grid`); returns how many.
/// Too many to insert is a problem instead.
pub(super) fn insert_gaps(
    series: &mut [RawSeries],
    grid: Grid,
    frequency: Frequency,
    gaps: &Gaps,
    found: &mut Findings,
) -> usize {
    if gaps.missing_timestamps > MAX_INSERTED {
        found.problems.push(format!(
            "filling the gaps would insert {} rows: check the time column and the inferred frequency ({})",
            gaps.missing_timestamps,
            describe_frequency(frequency)
        ));
        return 0;
    }
    let mut inserted = 0;
    for s in series {
        let mut out = Vec::with_capacity(s.obs.len());
        for (k, o) in s.obs.iter().enumerate() {
            if let Some(prev) = k.checked_sub(1).map(|p| s.obs[p].time) {
                if grid.on_grid(prev, o.time) {
                    let (missing, _) = grid.missing_between(prev, o.time, usize::MAX);
                    inserted += missing.len();
                    out.extend(missing.into_iter().map(|time| Obs {
                        time,
                        value: None,
                        row: None,
                    }));
                }
            }
            out.push(*o);
        }
        s.obs = out;
    }
    found.notes.push(format!(
        "--fill inserted {inserted} row(s) for missing timestamps"
    ));
    inserted
}

/// Fills the missing values of every series (`missing` of them were read as missing); a series
/// with no value to fill from is a problem.
pub(super) fn fill_series(series: &mut [RawSeries], fill: Fill, missing: usize, found: &mut Findings) {
    for s in series {
        let mut values: Vec<Option<f64>> = s.obs.iter().map(|o| o.value).collect();
        if values.iter().any(Option::is_none) {
            if !fill_values(&mut values, fill) {
                found.problems.push(format!(
                    "series '{}' has no values at all, so --fill has nothing to fill from; remove it or choose --fill zero",
                    s.id
                ));
            }
            for (o, v) in s.obs.iter_mut().zip(values) {
                o.value = v;
            }
        }
    }
    if missing > 0 {
        found.notes.push(format!(
            "{missing} missing value(s) were filled ({})",
            fill.name()
        ));
    }
}

/// Fills the missing values of one series in place; false when it has no value at all.
fn fill_values(values: &mut [Option<f64>], fill: Fill) -> bool {
    let known: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_some()).collect();
    if fill == Fill::Zero {
        values.iter_mut().for_each(|v| *v = Some(v.unwrap_or(0.0)));
        return true;
    }
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return false;
    };
    let first_value = values[first];
    values[..first].iter_mut().for_each(|v| *v = first_value);
    for pair in known.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (va, vb) = (values[a].unwrap_or(0.0), values[b].unwrap_or(0.0));
        for (offset, slot) in values[a + 1..b].iter_mut().enumerate() {
            let i = a + 1 + offset;
            *slot = Some(match fill {
                Fill::Linear => va + (vb - va) * (i - a) as f64 / (b - a) as f64,
                _ => va,
            });
        }
    }
    let last_value = values[last];
    values[last + 1..].iter_mut().for_each(|v| *v = last_value);
    true
}

//! Loads the public ETTh1 file from `../shared/datasets` (an ignored test: `.ci/run` runs it
//! when the shared datasets are present).

use std::path::Path;

use xlstm::data::load::{load, LoadOptions};
use xlstm::data::{Frequency, TimeKind};

#[test]
#[ignore = "needs ../shared"]
fn etth1_loads_hourly_with_target_ot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/ett/ETTh1.csv");
    assert!(path.exists(), "{} is absent", path.display());
    let (ds, report) = load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(ds.series.len(), 1);
    assert_eq!(ds.targets, ["OT"]);
    assert_eq!(ds.time_column.as_deref(), Some("date"));
    assert_eq!(ds.time_kind, TimeKind::DateTime);
    assert_eq!(ds.frequency, Frequency::Seconds(3600));
    assert_eq!(ds.series[0].values.len(), 17_420);
    assert_eq!(report.rows, 17_420);
    assert_eq!(report.season, Some(24));
    assert_eq!(report.first.as_deref(), Some("2016-07-01 00:00:00"));
    assert_eq!(report.gaps.count, 0);
    assert!(report.sorted && report.is_usable());
    assert!((ds.series[0].values[0] - 30.531_000_137_329_1).abs() < 1e-9);
}

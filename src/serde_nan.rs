//! Floats that may be NaN (or infinite) in JSON: serde_json writes them as `null`, and these
//! read a `null` back as NaN, so a metric that has no value (MAPE over zero actuals) survives a
//! round trip through the model file. Use with `#[serde(deserialize_with = "...")]`.

use serde::{Deserialize, Deserializer};

/// A number, or NaN for `null`.
pub fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Value {
        #[serde(deserialize_with = "super::float")]
        x: f64,
    }

    #[test]
    fn nan_is_written_as_null_and_read_back_as_nan() {
        let text = serde_json::to_string(&Value { x: f64::NAN }).unwrap();
        assert_eq!(text, r#"{"x":null}"#);
        assert!(serde_json::from_str::<Value>(&text).unwrap().x.is_nan());
        assert_eq!(serde_json::from_str::<Value>(r#"{"x":0.25}"#).unwrap().x, 0.25);
    }
}

//! The model kinds `xlstm` knows, by their command-line and model-file names.

use crate::baseline::BaselineKind;

/// Every model kind `xlstm` knows, by its command-line name (also its name in model files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum ModelKind {
    /// xLSTM stack (mLSTM and sLSTM blocks).
    Xlstm,
    /// sLSTM blocks only.
    Slstm,
    /// mLSTM blocks only.
    Mlstm,
    /// Classic LSTM.
    Lstm,
    /// Linear on the window.
    Linear,
    /// NLinear.
    NLinear,
    /// DLinear.
    DLinear,
    /// Naive.
    Naive,
    /// Seasonal naive.
    SeasonalNaive,
}

impl From<ModelKind> for &'static str {
    fn from(kind: ModelKind) -> &'static str {
        kind.name()
    }
}

impl TryFrom<String> for ModelKind {
    type Error = String;
    fn try_from(name: String) -> Result<ModelKind, String> {
        ModelKind::from_name(&name).ok_or_else(|| format!("unknown model kind '{name}'"))
    }
}

impl ModelKind {
    /// Every kind, in leaderboard order.
    pub const ALL: [ModelKind; 9] = [
        ModelKind::Xlstm,
        ModelKind::Slstm,
        ModelKind::Mlstm,
        ModelKind::Lstm,
        ModelKind::Linear,
        ModelKind::NLinear,
        ModelKind::DLinear,
        ModelKind::Naive,
        ModelKind::SeasonalNaive,
    ];

    /// The command-line name (`snaive`, `nlinear`, ...), also the `kind` in the model file.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Xlstm => "xlstm",
            ModelKind::Slstm => "slstm",
            ModelKind::Mlstm => "mlstm",
            ModelKind::Lstm => "lstm",
            ModelKind::Linear => "linear",
            ModelKind::NLinear => "nlinear",
            ModelKind::DLinear => "dlinear",
            ModelKind::Naive => "naive",
            ModelKind::SeasonalNaive => "snaive",
        }
    }

    /// The kind called `name`.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The baseline behind this kind, if it is one.
    pub fn baseline(self) -> Option<BaselineKind> {
        Some(match self {
            ModelKind::Linear => BaselineKind::Linear,
            ModelKind::NLinear => BaselineKind::NLinear,
            ModelKind::DLinear => BaselineKind::DLinear,
            ModelKind::Naive => BaselineKind::Naive,
            ModelKind::SeasonalNaive => BaselineKind::SeasonalNaive,
            _ => return None,
        })
    }

    /// Whether the linear models' ridge penalty applies.
    pub fn is_linear(self) -> bool {
        matches!(self, ModelKind::Linear | ModelKind::NLinear | ModelKind::DLinear)
    }

    /// Whether this is a neural network trained by `nn::train`.
    pub fn is_neural(self) -> bool {
        self.baseline().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_each_kind_is_baseline_or_neural() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::from_name(kind.name()), Some(kind));
            assert_ne!(kind.is_neural(), kind.baseline().is_some());
        }
        assert_eq!(ModelKind::from_name("gru"), None);
    }
}

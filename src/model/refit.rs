//! The settings of a refit on more data: what the first fit resolved, kept, with the number of
//! epochs that early stopping chose (each epoch now passes over the larger data).

use super::config::{ModelConfig, NeuralConfig};

impl NeuralConfig {
    /// The epoch whose weights fitting kept (the mean over ensemble members); the epoch limit
    /// when the settings were not fitted.
    pub fn best_epochs(&self) -> f64 {
        if self.result.is_empty() {
            return self.train.epochs as f64;
        }
        let total: usize = self.result.iter().map(|r| r.best_epoch).sum();
        total as f64 / self.result.len() as f64
    }
}

impl ModelConfig {
    /// The settings to train these fitted settings again on more training windows, with nothing
    /// left to select: the resolved ridge penalty, season and patches as they are, and for
    /// neural models the same ensemble size and linear base (its resolved penalty), and the kept
    /// epoch (rounded; the members' mean; at least one, or zero with a base when training kept
    /// the base alone) as the epoch count, so the optimiser steps grow with the data. No early
    /// stopping (there is no validation part to watch) and no window budget's cap (it capped the
    /// evaluated fit, whose kept epoch this is). Until 2026-12-06 the kept epoch was also
    /// multiplied by the ratio of training windows; docs/accuracy.md has the comparison.
    pub fn for_refit(&self) -> ModelConfig {
        let mut config = self.clone();
        if let Some(neural) = config.neural_mut() {
            // a kept epoch 0 is the linear base alone: the refit trains no epoch either
            let least = if neural.base.is_some_and(|b| b.corrected()) {
                0.0
            } else {
                1.0
            };
            let epochs = neural.best_epochs().round().max(least) as usize;
            (neural.train.epochs, neural.train.patience) = (epochs, 0);
            // the epoch count is resolved: the window budget capped the evaluated fit already
            neural.train.window_budget = None;
            neural.result.clear();
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BaseConfig, ModelKind, TrainingResult};

    #[test]
    fn a_refit_keeps_what_was_resolved_and_the_kept_epoch() {
        let mut config = ModelConfig::for_kind(ModelKind::Xlstm);
        let neural = config.neural_mut().unwrap();
        neural.network.patch = Some(8);
        neural.train.ensemble = Some(2);
        neural.base = Some(BaseConfig {
            alpha: Some(10.0),
            ..BaseConfig::frozen(ModelKind::NLinear)
        });
        neural.result = [7, 9]
            .map(|best_epoch| TrainingResult {
                best_epoch,
                epochs_run: 13,
                best_validation_loss: 0.1,
            })
            .to_vec();
        let refit = config.for_refit();
        let n = refit.neural().unwrap();
        assert_eq!((n.train.epochs, n.train.patience), (8, 0));
        assert_eq!(n.train.window_budget, None);
        assert_eq!(n.network.patch, Some(8));
        assert_eq!(n.train.ensemble, Some(2));
        assert_eq!(n.base, config.neural().unwrap().base);
        assert!(n.result.is_empty());
        // a kept epoch 0: the base alone, or at least one epoch without a base
        for r in &mut config.neural_mut().unwrap().result {
            r.best_epoch = 0;
        }
        assert_eq!(config.for_refit().neural().unwrap().train.epochs, 0);
        config.neural_mut().unwrap().base = None;
        assert_eq!(config.for_refit().neural().unwrap().train.epochs, 1);
        let mut linear = ModelConfig::for_kind(ModelKind::NLinear);
        linear.linear_mut().unwrap().alpha = Some(10.0);
        assert_eq!(linear.for_refit(), linear);
    }
}

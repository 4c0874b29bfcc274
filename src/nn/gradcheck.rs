//! Float64 central-finite-difference gradient checks (procedure of `xlstm-math.md` §7).
//!
//! For every named tensor of a [`Params`] set, a number of entries (all of them for small
//! tensors) are moved by ±`step`, the loss is evaluated twice and the central difference is
//! compared with the analytic gradient. An entry passes when
//! `|g_num − g_an| ≤ 1e-6·max|g_an| + 1e-5·|g_num|` (max over the tensor's probed entries);
//! a tensor also passes when its normalised error `‖g_num − g_an‖ / (‖g_num‖ + ‖g_an‖)` is below
//! `1e-6`. A failure names the tensor and shows the first mismatching pairs.

use super::rng::Rng;
use super::Params;

/// Settings of one gradient check.
#[derive(Debug, Clone)]
pub struct GradCheck {
    /// Finite-difference step.
    pub step: f64,
    /// Entries probed per tensor (every entry when the tensor is smaller).
    pub probes: usize,
    /// Seed for choosing the probed entries.
    pub seed: u64,
}

impl Default for GradCheck {
    fn default() -> Self {
        GradCheck {
            step: 1e-6,
            probes: 30,
            seed: 17,
        }
    }
}

/// Result for one tensor.
#[derive(Debug, Clone)]
pub struct TensorReport {
    /// Dotted tensor name.
    pub name: String,
    /// `(analytic, numeric)` pairs for the probed entries.
    pub pairs: Vec<(f64, f64)>,
    /// Normalised error over the probed entries.
    pub normalised_error: f64,
    /// Whether the tensor passed.
    pub ok: bool,
}

fn tensor_shapes<P: Params<f64>>(params: &P) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    params.visit("", &mut |name, values| out.push((name.to_string(), values.len())));
    out
}

/// Add `delta` to entry `index` of the tensor called `name`.
pub fn perturb<P: Params<f64>>(params: &mut P, name: &str, index: usize, delta: f64) {
    params.visit_mut("", &mut |n, values| {
        if n == name {
            values[index] += delta;
        }
    });
}

fn values_of<P: Params<f64>>(params: &P, name: &str) -> Vec<f64> {
    let mut out = Vec::new();
    params.visit("", &mut |n, values| {
        if n == name {
            out = values.to_vec();
        }
    });
    out
}

impl GradCheck {
    /// Compare `analytic` (gradients shaped like `params`) with central differences of `loss`.
    /// Returns one report per tensor; see [`GradCheck::assert`] for the usual test form.
    pub fn run<P, L>(&self, params: &P, analytic: &P, mut loss: L) -> Vec<TensorReport>
    where
        P: Params<f64> + Clone,
        L: FnMut(&P) -> f64,
    {
        let mut rng = Rng::new(self.seed);
        let mut reports = Vec::new();
        for (name, len) in tensor_shapes(params) {
            let grads = values_of(analytic, &name);
            assert_eq!(grads.len(), len, "gradient tensor {name} has the wrong length");
            let mut indices: Vec<usize> = (0..len).collect();
            if len > self.probes {
                rng.shuffle(&mut indices);
                indices.truncate(self.probes);
            }
            let mut pairs = Vec::with_capacity(indices.len());
            let mut work = params.clone();
            for &j in &indices {
                perturb(&mut work, &name, j, self.step);
                let plus = loss(&work);
                perturb(&mut work, &name, j, -2.0 * self.step);
                let minus = loss(&work);
                perturb(&mut work, &name, j, self.step);
                pairs.push((grads[j], (plus - minus) / (2.0 * self.step)));
            }
            let max_an = pairs.iter().fold(0.0f64, |m, (a, _)| m.max(a.abs()));
            let entries_ok = pairs
                .iter()
                .all(|(a, n)| (n - a).abs() <= 1e-6 * max_an + 1e-5 * n.abs() + 1e-12);
            let diff: f64 = pairs.iter().map(|(a, n)| (n - a).powi(2)).sum::<f64>().sqrt();
            let norm_n: f64 = pairs.iter().map(|(_, n)| n * n).sum::<f64>().sqrt();
            let norm_a: f64 = pairs.iter().map(|(a, _)| a * a).sum::<f64>().sqrt();
            let normalised_error = if norm_n + norm_a > 0.0 {
                diff / (norm_n + norm_a)
            } else {
                0.0
            };
            let ok = entries_ok || normalised_error < 1e-6;
            reports.push(TensorReport {
                name,
                pairs,
                normalised_error,
                ok,
            });
        }
        reports
    }

    /// Run the check and panic with the failing tensors' names and first pairs.
    /// Also fails when every probed gradient of every tensor is zero (a check that cannot fail).
    pub fn assert<P, L>(&self, what: &str, params: &P, analytic: &P, loss: L)
    where
        P: Params<f64> + Clone,
        L: FnMut(&P) -> f64,
    {
        let reports = self.run(params, analytic, loss);
        assert!(!reports.is_empty(), "{what}: no parameter tensors to check");
        let all_zero = reports
            .iter()
            .all(|r| r.pairs.iter().all(|(a, n)| *a == 0.0 && *n == 0.0));
        assert!(
            !all_zero,
            "{what}: every gradient is zero; the check could not fail"
        );
        let failures: Vec<String> = reports
            .iter()
            .filter(|r| !r.ok)
            .map(|r| {
                let shown: Vec<String> = r
                    .pairs
                    .iter()
                    .take(5)
                    .map(|(a, n)| format!("analytic {a:.9e} numeric {n:.9e}"))
                    .collect();
                format!(
                    "  {} NOT OK (normalised error {:.3e}): {}",
                    r.name,
                    r.normalised_error,
                    shown.join("; ")
                )
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{what}: gradient check failed\n{}",
            failures.join("\n")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    #[derive(Clone)]
    struct Quad<F> {
        w: Array1<F>,
    }
    crate::impl_params!(Quad { w });

    fn loss(p: &Quad<f64>) -> f64 {
        p.w.iter().map(|x| x * x * x).sum()
    }

    #[test]
    fn accepts_a_correct_gradient() {
        let p = Quad {
            w: Array1::from(vec![0.5, -1.0, 2.0]),
        };
        let g = Quad {
            w: p.w.mapv(|x| 3.0 * x * x),
        };
        GradCheck::default().assert("cube", &p, &g, loss);
    }

    #[test]
    fn rejects_a_wrong_gradient_and_names_the_tensor() {
        let p = Quad {
            w: Array1::from(vec![0.5, -1.0, 2.0]),
        };
        let g = Quad {
            w: p.w.mapv(|x| 3.0 * x * x * 1.001),
        };
        let reports = GradCheck::default().run(&p, &g, loss);
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].name, "w");
        assert!(!reports[0].ok);
    }
}

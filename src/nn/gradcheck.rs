//! Float64 central-finite-difference gradient checks (procedure of `xlstm-math.md` §7).
//!
//! For every named tensor of a [`Params`] set, a number of entries (all of them for small
//! tensors) are moved by ±`step`, the loss is evaluated twice and the central difference is
//! compared with the analytic gradient. An entry passes when
//! `|g_num − g_an| ≤ 1e-6·max|g_an| + 1e-5·|g_num|` (max over the tensor's probed entries);
//! a tensor also passes when its normalised error `‖g_num − g_an‖ / (‖g_num‖ + ‖g_an‖)` is below
//! `1e-6`. A failure names the tensor and shows the first mismatching pairs.
//!
//! Every layer test goes through [`GradCheck::assert_layer`] (or [`GradCheck::layer`] when it
//! bounds the error instead): a [`WithInputs`] point bundles the layer's parameters with its named
//! inputs and initial states, the loss is the "fake loss" Σ_k ⟨y_k, g_k⟩ of the layer's outputs
//! y_k against fixed upstream gradients g_k, and one backward call gives every analytic
//! gradient, so a single run probes every parameter tensor and every input.

use ndarray::{Array2, Array3, ArrayD, IxDyn};

use super::rng::Rng;
use super::{join, Params};

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

/// A layer's parameters plus named extra tensors (inputs, initial states), visited after the
/// parameters (as `p.*` and the tensor's name), so one gradient check probes all of them.
#[derive(Clone, Debug)]
pub struct WithInputs<P> {
    /// The layer's parameters.
    pub params: P,
    /// Inputs and initial states, by name.
    pub inputs: Vec<(&'static str, ArrayD<f64>)>,
}

impl<P: Params<f64>> Params<f64> for WithInputs<P> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &[f64])) {
        self.params.visit(&join(prefix, "p"), f);
        for (name, x) in &self.inputs {
            f(&join(prefix, name), x.as_slice().expect("contiguous"));
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut [f64])) {
        self.params.visit_mut(&join(prefix, "p"), f);
        for (name, x) in &mut self.inputs {
            f(&join(prefix, name), x.as_slice_mut().expect("contiguous"));
        }
    }
}

impl<P> WithInputs<P> {
    /// Parameters with the named inputs.
    pub fn new(params: P, inputs: Vec<(&'static str, ArrayD<f64>)>) -> Self {
        WithInputs { params, inputs }
    }

    /// The extra tensor called `name`.
    ///
    /// # Panics
    /// When there is none (a test bug).
    pub fn get(&self, name: &str) -> &ArrayD<f64> {
        &self
            .inputs
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no input called {name}"))
            .1
    }

    /// Whether there is an extra tensor called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.inputs.iter().any(|(n, _)| *n == name)
    }

    /// The extra tensor `name` as a (B, T, D) array.
    pub fn get3(&self, name: &str) -> Array3<f64> {
        as3(self.get(name))
    }

    /// The extra tensor `name` as a 2-D array.
    pub fn get2(&self, name: &str) -> Array2<f64> {
        as2(self.get(name))
    }
}

/// A 3-D copy of `a`.
pub fn as3(a: &ArrayD<f64>) -> Array3<f64> {
    a.clone().into_dimensionality().expect("a 3-D tensor")
}

/// A 2-D copy of `a`.
pub fn as2(a: &ArrayD<f64>) -> Array2<f64> {
    a.clone().into_dimensionality().expect("a 2-D tensor")
}

/// A tensor of N(0, scale²) entries.
pub fn randn(rng: &mut Rng, shape: &[usize], scale: f64) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(shape), |_| scale * rng.normal())
}

/// Σ a ⊙ b over all entries (the "fake loss" Σ out ⊙ g).
pub fn dot_all(a: &ArrayD<f64>, b: &ArrayD<f64>) -> f64 {
    assert_eq!(
        a.shape(),
        b.shape(),
        "fake loss: output and upstream shapes differ"
    );
    a.iter().zip(b.iter()).map(|(x, y)| x * y).sum()
}

impl GradCheck {
    /// The layer check: `forward(point)` returns the layer's outputs y_k (any shapes) and what
    /// the backward pass needs; `backward(point, &cache, upstream, &mut grads)` adds every
    /// parameter gradient into `grads` (zeroed here) and returns the gradients of the point's
    /// inputs, in the order of `point.inputs`. The loss is Σ_k ⟨y_k, upstream_k⟩.
    pub fn layer<P, C>(
        &self,
        point: &WithInputs<P>,
        upstream: &[ArrayD<f64>],
        forward: impl Fn(&WithInputs<P>) -> (Vec<ArrayD<f64>>, C),
        backward: impl FnOnce(&WithInputs<P>, &C, &[ArrayD<f64>], &mut P) -> Vec<ArrayD<f64>>,
    ) -> Vec<TensorReport>
    where
        P: Params<f64> + Clone,
    {
        let (outputs, cache) = forward(point);
        assert_eq!(outputs.len(), upstream.len(), "one upstream gradient per output");
        let mut grads = super::zeros_like(&point.params);
        let d_inputs = backward(point, &cache, upstream, &mut grads);
        assert_eq!(d_inputs.len(), point.inputs.len(), "one gradient per input");
        let names = point.inputs.iter().map(|(name, _)| *name);
        let analytic = WithInputs::new(grads, names.zip(d_inputs).collect());
        self.run(point, &analytic, |pt| {
            let outputs = forward(pt).0;
            outputs.iter().zip(upstream).map(|(y, g)| dot_all(y, g)).sum()
        })
    }

    /// [`GradCheck::layer`], then fail as [`GradCheck::assert`] does.
    pub fn assert_layer<P, C>(
        &self,
        what: &str,
        point: &WithInputs<P>,
        upstream: &[ArrayD<f64>],
        forward: impl Fn(&WithInputs<P>) -> (Vec<ArrayD<f64>>, C),
        backward: impl FnOnce(&WithInputs<P>, &C, &[ArrayD<f64>], &mut P) -> Vec<ArrayD<f64>>,
    ) where
        P: Params<f64> + Clone,
    {
        assert_reports(what, &self.layer(point, upstream, forward, backward));
    }

    /// [`GradCheck::assert_layer`] for the common shape of a layer: one (B, T, ·) input `x`,
    /// one output, `forward(p, x) -> (y, cache)` and `backward(p, cache, d_y, grads) -> d_x`.
    pub fn assert_sequence_layer<P, C>(
        &self,
        what: &str,
        params: P,
        x: ArrayD<f64>,
        upstream: ArrayD<f64>,
        forward: impl Fn(&P, &Array3<f64>) -> (Array3<f64>, C),
        backward: impl FnOnce(&P, &C, &Array3<f64>, &mut P) -> Array3<f64>,
    ) where
        P: Params<f64> + Clone,
    {
        self.assert_layer(
            what,
            &WithInputs::new(params, vec![("x", x)]),
            &[upstream],
            |pt| {
                let (y, cache) = forward(&pt.params, &pt.get3("x"));
                (vec![y.into_dyn()], cache)
            },
            |pt, cache, g, grads| vec![backward(&pt.params, cache, &as3(&g[0]), grads).into_dyn()],
        );
    }

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
        assert_reports(what, &self.run(params, analytic, loss));
    }
}

/// Panic with the failing tensors' names and first pairs; also when every probed gradient of
/// every tensor is zero (a check that cannot fail).
pub fn assert_reports(what: &str, reports: &[TensorReport]) {
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

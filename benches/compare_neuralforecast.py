"""One NeuralForecast model on the task of `xlstm fit`, for benches/compare_neuralforecast.sh.

The series (a column of a CSV file) is cut into training, validation and test rows, standardised
with the training rows' mean and population standard deviation (as `xlstm` does), and given to
NeuralForecast's `cross_validation` with one window per test origin (step 1, no refit): the model
trains once on the training rows (the validation rows are its validation set; no early stopping)
and forecasts every window whose targets lie in the test rows, from the history before it. The
training budget is given in optimiser steps of `--batch` windows, so that it equals `xlstm fit`'s
epochs over its training windows. Prints one JSON object: the test MSE over all windows and steps
in standardised units (xlstm's MSE(std)), the seconds of fitting and forecasting, the windows.
"""

import argparse
import json
import math
import time

import numpy as np
import pandas as pd


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True)
    parser.add_argument("--target", default="OT")
    parser.add_argument("--time-col", default="date")
    parser.add_argument("--model", choices=["xLSTM", "LSTM"], required=True)
    parser.add_argument("--lookback", type=int, default=96)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--split", default="8640,2880,2880", help="training,validation,test rows")
    parser.add_argument("--epochs", type=int, required=True, help="passes over the training windows")
    parser.add_argument("--batch", type=int, default=64, help="windows per optimiser step")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import LSTM, xLSTM

    n_train, n_val, n_test = (int(v) for v in args.split.split(","))
    frame = pd.read_csv(args.data)
    y = frame[args.target].to_numpy(dtype=float)[: n_train + n_val + n_test]
    mean, std = y[:n_train].mean(), y[:n_train].std()
    data = pd.DataFrame(
        {
            "unique_id": args.target,
            "ds": pd.to_datetime(frame[args.time_col].iloc[: len(y)]),
            "y": (y - mean) / std,
        }
    )
    # windows whose targets lie in the training rows (as xlstm counts them), and the steps that
    # pass over them `epochs` times in batches of `batch`
    train_windows = n_train - args.lookback - args.horizon + 1
    steps = args.epochs * math.ceil(train_windows / args.batch)
    test_windows = n_test - args.horizon + 1
    common = dict(
        h=args.horizon,
        input_size=args.lookback,
        loss=MSE(),
        max_steps=steps,
        val_check_steps=steps,  # one validation pass at the end; no early stopping
        early_stop_patience_steps=-1,
        batch_size=1,  # one series
        windows_batch_size=args.batch,
        random_seed=args.seed,
        accelerator="cpu",
        devices=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
        enable_checkpointing=False,
    )
    model = xLSTM(**common) if args.model == "xLSTM" else LSTM(**common)
    nf = NeuralForecast(models=[model], freq="h")
    start = time.perf_counter()
    forecasts = nf.cross_validation(
        df=data, n_windows=test_windows, step_size=1, val_size=n_val, refit=False
    )
    seconds = time.perf_counter() - start
    errors = forecasts[args.model].to_numpy() - forecasts["y"].to_numpy()
    print(
        json.dumps(
            {
                "model": args.model,
                "test_mse_std": float(np.mean(errors**2)),
                "test_windows": int(forecasts["cutoff"].nunique()),
                "expected_test_windows": test_windows,
                "train_windows": train_windows,
                "steps": steps,
                "batch": args.batch,
                "epochs": args.epochs,
                "fit_and_forecast_seconds": seconds,
                "parameters": int(sum(p.numel() for p in nf.models[0].parameters())),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()

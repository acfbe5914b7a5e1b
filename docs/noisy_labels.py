"""When does symmetric cross-entropy help? Cross-entropy against SCE on datasets/noisy_labels.csv,
scored on the clean labels that the file does not hold.

    python docs/noisy_labels.py [--splits 10]

noisy_labels.csv is three Gaussian blobs whose labels were flipped to another class in 30% of
the rows. `noisy_labels_data()` in datasets/make_datasets.py regenerates the features, the clean
labels and the noisy ones from its seed. Each model trains on the noisy labels of a stratified
75% split and is scored on the other 25% twice: against the noisy labels (what `cetrain compare
configs/noisy-labels-compare.toml` prints) and against the clean ones (what we wanted to learn).
Polynomial degree 1 is the linear model; degree 6 has room to fit the flipped labels.

This is a measurement, not a test: it prints means and standard deviations over the splits.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import PolynomialFeatures

from cetrain import SoftmaxRegression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "datasets"))
from make_datasets import noisy_labels_data

LOSSES = ("cross-entropy", "symmetric-cross-entropy")
DEGREES = (1, 6)


CSV = Path(__file__).resolve().parent.parent / "datasets" / "noisy_labels.csv"


def regenerated_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """noisy_labels_data(), checked against the shipped CSV: the same rows and noisy labels."""
    X, clean, noisy = noisy_labels_data()
    shipped = np.loadtxt(CSV, delimiter=",", skiprows=1)
    if not (np.allclose(shipped[:, :2], X, atol=5e-4) and np.array_equal(shipped[:, 2], noisy)):
        raise SystemExit(f"{CSV} is not what make_datasets.py generates; rebuild it first")
    return X, clean, noisy


def measure(degree: int, loss: str, splits: int) -> dict[str, np.ndarray]:
    """Accuracy and log loss against the clean and the noisy test labels, one value per split."""
    X, clean, noisy = regenerated_data()
    features = PolynomialFeatures(degree, include_bias=False).fit_transform(X)
    scores = {key: [] for key in ("clean_acc", "clean_ll", "noisy_acc", "noisy_ll")}
    rows = np.arange(len(noisy))
    for seed in range(splits):
        train, test = train_test_split(rows, test_size=0.25, random_state=seed, stratify=noisy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a run that stops at max_iter is still measured
            model = SoftmaxRegression(loss=loss).fit(features[train], noisy[train])
        proba = model.predict_proba(features[test])
        predicted = model.classes_[np.argmax(proba, axis=1)]
        for truth, name in ((clean, "clean"), (noisy, "noisy")):
            scores[f"{name}_acc"].append(np.mean(predicted == truth[test]))
            scores[f"{name}_ll"].append(log_loss(truth[test], proba, labels=model.classes_))
    return {key: np.array(values) for key, values in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--splits", type=int, default=10, help="random splits (default 10)")
    splits = parser.parse_args().splits
    print(f"noisy_labels.csv, 30% of labels flipped; mean (std) over {splits} splits")
    header = f"{'degree':>6}  {'loss':<24}{'clean acc':>16}{'clean log loss':>18}"
    print(header + f"{'noisy acc':>16}{'noisy log loss':>18}")
    for degree in DEGREES:
        for loss in LOSSES:
            result = measure(degree, loss, splits)
            cells = "".join(
                f"{f'{values.mean():.3f} ({values.std():.3f})':>{width}}"
                for values, width in zip(result.values(), (16, 18, 16, 18), strict=True)
            )
            print(f"{degree:>6}  {loss:<24}{cells}")


if __name__ == "__main__":
    main()

"""Write every CSV in datasets/: two small published examples and five seeded synthetic tables.

Run ``python datasets/make_datasets.py [OUTDIR]`` (default: the folder this script is in).
The output is deterministic: re-running it reproduces the committed files byte for byte, and a test
in tests/test_data.py checks that. See datasets/README.md for what each file is.
"""

import csv
import sys
from pathlib import Path

import numpy as np

# Daniel Godoy (2018), "Understanding binary cross-entropy / log loss: a visual explanation".
LINE_X = ["-2.2", "-1.4", "-0.8", "0.2", "0.4", "0.8", "1.2", "2.2", "2.9", "4.6"]
LINE_COLOR = ["red", "red", "green", "red", "green", "green", "green", "green", "green", "green"]

# Wikipedia, "Logistic regression", example: probability of passing an exam versus hours of study.
EXAM_HOURS = [
    "0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "1.75", "2.00", "2.25", "2.50",
    "2.75", "3.00", "3.25", "3.50", "4.00", "4.25", "4.50", "4.75", "5.00", "5.50",
]  # fmt: skip
EXAM_PASSED = [0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1]

# One seed per synthetic file, so changing one table never changes the other.
DEFAULT_SEED = 20240101
SPECIES_SEED = 20240102
GENRES_SEED = 20240103
NOISY_LABELS_SEED = 20240104
SPARSE_SEED = 20240105
MISSING_TOKENS = ["NA", "", "?"]

# genres.csv: each label is drawn from logit P(label) = intercept + coef . z, z the features
# standardised by their sample mean and standard deviation (rows: electronic, rock, pop).
GENRES_FEATURES = ["tempo_bpm", "energy", "danceability", "acousticness", "valence"]
GENRES_LABELS = ["electronic", "rock", "pop"]
GENRES_INTERCEPT = np.array([-1.0, -1.2, -0.3])
GENRES_COEF = np.array(
    [
        [1.5, 0.5, 2.0, -1.5, 0.0],  # electronic: fast, danceable, not acoustic
        [0.0, 3.0, -1.5, -1.0, 0.0],  # rock: energetic, less danceable, not acoustic
        [0.0, 0.0, 2.0, 0.0, 3.0],  # pop: danceable and cheerful
    ]
)

# noisy_labels.csv: three blobs; exactly this fraction of the labels is moved to another class.
NOISY_LABELS_FLIP_RATE = 0.3

# sparse.csv: y is drawn from logit P(y = 1) = SPARSE_COEF . x; only four coefficients are nonzero.
SPARSE_N_FEATURES = 20
SPARSE_COEF = np.zeros(SPARSE_N_FEATURES)
SPARSE_COEF[[2, 7, 12, 16]] = [2.0, -1.5, 1.0, -2.0]  # x3, x8, x13, x17


def line_rows() -> list[list[str]]:
    """The ten points of Godoy's one-dimensional red/green problem."""
    return [[x, color] for x, color in zip(LINE_X, LINE_COLOR, strict=True)]


def exam_rows() -> list[list[str]]:
    """The twenty students of Wikipedia's hours-of-study example."""
    return [[h, str(p)] for h, p in zip(EXAM_HOURS, EXAM_PASSED, strict=True)]


def default_rows(n: int = 1000, n_missing: int = 10) -> list[list[str]]:
    """A credit-default table shaped like ISLR's Default data, with a few incomes missing."""
    rng = np.random.default_rng(DEFAULT_SEED)
    student = rng.random(n) < 0.3
    # Students earn less and carry a little more balance, as in ISLR, so that student status and
    # balance are confounded: student alone looks risky, student given balance looks safer.
    income = np.clip(
        np.where(student, rng.normal(17500, 4500, n), rng.normal(40000, 10000, n)), 1000, None
    )
    balance = np.clip(rng.normal(850 + 150 * student, 480), 0, None)
    # ISLR's fitted slopes for balance and student, with an intercept raised from -10.9 to -9.8 so
    # that about 7% rather than 3% default: enough Yes rows in 1000 to learn from.
    logit = -9.8 + 0.0057 * balance - 0.6 * student
    default = rng.random(n) < 1 / (1 + np.exp(-logit))
    missing = set(rng.choice(n, size=n_missing, replace=False).tolist())
    return [
        [
            "Yes" if student[i] else "No",
            f"{balance[i]:.2f}",
            "NA" if i in missing else f"{income[i]:.2f}",
            "Yes" if default[i] else "No",
        ]
        for i in range(n)
    ]


def species_rows(
    n_per_class: int = 70, n_missing: int = 6, seed: int = SPECIES_SEED
) -> list[list[str]]:
    """Three bird species from four overlapping measurements and the site they were seen at."""
    rng = np.random.default_rng(seed)
    species = ["finch", "sparrow", "warbler"]
    # Means of wing_mm, bill_mm, tail_mm, mass_g per species; the spreads below are wide enough
    # that a linear model gets most birds right but not all of them.
    means = np.array([[68.0, 11.5, 55.0, 18.0], [72.0, 10.5, 58.0, 22.0], [63.0, 9.5, 52.0, 14.0]])
    spread = np.array([4.0, 1.0, 4.0, 3.0])
    sites = ["marsh", "meadow", "woodland"]
    site_prob = np.array([[0.2, 0.6, 0.2], [0.3, 0.3, 0.4], [0.5, 0.1, 0.4]])
    labels = np.repeat(np.arange(len(species)), n_per_class)
    labels = labels[rng.permutation(labels.size)]
    measures = rng.normal(means[labels], spread)
    site = [sites[rng.choice(len(sites), p=site_prob[k])] for k in labels]
    rows = [
        [*(f"{v:.1f}" for v in measures[i]), site[i], species[labels[i]]]
        for i in range(labels.size)
    ]
    # Blank out a few measurement or site cells, each with a different spelling of "missing".
    cells = rng.choice(labels.size * 5, size=n_missing, replace=False)
    for j, cell in enumerate(cells.tolist()):
        rows[cell // 5][cell % 5] = MISSING_TOKENS[j % len(MISSING_TOKENS)]
    return rows


def genres_data(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Song features (n, 5), rounded as written, and three overlapping 0/1 genre labels (n, 3)."""
    rng = np.random.default_rng(GENRES_SEED)
    tempo = np.clip(rng.normal(120.0, 25.0, n), 60.0, 200.0)
    energy = rng.beta(2.0, 2.0, n)
    danceability = rng.beta(2.0, 2.0, n)
    # Acoustic songs are quiet ones: acousticness falls as energy rises (correlation about -0.8).
    acousticness = np.clip(1.0 - energy + rng.normal(0.0, 0.2, n), 0.0, 1.0)
    valence = rng.beta(2.0, 2.0, n)
    fractions = np.column_stack([energy, danceability, acousticness, valence])
    features = np.column_stack([np.round(tempo, 1), np.round(fractions, 3)])
    # The labels depend on the features as written, so a linear model of the CSV is well specified.
    z = (features - features.mean(axis=0)) / features.std(axis=0)
    logits = GENRES_INTERCEPT + z @ GENRES_COEF.T
    labels = (rng.random((n, len(GENRES_LABELS))) < 1 / (1 + np.exp(-logits))).astype(np.int64)
    return features, labels


def genres_rows() -> list[list[str]]:
    """Songs with five audio features and three genre labels, any number of which may be 1."""
    features, labels = genres_data()
    return [
        [f"{f[0]:.1f}", *(f"{v:.3f}" for v in f[1:]), *(str(v) for v in y)]
        for f, y in zip(features, labels, strict=True)
    ]


def noisy_labels_data(n_per_class: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three Gaussian blobs: features (n, 2), the clean classes (n,) and the noisy labels (n,)."""
    rng = np.random.default_rng(NOISY_LABELS_SEED)
    angles = np.deg2rad([90.0, 210.0, 330.0])
    centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    clean = np.repeat(np.arange(3), n_per_class)
    clean = clean[rng.permutation(clean.size)]
    X = np.round(rng.normal(centres[clean], 1.0), 3)
    # Symmetric noise: a fixed number of rows, chosen at random, each moved to one of the two
    # other classes with equal probability.
    n_flip = round(NOISY_LABELS_FLIP_RATE * clean.size)
    flipped = rng.choice(clean.size, size=n_flip, replace=False)
    noisy = clean.copy()
    noisy[flipped] = (clean[flipped] + rng.integers(1, 3, size=n_flip)) % 3
    return X, clean, noisy


def noisy_labels_rows() -> list[list[str]]:
    """Three blobs whose labels were flipped to another class in 30% of the rows."""
    X, _, noisy = noisy_labels_data()
    return [[f"{a:.3f}", f"{b:.3f}", str(k)] for (a, b), k in zip(X, noisy, strict=True)]


def sparse_data(n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Twenty standard normal features (n, 20), rounded as written, and 0/1 labels (n,)."""
    rng = np.random.default_rng(SPARSE_SEED)
    X = np.round(rng.normal(0.0, 1.0, (n, SPARSE_N_FEATURES)), 3)
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ SPARSE_COEF)))).astype(np.int64)
    return X, y


def sparse_rows() -> list[list[str]]:
    """A binary problem on twenty features of which only four matter."""
    X, y = sparse_data()
    return [[*(f"{v:.3f}" for v in x), str(label)] for x, label in zip(X, y, strict=True)]


FILES = {
    "line.csv": (["x", "color"], line_rows),
    "exam.csv": (["hours", "passed"], exam_rows),
    "default.csv": (["student", "balance", "income", "default"], default_rows),
    "species.csv": (["wing_mm", "bill_mm", "tail_mm", "mass_g", "site", "species"], species_rows),
    "genres.csv": ([*GENRES_FEATURES, *GENRES_LABELS], genres_rows),
    "noisy_labels.csv": (["x1", "x2", "label"], noisy_labels_rows),
    "sparse.csv": ([*(f"x{j + 1}" for j in range(SPARSE_N_FEATURES)), "y"], sparse_rows),
}


# Rows for the README's `cetrain predict` and `cetrain evaluate` examples: new birds drawn as
# species.csv's were, with another seed, and an id column. They are not a dataset: they live in
# docs/examples/ and are written there by main() when it writes this folder.
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "docs" / "examples"
NEW_BIRDS_SEED = SPECIES_SEED + 1


def new_birds_rows() -> list[list[str]]:
    """20 new birds per species, 2 with a missing value, each with an id."""
    rows = species_rows(n_per_class=20, n_missing=2, seed=NEW_BIRDS_SEED)
    return [[f"bird-{i + 1:03d}", *row] for i, row in enumerate(rows)]


EXAMPLES = {"new_birds.csv": (["id", *FILES["species.csv"][0]], new_birds_rows)}


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Write one CSV with Unix line endings, whatever the platform."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def main(argv: list[str]) -> int:
    """Write every file in FILES into argv[0] (default: this script's folder)."""
    if len(argv) > 1:
        print("usage: python datasets/make_datasets.py [OUTDIR]", file=sys.stderr)
        return 2
    outdir = Path(argv[0]) if argv else Path(__file__).resolve().parent
    outdir.mkdir(parents=True, exist_ok=True)
    for name, (header, make_rows) in FILES.items():
        write_csv(outdir / name, header, make_rows())
        print(outdir / name)
    if not argv:  # the examples go with the repository's own datasets
        EXAMPLES_DIR.mkdir(parents=True, exist_ok=True)
        for name, (header, make_rows) in EXAMPLES.items():
            write_csv(EXAMPLES_DIR / name, header, make_rows())
            print(EXAMPLES_DIR / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The boundary plot of a run: which two features it shows by default, and what it says about
the slice; --show-loss and worst_points.csv."""

import csv
import re
import warnings

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba

from cetrain.data import list_datasets
from cetrain.errors import ConfigError
from cetrain.plots.boundary import loss_marker_area
from cetrain.plots.style import DARK
from cetrain.runs.settings import resolve_settings
from cetrain.runs.train import train
from cetrain.runs.view import categorical_levels, named_view
from cetrain.runs.write import WORST_POINTS, boundary_figure, point_losses
from cetrain.runs.write import _write_worst_points as write_worst_points

DATASETS = [info.name for info in list_datasets()]


def run(**values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few epochs: not converged, and that is fine here
        return train(resolve_settings({"epochs": 200, **values}))


@pytest.fixture(scope="module")
def results():
    """Every built-in dataset trained once with the default view (200 epochs)."""
    return {name: run(data=name) for name in DATASETS}


def text_groups(result) -> dict[int, str]:
    """{index of a one-hot column: its text column}."""
    names = result.dataset.feature_names
    return {
        names.index(f"{column}={level}"): column
        for column, levels in categorical_levels(result.dataset.columns).items()
        for level in levels[1:]
    }


def standardised_weight(result) -> dict[object, float]:
    """Each candidate's weight, computed here from coef_ and the training rows: the norm over
    the classes of coef_ times the feature's standard deviation, a text column's the largest
    of its one-hot columns'. Keys: feature indices, or text column names."""
    coef = np.atleast_2d(result.pipeline.estimator.coef_)
    per_feature = np.linalg.norm(coef * result.X_train.std(axis=0), axis=0)
    groups = text_groups(result)
    weight: dict[object, float] = {}
    for j, w in enumerate(per_feature):
        key = groups.get(j, j)
        weight[key] = max(weight.get(key, 0.0), float(w))
    return weight


@pytest.mark.parametrize("name", DATASETS)
def test_default_plot_features_matter_most_to_the_model(results, name):
    result = results[name]
    names = result.dataset.feature_names
    groups = text_groups(result)
    i, j = result.plot_features
    if len(names) == 1:
        assert (i, j) == (0, 0) and result.settings.plot_features is None
        return
    if len(names) == 2:
        assert (i, j) == (0, 1) and result.plot_why is None
        return
    weight = standardised_weight(result)
    chosen = [groups.get(k, k) for k in (i, j)]
    ranked = sorted(weight, key=lambda key: -weight[key])
    assert chosen == ranked[:2]
    # never a constant feature, nor one whose coefficients are all zero
    for k in (i, j):
        assert result.X_train[:, k].std() > 0 and weight[groups.get(k, k)] > 0
    assert result.plot_why.startswith(
        f"chosen for the largest standardised coefficients of {len(weight)} features "
    )
    # config.toml records the choice (a text column by its name), which re-runs the same view
    recorded = result.settings.plot_features
    assert recorded == tuple(c if isinstance(c, str) else names[c] for c in chosen)
    again = named_view(recorded, names, result.dataset.columns)
    assert again.features == (i, j)


def test_the_default_views_of_the_issue(results):
    """The data the issue names: no constant pixel, no zero coefficient, the text column."""
    features = {name: results[name].settings.plot_features for name in DATASETS}
    assert features["iris"] == ("petal width (cm)", "petal length (cm)")
    assert features["wine"] == ("proline", "flavanoids")
    assert features["default"] == ("balance", "student")
    sparse = run(data="sparse", l1=0.05, l2=0.0)
    coef = sparse.pipeline.estimator.coef_.ravel()
    assert all(coef[k] != 0 for k in sparse.plot_features)
    digits = results["digits"]
    assert all(digits.X_train[:, k].std() > 0 for k in digits.plot_features)


def slice_rows(result, n: int = 120) -> list[np.ndarray]:
    """The rows of the drawn slice, built here from what the subtitle says: the two plotted
    features over their range (8% margin), a plotted text column at each of its levels, the
    other numeric features at their training mean, other text columns at their most frequent
    level."""
    X = result.X_train
    points = np.vstack([result.X_train, result.X_test])
    groups = text_groups(result)
    held = X.mean(axis=0)
    by_column: dict[str, list[int]] = {}
    for k, column in groups.items():
        by_column.setdefault(column, []).append(k)
    for indices in by_column.values():
        counts = [np.sum(np.all(X[:, indices] == 0, axis=1)), *np.sum(X[:, indices], axis=0)]
        held[indices] = 0.0
        if np.argmax(counts) > 0:
            held[indices[np.argmax(counts) - 1]] = 1.0

    def axis(k):
        lo, hi = points[:, k].min(), points[:, k].max()
        margin = 0.08 * (hi - lo)
        return np.linspace(lo - margin, hi + margin, n)

    i, j = result.plot_features
    text = [k for k in (i, j) if k in groups]
    if text:
        numeric = j if text[0] == i else i
        indices = by_column[groups[text[0]]]
        grids = []
        for level in range(len(indices) + 1):
            grid = np.tile(held, (n, 1))
            grid[:, numeric] = axis(numeric)
            grid[:, indices] = 0.0
            if level:
                grid[:, indices[level - 1]] = 1.0
            grids.append(grid)
        return grids
    GX, GY = np.meshgrid(axis(i), axis(j))
    grid = np.tile(held, (GX.size, 1))
    grid[:, i], grid[:, j] = GX.ravel(), GY.ravel()
    return [grid]


def nowhere_classes(result, proba) -> list[int]:
    """The classes the model predicts for some test row that win nowhere in the slice."""
    predicted = set(proba(result.X_test).argmax(axis=1).tolist())
    winners = set()
    for grid in slice_rows(result):
        winners |= set(proba(grid).argmax(axis=1).tolist())
    return sorted(predicted - winners)


def nowhere_note(title: str) -> str | None:
    match = re.search(r"(\S.*?) wins? nowhere in this slice", " ".join(title.split("\n")))
    return match and match.group(1).split("\n")[-1]


@pytest.mark.parametrize("name", DATASETS)
def test_every_predicted_class_has_a_region_or_the_note_says_why_not(results, name):
    result = results[name]
    if result.X_train.shape[1] == 1:  # one feature: the plot is the whole model
        return
    figure = boundary_figure(result)
    estimator = result.pipeline.estimator
    if estimator.head_.predicts_label_sets:  # one binary panel per label

        def label_proba(k):
            return lambda X: np.column_stack(
                [1 - result.pipeline.predict_proba(X)[:, k], result.pipeline.predict_proba(X)[:, k]]
            )

        panels = [
            (panel.axes[0].get_title(), label_proba(k), [f"not {c}", str(c)])
            for k, (panel, c) in enumerate(zip(figure.subfigs, estimator.classes_, strict=False))
        ]
    else:
        classes = [str(c) for c in estimator.classes_]
        panels = [(figure.axes[0].get_title(), result.pipeline.predict_proba, classes)]
    for title, proba, classes in panels:
        missing = nowhere_classes(result, proba)
        note = " ".join(title.split("\n"))
        if missing:
            names = ", ".join(classes[k] for k in missing)
            verb = "wins" if len(missing) == 1 else "win"
            assert f"{names} {verb} nowhere in this slice" in note
        else:
            assert "nowhere" not in note
    expected_missing = {"digits"}  # ten classes do not all win in a plane of two pixels
    assert (name in expected_missing) == ("nowhere" in " ".join(p[0] for p in panels))


def test_a_text_column_is_drawn_as_one_curve_per_level(results):
    result = results["default"]  # balance and student: P(Yes) against balance
    figure = boundary_figure(result)
    ax = figure.axes[0]
    styles = [line.get_linestyle() for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert styles == ["-", "--"]  # student = No, student = Yes
    assert ax.get_xlabel() == "balance" and ax.get_ylabel() == "P(Yes)"
    # the curves are the model's P(Yes) at each level, income at its mean
    held = result.X_train.mean(axis=0)
    for level, line in enumerate(c for c in ax.get_lines() if len(c.get_xdata()) > 2):
        x = np.asarray(line.get_xdata())
        rows = np.tile(held, (len(x), 1))
        rows[:, 1], rows[:, 0] = x, level
        np.testing.assert_allclose(line.get_ydata(), result.pipeline.predict_proba(rows)[:, 1])
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "student = No" in labels and "student = Yes" in labels
    title = " ".join(ax.get_title().split("\n"))
    assert "P(Yes) against balance, one curve per level of student" in title
    assert "the other feature (income) is held at its mean" in title


def test_no_one_hot_column_is_held_at_a_fraction(results):
    """species: site (three levels) is held at its most frequent level, never at its mean."""
    result = results["species"]
    names = result.dataset.feature_names
    site = [names.index("site=meadow"), names.index("site=woodland")]
    asked = []

    def proba(X):
        asked.append(np.array(X))
        return result.pipeline.predict_proba(X)

    data = {
        "X_train": result.X_train,
        "y_train": result.pipeline.estimator.class_index(result.y_train),
        "X_test": result.X_test,
        "y_test": result.pipeline.estimator.class_index(result.y_test),
        "class_names": list(result.pipeline.classes_),
        "feature_names": names,
        "categorical": categorical_levels(result.dataset.columns),
    }
    from cetrain.plots import decision_boundary

    figure = decision_boundary(proba, plot_features=result.plot_features, resolution=30, **data)
    grid = np.vstack(asked)
    assert set(np.unique(grid[:, site])) == {0.0, 1.0}
    assert np.all(grid[:, site].sum(axis=1) <= 1)
    rows = result.X_train[:, site]
    counts = {
        "marsh": int(np.sum(rows.sum(axis=1) == 0)),
        "meadow": int(rows[:, 0].sum()),
        "woodland": int(rows[:, 1].sum()),
    }
    most = max(counts, key=counts.get)
    title = " ".join(figure.axes[0].get_title().split("\n"))
    assert f"site at {most}, the most frequent level" in title
    # a plotted text column: one curve per class and level (three classes, three levels)
    asked.clear()
    mass = names.index("mass_g")
    figure = decision_boundary(proba, plot_features=(mass, site[0]), resolution=30, **data)
    ax = figure.axes[0]
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == 9
    assert sorted({line.get_linestyle() for line in curves}) == ["-", "--", ":"]
    assert set(np.unique(np.vstack(asked)[:, site])) == {0.0, 1.0}


def independent_losses(result, X, y, class_weight=False):
    """Cross-entropy of each row, -log P(true class), from predict_proba; with balanced class
    weights n / (C n_k) of the rows' own split, times the weight over the mean weight."""
    classes = list(result.pipeline.classes_)
    index = np.array([classes.index(v) for v in y])
    loss = -np.log(result.pipeline.predict_proba(X)[np.arange(len(y)), index])
    if class_weight:
        counts = np.bincount(index, minlength=len(classes))
        w = (len(y) / (len(classes) * counts))[index]
        loss = loss * w / w.mean()
    return loss


@pytest.fixture(scope="module")
def moons_shown():
    return run(data="moons", n_samples=80, show_loss=True, class_weight="balanced")


def test_show_loss_sizes_each_point_by_its_own_loss(moons_shown):
    result = moons_shown
    losses = np.concatenate(
        [
            independent_losses(result, result.X_train, result.y_train, class_weight=True),
            independent_losses(result, result.X_test, result.y_test, class_weight=True),
        ]
    )
    np.testing.assert_allclose(np.concatenate(point_losses(result)), losses, rtol=1e-10)
    figure = boundary_figure(result)
    ax = figure.axes[0]
    points = np.vstack([result.X_train, result.X_test])
    filled = [
        c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_facecolors())
    ]
    drawn = 0
    for collection in filled:
        for xy, size in zip(collection.get_offsets(), collection.get_sizes(), strict=True):
            row = int(np.flatnonzero(np.all(points == xy, axis=1))[0])
            assert size == pytest.approx(loss_marker_area(losses[row]))
            drawn += 1
    assert drawn == len(points)
    # the legend gives the scale: points of loss 0.1, 1 and the largest
    legend = figure.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    largest = f"{losses.max():.3g} (largest)"
    assert labels[-4:] == ["area: each point's\ncross-entropy (nats)", "0.1", "1", largest]
    sizes = [h.get_markersize() for h in legend.legend_handles[-3:]]
    np.testing.assert_allclose(np.square(sizes), loss_marker_area([0.1, 1.0, losses.max()]))
    # the dark rings of misclassified points do not hide their colour
    rings = [
        c
        for c in ax.collections
        if isinstance(c, PathCollection)
        and not len(c.get_facecolors())
        and np.allclose(c.get_edgecolors()[0], to_rgba(DARK))
    ]
    assert len(rings) == 1


def test_without_show_loss_every_point_has_one_size(results):
    result = results["moons"]
    ax = boundary_figure(result).axes[0]
    filled = [
        c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_facecolors())
    ]
    assert [len(np.unique(c.get_sizes())) for c in filled] == [1, 1]  # train, test
    assert "area" not in " ".join(t.get_text() for t in boundary_figure(result).legends[0].texts)


def test_worst_points_are_the_rows_with_the_largest_loss(moons_shown, tmp_path):
    result = moons_shown
    write_worst_points(result, point_losses(result), tmp_path / "worst_points.csv")
    with (tmp_path / "worst_points.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = result.dataset.feature_names
    classes = [str(c) for c in result.pipeline.classes_]
    assert list(rows[0]) == [
        "rank",
        "split",
        "row",
        *names,
        "true",
        "predicted",
        *(f"P({c})" for c in classes),
        "loss",
    ]
    everything = [
        (loss, split, k)
        for split, X, y in (
            ("train", result.X_train, result.y_train),
            ("test", result.X_test, result.y_test),
        )
        for k, loss in enumerate(independent_losses(result, X, y, class_weight=True))
    ]
    expected = sorted(everything, key=lambda item: -item[0])[:WORST_POINTS]
    assert len(rows) == WORST_POINTS
    for rank, (row, (loss, split, k)) in enumerate(zip(rows, expected, strict=True), start=1):
        assert (int(row["rank"]), row["split"], int(row["row"])) == (rank, split, k)
        assert float(row["loss"]) == pytest.approx(loss, rel=1e-10)
        X, y = (
            (result.X_train, result.y_train) if split == "train" else (result.X_test, result.y_test)
        )
        assert [float(row[n]) for n in names] == X[k].tolist()
        assert row["true"] == str(y[k])
        p = result.pipeline.predict_proba(X[k : k + 1])[0]
        assert [float(row[f"P({c})"]) for c in classes] == pytest.approx(p.tolist(), rel=1e-12)
        assert row["predicted"] == classes[int(np.argmax(p))]
    # the mean of the training rows' losses is the training loss the run reports
    train_losses = point_losses(result)[0]
    assert train_losses.mean() == pytest.approx(result.history.train_loss[-1], rel=1e-9)


def test_worst_points_of_a_multilabel_run_name_the_label_sets(results, tmp_path):
    result = results["genres"]
    write_worst_points(result, point_losses(result), tmp_path / "worst_points.csv")
    with (tmp_path / "worst_points.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = [str(c) for c in result.pipeline.classes_]
    Y = np.vstack([result.y_train, result.y_test])
    for row in rows:
        k = int(row["row"]) + (len(result.y_train) if row["split"] == "test" else 0)
        expected = "+".join(c for c, on in zip(labels, Y[k], strict=True) if on) or "none"
        assert row["true"] == expected
    losses = [float(row["loss"]) for row in rows]
    assert losses == sorted(losses, reverse=True)


def test_compare_sizes_every_model_on_one_loss_scale(tmp_path, monkeypatch):
    from conftest import invoke

    from cetrain import plots

    seen = {}
    drawn = plots.comparison_figure

    def comparison_figure(*args, **kwargs):
        seen.update(kwargs["panel_options"])
        return drawn(*args, **kwargs)

    monkeypatch.setattr(plots, "comparison_figure", comparison_figure)
    out = tmp_path / "compare"
    result = invoke(
        "compare", "--data", "moons", "--n-samples", 60, "--epochs", 30, "--show-loss",
        "--quiet", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "show_loss = true" in (out / "config.toml").read_text(encoding="utf-8")
    assert list(seen) == ["cross-entropy", "mse"]
    assert [options["loss_name"] for options in seen.values()] == [
        "cross-entropy (nats)",
        "MSE (Brier score)",
    ]
    # under MSE no point costs more than 1; under cross-entropy the worst cost more
    assert seen["mse"]["point_loss"].max() < 1 < seen["cross-entropy"]["point_loss"].max()


def test_a_model_with_no_nonzero_coefficient_shows_the_first_two_that_vary():
    result = run(data="sparse", l1=0.5, l2=0.0)
    assert not result.pipeline.estimator.coef_.any()
    assert result.plot_features == (0, 1)
    assert result.plot_why == "the first two that vary: all 20 features' coefficients are zero"


def _text_csv(path):
    """Two numeric columns, a one-level text column, two text columns of several levels."""
    rng = np.random.default_rng(0)
    rows = ["a,b,only,city,colour,label"]
    for i in range(60):
        a, b = rng.normal(size=2)
        city, colour = ["x", "y", "z"][i % 3], ["red", "blue"][i % 2]
        rows.append(f"{a:.3f},{b:.3f},same,{city},{colour},{int(a + b > 0)}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_one_level_text_column_is_not_a_plot_feature(tmp_path):
    data = str(_text_csv(tmp_path / "t.csv"))
    result = train(resolve_settings({"data": data, "plot_features": ["a", "city"], "epochs": 50}))
    assert result.settings.plot_features == ("a", "city")
    with pytest.raises(ConfigError) as caught:
        train(resolve_settings({"data": data, "plot_features": ["a", "only"], "epochs": 50}))
    assert str(caught.value).startswith("unknown plot feature 'only'; the features are: a, b,")


def test_two_text_columns_cannot_both_be_plotted(tmp_path):
    data = str(_text_csv(tmp_path / "t.csv"))
    with pytest.raises(ConfigError) as caught:
        train(resolve_settings({"data": data, "plot_features": ["city", "colour"], "epochs": 50}))
    assert str(caught.value) == (
        "plot features 'city' and 'colour' are both text columns; name at most one, with a "
        "numeric feature"
    )


def test_a_comparison_says_whose_coefficients_chose_its_slice():
    from cetrain.runs.compare import compare
    from cetrain.runs.write import _comparison_plot_data

    settings = resolve_settings({"data": "iris", "epochs": 50})
    comparison = compare(settings, ["cross-entropy", "mse"], vary="loss")
    data = _comparison_plot_data(comparison, {"cross-entropy": "cross-entropy", "mse": "mse"})
    first = comparison.runs["cross-entropy"]
    assert data["why"] == f"{first.plot_why} in the cross-entropy model"
    assert data["plot_features"] == first.plot_features

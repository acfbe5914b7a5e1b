"""The teaching commands: `loss` (entropy, cross-entropy and KL, and every training loss on one
prediction), `gradcheck`, `landscape` and `saturation`.

`loss` and `gradcheck` need only NumPy; `landscape` and `saturation` import matplotlib when they
draw.
"""

import math
from collections.abc import Callable

import click

from cetrain.cli.base import (
    ParamType,
    cli,
    count,
    echo_table,
    fixed,
    number_options,
    option_help,
    scientific,
    setting_options,
    user_errors,
    write_folder,
)
from cetrain.core.links import log_softmax
from cetrain.core.losses import LABEL_SMOOTHING, LOSSES
from cetrain.core.params import Number, Param, PathText
from cetrain.data.split import SEED
from cetrain.errors import DataError
from cetrain.estimators.params import MAX_LEARNING_RATE
from cetrain.runs.folder import FIGURE_FORMATS, check_run_dir
from cetrain.runs.settings import loss_option_settings, loss_options
from cetrain.teach import landscape, saturation
from cetrain.teach.gradcheck import L2, STEP, check_gradients
from cetrain.teach.infotheory import (
    InfoReport,
    binary_distribution,
    check_distribution,
    in_bits,
    information_report,
    log_probabilities,
)
from cetrain.teach.losstable import LossValue, loss_values, model_for, smooth

MAX_DEMO_EPOCHS = 20_000  # landscape and saturation keep every epoch in their JSON


def _demo_epochs(default: int) -> Callable:
    """The --epochs option of landscape and saturation."""
    return click.option(
        "--epochs",
        type=click.IntRange(1, MAX_DEMO_EPOCHS),
        default=default,
        show_default=True,
        help=f"Steps of plain gradient descent on each loss (at most {MAX_DEMO_EPOCHS}).",
    )


# The demos' options that take a number or a path, declared as train's settings are, so that a
# value out of range gets the same message (a NUL byte in a path, a step of 1e308).
DEMO_LEARNING_RATE = Param(
    "lr", Number(0.0, MAX_LEARNING_RATE, low_open=True), None, "Step size of both descents."
)
DEMO_DATA = Param("data", PathText(metavar="TEXT"), "line", "Dataset name or CSV path.")
DEMO_OUT = Param("out", PathText(), None, "Folder to create.")

# --smoothing is train's label smoothing, applied to the truth
SMOOTHING = LABEL_SMOOTHING.renamed(
    "smoothing", help="Label smoothing of the truth: p' = (1-e) p + e/C (C = 2 with --binary)."
)


class Numbers(click.ParamType):
    """Comma-separated finite numbers, such as 0.1,0.6,0.3, as a tuple of floats.

    With `count`, exactly that many, e.g. Numbers(2, "W,B", "2,2") for a weight and intercept.
    """

    name = "numbers"

    def __init__(self, count: int | None = None, metavar: str = "X,Y,...", example: str = ""):
        self.count, self.metavar, self.example = count, metavar, example

    def get_metavar(self, param, ctx=None):
        return self.metavar

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        items = [item.strip() for item in value.split(",")]
        numbers = []
        for item in items:
            try:
                numbers.append(float(item))
            except ValueError:
                numbers.append(None)
        finite = [number is not None and math.isfinite(number) for number in numbers]
        if self.count is not None:
            if len(numbers) != self.count or not all(finite):
                words = {2: "two"}.get(self.count, str(self.count))
                self.fail(
                    f"{value!r} is not {words} finite numbers {self.metavar} such as "
                    f"{self.example}",
                    param,
                    ctx,
                )
            return tuple(numbers)
        for item, number, ok in zip(items, numbers, finite, strict=True):
            if not ok:
                problem = "a number" if number is None else "a finite number"
                self.fail(f"{item!r} is not {problem}", param, ctx)
        return tuple(numbers)


@cli.command(name="loss")
@click.option("--target", help="The true class: a 0-based index, or a name from --classes.")
@click.option(
    "--p", "p", type=Numbers(), help="The true distribution instead: probabilities, one per class."
)
@click.option("--probs", type=Numbers(), help="The predicted probabilities q, one per class.")
@click.option(
    "--scores", type=Numbers(), help="Predicted scores (logits) instead: q = softmax(scores)."
)
@click.option("--classes", help="Comma-separated class names, for --target and the table.")
@click.option(
    "--binary",
    is_flag=True,
    help="Two classes, given by class 1 alone: --target 0|1 or --p P1, and --probs Q1 or "
    "--scores S (one logit, q1 = sigmoid(S)).",
)
@click.option(
    "--smoothing",
    type=ParamType(SMOOTHING),
    default=SMOOTHING.default,
    help=option_help(SMOOTHING),
)
# the losses' own options, as train takes them (label smoothing is --smoothing here)
@setting_options(loss_option_settings())
@user_errors
def loss_command(target, p, probs, scores, classes, binary, smoothing, **loss_settings):
    """Print entropy, cross-entropy and KL divergence, in nats and in bits.

    The truth p is a class (--target, so p is one-hot) or a distribution
    (--p); the prediction q is probabilities (--probs) or scores (--scores),
    turned into probabilities by softmax. Bits are nats / log 2.

    \b
      H(p)     = -sum_k p_k log p_k    entropy of the truth
      H(p, q)  = -sum_k p_k log q_k    cross-entropy: the log loss
      KL(p||q) = H(p, q) - H(p) >= 0   what q costs beyond H(p)

    A class with p_k > 0 and q_k = 0 makes H(p, q) infinite (inf). Below,
    the same prediction under each loss `cetrain train --loss` can train on.

    \b
    Examples:
      cetrain loss --target 1 --probs 0.228,0.619,0.153
          true class B of A, B, C: H(p, q) = -log 0.619 = 0.4797 nats (0.6920 bits)
      cetrain loss --target B --classes A,B,C --probs 0.001,0.998,0.001
          confident and right: 0.0020 nats
      cetrain loss --target B --classes A,B,C --probs 0.001,0.001,0.998
          confident and wrong: 6.9078 nats
      cetrain loss --p 0.1,0.6,0.3 --probs 0.228,0.619,0.153
          a soft truth: H(p) = 0.8979, H(p, q) = 0.9988, KL(p||q) = 0.1009 nats
      cetrain loss --target 0 --scores 2.0,1.0,0.1
          q = softmax(scores) = (0.6590, 0.2424, 0.0986): H(p, q) = 0.4170 nats
      cetrain loss --binary --target 1 --scores 1.5
          log(1 + e^-1.5) = 0.2014 nats, q1 = sigmoid(1.5) = 0.8176
      cetrain loss --target 0 --scores 2.0,1.0,0.1 --smoothing 0.1
          p = (0.9333, 0.0333, 0.0333): H(p, q) = 0.5137 nats
      cetrain loss --binary --target 1 --scores 1.5 --focal-gamma 0 --focal-alpha none
          the focal loss with gamma 0 and no alpha is cross-entropy: 0.2014
    """
    _exactly_one("--target", target, "--p", p)
    _exactly_one("--probs", probs, "--scores", scores)
    given = "--probs" if probs is not None else "--scores"
    names = _class_names(classes)
    if binary:
        _one_number("--p", p, "the probability of class 1")
        _one_number("--probs", probs, "the probability of class 1")
        _one_number("--scores", scores, "the score (logit) of class 1")
        if p is not None:
            p = _checked(binary_distribution, p[0], "--p")
        if probs is not None:
            probs = _checked(binary_distribution, probs[0], "--probs")
        if scores is not None:
            scores = (0.0, scores[0])  # softmax(0, s) = (1 - sigmoid(s), sigmoid(s))
    n = len(probs if probs is not None else scores)
    if n < 2:
        raise _bad_value(
            given, "give at least 2 values, one per class (for class 1 alone, use --binary)"
        )
    if p is not None and len(p) != n:
        raise _usage_error(f"--p has {len(p)} values but {given} has {n}; give one per class")
    if names is not None and len(names) != n:
        where = "--binary" if binary else given
        raise _usage_error(f"--classes names {len(names)} classes but {where} has {n}")
    if target is not None:
        index = _class_index(target, names, n)
        p = [1.0 if k == index else 0.0 for k in range(n)]
    truth = smooth(_checked(check_distribution, p, "--p"), smoothing)
    log_q = log_softmax(scores) if scores is not None else _checked(log_probabilities, probs, given)
    names = names or [str(k) for k in range(n)]
    options = _loss_options(loss_settings, names, binary)
    # the losses are built (and their options checked together) before anything is printed
    values = loss_values(
        truth, log_q, scores=scores, binary=binary, options=options, smoothed=smoothing > 0
    )
    _echo_information(information_report(truth, log_q), names, scores)
    click.echo()
    _echo_loss_values(values)


def _loss_options(given: dict, names: list[str], binary: bool) -> dict[str, dict]:
    """Each loss's options from its settings given here, as the loss takes them (per-class
    values in class order), resolved as `train` resolves them. An option not given keeps the
    loss's own default, as in `train`."""
    model = model_for(binary)
    return {
        name: spec.resolve(loss_options(name, given), model, names) for name, spec in LOSSES.items()
    }


def _echo_loss_values(values: list[LossValue]) -> None:
    """Each training loss's value on the prediction, with the options this command can set
    (focal, symmetric cross-entropy), or why it has none."""
    rows = []
    for item in values:
        settable = {s.option for s in loss_option_settings(item.name)}
        shown = ", ".join(
            f"{key} {_option_text(value)}" for key, value in item.options.items() if key in settable
        )
        value = fixed(item.value) if item.value is not None else "-"
        rows.append([item.name, value, shown if item.value is not None else item.reason])
    echo_table(["loss (train --loss)", "value", "options"], rows, "<><")


def _option_text(value) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    return "none" if value is None else f"{value:g}"


@cli.command(name="gradcheck")
@click.option(
    "--seed",
    type=click.IntRange(0, SEED.domain.high),
    default=0,
    show_default=True,
    help="Seed of the random problem.",
)
@click.option("--rows", type=click.IntRange(1, 1000), default=7, show_default=True, help="Rows n.")
@click.option(
    "--features", type=click.IntRange(1, 50), default=3, show_default=True, help="Features d."
)
@click.option(
    "--classes",
    type=click.IntRange(2, 20),
    default=3,
    show_default=True,
    help="Classes C of the softmax model.",
)
def gradcheck_command(seed, rows, features, classes):
    """Check the gradient of every training objective by finite differences.

    For every model kind and every loss it can train on (the choices of
    `cetrain train --model` and `--loss`), without and with sample weights
    and with an l2 penalty, a small random
    problem is built and the analytic gradient of the objective is compared
    with central differences, separately for the weights W and the intercept
    b. The relative error ||g - g_num|| / (||g|| + ||g_num||) is good below
    1e-7, WRONG above 1e-2, and worth a check in between. Exits with code 1
    if any block is WRONG.

    \b
    Examples:
      cetrain gradcheck
      cetrain gradcheck --seed 3 --rows 50 --features 10 --classes 5
    """
    checks = check_gradients(seed=seed, rows=rows, features=features, classes=classes)
    click.echo(
        f"Seed {seed}: {count(rows, 'row')}, {count(features, 'feature')}, "
        f"{classes} softmax classes, l2 = {L2:g}; central differences, h = {STEP:g}"
    )
    echo_table(
        ["model", "loss", "weights", "block", "rel. error", "verdict"],
        [
            [c.model, c.loss, c.weighting, c.block, scientific(c.relative_error), c.verdict]
            for c in checks
        ],
        "<<<<><",
    )
    wrong = [c for c in checks if c.verdict == "WRONG"]
    if wrong:
        blocks = ", ".join(f"{c.model} {c.loss} {c.weighting} {c.block}" for c in wrong)
        verb = "is" if len(wrong) == 1 else "are"
        raise click.ClickException(f"{count(len(wrong), 'gradient block')} {verb} wrong: {blocks}")


def _exactly_one(first: str, first_value, second: str, second_value) -> None:
    if (first_value is None) == (second_value is None):
        raise _usage_error(f"give exactly one of {first} and {second}")


def _one_number(option: str, values: tuple[float, ...] | None, meaning: str) -> None:
    if values is not None and len(values) != 1:
        raise _bad_value(option, f"--binary takes one number, {meaning}; got {len(values)}")


def _class_names(classes: str | None) -> list[str] | None:
    if classes is None:
        return None
    names = [name.strip() for name in classes.split(",")]
    if "" in names or len(set(names)) != len(names):
        raise _bad_value(
            "--classes", f"class names must be distinct and not empty; got {classes!r}"
        )
    return names


def _class_index(target: str, names: list[str] | None, n: int) -> int:
    """--target as a class index: a name from --classes, or an index 0..n-1."""
    if names is not None and target in names:
        return names.index(target)
    try:
        index = int(target)
    except ValueError:
        if names is None:
            message = f"{target!r} is not a class index 0..{n - 1} (to name classes, use --classes)"
        else:
            message = f"{target!r} is not a class; use one of {', '.join(names)} or 0..{n - 1}"
        raise _bad_value("--target", message) from None
    if not 0 <= index < n:
        raise _bad_value("--target", f"class index {index} is out of range 0..{n - 1}")
    return index


def _checked(check, value, option: str):
    """check(value), with its DataError reported as a bad value of `option` (exit code 2)."""
    try:
        return check(value)
    except DataError as exc:
        raise _bad_value(option, str(exc)) from None


def _bad_value(option: str, message: str) -> click.BadParameter:
    return click.BadParameter(message, ctx=click.get_current_context(), param_hint=f"'{option}'")


def _usage_error(message: str) -> click.UsageError:
    return click.UsageError(message, ctx=click.get_current_context())


def _echo_information(report: InfoReport, names: list[str], scores) -> None:
    """The class table (p, the scores if given, q) and H(p), H(p, q), KL(p||q) in nats and bits."""
    header = ["class", "p", *(["score"] if scores is not None else []), "q"]
    rows = []
    for k, name in enumerate(names):
        score = [fixed(scores[k])] if scores is not None else []
        rows.append([name, fixed(report.p[k]), *score, fixed(report.q[k])])
    echo_table(header, rows, "<" + ">" * (len(header) - 1))
    click.echo()
    quantities = [
        ("H(p)", report.entropy),
        ("H(p, q)", report.cross_entropy),
        ("KL(p||q)", report.kl_divergence),
    ]
    echo_table(
        ["", "nats", "bits"],
        [[label, fixed(nats), fixed(in_bits(nats))] for label, nats in quantities],
        "<>>",
    )


# --- teaching commands: landscape, saturation ------------------------------------------------


_FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FIGURE_FORMATS),
    default="png",
    show_default=True,
    help="Format of the figure.",
)


@cli.command(name="landscape")
@click.option(
    "--data",
    type=ParamType(DEMO_DATA),
    default="line",
    show_default=True,
    help="Dataset name or CSV path with one feature (or see --feature) and two classes.",
)
@click.option("--feature", help="The feature to use, when the data has several.")
@click.option("--target", help="CSV label column.  [default: the last column]")
@click.option(
    "--start",
    type=Numbers(2, "W,B", "2,2"),
    help="Where both descents start.  [default: w = -3 w*, b = b*, where (w*, b*) is "
    "cross-entropy's optimum: a confidently wrong model]",
)
@click.option(
    "--lr",
    type=ParamType(DEMO_LEARNING_RATE),
    metavar="NUMBER",
    help="Step size of both descents.  [default: 1/L for cross-entropy, which is safe for MSE too]"
    f"  [{DEMO_LEARNING_RATE.domain.bounds}]",
)
@_demo_epochs(landscape.DEFAULT_EPOCHS)
@click.option(
    "--out",
    type=ParamType(DEMO_OUT),
    help="Folder to create; must not exist or be empty.  [default: runs/<time>-<data>-landscape]",
)
@_FORMAT_OPTION
@number_options
@user_errors
def landscape_command(data, feature, target, start, lr, epochs, out, fmt, decimal, thousands):
    """Draw cross-entropy and MSE over the weights of a one-feature problem.

    With scores s = w*x + b on the raw feature x, mean cross-entropy is a
    convex bowl over (w, b) while mean MSE on the sigmoid, (sigma(s) - y)^2,
    has plateaus and is not convex. Both are descended by plain gradient
    descent from the same start with the same step. The folder gets
    landscape.png (each loss along w at cross-entropy's optimal b, each
    surface with its path, and the loss per epoch) and landscape.json (the
    paths, the minima on the grid and the smallest Hessian eigenvalue of each
    surface: >= 0 means convex on the grid).

    \b
    Examples:
      cetrain landscape
      cetrain landscape --start 3,2 --lr 0.5 --format svg
      cetrain landscape --data exam
      cetrain landscape --data linear --feature x1 --out runs/linear-landscape
    """
    if out is not None:
        check_run_dir(out)  # fail now, not after the computation
    problem = landscape.one_feature_data(data, feature, target, decimal, thousands)
    result = landscape.compute_landscape(problem, start=start, learning_rate=lr, epochs=epochs)
    from cetrain.runs.folder import write_demo
    from cetrain.teach.landscape_figure import landscape_figure

    folder = write_folder(
        lambda path: write_demo(path, "landscape", landscape_figure(result), result.to_dict(), fmt),
        out,
        default=(problem.name, "landscape"),
    )

    if problem.rows_dropped:
        click.echo(f"Dropped {problem.rows_dropped} rows with missing values.", err=True)
    w0, b0 = result.start
    click.echo(
        f"Loss landscape of {problem.name}: P({problem.classes[1]}) = "
        f"sigmoid(w*{problem.feature} + b), {problem.x.size} rows; start w = {w0:.4g}, "
        f"b = {b0:.4g}; step {result.learning_rate:.4g}, {epochs} epochs"
    )
    optimum = result.optimum
    click.echo(
        f"cross-entropy optimum: {optimum.loss:.4g} at w = {optimum.w:.4g}, b = {optimum.b:.4g}"
    )
    for name, surface in result.surfaces.items():
        path, end = surface.path, surface.path.final
        shape = "convex" if surface.convex_on_grid else "not convex"
        click.echo(
            f"{name}: {path.loss[0]:.4g} -> {end.loss:.4g} at w = {end.w:.4g}, b = {end.b:.4g}; "
            f"{shape} on the grid (smallest Hessian eigenvalue {surface.min_eigenvalue:.2g})"
        )
    click.echo(f"Folder: {folder}")


@cli.command(name="saturation")
@click.option(
    "--lr",
    type=ParamType(DEMO_LEARNING_RATE),
    metavar="NUMBER",
    default=saturation.DEFAULT_LEARNING_RATE,
    show_default=True,
    help=f"Step size of both runs.  [{DEMO_LEARNING_RATE.domain.bounds}]",
)
@_demo_epochs(saturation.DEFAULT_EPOCHS)
@click.option(
    "--start",
    type=Numbers(2, "W,B", "2,2"),
    default=",".join(f"{v:g}" for v in saturation.DEFAULT_START),
    show_default=True,
    help="The neuron's weight and intercept at epoch 0.",
)
@click.option(
    "--target",
    type=click.Choice(["0", "1"]),
    default=str(saturation.DEFAULT_TARGET),
    show_default=True,
    help="The output the neuron should learn.",
)
@click.option(
    "--out",
    type=ParamType(DEMO_OUT),
    help="Folder to create; must not exist or be empty.  [default: runs/<time>-neuron-saturation]",
)
@_FORMAT_OPTION
@user_errors
def saturation_command(lr, epochs, start, target, out, fmt):
    """Train one saturated sigmoid neuron on MSE and on cross-entropy.

    The neuron has input x = 1 and output sigma(w + b); started at w = b = 2
    its output is sigma(4) = 0.982 while the target is 0. The gradient of
    MSE, 2 (sigma - y) sigma', carries the factor sigma' = sigma (1 - sigma),
    which is tiny while the neuron is saturated, so MSE learns slowly at
    first; cross-entropy's gradient sigma - y does not have it. The folder
    gets saturation.png (output, loss, gradient and sigma' per epoch) and
    saturation.json (the per-epoch values, and for each loss the first
    epoch at which the output is within 0.1 of the target).

    \b
    Examples:
      cetrain saturation
      cetrain saturation --lr 0.5 --epochs 100 --format pdf
      cetrain saturation --start -2,-2 --target 1 --out runs/saturation-up
    """
    if out is not None:
        check_run_dir(out)
    result = saturation.saturation_demo(
        start=start, target=int(target), learning_rate=lr, epochs=epochs
    )
    from cetrain.runs.folder import write_demo
    from cetrain.teach.saturation_figure import saturation_figure

    folder = write_folder(
        lambda path: write_demo(
            path, "saturation", saturation_figure(result), result.to_dict(), fmt
        ),
        out,
        default=("neuron", "saturation"),
    )

    w0, b0 = result.start
    first = result.runs["mse"].output[0]
    click.echo(
        f"One sigmoid neuron, x = 1, target {target}: start w = {w0:g}, b = {b0:g} "
        f"(output {first:.3f}); step {lr:g}, {epochs} epochs"
    )
    for name, run in result.runs.items():
        k = run.first_epoch_near
        reached = (
            f"within {result.near:g} of the target at epoch {k}"
            if k is not None
            else f"never within {result.near:g} of the target in {epochs} epochs"
        )
        click.echo(f"{name}: output {run.output[0]:.3f} -> {run.output[-1]:.3f}; {reached}")
        if run.status == "diverged":
            click.echo(
                f"Warning: gradient descent on {name} diverged after {run.w.size - 1} epochs; "
                "use a smaller --lr",
                err=True,
            )
    click.echo(f"Folder: {folder}")

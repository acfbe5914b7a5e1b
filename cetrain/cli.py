"""The command line: parse options, call the library, echo results, translate errors."""

import functools
import math
import sys
import time
from pathlib import Path

import click

from cetrain import __version__
from cetrain.core.links import log_softmax
from cetrain.core.losses import LOSS_NAMES
from cetrain.data import list_datasets
from cetrain.errors import CetrainError, ConfigError, DataError
from cetrain.runs.compare import (
    ACCURACY_SHARE,
    DEFAULT_LOSSES,
    MODEL_CHOICES,
    PLURAL,
    Comparison,
    compare,
)
from cetrain.runs.folder import FIGURE_FORMATS, check_run_dir, default_run_dir, write_demo
from cetrain.runs.settings import (
    DEFAULTS,
    MAX_SAMPLES,
    MAX_SEED,
    MODEL_NAMES,
    focal_alpha,
    learning_rate,
    parse_class_values,
    read_config,
    resolve_settings,
)
from cetrain.runs.train import TrainResult, train
from cetrain.runs.write import write_comparison, write_run
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
from cetrain.teach.landscape_figure import landscape_figure
from cetrain.teach.losstable import LossValue, loss_values, smooth
from cetrain.teach.saturation_figure import saturation_figure

PROGRESS_INTERVAL = 0.1  # seconds between progress-bar redraws
MAX_DEMO_EPOCHS = 20_000  # landscape and saturation keep every epoch in their JSON
THIRD_COLUMNS = {"label_accuracy": "label acc", "balanced_accuracy": "bal. acc"}
MAX_RECALL_CLASSES = 10  # more classes than this and the recall line would not fit


class NumberOrWord(click.ParamType):
    """A number or one word (like auto or none), checked as the config file's key is."""

    def __init__(self, word: str, check, expected: str):
        self.word = word
        self.check = check
        self.expected = expected
        self.name = f"NUMBER|{word}"

    def get_metavar(self, param, ctx=None):
        return self.name

    def convert(self, value, param, ctx):
        typed = value
        try:
            if isinstance(value, str) and value.strip().lower() != self.word:
                value = _float_or_text(value)
            return self.check(value)
        except ValueError:
            self.fail(f"{typed!r} is not {self.expected}", param, ctx)


def _float_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


LEARNING_RATE = NumberOrWord("auto", learning_rate, "a finite number > 0 or 'auto'")
FOCAL_ALPHA = NumberOrWord(
    "none", focal_alpha, "a number in [0, 1], 'none', or class=weight pairs like 'a=0.5,b=0.25'"
)


def _user_errors(command):
    """Turn a CetrainError (a user's mistake) into click's one-line `Error: ...`, exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CetrainError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cetrain")
def cli():
    """cetrain: train logistic, softmax and multi-label regression on cross-entropy, and see why.

    \b
    Examples:
      cetrain datasets
      cetrain train --data iris
      cetrain train configs/moons-poly.toml --epochs 2000
    """


def _default(key: str) -> str:
    return f"[default: {getattr(DEFAULTS, key)}]"


# The options of `cetrain train`, by setting name; `cetrain compare` takes them all but loss.
TRAIN_OPTIONS = {
    "data": click.option(
        "--data", help="Dataset name (see `cetrain datasets`) or path to a CSV file with a header."
    ),
    "target": click.option(
        "--target",
        help="CSV label column, or several comma-separated 0/1 (multi-label) or probability "
        "columns.  [default: the last column]",
    ),
    "weight_col": click.option(
        "--weight-col", help="CSV column of per-row sample weights (not a feature)."
    ),
    "features": click.option(
        "--features", help="Comma-separated input columns to use.  [default: all but the target]"
    ),
    "n_samples": click.option(
        "--n-samples",
        type=click.IntRange(2, MAX_SAMPLES),
        help="Rows of a generated dataset (moons, ...).  [default: 200]",
    ),
    "noise": click.option(
        "--noise", type=click.FloatRange(min=0), help="Noise of a generated dataset."
    ),
    "model": click.option(
        "--model",
        type=click.Choice(MODEL_NAMES),
        help="auto: logistic for 2 classes, softmax for more or for probability columns, "
        f"multilabel for 0/1 columns.  {_default('model')}",
    ),
    "loss": click.option(
        "--loss", type=click.Choice(LOSS_NAMES), help=f"Training loss.  {_default('loss')}"
    ),
    "class_weight": click.option(
        "--class-weight",
        help='Per-class weights: "balanced" (n / (C n_k)) or class=weight pairs, like '
        '"Yes=5,No=1".  [default: none]',
    ),
    "label_smoothing": click.option(
        "--label-smoothing",
        type=click.FloatRange(0, 1, max_open=True),
        help="Smooth the targets: (1-e) onehot + e/C (binary: y(1-e) + e/2).  [default: 0]",
    ),
    "focal_gamma": click.option(
        "--focal-gamma",
        type=click.FloatRange(min=0),
        help="Focal loss: the exponent gamma of (1 - p_t).  [default: 2]",
    ),
    "focal_alpha": click.option(
        "--focal-alpha",
        type=FOCAL_ALPHA,
        help="Focal loss: alpha, the weight of the positive class (sigmoid outputs), "
        'class=weight pairs (softmax, like "a=0.5,b=0.25"), or none.  '
        "[default: 0.25 sigmoid, none softmax]",
    ),
    "sce_alpha": click.option(
        "--sce-alpha",
        type=click.FloatRange(min=0),
        help="Symmetric cross-entropy: the weight of cross-entropy.  [default: 0.1]",
    ),
    "sce_beta": click.option(
        "--sce-beta",
        type=click.FloatRange(min=0),
        help="Symmetric cross-entropy: the weight of reverse cross-entropy.  [default: 1]",
    ),
    "lr": click.option(
        "--lr",
        type=LEARNING_RATE,
        help=f"Step size, or auto for 1/L (L: the Lipschitz constant).  {_default('lr')}",
    ),
    "epochs": click.option(
        "--epochs",
        type=click.IntRange(min=1),
        help=f"Maximum epochs (full passes over the data).  {_default('epochs')}",
    ),
    "tol": click.option(
        "--tol",
        type=click.FloatRange(min=0),
        help=f"Stop when the gradient norm falls below this.  {_default('tol')}",
    ),
    "l2": click.option(
        "--l2",
        type=click.FloatRange(min=0),
        help=f"Penalty l2/2 * ||W||^2 on standardised weights.  {_default('l2')}",
    ),
    "l1": click.option(
        "--l1",
        type=click.FloatRange(min=0),
        help="Penalty l1 * ||W||_1 on standardised weights (sparse: zero coefficients; with "
        f"--l2, elastic net).  {_default('l1')}",
    ),
    "momentum": click.option(
        "--momentum",
        type=click.FloatRange(0, 1, max_open=True),
        help=f"Nesterov momentum; 0 is plain gradient descent.  {_default('momentum')}",
    ),
    "standardize": click.option(
        "--standardize/--no-standardize",
        default=None,
        help="Standardise features inside the model.  [default: standardize]",
    ),
    "poly": click.option(
        "--poly",
        type=click.IntRange(min=1),
        help=f"Degree of polynomial features (1: none).  {_default('poly')}",
    ),
    "test_size": click.option(
        "--test-size",
        type=click.FloatRange(0, 1, max_open=True),
        help=f"Fraction held out as a stratified test set; 0 for none.  {_default('test_size')}",
    ),
    "seed": click.option(
        "--seed",
        type=click.IntRange(0, MAX_SEED),
        help=f"Seed of the split and of generated data.  {_default('seed')}",
    ),
    "plot_features": click.option(
        "--plot-features",
        help="Two comma-separated features for the boundary plot.  [default: the first two]",
    ),
    "format": click.option(
        "--format",
        type=click.Choice(FIGURE_FORMATS),
        help=f"File format of the figures.  {_default('format')}",
    ),
    "animate": click.option(
        "--animate/--no-animate",
        default=None,
        help="Also write training.gif: the decision boundary moving over the epochs.  "
        "[default: no-animate]",
    ),
    "out": click.option(
        "--out",
        type=click.Path(),
        help="Run folder to create; must not exist or be empty.  "
        "[default: runs/<time>-<data>-<model>]",
    ),
    "quiet": click.option(
        "--quiet/--no-quiet",
        default=None,
        help="No progress bar or summary: print only the run folder (warnings and notes still go "
        "to stderr).  [default: no-quiet]",
    ),
}


def _train_options(exclude: tuple[str, ...] = ()):
    """Apply the TRAIN_OPTIONS (but `exclude`) to a command, in the order listed."""

    def decorate(command):
        for name, option in reversed(TRAIN_OPTIONS.items()):
            if name not in exclude:
                command = option(command)
        return command

    return decorate


def _settings(
    config: Path | None,
    options: dict,
    extra_keys: tuple[str, ...] = (),
    refused: dict[str, str] | None = None,
):
    """Settings from defaults <- the config file <- the command line, and the config file's
    values for `extra_keys`; a config key in `refused` is an error with that reason. The run
    folder is checked now, not after training."""
    file_values = read_config(config, extra_keys) if config is not None else {}
    for key, reason in (refused or {}).items():
        if key in file_values:
            raise ConfigError(f"{config}: key '{key}' is not used here: {reason}")
    extra = {key: file_values.pop(key) for key in extra_keys if key in file_values}
    cli_values = {key: value for key, value in options.items() if value is not None}
    settings = resolve_settings(file_values, cli_values, config_name=str(config))
    if settings.out is not None:
        check_run_dir(settings.out)
    return settings, extra


def _write_folder(write, out: Path) -> Path:
    """Call write(out), reporting a failure of the file system as one `Error:` line."""
    try:
        return write(out)
    except OSError as exc:
        raise click.ClickException(f"cannot write the run folder '{out}': {exc}") from None


def _echo_notes(result: TrainResult, warnings: bool = True) -> None:
    """Dropped rows and (unless warnings=False) convergence warnings, on stderr."""
    if result.dataset.rows_dropped:
        click.echo(f"Dropped {result.dataset.rows_dropped} rows with missing values.", err=True)
    for message in result.warnings if warnings else ():
        click.echo(f"Warning: {message}", err=True)


@cli.command("train")
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_train_options()
@_user_errors
def train_command(config: Path | None, **options):
    """Train a model and write a run folder with plots, metrics and the model.

    CONFIG is an optional TOML file whose keys are the option names
    (test_size or test-size); options given here override it.

    \b
    Examples:
      cetrain train --data iris
      cetrain train --data moons --poly 3 --test-size 0.3 --out runs/moons
      cetrain train --data datasets/default.csv --target default --features student,balance
      cetrain train configs/quickstart.toml --loss mse --epochs 2000
      cetrain train --data moons --poly 3 --animate --format svg
      cetrain train --data default --class-weight balanced
      cetrain train --data genres --target electronic,rock,pop
      cetrain train --data sparse --l1 0.05 --l2 0
      cetrain train --data iris --loss focal --focal-alpha setosa=0.5,virginica=2
    """
    settings, _ = _settings(config, options)
    with _ProgressBar(settings.epochs, enabled=not settings.quiet) as on_epoch:
        result = train(settings, callback=on_epoch)
    out = Path(settings.out or default_run_dir(result.dataset.name, result.settings.model))
    folder = _write_folder(lambda path: write_run(result, path, settings.format), out)
    _echo_notes(result)
    if settings.quiet:
        click.echo(str(folder))
    else:
        _echo_summary(result, folder)


@cli.command("compare")
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--losses",
    help=f"Comma-separated losses to train on, from: {', '.join(LOSS_NAMES)}.  "
    f"[default: {','.join(DEFAULT_LOSSES)}]",
)
@click.option(
    "--models",
    help="Comma-separated models to train instead, from: "
    f"{', '.join(MODEL_CHOICES)} (multilabel on one label per row: one-vs-rest sigmoids).",
)
@_train_options(exclude=("loss",))
@_user_errors
def compare_command(config: Path | None, losses: str | None, models: str | None, **options):
    """Train the same model once per loss (or per model) and compare them on one scale.

    Every model gets the same data, split, initial weights (zero) and
    step-size rule. comparison.png shows each loss's own training curve,
    the test log loss and accuracy of every model (one scale for all,
    whatever it was trained on), the gradient norms and the decision
    boundaries side by side; comparison.json and the printed table hold
    the numbers. With --models it is the model that varies, on one loss.
    CONFIG takes the train options' keys and `losses` (or `models`).

    \b
    Examples:
      cetrain compare --data moons --losses cross-entropy,mse
      cetrain compare --data iris --epochs 3000 --animate
      cetrain compare --data iris --models softmax,multilabel
      cetrain compare configs/quickstart.toml --out runs/moons-compare
    """
    in_file = read_config(config, ("losses", "models")) if config is not None else {}
    losses = losses if losses is not None else in_file.get("losses")
    models = models if models is not None else in_file.get("models")
    if losses is not None and models is not None:
        raise ConfigError("compare varies one setting: give losses or models, not both")
    vary = "model" if models is not None else "loss"
    if vary == "model" and options.get("model") is not None:
        raise ConfigError("--model and --models both given: compare trains each of --models")
    settings, _ = _settings(
        config,
        options,
        extra_keys=("losses", "models"),
        refused={vary: f"compare trains on each of `{PLURAL[vary]}`; list them there"},
    )
    chosen = models if vary == "model" else losses if losses is not None else DEFAULT_LOSSES
    names = _names_of(PLURAL[vary], chosen)
    bars: list[_ProgressBar] = []

    def callback_for(name: str):
        if bars:
            bars[-1].close()  # the previous run has finished
        bars.append(_ProgressBar(settings.epochs, enabled=not settings.quiet, label=name))
        return bars[-1].__enter__()

    try:
        comparison = compare(settings, names, vary=vary, callback_for=callback_for)
    except BaseException:
        if bars:
            bars[-1].close(finished=False)
        raise
    if bars:
        bars[-1].close()
    first = comparison.runs[names[0]]
    out = Path(settings.out or default_run_dir(first.dataset.name, "compare"))
    folder = _write_folder(lambda path: write_comparison(comparison, path, settings.format), out)
    _echo_notes(first, warnings=False)
    for name, run in comparison.runs.items():
        for message in run.warnings:
            click.echo(f"Warning: {name}: {message}", err=True)
    if settings.quiet:
        click.echo(str(folder))
    else:
        _echo_comparison(comparison, folder)


def _names_of(key: str, value) -> list[str]:
    """--losses "a,b" (or --models) or a config's list -> names (checked by compare)."""
    if isinstance(value, str):
        return [name.strip() for name in value.split(",")]
    if isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
        return list(value)
    raise ConfigError(f"{key} must be a comma-separated string or a list of strings; got {value!r}")


@cli.command()
@_user_errors
def datasets():
    """List the datasets --data can name: built-in, generated and in datasets/.

    Any CSV file with a header works too: pass its path to --data.

    \b
    Examples:
      cetrain datasets
      cetrain train --data breast_cancer
    """
    infos = list_datasets()
    width = max(len(info.name) for info in infos)
    click.echo(
        f"{'name':<{width}}  {'kind':<9}  {'rows':>5}  {'features':>8}  {'classes':>7}  description"
    )
    for info in infos:
        click.echo(
            f"{info.name:<{width}}  {info.kind:<9}  {info.rows:>5}  {info.features:>8}  "
            f"{info.classes:>7}  {info.description}"
        )


# --- teaching commands: loss, gradcheck ------------------------------------------------------


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
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    help="Label smoothing of the truth: p' = (1-e) p + e/C (C = 2 with --binary).  [default: 0]",
)
@TRAIN_OPTIONS["focal_gamma"]
@TRAIN_OPTIONS["focal_alpha"]
@TRAIN_OPTIONS["sce_alpha"]
@TRAIN_OPTIONS["sce_beta"]
@_user_errors
def loss_command(
    target,
    p,
    probs,
    scores,
    classes,
    binary,
    smoothing,
    focal_gamma,
    focal_alpha,
    sce_alpha,
    sce_beta,
):
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
    # an option not given keeps the loss's own default, as in `train`
    focal = {"gamma": focal_gamma}
    if focal_alpha is not None:
        focal["alpha"] = _focal_alpha_for(focal_alpha, names, binary)
    sce = {"alpha": sce_alpha, "beta": sce_beta}
    options = {
        "focal": {key: value for key, value in focal.items() if value is not None},
        "symmetric-cross-entropy": {key: value for key, value in sce.items() if value is not None},
    }
    _echo_information(information_report(truth, log_q), names, scores)
    click.echo()
    _echo_loss_values(
        loss_values(
            truth, log_q, scores=scores, binary=binary, options=options, smoothed=smoothing > 0
        )
    )


def _focal_alpha_for(alpha, names: list[str], binary: bool):
    """--focal-alpha as the focal loss takes it: a number (binary), per-class weights, None."""
    if alpha == "none":
        return None
    if isinstance(alpha, str):  # class=weight pairs
        if binary:
            raise _bad_value("--focal-alpha", "with --binary give one number in [0, 1], or none")
        pairs = parse_class_values(alpha)
        unknown = [name for name in pairs if name not in names]
        if unknown:
            raise _bad_value(
                "--focal-alpha", f"unknown class {unknown[0]!r}; the classes are {', '.join(names)}"
            )
        return tuple(pairs.get(name, 1.0) for name in names)
    if not binary:
        raise _bad_value(
            "--focal-alpha",
            f'give one weight per class, like "{names[0]}=0.5,{names[1]}=0.25", or none '
            "(a single number is the positive class's weight, for --binary)",
        )
    return alpha


def _echo_loss_values(values: list[LossValue]) -> None:
    """Each training loss's value on the prediction, with the options set here (focal, symmetric
    cross-entropy), or why it has none."""
    rows = []
    for item in values:
        shown = ", ".join(
            f"{key} {_option_text(value)}"
            for key, value in item.options.items()
            if key in ("alpha", "beta", "gamma")
        )
        value = _fixed(item.value) if item.value is not None else "-"
        rows.append([item.name, value, shown if item.value is not None else item.reason])
    _echo_table(["loss (train --loss)", "value", "options"], rows, "<><")


def _option_text(value) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    return "none" if value is None else f"{value:g}"


@cli.command(name="gradcheck")
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
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

    For the logistic, softmax and multi-label models, each loss they can
    train on (cross-entropy, mse, focal, hinge, symmetric cross-entropy),
    without and with sample weights and with an l2 penalty, a small random
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
        f"Seed {seed}: {_count(rows, 'row')}, {_count(features, 'feature')}, "
        f"{classes} softmax classes, l2 = {L2:g}; central differences, h = {STEP:g}"
    )
    _echo_table(
        ["model", "loss", "weights", "block", "rel. error", "verdict"],
        [
            [c.model, c.loss, c.weighting, c.block, f"{c.relative_error:.1e}", c.verdict]
            for c in checks
        ],
        "<<<<><",
    )
    wrong = [c for c in checks if c.verdict == "WRONG"]
    if wrong:
        blocks = ", ".join(f"{c.model} {c.loss} {c.weighting} {c.block}" for c in wrong)
        verb = "is" if len(wrong) == 1 else "are"
        raise click.ClickException(f"{_count(len(wrong), 'gradient block')} {verb} wrong: {blocks}")


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
        score = [_fixed(scores[k])] if scores is not None else []
        rows.append([name, _fixed(report.p[k]), *score, _fixed(report.q[k])])
    _echo_table(header, rows, "<" + ">" * (len(header) - 1))
    click.echo()
    quantities = [
        ("H(p)", report.entropy),
        ("H(p, q)", report.cross_entropy),
        ("KL(p||q)", report.kl_divergence),
    ]
    _echo_table(
        ["", "nats", "bits"],
        [[label, _fixed(nats), _fixed(in_bits(nats))] for label, nats in quantities],
        "<>>",
    )


def _fixed(value: float) -> str:
    """Four decimals; inf as inf, and a value that rounds to zero as 0.0000, never -0.0000."""
    return "inf" if value == math.inf else f"{round(value, 4) + 0.0:.4f}"


def _echo_table(header: list[str], rows: list[list[str]], align: str) -> None:
    """Columns two spaces apart, as wide as their widest cells; `align` is < or > per column."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = (f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


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
    type=click.FloatRange(min=0, min_open=True),
    metavar="NUMBER",
    help="Step size of both descents.  [default: 1/L for cross-entropy, which is safe for MSE too]",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, MAX_DEMO_EPOCHS),
    default=landscape.DEFAULT_EPOCHS,
    show_default=True,
    help="Steps of plain gradient descent on each loss (at most 20000).",
)
@click.option(
    "--out",
    type=click.Path(),
    help="Folder to create; must not exist or be empty.  [default: runs/<time>-<data>-landscape]",
)
@_FORMAT_OPTION
@_user_errors
def landscape_command(data, feature, target, start, lr, epochs, out, fmt):
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
    problem = landscape.one_feature_data(data, feature, target)
    result = landscape.compute_landscape(problem, start=start, learning_rate=lr, epochs=epochs)
    folder = _write_folder(
        lambda path: write_demo(path, "landscape", landscape_figure(result), result.to_dict(), fmt),
        Path(out) if out else default_run_dir(problem.name, "landscape"),
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
    type=click.FloatRange(min=0, min_open=True),
    metavar="NUMBER",
    default=saturation.DEFAULT_LEARNING_RATE,
    show_default=True,
    help="Step size of both runs.",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, MAX_DEMO_EPOCHS),
    default=saturation.DEFAULT_EPOCHS,
    show_default=True,
    help="Steps of plain gradient descent on each loss (at most 20000).",
)
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
    type=click.Path(),
    help="Folder to create; must not exist or be empty.  [default: runs/<time>-neuron-saturation]",
)
@_FORMAT_OPTION
@_user_errors
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
    folder = _write_folder(
        lambda path: write_demo(
            path, "saturation", saturation_figure(result), result.to_dict(), fmt
        ),
        Path(out) if out else default_run_dir("neuron", "saturation"),
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


class _ProgressBar:
    """click's progress bar over epochs with the current loss, redrawn at most every 0.1 s.

    The bar appears at the first epoch, so a mistake found while loading the data prints
    only its error.
    """

    def __init__(self, epochs: int, enabled: bool, label: str = "Training") -> None:
        self.epochs, self.enabled, self.label = epochs, enabled, label
        self.bar = None
        self.shown, self.last_draw = 0, 0.0

    def __enter__(self):
        return self.update if self.enabled else None

    def update(self, epoch: int, loss: float, grad_norm: float) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=self.epochs,
                label=self.label,
                file=sys.stderr,
                item_show_func=lambda item: item,
            )
            self.bar.__enter__()
        now = time.perf_counter()
        if now - self.last_draw >= PROGRESS_INTERVAL:
            self.bar.update(epoch - self.shown, f"loss {loss:.4f}  |grad| {grad_norm:.1e}")
            self.shown, self.last_draw = epoch, now

    def __exit__(self, *exc_info):
        self.close(finished=exc_info[0] is None)
        return False

    def close(self, finished: bool = True) -> None:
        """Fill the bar (when training finished) and end its line."""
        if self.bar is not None:
            if finished:
                self.bar.update(self.epochs - self.shown, "done")
            self.bar.__exit__(None, None, None)
            self.bar = None


def _echo_comparison(comparison: Comparison, folder: Path) -> None:
    first = comparison.runs[comparison.losses[0]]
    if comparison.vary == "loss":
        heading = f"{first.settings.model.capitalize()} regression on {first.dataset.name}"
    else:
        heading = f"Models trained on {first.settings.loss} on {first.dataset.name}"
    click.echo(
        f"{heading}: {first.metrics['n_train']} train / {first.metrics['n_test']} test rows; "
        f"best test accuracy {comparison.best_accuracy:.4f}"
    )
    width = max(15, 2 + max(len(name) for name in comparison.summary))
    header = (
        f"{comparison.vary:<{width}}{'epochs':>7}{'to 90%':>8}{'test acc':>10}{'test log loss':>15}"
        f"{'grad norm':>11}  status"
    )
    click.echo(header)
    for name, row in comparison.summary.items():
        reached = "-" if row["epochs_to_90pct"] is None else str(row["epochs_to_90pct"])
        click.echo(
            f"{name:<{width}}{row['epochs']:>7}{reached:>8}{row['test_accuracy']:>10.4f}"
            f"{row['test_log_loss']:>15.4f}{row['final_grad_norm']:>11.1e}  {row['status']}"
        )
    click.echo(
        f"'to 90%': the first epoch with test accuracy >= 90% of the best "
        f"({ACCURACY_SHARE * comparison.best_accuracy:.4f})"
    )
    click.echo(f"Run folder: {folder}")


def _echo_summary(result: TrainResult, folder: Path) -> None:
    settings, metrics = result.settings, result.metrics
    dataset = result.dataset
    estimator = result.pipeline.estimator
    labels = estimator.kind == "multilabel" and estimator.target_kind_ == "indicator"
    outputs = _count(len(estimator.classes_), "label" if labels else "class")
    click.echo(
        f"{settings.model.capitalize()} regression on {dataset.name}: "
        f"{metrics['n_train']} train / {metrics['n_test']} test rows, "
        f"{_count(len(dataset.feature_names), 'feature')}, {outputs}, loss {settings.loss}"
    )
    status = {"converged": "converged", "max_iter": "stopped at --epochs", "diverged": "DIVERGED"}
    epochs, seconds = metrics["epochs"], metrics["seconds"]
    step, grad_norm = metrics["learning_rate"], metrics["final_grad_norm"]
    click.echo(
        f"{status[metrics['status']]} after {epochs} epochs in {seconds:.2f} s "
        f"(step {step:.3g}, final gradient norm {grad_norm:.1e})"
    )
    if metrics["zero_coefficients"]:
        click.echo(
            f"{metrics['zero_coefficients']} of {metrics['coefficients']} coefficients are "
            "exactly zero"
        )
    # the third column: per-label accuracy for 0/1 label columns, balanced accuracy (the mean
    # recall of the classes) for class labels; probability rows have neither
    third = next((key for key in THIRD_COLUMNS if key in metrics["train"]), None)
    extra = f"{THIRD_COLUMNS[third]:>10}" if third else ""
    click.echo(f"{'':8}{'accuracy':>10}{'log loss':>10}{extra}")
    for split in ("train", "test"):
        if metrics[split] is not None:
            row = metrics[split]
            line = f"{split:8}{row['accuracy']:>10.4f}{row['log_loss']:>10.4f}"
            click.echo(line + (f"{row[third]:>10.4f}" if third else ""))
    test_recall = (metrics["test"] or {}).get("recall")
    if test_recall and len(test_recall) <= MAX_RECALL_CLASSES:
        shown = ", ".join(
            f"{name} {'-' if value is None else f'{value:.4f}'}"
            for name, value in test_recall.items()
        )
        click.echo(f"test recall by class: {shown}")
    click.echo(f"Run folder: {folder}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def main() -> None:
    """Entry point of the `cetrain` console script."""
    cli(prog_name="cetrain")

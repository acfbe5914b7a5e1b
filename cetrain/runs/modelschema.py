"""The schema of model.json, declared once, and the safe reading of its JSON.

`SCHEMA` says what every field of a model file holds: its type, the values it accepts (the
estimator's hyperparameters and the preprocessing settings are checked by their own `Param`
declarations; the model kinds and losses come from their registries), how long each list is
(coef has one row per output and one column per model feature, ...) and how large a file, a
nesting, a list or a polynomial expansion may be. `validate` checks a parsed file against it
before anything is built, and names the field of the first violation:

    'model.json': field 'coef[2][0]' must be a finite number; got NaN

`parse` reads the JSON text so that nothing in it can crash the reader: NaN and Infinity come
back as floats for the schema to refuse by field, integers too long for float64 as `BigNumber`,
an object that repeats a key remembers it, and nesting deeper than Python's recursion limit is a
ModelFileError. Files of every version in `READS` are read; version 1 files written before a
field existed get its old meaning (no target_kind: fit on labels; no input_columns: each feature
its own numeric column; a hyperparameter not recorded: its default). Any other field is
refused: a field added to to_dict is declared here, with a default for the files without it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from cetrain.core.heads import MODEL_KINDS, TargetKind
from cetrain.core.losses import LOSS_NAMES, LOSSES, loss_for
from cetrain.core.optim import STATUSES
from cetrain.core.params import Choice, Domain, Number, Param, per_class
from cetrain.data.columns import CATEGORICAL, NUMERIC, InputColumns
from cetrain.data.preprocess import MAX_POLY_FEATURES, POLY, STANDARDIZE, PolynomialFeatures
from cetrain.errors import ConfigError, DataError, ModelFileError
from cetrain.estimators import params

FORMAT = "cetrain-model"
VERSION = 1  # what to_dict writes
READS = (1,)  # the versions load_model reads

MAX_FILE_BYTES = 128 * 2**20  # 100 classes x 20 000 polynomial terms, indented, is ~60 MB
MAX_DEPTH = 16  # a model file nests 5 levels; loss options a few more
MAX_CLASSES = 10_000
MAX_FEATURES = MAX_POLY_FEATURES  # the inputs of the polynomial: at most its outputs
MAX_TEXT = 131_072  # characters of a name: the CSV reader's field limit, so any name it read
MAX_SCORE = 1e300  # scores up to this, and sums of their terms, are computed in float64
SCORED_SPREAD = 1e6  # standard deviations from the training mean a model must score finitely
MAX_DIGITS = 400  # an integer this long is already beyond float64 (1.8e308 has 309 digits)
_INT64 = 2**63


# --- reading JSON --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BigNumber:
    """An integer in the JSON text of more than MAX_DIGITS digits, which no field can hold
    (and Python refuses to read); a decimal beyond float64 reads as Infinity."""

    text: str

    def __str__(self) -> str:
        return f"a {len(self.text.lstrip('-'))}-digit integer"


class _Object(dict):
    """A JSON object; `repeated` is a key it gave more than once (json keeps the last)."""

    repeated: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                obj.repeated = key
                break
            seen.add(key)
    return obj


def _int(text: str) -> int | BigNumber:
    return BigNumber(text) if len(text) > MAX_DIGITS else int(text)


def parse(text: str, source: str) -> Any:
    """The JSON value of `text`, read so that no content can crash the reader (see the module
    docstring); a ModelFileError naming `source` if it is not JSON or nests too deeply."""
    try:
        return json.loads(text, parse_int=_int, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ModelFileError(
            f"{source} nests JSON lists and objects more than {MAX_DEPTH} levels deep; a model "
            "file is not nested that deeply"
        ) from None


# --- describing values in messages ---------------------------------------------------------


def describe(value: Any) -> str:
    """A value as a message shows it, in JSON's words (null, true, NaN, a list)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, BigNumber):
        return str(value)
    if isinstance(value, Integral) and abs(int(value)) >= 10**20:
        # from_dict may be given any int: str() refuses those of more than 4300 digits
        digits = int(abs(int(value)).bit_length() * math.log10(2)) + 1
        return f"an integer of about {digits} digits"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else f"{value[:37]}...")
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}" if value else "an empty list"
    text = repr(value)  # not a JSON value: from_dict was given some other Python object
    return text if len(text) <= 40 else f"a Python {type(value).__name__}"


def _shown(names: Sequence[Any], limit: int = 10) -> str:
    shown = ", ".join(str(name) for name in names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


# --- the nodes of the schema ---------------------------------------------------------------


class Violation(Exception):
    """A field that breaks the schema: its path and what is wrong ("must be ...; got ...")."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(path, problem)
        self.path, self.problem = path, problem


@dataclasses.dataclass
class _Context:
    """The model checked so far (fields in schema order), for the sizes later fields need."""

    root: dict[str, Any]


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not key.isprintable() or not key or any(c in key for c in "'.[]"):
        return f"{path}[{key!r}]"  # a key of a hostile file, shown as Python writes it
    return f"{path}.{key}" if path else key


class Node:
    """What one field accepts: `check` returns the clean value or raises Violation."""

    expected = "a value"

    def check(self, value: Any, path: str, ctx: _Context) -> Any:
        raise NotImplementedError

    def fail(self, value: Any, path: str) -> Violation:
        return Violation(path, f"must be {self.expected}; got {describe(value)}")


@dataclasses.dataclass(frozen=True)
class Value(Node):
    """A value of a declared domain (a Param's, or one written here: a finite number)."""

    domain: Domain
    nullable: bool = False

    @property
    def expected(self) -> str:  # type: ignore[override]
        return self.domain.expected + (" or null" if self.nullable else "")

    def check(self, value: Any, path: str, ctx: _Context) -> Any:
        if value is None and self.nullable:
            return None
        if isinstance(value, BigNumber | list | tuple):
            raise self.fail(value, path)  # no domain here takes a list
        if getattr(value, "repeated", None) is not None:  # an object of options
            raise Violation(_join(path, value.repeated), "is given twice")
        try:
            return self.domain.check(value)
        except ValueError:
            raise self.fail(value, path) from None

    def check_all(self, values: list[Any]) -> list[float] | None:
        """A list of plain numbers of a Number domain checked at once (coef rows run to tens
        of thousands); None when any entry needs checking one by one."""
        if not isinstance(self.domain, Number) or not set(map(type, values)) <= {float, int}:
            return None
        array = np.array(values, dtype=np.float64)
        if not array.size or not np.all(np.isfinite(array)):
            return None
        try:
            self.domain.check(array.min()), self.domain.check(array.max())
        except ValueError:
            return None
        return array.tolist()


def declared(param: Param) -> Value:
    """A field checked by a parameter's declaration (null where the default is None)."""
    return Value(param.domain, nullable=param.default is None)


class _Options(Domain):
    """A mapping of names to JSON values (a loss's options: the loss checks the values)."""

    expected = "an object"

    def check(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.fail()
        return dict(value)


@dataclasses.dataclass(frozen=True)
class Text(Node):
    """A string of at most MAX_TEXT characters (non-empty for a name)."""

    name: bool = True
    pattern: str | None = None
    what: str = ""

    @property
    def expected(self) -> str:  # type: ignore[override]
        if self.what:
            return self.what
        return "a non-empty string" if self.name else "a string"

    def check(self, value: Any, path: str, ctx: _Context) -> str:
        if not isinstance(value, str) or (self.name and not value.strip()):
            raise self.fail(value, path)
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise self.fail(value, path)
        if len(value) > MAX_TEXT:
            raise Violation(path, f"must be at most {MAX_TEXT} characters; got {len(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Violation(path, f"must be text (no lone surrogates); got {value!r}") from None
        if value and value.splitlines() != [value]:  # messages name it on their one line
            raise Violation(path, f"must be one line of text; got {describe(value)}")
        return value


@dataclasses.dataclass(frozen=True)
class Label(Node):
    """A class: a string, or an integer that fits int64."""

    expected = "a string or an integer"

    def check(self, value: Any, path: str, ctx: _Context) -> str | int:
        if isinstance(value, Integral) and not isinstance(value, bool):
            if not -_INT64 <= value < _INT64:
                raise Violation(
                    path, f"must be an integer that fits 64 bits; got {describe(value)}"
                )
            return int(value)
        if not isinstance(value, str):
            raise self.fail(value, path)
        return Text(name=False).check(value, path, ctx)


Size = tuple[str, Callable[[dict[str, Any]], int]]  # (one per what, how many)


@dataclasses.dataclass(frozen=True)
class List(Node):
    """A list of `item`s: of a size fixed by fields checked before (`size`), or between
    `low` and `high` entries; `unique`: no entry twice."""

    item: Node
    size: Size | None = None
    low: int = 0
    high: int = MAX_CLASSES
    unique: bool = False

    expected = "a list"

    def check(self, value: Any, path: str, ctx: _Context) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise self.fail(value, path)
        if self.size is not None:
            what, count = self.size
            n = count(ctx.root)
            if len(value) != n:
                entries = "entry" if n == 1 else "entries"
                raise Violation(path, f"must have {n} {entries} (one per {what}); got {len(value)}")
        elif not self.low <= len(value) <= self.high:
            n = self.low if len(value) < self.low else self.high
            bounds = "at least" if len(value) < self.low else "at most"
            entries = "entry" if n == 1 else "entries"
            raise Violation(path, f"must have {bounds} {n} {entries}; got {len(value)}")
        clean = self.item.check_all(value) if isinstance(self.item, Value) else None
        if clean is None:
            clean = [self.item.check(v, _join(path, i), ctx) for i, v in enumerate(value)]
        if self.unique:
            first: dict[Any, int] = {}
            for i, v in enumerate(clean):
                if v in first:
                    raise Violation(
                        _join(path, i),
                        f"repeats {describe(v)} of {_join(path, first[v])}; entries must differ",
                    )
                first[v] = i
        return clean


@dataclasses.dataclass(frozen=True)
class Field:
    """A field of an object: its node, whether a file may leave it out (and what that means),
    and a rule on the object checked so far (`after`)."""

    node: Node
    required: bool = True
    default: Any = None
    after: Callable[[dict[str, Any], str], None] | None = None


@dataclasses.dataclass(frozen=True)
class Object(Node):
    """A JSON object with these fields, checked in this order; any other key is refused."""

    fields: Mapping[str, Field]

    expected = "an object"

    def check(self, value: Any, path: str, ctx: _Context, into: dict | None = None) -> dict:
        if not isinstance(value, Mapping):
            raise self.fail(value, path)
        if getattr(value, "repeated", None) is not None:
            raise Violation(_join(path, value.repeated), "is given twice")
        for key in value:
            if key not in self.fields:
                where = f"'{path}'" if path else "a model file"
                raise Violation(
                    _join(path, str(key)),
                    f"is not a field of {where}; the fields are: {', '.join(self.fields)}",
                )
        clean = {} if into is None else into
        for key, spec in self.fields.items():
            at = _join(path, key)
            if key not in value:
                if spec.required:
                    raise Violation(at, "is missing")
                if spec.default is not None:
                    clean[key] = spec.default
            elif isinstance(spec.node, Object):  # in place: its rules see the model so far
                clean[key] = {}
                spec.node.check(value[key], at, ctx, into=clean[key])
            else:
                clean[key] = spec.node.check(value[key], at, ctx)
            if spec.after is not None and key in clean:
                spec.after(ctx.root, at)
        return clean


# --- the sizes, from fields checked before --------------------------------------------------


def poly_terms(n_inputs: int, degree: int, cap: int) -> int | None:
    """The number of monomials of degree 1..degree in n_inputs variables, C(n + d, d) - 1;
    None when it is more than cap (found without computing a huge binomial)."""
    r = min(n_inputs, degree)
    count = 1
    for j in range(1, r + 1):  # C(n + d - r + j, j) grows with j
        count = count * (n_inputs + degree - r + j) // j
        if count - 1 > cap:
            return None
    return count - 1


def _head(m: dict[str, Any]):
    return MODEL_KINDS[m["model"]].heads[TargetKind(m["target_kind"])]


PER_FEATURE: Size = ("name in feature_names", lambda m: len(m["feature_names"]))
PER_TERM: Size = (
    "model feature",
    lambda m: poly_terms(
        len(m["feature_names"]), m["preprocessing"]["poly"]["degree"], MAX_FEATURES
    ),
)
PER_OUTPUT: Size = ("output", lambda m: _head(m).n_outputs(len(m["classes"])))


# --- the rules between fields ----------------------------------------------------------------


def _known_target_kind(m: dict[str, Any], path: str) -> None:
    kind = MODEL_KINDS[m["model"]]
    if TargetKind(m["target_kind"]) not in kind.heads:
        accepted = " or ".join(k.value for k in kind.heads)
        raise Violation(
            path, f"is {m['target_kind']!r}, but a {kind.name} model is fit on {accepted}"
        )


def _loss_for_model(m: dict[str, Any], path: str) -> None:
    try:
        LOSSES[m["loss"]].form(_head(m).form)
    except ConfigError as exc:
        raise Violation(path, f"is {m['loss']!r}: {exc}") from None


def _classes_fit_head(m: dict[str, Any], path: str) -> None:
    classes = m["classes"]
    if len({type(c) for c in classes}) > 1:
        raise Violation(path, "must be all strings or all integers; got both")
    n = _head(m).n_classes
    if n is not None and len(classes) != n:
        raise Violation(path, f"must have {n} entries for a {m['model']} model; got {len(classes)}")


def _poly_size(m: dict[str, Any], path: str) -> None:
    d, degree = len(m["feature_names"]), m["preprocessing"]["poly"]["degree"]
    if poly_terms(d, degree, MAX_FEATURES) is None:
        raise Violation(
            path,
            f"is {describe(degree)}: on {d} features that makes more than {MAX_FEATURES} "
            "polynomial terms",
        )


def _same_as_feature_names(m: dict[str, Any], path: str) -> None:
    if m["preprocessing"]["poly"]["input_names"] != m["feature_names"]:
        raise Violation(path, "must be the same names as feature_names, in the same order")


def _model_features_named(m: dict[str, Any], path: str) -> None:
    prep = m["preprocessing"]
    poly = PolynomialFeatures(prep["poly"]["degree"]).fit(m["feature_names"])
    if prep["model_features"] != poly.feature_names_out:
        raise Violation(
            path,
            "must name the polynomial terms of feature_names "
            f"({_shown(poly.feature_names_out)}); got {_shown(prep['model_features'])}",
        )


def _columns_make_features(m: dict[str, Any], path: str) -> None:
    columns = m["input_columns"]
    if not columns:
        return
    first: dict[str, int] = {}
    for i, column in enumerate(columns):
        if first.setdefault(column["name"], i) != i:
            raise Violation(f"{path}[{i}].name", f"repeats the column {column['name']!r}")
    n = sum(1 if c["kind"] == NUMERIC else len(c["levels"]) - 1 for c in columns)
    if n > MAX_FEATURES:
        raise Violation(
            path,
            f"encodes to {n} features, more than the {len(m['feature_names'])} of feature_names",
        )
    features = InputColumns.from_dicts(columns).feature_names
    if features != m["feature_names"]:
        raise Violation(
            path,
            f"encodes to the features {_shown(features)}, but feature_names lists "
            f"{_shown(m['feature_names'])}",
        )


def _column_levels(c: dict[str, Any], path: str) -> None:
    if c["kind"] == CATEGORICAL and "levels" not in c:
        raise Violation(_join(path, "levels"), "is missing (a categorical column's levels)")
    if c["kind"] == NUMERIC and "levels" in c:
        raise Violation(_join(path, "levels"), "is only for a categorical column")


def _scores_are_finite(m: dict[str, Any], path: str) -> None:
    """Every output's scores, and the terms they sum, stay below MAX_SCORE for inputs within
    SCORED_SPREAD standard deviations of the training mean: a model that loads scores the data
    it was trained for without overflowing to NaN probabilities."""
    standardize = m["preprocessing"]["standardize"]
    with np.errstate(over="ignore", invalid="ignore"):
        reach = np.abs(standardize["mean"]) + SCORED_SPREAD * np.array(standardize["scale"])
        bound = np.abs(m["intercept"]) + np.abs(np.array(m["coef"])) @ reach
    for k, value in enumerate(bound):
        if not value <= MAX_SCORE:  # NaN too: inf * 0
            raise Violation(
                f"coef[{k}]",
                f"and intercept[{k}] are too large to score in float64: inputs near the "
                f"training data would score up to {value:.3g}, more than {MAX_SCORE:g}",
            )


def _hyperparameters_agree(m: dict[str, Any], path: str) -> None:
    """The loss and its options make a loss the model kind trains on; the class weights name
    its classes."""
    hyper = m["hyperparameters"]
    if hyper.get("loss", m["loss"]) != m["loss"]:
        raise Violation(
            f"{path}.loss", f"is {hyper['loss']!r}, but the field 'loss' is {m['loss']!r}"
        )
    head, names = _head(m), [str(c) for c in m["classes"]]
    spec = LOSSES[m["loss"]]
    smoothing = hyper.get("label_smoothing") or 0.0
    for name, options in (
        ("loss_options", hyper.get("loss_options") or {}),
        ("label_smoothing", {"label_smoothing": smoothing} if smoothing else {}),
    ):
        try:
            loss_for(m["loss"], head.form, **spec.resolve(options, head.form, names))
        except (ConfigError, DataError, TypeError, ValueError) as exc:
            raise Violation(
                f"{path}.{name}", f"does not fit the {m['loss']} loss of this model: {exc}"
            ) from None
    class_weight = hyper.get("class_weight")
    if class_weight is not None and not head.takes_class_weight:
        raise Violation(f"{path}.class_weight", "must be null for 0/1 label columns")
    if isinstance(class_weight, Mapping):
        try:
            per_class(class_weight, names, "class_weight")
        except ConfigError as exc:
            raise Violation(f"{path}.class_weight", f"does not fit the classes: {exc}") from None


# --- the schema ------------------------------------------------------------------------------

FINITE = Value(Number())
POSITIVE = Value(Number(0.0, low_open=True))
# the step size training used: a number learning_rate accepts ("auto" is resolved by then)
STEP = Value(next(d for d in params.LEARNING_RATE.domain.domains if isinstance(d, Number)))
NAME = Text()

_INPUT_COLUMN = Object(
    {
        "name": Field(NAME),
        "kind": Field(Value(Choice((NUMERIC, CATEGORICAL)))),
        "levels": Field(
            List(Text(name=False), low=1, high=MAX_FEATURES + 1, unique=True), required=False
        ),
    }
)


@dataclasses.dataclass(frozen=True)
class _InputColumn(Node):
    """An input column: numeric, or categorical with its levels."""

    expected = "an object"

    def check(self, value: Any, path: str, ctx: _Context) -> dict:
        clean = _INPUT_COLUMN.check(value, path, ctx)
        _column_levels(clean, path)
        return clean


class _Checked(Node):
    """A field checked before the schema (the version)."""

    def check(self, value: Any, path: str, ctx: _Context) -> Any:
        return value


SCHEMA = Object(
    {
        "format": Field(Value(Choice((FORMAT,)))),
        "version": Field(_Checked()),  # checked first, by _check_version
        "model": Field(Value(Choice(tuple(MODEL_KINDS)))),
        "target_kind": Field(
            Value(Choice(tuple(TargetKind))),
            required=False,
            default=TargetKind.LABELS.value,  # files from before multi-label and soft targets
            after=_known_target_kind,
        ),
        "loss": Field(Value(Choice(LOSS_NAMES)), after=_loss_for_model),
        "classes": Field(
            List(Label(), low=2, high=MAX_CLASSES, unique=True), after=_classes_fit_head
        ),
        "target": Field(Text(name=False), required=False, default=""),
        "feature_names": Field(List(NAME, low=1, high=MAX_FEATURES, unique=True)),
        "input_columns": Field(  # files that record none: each feature a numeric column
            List(_InputColumn(), high=MAX_FEATURES),
            required=False,
            default=(),
            after=_columns_make_features,
        ),
        "preprocessing": Field(
            Object(
                {
                    "poly": Field(
                        Object(
                            {
                                "degree": Field(declared(POLY), after=_poly_size),
                                "input_names": Field(
                                    List(NAME, PER_FEATURE), after=_same_as_feature_names
                                ),
                            }
                        )
                    ),
                    "standardize": Field(
                        Object(
                            {
                                "enabled": Field(declared(STANDARDIZE)),
                                "mean": Field(List(FINITE, PER_TERM)),
                                "scale": Field(List(POSITIVE, PER_TERM)),
                            }
                        )
                    ),
                    "model_features": Field(List(NAME, PER_TERM), after=_model_features_named),
                }
            )
        ),
        "coef": Field(List(List(FINITE, PER_TERM), PER_OUTPUT)),
        "intercept": Field(List(FINITE, PER_OUTPUT), after=_scores_are_finite),
        # a hyperparameter a file does not record (l1 in files from before it existed) takes
        # its default: they describe the training, not the predictions
        "hyperparameters": Field(
            Object(
                {
                    p.name: Field(
                        Value(_Options(), nullable=True)
                        if p is params.LOSS_OPTIONS
                        else declared(p),
                        required=False,
                    )
                    for p in params.PARAMETERS
                }
            ),
            after=_hyperparameters_agree,
        ),
        "training": Field(
            Object(
                {
                    "epochs": Field(declared(params.MAX_ITER)),
                    "status": Field(Value(Choice(tuple(STATUSES)))),
                    "learning_rate": Field(STEP),
                }
            )
        ),
    }
)


def _check_version(data: Mapping[str, Any], source: str) -> None:
    if data.get("format") != FORMAT:
        raise ModelFileError(f'{source} is not a cetrain model file (no "format": "{FORMAT}")')
    if "version" not in data:
        raise ModelFileError(f"{source}: field 'version' is missing")
    version = data["version"]
    if isinstance(version, int) and not isinstance(version, bool) and version in READS:
        return
    reads = ", ".join(map(str, READS))
    newer = (
        " (a newer cetrain wrote it)"
        if isinstance(version, int) and not isinstance(version, bool) and version > max(READS)
        else ""
    )
    raise ModelFileError(
        f"{source} has model file version {describe(version)}{newer}; this cetrain reads "
        f"version {reads}"
    )


def _too_deep(data: Mapping[str, Any]) -> str | None:
    """The top-level field in which lists and objects nest more than MAX_DEPTH levels (the
    file's object is level 1), found without recursion; None if none does."""
    for key, value in data.items():
        stack = [(value, 2)]
        while stack:
            node, depth = stack.pop()
            if not isinstance(node, Mapping | list | tuple):
                continue
            if depth > MAX_DEPTH:
                return _join("", str(key))
            stack.extend((child, depth + 1) for child in _children(node))
    return None


def _children(node: Mapping | list | tuple) -> list[Any]:
    values = node.values() if isinstance(node, Mapping) else node
    if not any(issubclass(t, dict | list | tuple) for t in set(map(type, values))):
        return []  # a list of numbers, found at C speed
    return [v for v in values if isinstance(v, dict | list | tuple)]


def validate(data: Any, source: str = "model") -> dict[str, Any]:
    """The model file `data` (a parsed model.json) checked against SCHEMA: a clean copy, with
    the defaults of the fields an older file leaves out.

    Raises
    ------
    ModelFileError
        "<source>: field '<path>' <what is wrong>" for the first field that breaks the schema.
    """
    if not isinstance(data, Mapping):
        raise ModelFileError(f"{source} is not a cetrain model file (expected a JSON object)")
    _check_version(data, source)
    where = _too_deep(data)
    if where is not None:
        raise ModelFileError(
            f"{source}: field '{where}' nests lists and objects more than {MAX_DEPTH} levels "
            "deep; a model file is not nested that deeply"
        )
    ctx = _Context(root={})
    try:
        SCHEMA.check(data, "", ctx, into=ctx.root)
    except Violation as exc:
        raise ModelFileError(f"{source}: field '{exc.path}' {exc.problem}") from None
    return ctx.root

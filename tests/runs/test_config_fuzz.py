"""Fuzzing config files (issue 11, item 7): random bytes and random malformed TOML (random keys and
values, deep nesting, wrong types, NUL bytes) through `read_config` and `resolve_settings` raise
nothing but ConfigError, and through `cetrain train CONFIG` end in one `Error:` line."""

import math
import string

from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cetrain.errors import CetrainError
from cetrain.runs.settings import KEYS, read_config, resolve_settings

_FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# --- TOML text built from random values -----------------------------------------------------

_keys = st.one_of(
    st.sampled_from(KEYS),
    st.sampled_from([key.replace("_", "-") for key in KEYS]),
    st.text(string.ascii_letters + "_-", min_size=1, max_size=8),
)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 1e-320, 5e-324]),
    st.text(max_size=12),
    st.sampled_from(["moons", "iris", "a\0b", "", " ", "x" * 5000, "balanced", "auto", "none"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=8,
)


def _toml(value) -> str:
    """A TOML literal of a str, bool, int, float, list or dict."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            "\\" + ch if ch in '"\\' else f"\\u{ord(ch):04x}" if ord(ch) < 0x20 else ch
            for ch in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return "{" + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + "}"


@st.composite
def _documents(draw) -> str:
    """A TOML document of random keys and values, sometimes broken: a line cut short, a deep
    nest, a repeated key, a stray byte."""
    pairs = draw(st.dictionaries(_keys, _values, max_size=5))
    lines = [f'"{key}" = {_toml(value)}' for key, value in pairs.items()]
    depth = draw(st.sampled_from([0, 0, 3, 2000]))
    if depth:
        lines.append("epochs = " + "[" * depth + "1" + "]" * depth)
    text = "\n".join(lines) + "\n"
    damage = draw(st.sampled_from(["none", "cut", "insert", "repeat"]))
    if damage == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif damage == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["\0", "=", "[", '"', "\\", "\ufffe"])) + text[at:]
    elif damage == "repeat" and lines:
        text += lines[0] + "\n"
    return text


def _read_and_resolve(path) -> None:
    """read_config then resolve_settings: a valid document resolves, anything else is a
    ConfigError (CetrainError), and nothing else escapes."""
    try:
        resolve_settings(read_config(path), config_name=str(path))
    except CetrainError as exc:
        assert "\n" not in str(exc)


@_FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_are_read_or_refused_with_a_config_error(tmp_path, data):
    path = tmp_path / "random.toml"
    path.write_bytes(data)
    _read_and_resolve(path)


@_FUZZ
@given(text=_documents())
def test_random_malformed_toml_is_read_or_refused_with_a_config_error(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _read_and_resolve(path)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_documents())
def test_random_malformed_toml_through_the_cli_gives_one_error_line(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    # --data of no dataset: a config that resolves fails fast at loading, never trains
    result = invoke("train", path, "--data", "no-such-dataset", "--out", tmp_path / "run")
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2), result.output
    assert result.stderr.count("Error:") == 1, result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error: "), result.output
    assert not (tmp_path / "run").exists()

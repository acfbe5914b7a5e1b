"""Every table the CLI prints fits each number in its column, whatever its size (cli.base)."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from cetrain.cli.base import NUMBER_WIDTH, fixed, scientific, table_lines

EXTREMES = [1e300, -1e300, 1e-300, -1e-300, math.nan, math.inf, -math.inf, -0.0, 0.0, 1.8e308]
numbers = st.one_of(st.sampled_from(EXTREMES), st.floats(allow_nan=True, allow_infinity=True))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(numbers, min_size=3, max_size=3), min_size=1, max_size=4))
def test_every_number_fits_its_column_and_the_rows_split_back(values):
    rows = [["row", fixed(a), fixed(b, 8, 12), scientific(c)] for a, b, c in values]
    lines = table_lines(["", "a", "b", "c"], rows, "<>>>")
    for row in rows:
        assert len(row[1]) <= NUMBER_WIDTH and len(row[2]) <= 12 and len(row[3]) <= 9
    # right-aligned columns two spaces apart: every row is as long as the header's widths
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    widths = [max(w, len(h)) for w, h in zip(widths, ["", "a", "b", "c"], strict=True)]
    for line, row in zip(lines[1:], rows, strict=True):
        assert line.split() == row
        assert len(line) == sum(widths) + 2 * 3


def test_the_sizes_a_table_meets():
    assert [fixed(v) for v in (0.78, 43678.8864, 123456.78, -0.0, -1e-9, 1e300, -1e300)] == [
        "0.7800",
        "43678.8864",
        "1.2346e+05",
        "0.0000",
        "0.0000",
        "1.000e+300",
        "-1.00e+300",
    ]
    assert [fixed(v) for v in (math.nan, math.inf, -math.inf, None)] == ["nan", "inf", "-inf", "-"]

"""What `cetrain playground CONFIG --data ...` starts with."""

import numpy as np
import pytest

from cetrain.data.registry import load_dataset
from cetrain.errors import ConfigError
from cetrain.playground.start import start_session


def test_a_config_gives_the_settings_and_the_data(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('data = "xor"\nn_samples = 80\nl2 = 0.05\npoly = 2\nepochs = 7\n')
    state = start_session(config).state()
    assert (state["config"]["l2"], state["config"]["poly"]) == (0.05, 2)
    expected = load_dataset("xor", n_samples=80)
    np.testing.assert_array_equal([p[:2] for p in state["points"]], expected.X)
    # --data replaces the config's data, and keeps its settings
    state = start_session(config, "circles").state()
    assert len(state["points"]) == 80 and state["config"]["poly"] == 2
    np.testing.assert_array_equal(
        [p[:2] for p in state["points"]], load_dataset("circles", n_samples=80).X
    )


def test_a_bad_config_is_refused_by_name(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("l2 = -1\n")
    with pytest.raises(ConfigError, match=r"l2 must be a finite number in \[0, 1e6\]; got -1"):
        start_session(config)

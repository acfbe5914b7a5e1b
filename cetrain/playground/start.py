"""What `cetrain playground CONFIG --data ...` starts with: the settings of a config file and
its data (or --data's), as a Session."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from cetrain.playground import points as points_module
from cetrain.playground.session import PAGE_SETTINGS, Session, plotted_pair
from cetrain.runs.settings import DEFAULTS, read_config, resolve_settings
from cetrain.runs.train import load_settings_data

DEFAULT_DATA = "moons"


def start_session(config: Path | None = None, data: str | None = None) -> Session:
    """A session with CONFIG's settings (its page settings; the data's to load the data) on
    `data`, else the config's data, else DEFAULT_DATA. ConfigError or DataError if either is
    bad."""
    settings = DEFAULTS
    if config is not None:
        settings = resolve_settings(read_config(config), config_name=str(config))
    if data is not None:
        settings = resolve_settings(
            {k: v for k, v in vars(settings).items() if v is not None},
            {"data": data},
            config_name=str(config),
        )
    if settings.data is None:
        settings = dataclasses.replace(settings, data=DEFAULT_DATA)
    dataset = load_settings_data(settings)
    points = points_module.from_dataset(dataset, lambda data: plotted_pair(settings, data))
    page = {name: getattr(settings, name) for name in PAGE_SETTINGS}
    return Session(dataclasses.replace(DEFAULTS, **page), points)

"""Runs: the settings table, `train` and `compare`, the pipeline, model files, the folders
they write, and the HTML report of a folder."""

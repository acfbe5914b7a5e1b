"""Runs: the settings table, `train` and `compare`, the pipeline, model files and the folders
they write."""

"""The live playground page (`cetrain playground`): `session` holds the points, the settings
and the models stepped a few epochs at a time; `frames` computes what the page draws, by the
functions the figures use; `points` reads and writes the data; `server` serves the page's
static files and the JSON API (standard library only); `start` builds the first session from
a config file or --data."""

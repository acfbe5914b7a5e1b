"""The playground server's fixed terms, declared once: where it listens by default, how often
it checks for a shutdown, and the largest request body it takes. Constants only, so that the
command (cetrain.cli.playground) can name them in its options without importing the server."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
POLL_INTERVAL = 0.2  # seconds between checks for a shutdown: Ctrl-C stops it within a second
MAX_BODY = 10 * 1024 * 1024  # bytes of a request body (a CSV upload is the largest)

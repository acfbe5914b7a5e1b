"""`cetrain playground`: the live page, served from this machine (cetrain.playground)."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from cetrain.cli import interrupts
from cetrain.cli.base import CheckedPath, cli, user_errors
from cetrain.playground.serving import DEFAULT_HOST, DEFAULT_PORT, POLL_INTERVAL

MAX_HOST_CHARS = 253  # the longest DNS name


@cli.command("playground")
@click.argument(
    "config", required=False, type=CheckedPath(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--data",
    metavar="NAME|PATH",
    help="Start with this data: a built-in dataset (moons, circles, blobs, xor, spiral, linear, "
    "...) or a CSV file (more than two features: the two `cetrain train` would plot).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to serve on; 0 picks a free one.",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    callback=lambda ctx, param, value: _address(value),
    help="Address to bind; 0.0.0.0 shows the page to the whole network (prints a warning).",
)
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@user_errors
def playground_command(config, data, port, host, no_browser):
    """Serve the live playground page and open it in the browser.

    Put points down (or load a dataset or CSV), pick the model and loss,
    and watch the boundary, the loss curves, the calibration and each
    point's loss move as gradient descent runs, one model or two side by
    side. Every number is computed here, by the same code as `cetrain
    train`; the page only draws. Nothing is loaded from the network.
    CONFIG (a config.toml) gives the starting settings and data. The
    server answers on 127.0.0.1 only unless --host says otherwise, keeps
    one session shared by every tab, and stops with Ctrl-C.

    \b
    Examples:
      cetrain playground
      cetrain playground --data moons
      cetrain playground configs/moons-poly.toml --port 8000
      cetrain playground --data datasets/noisy_labels.csv --no-browser
    """
    from cetrain.playground.server import make_server
    from cetrain.playground.start import start_session

    session = start_session(config, data)
    try:
        server = make_server(session, host, port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise click.ClickException(f"cannot serve on {host}:{port}: {reason}") from None
    if host != DEFAULT_HOST:
        click.echo(
            f"Warning: serving on {host}: anyone who can reach this machine on port "
            f"{server.server_address[1]} can use the page (and its one shared session).",
            err=True,
        )
    click.echo(f"cetrain playground: {server.url}  (Ctrl-C stops it)")
    if not no_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever(poll_interval=POLL_INTERVAL)
    except interrupts.Interrupted as exc:
        click.echo("Stopped the playground.", err=True)
        # 130 for Ctrl-C, 143 for SIGTERM, as every interrupted command (cli.interrupts)
        raise SystemExit(exc.exit_code) from None
    finally:
        server.server_close()


def _address(host: str) -> str:
    """--host: a name or address the system can bind (it says so if it cannot)."""
    host = host.strip()
    if not host or "\0" in host or len(host) > MAX_HOST_CHARS:
        raise click.BadParameter("must be an address to bind, like 127.0.0.1")
    return host

"""The command that reports on a folder: `report` (one HTML page of a run, a comparison or an
evaluation). It needs only the standard library: no scikit-learn, no matplotlib."""

from pathlib import Path

import click

from cetrain.cli.base import CheckedPath, cli, user_errors


@cli.command("report")
@click.argument("run_dir", type=CheckedPath(path_type=Path))
@user_errors
def report_command(run_dir: Path):
    """Write RUN_DIR/report.html: one page with the run's settings, metrics and figures.

    RUN_DIR is a folder written by cetrain train, compare or evaluate. The
    page shows what the folder holds: the settings (config.toml), the
    metrics tables (metrics.json, comparison.json), every figure, and the
    command that re-runs it. It is self-contained (the figures are inside
    it, nothing is loaded from the network) and prints cleanly, to hand
    out. Only report.html is written; an older one is replaced.

    \b
    Examples:
      cetrain report runs/moons
      cetrain report runs/moons-compare
    """
    from cetrain.runs.report import REPORT_NAME, write_report

    try:
        path = write_report(run_dir)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise click.ClickException(f"cannot write '{run_dir / REPORT_NAME}': {reason}") from None
    click.echo(str(path))

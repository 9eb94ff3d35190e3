"""`flask demo`: seed a lived-in demo household."""

import click


@click.command("demo")
def demo_command():
    """Seed the demo household."""
    raise click.ClickException("not written yet")

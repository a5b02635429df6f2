"""``python -m toolsafe.cli`` runs the command line."""

from toolsafe.cli import app

app()

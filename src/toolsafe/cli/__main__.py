"""``python -m toolsafe.cli`` runs the command line."""

from toolsafe.cli import app

if __name__ == "__main__":
    app()

"""`python -m pipeline.cli.main` runs the `mer` command without the console script."""

from pipeline.cli import app

if __name__ == "__main__":
    app()

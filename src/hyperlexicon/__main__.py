from hyperlexicon.cli import run

run()

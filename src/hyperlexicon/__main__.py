from hyperlexicon.cli import main

main()

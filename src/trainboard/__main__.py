"""`python -m trainboard` is the `trainboard` command."""

from trainboard.cli import main

if __name__ == "__main__":
    main()

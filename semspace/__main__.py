"""`python -m semspace` is the `semspace` command."""

from semspace.cli import main

raise SystemExit(main())

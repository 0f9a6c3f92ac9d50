from seedbed.cli import main

raise SystemExit(main())

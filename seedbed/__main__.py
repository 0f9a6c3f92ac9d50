from seedbed.cli.main import main

raise SystemExit(main())

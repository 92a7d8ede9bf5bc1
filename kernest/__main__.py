from kernest.cli import main

raise SystemExit(main())

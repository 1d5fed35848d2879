from explorer.start import main

raise SystemExit(main())

from ipcluster.engine._app import main

raise SystemExit(main())

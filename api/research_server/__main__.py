"""``python -m api.research_server``: run the home's resident research process (see ``server``)."""

import sys

from api.research_server.boot import main

sys.exit(main())

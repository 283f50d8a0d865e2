"""`python -m tests.support.clocked_celery <celery args>`: Celery on the parent test's clock
(tests/clock.py), so a worker started by a test agrees with it on what is due and on the
patient's local hour."""

import sys

from tests.clock import apply_from_env

if __name__ == "__main__":
    apply_from_env()
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())

"""gunicorn settings for Morrow, read by every gunicorn command run here.

gunicorn loads ./gunicorn.conf.py by default, so `make run` and the README's
commands start the nudge scheduler (app/nudge_scheduler.py) with no cron and
no extra process.
"""


def post_worker_init(worker):
    """Start the nudge scheduler's thread in this worker."""
    from app.nudge_scheduler import start

    start(worker.wsgi)

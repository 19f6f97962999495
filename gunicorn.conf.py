"""gunicorn settings for production, read automatically by `gunicorn app:app` from this folder.

Command-line flags override these (the tests start small servers with their own counts).
"""

bind = "0.0.0.0:8000"
worker_class = "gthread"
workers = 2
threads = 16

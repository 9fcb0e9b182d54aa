"""gunicorn's settings for `bin/serve`, read from the environment like the app's.

Threads (`gthread`): a request body arriving slowly holds one thread of one process,
not the process, so a few slow uploads leave the other threads serving pages.
"""

import os

wsgi_app = "kinovi_web.wsgi:application"
bind = [
    os.environ.get("BIND")
    or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
]
workers = int(os.environ.get("WEB_PROCESSES", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))
# A thread reading a large upload may take long; the process itself beats meanwhile.
timeout = int(os.environ.get("WEB_TIMEOUT_SECONDS", "120"))
graceful_timeout = 30
keepalive = 5
# Each process listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them. On one shared socket the first process to wake takes most of
# a burst: 16 of 21 persistent connections against 5 was measured, leaving one
# process's core idle while the other's clients waited.
reuse_port = True
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
# The proxy's address, whose X-Forwarded-* headers gunicorn believes.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

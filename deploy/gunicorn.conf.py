"""gunicorn settings for one app server (``gunicorn --config deploy/gunicorn.conf.py wsgi:app``).

Worker class: **sync**. Behind nginx, which buffers whole requests and responses (deploy/nginx/dayanisma.conf), a sync
worker never waits on a client: it is busy only while the app computes. The app's time is CPU (field decryption,
Argon2 at sign-in, audit writes), not waiting on the network, so threads or gevent would add contention, not
throughput. Count: ``2 × cores + 1`` (gunicorn's advice), bounded by PostgreSQL's max_connections across all app
servers (deploy/postgresql/dayanisma.conf).

Reload: ``systemctl reload dayanisma`` sends HUP: the master keeps the listening socket, starts new workers with the
new code, then lets the old ones finish their requests (graceful_timeout). Requests arriving meanwhile wait in the
socket's backlog: none fails (tested). Do not preload the app: HUP would then keep the old code.
"""

import multiprocessing
import os

bind = [os.environ.get("DAYANISMA_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("DAYANISMA_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
timeout = 60                 # a worker stuck longer is killed and replaced (nginx's proxy_read_timeout is 60 s)
graceful_timeout = 30        # reload/stop: old workers finish their requests for up to this long
backlog = 256
preload_app = False
max_requests = 5000          # recycle workers now and then (bounds slow memory growth); jitter avoids all at once
max_requests_jitter = 500
# Only nginx may set X-Forwarded-Proto for gunicorn itself; the app's ProxyFix (DAYANISMA_PROXY_HOPS=1) does the rest.
forwarded_allow_ips = os.environ.get("DAYANISMA_PROXY_IPS", "127.0.0.1")
limit_request_line = 8190
limit_request_fields = 100
accesslog = None             # nginx keeps the access log; the app's audit log records who saw what
errorlog = "-"               # to the journal
loglevel = "info"
proc_name = "dayanisma"

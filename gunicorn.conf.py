"""gunicorn's settings for every way PharmEx is served (`make run`, the Docker image, the benchmarks): gunicorn
reads ./gunicorn.conf.py on its own; command-line options still override these."""

# gunicorn keeps a connection alive after a response only if it can discard what the application left unread of
# the request body, and it discards at most 64 KiB (gunicorn.http.parser._DRAIN_MAX_BYTES). Its `Connection:`
# header is written before it tries, so a refused large body (413, 401, 403 …) was answered "keep-alive" and
# then cut. Requests announcing a larger body are therefore answered `Connection: close`, which is what happens.
DRAIN_MAX_BYTES = 64 * 1024


def pre_request(worker, req) -> None:
    worker.log.debug("%s %s", req.method, req.path)
    for name, value in req.headers:
        if name == "CONTENT-LENGTH" and value.isdigit() and int(value) > DRAIN_MAX_BYTES:
            req.must_close = True

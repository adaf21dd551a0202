import functools
import time


def retry(times=3, delay=0.1):
    """Retry a function that raises, waiting a little longer each time."""

    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except Exception:
                    if attempt == times - 1:
                        raise
                    time.sleep(delay * (attempt + 1))

        return call

    return wrap

"""The lab server keeps its token: unauthenticated requests are refused, the same requests
with the token succeed, and diffwire adds no endpoint of its own (the extension talks to
the kernel through a comm, behind the server's authentication)."""

import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=20) as r:
            return r.status, r.headers.get("Location", "")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Location", "")


def test_unauthenticated_requests_are_refused(request):
    pytest.importorskip("labserver")  # the e2e harness (tests/e2e/labserver.py)
    base, token, _root = request.getfixturevalue("lab")
    for path in ("/api/contents", "/api/kernels", "/api/sessions", "/api/terminals",
                 "/api/kernelspecs", "/api/contents/tour.ipynb"):
        code, _ = status(base + path)
        assert code == 403, (path, code)
        code, _ = status(f"{base}{path}?token={token}")
        assert code in (200, 404), (path, code)  # 404: terminals may be off
    code, location = status(base + "/lab")
    assert code in (302, 403) and (code == 403 or "login" in location), (code, location)
    code, location = status(f"{base}/lab?token={token}")
    assert code == 200 or (code == 302 and "login" not in location), (code, location)
    for path in ("/diffwire", "/api/diffwire", "/diffwire/api"):  # (/lab/* is the app page)
        code, _ = status(f"{base}{path}?token={token}")
        assert code in (404, 405), (path, code)  # nothing served under diffwire's name

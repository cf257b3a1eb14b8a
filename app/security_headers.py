"""Security headers on every response (one ``after_request``), following GOV.UK Notify's approach.

CSP is strict: everything from this origin, no inline script or style, no framing. Signed-in pages are never
cached (``no-store``), nor is anything else: a shared office PC's back button must not show a case.
"""

from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Static assets may be cached (they carry no data); everything else is never stored.
STATIC_MIMETYPES = {"text/css", "application/javascript", "text/javascript"}


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # SECURITY: the Referer never leaves this origin (no case URL reaches another host), but is sent to it: over
    # https Flask-WTF's strict CSRF check requires it, so "no-referrer" refused every form in production.
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    mimetype = response.mimetype or ""
    if mimetype not in STATIC_MIMETYPES and not mimetype.startswith(("font/", "image/")):
        # SECURITY: pages (signed in or not) are never stored by the browser or a proxy.
        headers["Cache-Control"] = "no-store, max-age=0"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):
        @app.after_request
        def hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
            return response

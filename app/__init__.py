"""The application factory: configuration, extensions, access policies, blueprints, CLI.

``app`` owns the shared mechanisms (auth, users, access policies, audit, errors, headers, CLI); feature packages
(``cases``, ``shelters``) are imported only here, to register their blueprints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app import static_files
from config import INSTANCE_DIR, config_for


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
        static_folder="static",
    )
    config_cls = config_for(config_name)
    app.config.from_object(config_cls)
    app.config.update(overrides)
    config_cls.validate(app.config)
    Path(app.instance_path).mkdir(mode=0o700, exist_ok=True)

    hops = app.config["PROXY_HOPS"]
    if hops:
        # SECURITY: trust exactly the stated number of proxies; a client's own X-Forwarded-For beyond them is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    static_files.init_app(app)

    _init_extensions(app)
    _init_keys(app)
    if app.config.get("AUDIT_ROLE_CHECK"):
        from app import db_roles

        db_roles.check_app_role(app)  # SECURITY: never run as a role that can rewrite the audit log

    from app import access, audit, errors, request_guard, security_headers

    request_guard.init_app(app)
    access.init_app(app)
    security_headers.init_app(app)
    audit.init_app(app)  # after the headers: its guard runs first (see audit.init_app)
    errors.init_app(app)
    _register_blueprints(app)

    from app import cli

    cli.init_app(app)
    _quiet_sensitive_loggers(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import numbers
    from app.auth.sessions import load_user_from_session
    from app.dates import register_filters
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.request_loader(lambda _request: load_user_from_session())
    login_manager.session_protection = None  # sessions are checked server-side instead
    babel.init_app(app, locale_selector=_select_locale)
    register_filters(app)  # one date format per language (after Flask-Babel's own filters)
    numbers.register_filters(app)  # counts grouped as the language writes them ("1.234" / "1,234")
    _install_request_gettext(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(app)

    @app.context_processor
    def inject_locale() -> dict[str, Any]:
        from flask_babel import get_locale

        from app.users.labels import role_label

        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"], "role_label": role_label}

    _install_site_nav(app)


#: The endpoints the navigation marks as the current page by name (``partials/_site_nav.html``); every other link is
#: marked by its blueprint. tests/app/test_site_nav.py keeps this list and the template in step.
NAV_ENDPOINTS = frozenset({"main.dashboard", "cases.new_inquiry"})
_NAV_CACHE_LIMIT = 1024


def _install_site_nav(app: Flask) -> None:
    """``site_nav()``: the main navigation of the signed-in user's role, rendered once per process for each (role,
    language, blueprint, marked endpoint, script root) and reused (issue 20: ~10 ``url_for``s and labels a page).
    It names no one: the user's name and the CSRF-protected forms stay in ``base.html``."""
    from flask import request
    from flask_babel import get_locale
    from flask_login import current_user
    from markupsafe import Markup

    cache: dict[tuple[str, ...], Markup] = {}

    def site_nav() -> Markup:
        endpoint = request.endpoint or ""
        key = (str(current_user.role), str(get_locale()), request.blueprint or "",
               endpoint if endpoint in NAV_ENDPOINTS else "", request.script_root)
        found = cache.get(key)
        if found is None:
            template = app.jinja_env.get_template("partials/_site_nav.html")
            found = Markup(template.render(role=key[0], blueprint=key[2], endpoint=key[3]))  # noqa: S704 -- rendered with autoescaping
            if len(cache) >= _NAV_CACHE_LIMIT:
                cache.clear()
            cache[key] = found
        return found

    app.jinja_env.globals["site_nav"] = site_nav


def _install_request_gettext(app: Flask) -> None:
    """Template ``_()`` with the request's catalogue looked up once per request, not once per string.

    Flask-Babel's callables resolve the context, domain, locale and cache key on every call (a case page makes ~100
    calls). The catalogue is kept on Flask-Babel's own per-request context as ``babel_translations``, the attribute
    its ``refresh()`` and ``force_locale()`` reset, so a locale change inside a request is still honoured.

    ``_()`` and ``gettext()`` (also what ``{% trans %}`` calls) are one function that Jinja calls directly: Jinja's
    newstyle wrapper goes through ``_`` → ``gettext`` → the callable, three ``Context.call``s a string (issue 20). It
    does what that wrapper does: a ``Markup`` when autoescaping, always formatted with ``%`` (so ``%%`` is ``%``).
    """
    from flask import g
    from flask_babel import get_translations
    from jinja2 import pass_eval_context
    from markupsafe import Markup

    def translations() -> Any:
        try:
            ctx = g.get("_flask_babel")
        except RuntimeError:  # no app context: Flask-Babel's own lookup says what is wrong
            return get_translations()
        cached = getattr(ctx, "babel_translations", None)
        if cached is None:
            cached = get_translations()
            ctx = g.get("_flask_babel")
            if ctx is not None:
                ctx.babel_translations = cached
        return cached

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @pass_eval_context
    def gettext(eval_ctx: Any, string: str, /, **variables: Any) -> str:
        text = translations().ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 -- a catalogue string, trusted as Jinja's own wrapper trusts it
        return text % variables  # type: ignore[no-any-return]

    app.jinja_env.globals.update(gettext=gettext, _=gettext)


def _sqlite_pragmas(app: Flask) -> None:
    import sqlalchemy as sa

    from app.extensions import db

    @sa.event.listens_for(db.engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        # SECURITY: zero deleted and moved-away content, so a shredded data key (or a removed value) leaves no copy
        # in the file's free space. Some SQLite builds default to it; set it everywhere.
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()


def _select_locale() -> str | None:
    from flask import has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return "en"  # command-line output is in English
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return str(current_user.locale)
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_keys(app: Flask) -> None:
    from app import keys

    keys.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from app.audit_views import bp as audit_bp
    from app.auth.views import bp as auth_bp
    from app.main.views import bp as main_bp
    from app.reports.views import bp as reports_bp
    from app.users.views import bp as users_bp
    from app.users.views import requests_bp as account_requests_bp

    for bp in (auth_bp, main_bp, users_bp, account_requests_bp, audit_bp, reports_bp):
        app.register_blueprint(bp)

    # Feature packages (the only place app names them, besides the migrations' model registry).
    from cases.registry import bp as cases_bp

    app.register_blueprint(cases_bp)
    from shelters.registry import bp as shelters_bp
    app.register_blueprint(shelters_bp)


def _quiet_sensitive_loggers(app: Flask) -> None:
    # Werkzeug's request log prints full URLs; ours carry only UUIDs, but keep query strings out anyway.
    logging.getLogger("werkzeug").setLevel(logging.WARNING if not app.debug else logging.INFO)

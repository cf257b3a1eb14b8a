"""Templates' ``_()``/``gettext()`` called directly (issue 20, fourth pass) behave as Jinja's newstyle wrapper did:
the request's language, a ``Markup`` when autoescaping (the variables escaped, the catalogue text not), always
``%``-formatted, and a language forced inside the request honoured."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale


def test_template_gettext_translates_escapes_and_follows_the_locale(app) -> None:  # type: ignore[no-untyped-def]
    from tests.app.test_translations import _compile_if_needed

    _compile_if_needed()
    template = "{{ _('Sign out') }}|{{ gettext('Sign out') }}|{{ _('%(who)s 100%%', who='<b>') }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(template)
        with force_locale("tr"):
            turkish = render_template_string(template)
        assert render_template_string(template) == english  # back to her language after the forced one
    sign_out_en, again_en, formatted = english.split("|")
    assert sign_out_en == again_en == "Sign out"
    assert formatted == "&lt;b&gt; 100%"  # escaped variable, "%%" formatted to "%"
    sign_out_tr, again_tr, _rest = turkish.split("|")
    assert sign_out_tr == again_tr == "Çıkış yap"

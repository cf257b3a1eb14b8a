"""Everything the ``shelters`` package plugs into the app, in one place: the blueprint with every page group's
views, the models Alembic must see, the dashboard panels, the statistics tables, the demo data, and the guards that
keep ``cases`` from erasing a case or removing a child while a shelter still holds them. ``app`` imports this
module only (``create_app`` and ``app.model_registry``).

``shelters`` uses ``cases`` only through a small, named interface: the case models (``cases.core.models``), the case
policies (``cases.core.policies``: ``can``, ``load_case_for``), the two guard hooks registered below
(``cases.intake.services.register_removal_guard``, ``cases.retention.services.register_erasure_guard``), the
erasure step that coarsens her stays (``cases.retention.services.register_erasure_step``), the
location-inquiry alert lookup (``cases.inquiries.services.register_shelter_lookup``), the shelter outcome of the
Equality statistics (``cases.equality.reports.register_admission_selector``), and the
resident view (``shelters.admissions.resident_view``), the one module that reads a case (and its approved safety
plan's code word, ``cases.plans.models``) into the few fields a shelter needs. The demo generator reuses
``cases.generate``'s helpers.
"""

from __future__ import annotations

from flask.blueprints import BlueprintSetupState

from app.cli import register_demo_generator, register_demo_seeder
from app.main.views import register_dashboard_panel
from app.reports.registry import register_report_section
from app.tasks import register_task_provider
from cases.equality.reports import register_admission_selector
from cases.inquiries.services import register_shelter_lookup
from cases.intake.services import register_removal_guard
from cases.retention.services import register_erasure_guard, register_erasure_step
from shelters import demo, generate
from shelters.admissions import reports
from shelters.admissions import services as stays
from shelters.admissions import views as admissions_views  # noqa: F401
from shelters.board import panels
from shelters.board import views as board_views  # noqa: F401
from shelters.core import models  # noqa: F401  (Alembic's metadata must see every table)
from shelters.core.blueprint import bp
from shelters.setup import views as setup_views  # noqa: F401

__all__ = ["bp"]

DEMO_ORDER = 20  # after the cases (10): demo stays are made for demo cases

register_erasure_guard(stays.erasure_guard)
register_erasure_step(stays.coarsen_for_erasure)
register_removal_guard(stays.removal_guard)
register_shelter_lookup(stays.inquiry_alert_recipients)
register_admission_selector(reports.admitted_cases)


def _register(state: BlueprintSetupState) -> None:
    register_dashboard_panel(state.app, panels.coordinator_panel)
    register_dashboard_panel(state.app, panels.supervisor_panel)
    register_task_provider(state.app, panels.shelter_tasks, panels.TASK_KINDS)
    register_report_section(state.app, reports.sections)
    register_demo_seeder(state.app, DEMO_ORDER, demo.seed_for_demo)
    register_demo_generator(state.app, DEMO_ORDER, generate.generate_stays)


bp.record_once(_register)

"""Everything the ``cases`` package plugs into the app, in one place: the blueprint with every slice's views, the
model modules Alembic must see, the dashboard panels (in the order they are shown), the statistics tables, the demo
data and the command-line groups. ``app`` imports this module only (``create_app`` and ``app.model_registry``).

A new slice adds its modules here; nothing else in the app needs an edit.
"""

from __future__ import annotations

from flask.blueprints import BlueprintSetupState

from app.auth.sessions import register_end_listener as register_session_end_listener
from app.cli import register_demo_generator, register_demo_seeder
from app.main.views import register_dashboard_panel
from app.reports.registry import register_population_counter, register_report_section
from app.tasks import register_task_provider
from app.throttle import register_listener as register_throttle_listener
from cases import demo, generate
from cases.alerts import models as alerts_models  # noqa: F401
from cases.alerts import services as alerts_services
from cases.alerts import views as alerts_views  # noqa: F401
from cases.casefile import models as casefile_models  # noqa: F401
from cases.casefile import panels as casefile_panels
from cases.casefile import views as casefile_views  # noqa: F401
from cases.core import models as core_models  # noqa: F401  (every model module: Alembic must see every table)
from cases.core.blueprint import bp
from cases.documents import models as documents_models  # noqa: F401
from cases.documents import views as documents_views  # noqa: F401
from cases.equality import reports as equality_reports
from cases.feedback import models as feedback_models  # noqa: F401
from cases.feedback import reports as feedback_reports
from cases.feedback import views as feedback_views  # noqa: F401
from cases.handover import views as handover_views  # noqa: F401
from cases.incidents import models as incidents_models  # noqa: F401
from cases.incidents import views as incidents_views  # noqa: F401
from cases.inquiries import models as inquiries_models  # noqa: F401
from cases.inquiries import panels as inquiries_panels
from cases.inquiries import reports as inquiries_reports
from cases.inquiries import views as inquiries_views  # noqa: F401
from cases.intake import models as intake_models  # noqa: F401
from cases.intake import reports as intake_reports
from cases.intake import services as intake_services
from cases.intake import views as intake_views  # noqa: F401
from cases.kpis import reports as kpis_reports
from cases.kpis import views as kpis_views  # noqa: F401
from cases.kvkk import views as kvkk_views  # noqa: F401
from cases.legal import cli as legal_cli
from cases.legal import models as legal_models  # noqa: F401
from cases.legal import panels as legal_panels
from cases.legal import views as legal_views  # noqa: F401
from cases.lifecycle import models as lifecycle_models  # noqa: F401
from cases.lifecycle import views as lifecycle_views  # noqa: F401
from cases.notes import models as notes_models  # noqa: F401
from cases.notes import views as notes_views  # noqa: F401
from cases.orders import models as orders_models  # noqa: F401
from cases.orders import panels as orders_panels
from cases.orders import reports as orders_reports
from cases.orders import views as orders_views  # noqa: F401
from cases.papers import views as papers_views  # noqa: F401
from cases.plans import models as plans_models  # noqa: F401
from cases.plans import panels as plans_panels
from cases.plans import views as plans_views  # noqa: F401
from cases.privacy import models as privacy_models  # noqa: F401
from cases.privacy import views as privacy_views  # noqa: F401
from cases.referrals import models as referrals_models  # noqa: F401
from cases.referrals import panels as referrals_panels
from cases.referrals import reports as referrals_reports
from cases.referrals import views as referrals_views  # noqa: F401
from cases.retention import cli as retention_cli
from cases.retention import models as retention_models  # noqa: F401
from cases.retention import panels as retention_panels
from cases.retention import views as retention_views  # noqa: F401
from cases.risk import models as risk_models  # noqa: F401
from cases.risk import views as risk_views  # noqa: F401
from cases.tasks import panels as tasks_panels
from cases.tasks import services as tasks_services
from cases.tasks import views as tasks_views  # noqa: F401

__all__ = ["bp"]

DASHBOARD_PANELS = (
    tasks_panels.tasks_panel,
    casefile_panels.counsellor_panel,
    casefile_panels.supervisor_panel,
    referrals_panels.referrals_panel,
    orders_panels.orders_panel,
    plans_panels.counsellor_plans_panel,
    plans_panels.supervisor_plans_panel,
    plans_panels.admin_checklist_panel,
    inquiries_panels.supervisor_panel,
    inquiries_panels.coordinator_panel,
    retention_panels.retention_panel,
)
REPORT_SECTIONS = (intake_reports.sections, referrals_reports.sections, orders_reports.sections,  # in page order
                   equality_reports.sections, inquiries_reports.sections, kpis_reports.kpi_tables,
                   feedback_reports.feedback_tables)
DEMO_ORDER = 10  # before the shelters (20): their demo stays need the demo cases


def _register(state: BlueprintSetupState) -> None:
    for provider in DASHBOARD_PANELS:
        register_dashboard_panel(state.app, provider)
    register_task_provider(state.app, tasks_services.case_tasks, tasks_services.TASK_KINDS,
                           counter=tasks_services.case_task_count)
    register_throttle_listener(state.app, alerts_services.alert_supervisors_of_pace)  # her supervisors are told
    register_session_end_listener(state.app, intake_services.forget_drafts)  # an intake draft dies with its session
    register_task_provider(state.app, legal_panels.legal_tasks, legal_panels.TASK_KINDS,
                           counter=legal_panels.legal_task_count)
    for section in REPORT_SECTIONS:
        register_report_section(state.app, section)
    register_population_counter(state.app, intake_reports.applications_by_centre)  # how releases group centres
    register_demo_seeder(state.app, DEMO_ORDER, demo.seed_demo_cases)
    register_demo_generator(state.app, DEMO_ORDER, generate.generate_cases)
    state.app.cli.add_command(retention_cli.retention_cli)
    state.app.cli.add_command(legal_cli.legal_cli)


bp.record_once(_register)

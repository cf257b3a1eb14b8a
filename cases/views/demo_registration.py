"""Registers the demo cases with ``flask demo seed`` (development only)."""

from app.cli import register_demo_seeder
from cases.demo import seed_demo_cases
from cases.views import bp

bp.record_once(lambda state: register_demo_seeder(state.app, 10, seed_demo_cases))

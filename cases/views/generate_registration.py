"""Registers the synthetic cases with ``flask demo generate`` (development only)."""

from app.cli import register_demo_generator
from cases.generate import generate_cases
from cases.views import bp

bp.record_once(lambda state: register_demo_generator(state.app, 10, generate_cases))

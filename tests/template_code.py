"""Compiled templates shared by every app a test process builds (issue 20): Jinja's own bytecode cache, in memory.

Each test builds a fresh app, and a fresh app has a fresh Jinja environment, which compiled again every template the
test rendered: lexing, parsing, code generation and Python's ``compile`` were about a third of a typical test's CPU
(tests/cases/test_people.py: 762 compilations for 28 tests). Jinja's bytecode cache keeps the compiled code object
and hands it to the next environment that loads the same template; the template object, its globals and filters stay
the new app's own.

A template's code depends on its source and on how the environment compiles it. The source is the bucket's checksum
(Jinja discards cached code whose checksum differs: a template edited during the run compiles afresh); the
compilation settings (extensions, gettext style, autoescape for that name, optimiser, finalize) are part of the key,
so an app configured differently never receives another's code. ``tests/app/test_template_code.py`` checks all three.
Production keeps no bytecode cache: one app per worker compiles each template once.
"""

from __future__ import annotations

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket


class SharedTemplateCode(BytecodeCache):
    def __init__(self) -> None:
        self.code: dict[tuple[str, ...], bytes] = {}

    @staticmethod
    def _key(env: Environment, name: str, key: str) -> tuple[str, ...]:
        autoescape = env.autoescape(name) if callable(env.autoescape) else env.autoescape
        return (key, name, ",".join(sorted(env.extensions)), str(getattr(env, "newstyle_gettext", False)),
                str(bool(autoescape)), str(env.optimized), repr(env.finalize))

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        bucket = _NamedBucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source), name)
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        if isinstance(bucket, _NamedBucket):
            code = self.code.get(self._key(bucket.environment, bucket.name, bucket.key))
            if code is not None:
                bucket.bytecode_from_string(code)  # a checksum that differs leaves the bucket empty: compiled again

    def dump_bytecode(self, bucket: Bucket) -> None:
        if isinstance(bucket, _NamedBucket):
            self.code[self._key(bucket.environment, bucket.name, bucket.key)] = bucket.bytecode_to_string()


class _NamedBucket(Bucket):
    def __init__(self, environment: Environment, key: str, checksum: str, name: str) -> None:
        super().__init__(environment, key, checksum)
        self.name = name


TEMPLATE_CODE = SharedTemplateCode()

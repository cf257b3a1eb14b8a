"""One app process of the online-rotation test (tests/app/test_key_rotation_online.py), run as a subprocess.

It builds its own app on the test's database and key file (data-key cache TTL 1 s), reuses the signed-in session
cookie, and serves case pages and note posts in a loop until the stop file appears; then it reads every case once
more and writes its counts as JSON. Any answer other than 200 / 302 (or any exception) counts as a failure.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    db_url, tmp_path, cookie_name, cookie_value, stop_file, out_file, *case_ids = sys.argv[1:]
    from tests.conftest import make_app
    from tests.factories import csrf_token

    app = make_app(db_url, Path(tmp_path), DEK_CACHE_TTL=1.0)
    client = app.test_client()
    client.set_cookie(cookie_name, cookie_value, domain="localhost")
    counts = {"requests": 0, "failed": 0, "notes": 0, "final_reads": 0}
    failures: list[str] = []

    def check(status: int, what: str) -> None:
        counts["requests"] += 1
        if status not in (200, 302):
            counts["failed"] += 1
            failures.append(f"{what}: {status}")

    i = 0
    while not Path(stop_file).exists():
        case_id = case_ids[i % len(case_ids)]
        i += 1
        try:
            check(client.get(f"/cases/{case_id}").status_code, "view")
            if i % 3 == 0:
                token = csrf_token(client, f"/cases/{case_id}")
                r = client.post(f"/cases/{case_id}/notes", data={"kind": "phone", "occurred_on": "2026-11-03",
                                                                  "text": f"görüşme {i}", "csrf_token": token})
                check(r.status_code, "note")
                counts["notes"] += r.status_code == 302
            check(client.get("/cases/").status_code, "list")
        except Exception as exc:  # noqa: BLE001 (every failure is counted, whatever it is)
            counts["requests"] += 1
            counts["failed"] += 1
            failures.append(f"{type(exc).__name__}")
        time.sleep(0.02)
    time.sleep(1.2)    # past the data-key cache TTL: every key is unwrapped again, with whatever KEK it has now
    for case_id in case_ids:
        r = client.get(f"/cases/{case_id}")
        check(r.status_code, "final view")
        counts["final_reads"] += r.status_code == 200
    Path(out_file).write_text(json.dumps({**counts, "failures": failures[:20]}))


if __name__ == "__main__":
    main()

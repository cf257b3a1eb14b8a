"""P4 baseline: a hello-world Flask app, served by gunicorn with the same settings as the real app."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"

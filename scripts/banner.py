"""Printed by `./portal run` once the web server answers, after the worker's and beat's start-up
noise, so the URL and the demo sign-ins are the last thing on screen. Then it waits quietly:
honcho stops every process as soon as one of them exits."""

import os
import signal
import time
import urllib.request

url = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORTAL_PORT', '8000')}/"
for _ in range(120):
    try:
        urllib.request.urlopen(url + "healthz", timeout=1)  # noqa: S310 (our own loopback URL)
        break
    except OSError:
        time.sleep(0.5)

print(
    f"""
  The portal is running at {url}   (Ctrl-C stops web, worker and beat)

  Demo sign-ins, all with the password demo-pass-2026:
    provider@neuro.example       referring provider
    coordinator@clinic.example   coordinator
    nurse@clinic.example         clinician (doctor@clinic.example: a prescribing one)
    patient@mail.example         patient
    admin@clinic.example         clinic admin (settings at {url}admin/)
  Staff then type a two-factor code: `./portal code` prints it (or add the demo key
  GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ to an authenticator app).
""",
    flush=True,
)
signal.pause()
